// Durability of the core: what one engine commits, a new engine recovers from the same store —
// participants with their waits, overdue timers in due order, entry history, metrics, unique
// ids, pending outbox entries performed once with their keys — and a refused input writes
// nothing at all.
import t from 'tap';
import { Engine, type Logger } from '../../engine/runtime/engine.js';
import { JunctionError } from '../../engine/errors.js';
import { VirtualClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend } from '../../engine/store/journal.js';
import { loadPeople, partAtStart } from '../../engine/people-file.js';
import type { Module } from '../../engine/module.js';
import type { Effect } from '../../engine/vocabulary.js';
import { askElement as ask, flow, pauseDays, registryWith, tag } from './helpers.js';

const DAY = 24 * 3600 * 1000;


interface Node {
  engine: Engine;
  people: MemoryPeopleStore;
  calls: Effect[];
}

/** An engine over `backend`; `answer` false makes its handler hang (a crash before the answer). */
function node(backend: MemoryBackend, clock: VirtualClock, answer: boolean, logger?: Logger): Node {
  const calls: Effect[] = [];
  const module: Module = {
    name: 'test',
    elements: [ask],
    effects: [{ kind: 'test.call', perform: (effect) => (calls.push(effect), answer ? 'ok' : new Promise(() => {})) }],
  };
  const people = new MemoryPeopleStore(clock);
  const engine = new Engine({ clock, people, registry: registryWith([module]), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 4, logger });
  return { engine, people, calls };
}

t.test('a crash between commit and dispatch performs the effect once after restart, with its key', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, false);
  a.engine.save(flow('f', [{ id: 'call', type: 'testCall', config: {}, branches: { next: 't' } }, tag('t', 'called')]));
  a.engine.launch('f');
  const receipt = await a.engine.submit('ana', { kind: 'flow.enter', flowId: 'f', person: { id: 'ana' } });
  await new Promise((r) => setImmediate(r)); // dispatched; its handler never answers
  t.equal(a.calls.length, 1, 'performed once before the crash, never answered');
  t.equal(backend.tables.get('outbox')!.size, 1, 'the entry is still pending in the store');
  // the process dies here: a new one starts on the same store
  const b = node(backend, clock, true);
  const recovered = b.engine.recover(backend);
  t.match(recovered, { participants: 1, people: 1, outbox: 1 });
  await b.engine.idle();
  t.equal(b.calls.length, 1, 'performed once after the restart');
  t.equal(b.calls[0]!.key, a.calls[0]!.key, 'with the same idempotency key');
  t.equal(b.calls[0]!.key, `${receipt.participantId}:1:0`);
  t.same(b.people.get('ana')!.tags, ['called'], 'the participant went on');
  t.equal(backend.tables.get('outbox')!.size, 0, 'and the entry is done');
  t.equal(b.engine.metrics('f').profilesExited, 1);
});

t.test('recovery brings back waits, overdue timers in due order, history, metrics and unique ids', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, true);
  a.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'woke')], { reentry: { enabled: false } }));
  a.engine.launch('f');
  const ids: string[] = [];
  for (const [person, days] of [['c', 3], ['a', 1], ['b', 2]] as const) {
    ids.push((await a.engine.submit(person, { kind: 'flow.enter', flowId: 'f', person: { id: person } })).participantId!);
    clock.advance(days * 3600 * 1000);
  }
  await a.engine.idle();
  clock.advance(3 * DAY); // everyone is overdue while no process runs
  const b = node(backend, clock, true);
  const order: string[] = [];
  b.people.onChange((c) => c.kind === 'tagAdded' && order.push(c.personId));
  t.match(b.engine.recover(backend), { participants: 3, people: 3 });
  await new Promise((r) => setImmediate(r));
  clock.advance(0);
  await b.engine.idle();
  t.same(order, ['c', 'a', 'b'], 'overdue wake-ups fire in due order');
  t.equal(b.engine.metrics('f').profilesExited, 3);
  t.equal(b.engine.metrics('f').profilesInFlow, 3, 'metrics survived');
  t.match(await b.engine.submit('a', { kind: 'flow.enter', flowId: 'f' }), { entered: false, reason: 'JCT_REENTRY_DISABLED' }, 'entry history survived');
  b.people.upsert({ id: 'd' });
  const fresh = (await b.engine.submit('d', { kind: 'flow.enter', flowId: 'f' })).participantId!;
  t.notOk(ids.includes(fresh), 'a participant id is never handed out twice');
});

t.test('a refused input writes nothing: no profile, no row', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, true);
  a.engine.save(flow('f', [pauseDays('p', 1)], { variables: [{ name: 'n', type: 'whole' }] }));
  a.engine.launch('f');
  await a.engine.idle();
  const before = JSON.stringify([...backend.tables].map(([name, rows]) => [name, [...rows]]));
  const person = { phones: ['+385911234567'] };
  await t.rejects(a.engine.submit('x', { kind: 'flow.enter', flowId: 'f', person, vars: { nope: 1 } }), { code: 'JCT_VARIABLE_UNKNOWN' });
  await t.rejects(a.engine.submit('x', { kind: 'flow.enter', flowId: 'f', person, vars: { n: 'many' } }), { code: 'JCT_VARIABLE_TYPE' });
  await t.rejects(a.engine.submit('x', { kind: 'flow.enter', flowId: 'f', person, entry: 'nope' }), { code: 'JCT_ENTRY_UNKNOWN' });
  await t.rejects(a.engine.submit('x', { kind: 'flow.enter', flowId: 'nope', person }), { code: 'JCT_FLOW_UNKNOWN' });
  await a.engine.idle();
  t.equal(a.people.size(), 0, 'no profile');
  t.equal(JSON.stringify([...backend.tables].map(([name, rows]) => [name, [...rows]])), before, 'no row written');
});

t.test('a journal that cannot write refuses inputs with JCT_STORE_UNAVAILABLE and acknowledges nothing', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, true);
  a.engine.save(flow('f', [pauseDays('p', 1)]));
  a.engine.launch('f');
  await a.engine.idle();
  backend.commit = () => {
    throw new Error('disk full');
  };
  await t.rejects(a.engine.submit('x', { kind: 'flow.enter', flowId: 'f', person: { id: 'x' } }), { code: 'JCT_STORE_UNAVAILABLE' });
  await t.rejects(a.engine.submit('y', { kind: 'flow.enter', flowId: 'f', person: { id: 'y' } }), { code: 'JCT_STORE_UNAVAILABLE' });
});

t.test('a Flow API call refused 503 whose batch is written once the store is back: a retry with its key replays its report', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const journal = new GroupCommit(backend, { flushMs: 0, waitMs: 20, firstRetryMs: 5, longestRetryMs: 5 });
  const engine = new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith([]), journal, partitions: 4 });
  engine.save(flow('f', [pauseDays('p', 1)]));
  engine.launch('f');
  await engine.idle();
  const commit = backend.commit.bind(backend);
  let down = true;
  backend.commit = (batch) => {
    if (down) throw new JunctionError('JCT_STORE_UNAVAILABLE', 'connection lost'); // what a server store throws when out of reach
    commit(batch);
  };
  await t.rejects(engine.addParticipants('f', [{ person: { id: 'ana' } }], { idempotencyKey: 'k1' }), { code: 'JCT_STORE_UNAVAILABLE' });
  down = false;
  for (let tries = 0; !journal.available && tries < 200; tries++) await new Promise((r) => setTimeout(r, 5)); // the batch tried again
  await engine.durable();
  t.ok(backend.tables.get('participant')!.size === 1 && backend.tables.get('operation')!.size === 1, 'the entry and its report were written together once the store was back');
  const retry = await engine.addParticipants('f', [{ person: { id: 'ana' } }], { idempotencyKey: 'k1' });
  t.equal(retry.repeated, true, 'the retry is a replay');
  t.match(retry.participants, [{ status: 'accepted', personId: 'ana' }], 'of the first call, which did add her');
  await engine.close();
});

t.test('participants past a change of id length load back in order (keys sort as sequences)', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, true);
  a.engine.save(flow('f', [pauseDays('p', 1)]));
  a.engine.launch('f');
  const ids: string[] = [];
  for (let i = 0; i < 240; i++) ids.push((await a.engine.submit(`q${i}`, { kind: 'flow.enter', flowId: 'f', person: { id: `q${i}` } })).participantId!);
  t.ok(ids.some((id) => id.split('.')[1]!.length === 2), 'sequences reach two base-36 digits');
  const b = node(backend, clock, true);
  t.match(b.engine.recover(backend), { participants: 240 });
  for (const id of ids) t.ok(b.engine.participant(id), `${id} is back`);
  clock.advance(DAY);
  await b.engine.idle();
  t.equal(b.engine.metrics('f').profilesExited, 240);
});

t.test('a version launched before a rule was added keeps running after an upgrade, and the start says so', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, true);
  const updates = [
    { variable: 'ok', formula: '"ab".matches("a(?=b)")' },
    { variable: 'note', value: 'Hi {{nme}}' }, // kept as written when it was launched
  ];
  const check = { id: 'check', type: 'updateVariable', config: { updates }, branches: { next: 'long' } };
  const variables = [{ name: 'ok', type: 'boolean' }, { name: 'note', type: 'text' }];
  a.engine.save(flow('f', [pauseDays('p', 1, 'check'), check, pauseDays('long', 40_000)], { variables, goal: { event: 'bougth' } }));
  t.throws(() => a.engine.launch('f'), { code: 'JCT_FLOW_INVALID' }, 'today the rules refuse it');
  // as an older Junction launched it: the same definition, stored as launched
  await a.engine.idle();
  const row = backend.tables.get('flow')!.get('f@1') as { status: string };
  row.status = 'active';
  const warnings: Array<{ code?: string; problems?: Array<{ code: string }> }> = [];
  const logger: Logger = { info() {}, error() {}, warn: (obj) => warnings.push(obj) };
  const b = node(backend, clock, true, logger);
  b.engine.recover(backend);
  const outdated = [{ code: 'JCT_PATTERN_NOT_RE2' }, { code: 'JCT_PLACEHOLDER_UNKNOWN' }, { code: 'JCT_DURATION_TOO_LONG' }, { code: 'JCT_GOAL_UNKNOWN' }];
  t.match(warnings, [{ code: 'JCT_FLOW_OUTDATED', problems: outdated }]);
  b.people.upsert({ id: 'ana' });
  t.match(await b.engine.submit('ana', { kind: 'flow.enter', flowId: 'f' }), { entered: true });
  clock.advance(DAY);
  await b.engine.idle();
  t.same(b.engine.journeysOf('ana').map((p) => [p.node, p.vars.ok, p.vars.note]), [[3, true, 'Hi {{nme}}']], 'the pattern ran, the text stayed as written and the long pause holds');
});

t.test('the metrics of finished and canceled versions are read after a restart as before it', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock, true);
  a.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'v1')]));
  a.engine.launch('f');
  a.engine.save(flow('gone', [pauseDays('p', 1)]));
  a.engine.launch('gone');
  for (const id of ['ana', 'bob']) {
    await a.engine.submit(id, { kind: 'flow.enter', flowId: 'f', person: { id } });
    await a.engine.submit(id, { kind: 'flow.enter', flowId: 'gone' });
  }
  a.engine.cancel('gone');
  a.engine.save(flow('f', [pauseDays('p', 1, 'n'), tag('n', 'v2')]));
  a.engine.launch('f');
  clock.advance(DAY);
  await a.engine.submit('ana', { kind: 'flow.enter', flowId: 'f' });
  await a.engine.idle();
  t.same(a.engine.flowVersions('f').map((r) => r.status), ['finished', 'active']);
  const reports = (e: Engine) => ({ v1: e.metrics('f', 1), all: e.metricsAllVersions('f'), gone: e.metrics('gone') });
  const before = reports(a.engine);
  t.match(before, { v1: { profilesInFlow: 2, profilesExited: 2 }, all: { versions: [1, 2], profilesInFlow: 2 }, gone: { profilesInFlow: 2 } });
  const b = node(backend, clock, true);
  b.engine.recover(backend);
  t.same(reports(b.engine), before);

  // an ended version that no longer compiles does not stop the start
  (backend.tables.get('flow')!.get('gone@1') as { definition: { elements: Array<{ type: string }> } }).definition.elements[0]!.type = 'removedModuleElement';
  const warnings: Array<{ code?: string }> = [];
  const c = node(backend, clock, true, { info() {}, error() {}, warn: (obj) => warnings.push(obj) });
  c.engine.recover(backend);
  t.match(warnings, [{ code: 'JCT_FLOW_INVALID' }]);
  t.throws(() => c.engine.metrics('gone'), { code: 'JCT_VERSION_UNKNOWN' });
  t.same(c.engine.metrics('f', 1), before.v1);
});

t.test('the people file at each start: its profiles into a store with nobody only, its static segment kept without the people erased since', async (t) => {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const doc = {
    attributes: [{ name: 'tier', type: 'text' }],
    people: [{ id: 'ana', custom: { tier: 'gold' } }, { id: 'ivo' }],
    segments: [{ id: 'vip', name: 'VIP', kind: 'static', members: ['ana', 'ivo'] }],
  };
  const start = () => {
    const n = node(backend, clock, true);
    n.engine.recover(backend, (restored) => loadPeople(doc, n.people, 'UTC', partAtStart(restored)));
    return n;
  };
  const a = start();
  t.same([...a.people.segmentMembers('vip')], ['ana', 'ivo'], 'first start: the profiles made, the segment with them');
  await a.engine.submit('ana', { kind: 'person.upsert', person: { id: 'ana', custom: { tier: 'silver' } } });
  await a.engine.submit('ivo', { kind: 'person.erase' });
  await a.engine.idle();
  const b = start();
  t.equal(b.people.get('ana')?.custom['tier'], 'silver', 'a restart keeps the profile as changed since, not as the file has it');
  t.equal(b.people.get('ivo'), undefined, 'an erased person is not made again');
  t.same([...b.people.segmentMembers('vip')], ['ana'], 'the static segment loads, without the person erased');
});
