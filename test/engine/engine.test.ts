import t from 'tap';
import { world, flow, pauseDays, tag, pathOf } from './helpers.js';
import type { VersionAcross } from '../../engine/runtime/engine.js';
import { JunctionError } from '../../engine/errors.js';
import { defineElement } from '../../engine/element.js';
import { ParticipantStatus } from '../../engine/vocabulary.js';
import { participantKey } from '../../engine/runtime/rows.js';
import { Type } from '@sinclair/typebox';

const DAY = 24 * 3600 * 1000;
const PARTICIPANT_ID = /^[0-9a-z]+\.[0-9a-z]+$/;

t.test('a participant walks instant elements, waits at a pause, and wakes on time', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [tag('t1', 'a', 'p'), pauseDays('p', 2, 't2'), tag('t2', 'b')]));
  w.engine.launch('f');
  const r = await w.engine.enter('f', 'ana');
  t.same(r, { personId: 'ana', entered: true, participantId: r.participantId });
  t.match(r.participantId, PARTICIPANT_ID);
  t.match(w.engine.participant(r.participantId!), { personId: 'ana', flowId: 'f', version: 1, status: ParticipantStatus.Waiting });
  t.same(pathOf(w, 'ana'), ['start', 't1', 'p']);
  t.same(w.people.get('ana')!.tags, ['a']);
  w.clock.advance(2 * DAY - 1);
  t.same(pathOf(w, 'ana'), ['start', 't1', 'p'], 'not a millisecond early');
  w.clock.advance(1);
  t.same(pathOf(w, 'ana'), ['start', 't1', 'p', 't2', 't2.next.exit']);
  t.same(w.people.get('ana')!.tags, ['a', 'b']);
  t.equal(w.engine.participant(r.participantId!), undefined, 'gone once exited');
  const m = w.engine.metrics('f');
  t.equal(m.profilesInFlow, 1);
  t.equal(m.profilesExited, 1);
  t.equal(m.activeParticipants, 0);
  t.match(m.elements.find((e) => e.id === 'p'), { totalEngagements: 1, uniqueUsersEngaged: 1 });
});

t.test('what submit changes is visible at once; the receipt resolves once it is durable', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [tag('t1', 'a', 'p'), pauseDays('p', 2)]));
  w.engine.launch('f');
  await w.engine.idle();
  const commits = w.backend.commits;
  const receipt = w.engine.enter('f', 'ana');
  t.same(w.people.get('ana')!.tags, ['a'], 'applied synchronously');
  t.equal(w.backend.commits, commits, 'not yet written');
  const r = await receipt;
  t.ok(w.backend.commits > commits, 'written before the receipt resolves');
  t.ok(w.backend.tables.get('participant')!.has(participantKey(r.participantId!)), 'the participant is in the journal');
});

t.test('participant ids are unique across partitions', async (t) => {
  const w = world({ partitions: 4 });
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    w.people.upsert({ id: `u${i}` });
    const r = await w.engine.enter('f', `u${i}`);
    t.match(r.participantId, PARTICIPANT_ID);
    ids.push(r.participantId!);
  }
  t.equal(new Set(ids).size, ids.length);
  t.same([...w.engine.participantsOf('f', 1)].map((p) => p.id).sort(), [...ids].sort());
  t.ok(new Set(ids.map((id) => id.split('.')[0])).size > 1, 'people are spread over several partitions');
});

t.test('many participants with different pauses wake in time order', async (t) => {
  const w = world();
  const elements = [1, 2, 3].map((d) => pauseDays(`p${d}`, d));
  const doc = {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [1, 2, 3].map((d) => ({ id: `e${d}`, type: 'flowApi', config: {}, branches: { next: `p${d}` } })),
    elements,
  };
  w.engine.save(doc);
  w.engine.launch('f');
  for (const d of [3, 1, 2]) {
    w.people.upsert({ id: `u${d}` });
    await w.engine.enter('f', `u${d}`, { entry: `e${d}` });
  }
  const order: string[] = [];
  w.steps.length = 0;
  w.clock.advance(4 * DAY);
  for (const s of w.steps) order.push(s.participant.personId);
  t.same(order, ['u1', 'u2', 'u3']);
});

t.test('frequency cap: re-entry disabled, time delay, entry limits', async (t) => {
  t.test('re-entry disabled lets a person in once, across versions', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    const doc = flow('f', [tag('t', 'x')], { reentry: { enabled: false } });
    w.engine.save(doc);
    w.engine.launch('f');
    t.equal((await w.engine.enter('f', 'a')).entered, true);
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_REENTRY_DISABLED' });
    w.engine.save({ ...doc, name: 'v2' });
    w.engine.launch('f');
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_REENTRY_DISABLED' });
  });
  t.test('re-entry disabled: someone still inside is refused as inside, before being refused for having entered', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    const doc = flow('f', [pauseDays('p', 1)], { reentry: { enabled: false } });
    w.engine.save(doc);
    w.engine.launch('f');
    t.equal((await w.engine.enter('f', 'a')).entered, true);
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_PERSON_IN_FLOW' }, 'still inside');
    w.engine.save({ ...doc, name: 'v2' });
    w.engine.launch('f');
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_PERSON_IN_FLOW' }, 'still inside the version before');
    w.clock.advance(DAY); // exits now
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_REENTRY_DISABLED' }, 'left: never again');
  });
  t.test('a time delay counts from the last exit', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    w.engine.save(flow('f', [pauseDays('p', 1)], { reentry: { enabled: true, delay: { amount: 2, unit: 'days' } } }));
    w.engine.launch('f');
    t.equal((await w.engine.enter('f', 'a')).entered, true);
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_PERSON_IN_FLOW' }, 'still inside');
    w.clock.advance(DAY); // exits now
    w.clock.advance(2 * DAY - 1);
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_REENTRY_DELAY' });
    w.clock.advance(1);
    t.equal((await w.engine.enter('f', 'a')).entered, true);
  });
  t.test('entry limits: at most N entries within a period', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    w.engine.save(flow('f', [tag('t', 'x')], { reentry: { enabled: true, limits: [{ count: 2, within: { amount: 1, unit: 'days' } }] } }));
    w.engine.launch('f');
    t.equal((await w.engine.enter('f', 'a')).entered, true);
    t.equal((await w.engine.enter('f', 'a')).entered, true);
    t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_ENTRY_LIMIT' });
    w.clock.advance(DAY);
    t.equal((await w.engine.enter('f', 'a')).entered, true);
  });
  t.test('re-entry enabled with no limits lets a person in again at once', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    w.engine.save(flow('f', [pauseDays('p', 1)]));
    w.engine.launch('f');
    const first = await w.engine.enter('f', 'a');
    const second = await w.engine.enter('f', 'a');
    t.equal(first.entered, true);
    t.equal(second.entered, true);
    t.not(first.participantId, second.participantId, 'two participants');
    t.equal(w.engine.metrics('f').activeParticipants, 2);
    t.equal(w.engine.metrics('f').profilesInFlow, 1, 'unique people');
  });
});

t.test('lifecycle: draft → scheduled → active → paused → active → canceled', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'done')], { schedule: { start: '2026-01-06T08:00' } }));
  t.equal(w.engine.status('f')!.status, 'draft');
  t.equal(w.engine.launch('f').status, 'scheduled');
  t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' });
  w.clock.advanceTo('2026-01-06T08:00:00Z');
  t.equal(w.engine.status('f')!.status, 'active');
  t.equal((await w.engine.enter('f', 'a')).entered, true);
  w.engine.pause('f');
  t.equal(w.engine.status('f')!.status, 'paused');
  t.same(await w.engine.enter('f', 'a'), { personId: 'a', entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' });
  w.clock.advance(2 * DAY);
  t.same(w.people.get('a')!.tags, [], 'timers are held while paused');
  w.engine.resume('f');
  t.same(w.people.get('a')!.tags, ['done'], 'held timers fire on resume');
  await w.engine.enter('f', 'a');
  w.engine.cancel('f');
  t.equal(w.engine.status('f')!.status, 'canceled');
  t.equal(w.engine.metrics('f').activeParticipants, 0);
  t.same([...w.engine.participantsOf('f', 1)], [], 'no participant is left');
  w.clock.advance(2 * DAY);
  t.same(w.people.get('a')!.tags, ['done'], 'a canceled flow runs nothing more');
  t.throws(() => w.engine.resume('f'), { code: 'JCT_FLOW_STATUS' });
});

t.test('a schedule end stops entries; the version finishes when the last participant leaves', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [pauseDays('p', 3)], { schedule: { end: '2026-01-06T09:00:00Z' } }));
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  w.clock.advanceTo('2026-01-06T09:00:00Z');
  t.equal(w.engine.status('f')!.status, 'finishing');
  w.clock.advanceTo('2026-01-08T09:00:00Z');
  t.equal(w.engine.status('f')!.status, 'finished');
});

t.test('a flow idle for a year finishes by itself', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [tag('t', 'x')]));
  w.engine.launch('f');
  w.clock.advance(366 * DAY);
  t.equal(w.engine.status('f')!.status, 'finished');
});

/** A shard's view of its cluster for the tests below: what the other shards answer, and the ends asked for. */
function cluster(answers: { activity?: () => Promise<number>; inside?: () => Promise<number> }): { across: VersionAcross; ended: string[] } {
  const ended: string[] = [];
  const across: VersionAcross = {
    activity: () => answers.activity!(),
    inside: () => answers.inside!(),
    end: async (flowId, version, why) => void ended.push(`${flowId} v${version} ${why}`),
  };
  return { across, ended };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
/** A shard whose version 1 of flow f is finishing (version 2 launched) with one participant, who leaves a day later. */
async function finishingWorld(across: VersionAcross): Promise<ReturnType<typeof world>> {
  const w = world({ across });
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  w.engine.save(flow('f', [pauseDays('p', 2)]));
  w.engine.launch('f');
  return w;
}

const statusOf = (w: ReturnType<typeof world>, version: number) => w.engine.flowRecords().find((r) => r.id === 'f' && r.version === version)?.status;
const unreachable = () => Promise.reject(new JunctionError('JCT_SHARD_UNREACHABLE', 'the other process cannot be reached'));

t.test("a shard's flow idle for a year asks its cluster: it goes on while another shard had activity, asks again later when the cluster cannot be asked, and ends through the cluster", async (t) => {
  const start = Date.parse('2026-01-05T09:00:00Z');
  const answers: { activity?: () => Promise<number> } = { activity: () => Promise.resolve(start + 100 * DAY) }; // another shard's activity
  const { across, ended } = cluster(answers);
  const w = world({ start: '2026-01-05T09:00:00Z', across });
  w.engine.save(flow('f', [tag('t', 'x')]));
  w.engine.launch('f');
  w.clock.advance(366 * DAY);
  await turn();
  t.equal(w.engine.status('f')!.status, 'active', 'idle here, not in another shard: it goes on');
  t.equal(w.engine.flowActivity('f', 1), start, 'its activity here, as the cluster is told');
  t.same(ended, []);

  answers.activity = unreachable;
  w.clock.advance(100 * DAY); // a year after the other shard's activity
  await turn();
  t.match(w.logs.find((l) => l.level === 'warn'), { obj: { flowId: 'f', version: 1, code: 'JCT_SHARD_UNREACHABLE' } }, 'the cluster out of reach: said, and asked again later');
  t.same(ended, []);

  answers.activity = () => Promise.resolve(start + 100 * DAY);
  w.clock.advance(3600_000);
  await turn();
  t.same(ended, ['f v1 idle'], 'idle in every shard: ended through the cluster');
  t.equal(w.engine.status('f')!.status, 'active', 'until the cluster log applies it here too');
  w.engine.endVersion('f', 1, 'idle');
  t.equal(w.engine.status('f')!.status, 'finished');
  t.equal(w.engine.flowActivity('f', 1), null, 'no activity once it runs no more');
});

t.test("a shard's finishing version left empty asks its cluster: it stays finishing while another shard has people, and ends through the cluster once none has", async (t) => {
  const answers: { inside?: () => Promise<number> } = { inside: () => Promise.resolve(1) }; // someone left in another shard
  const { across, ended } = cluster(answers);
  const w = await finishingWorld(across);
  t.equal(statusOf(w, 1), 'finishing');
  t.equal(w.engine.inside('f', 1), 1);
  w.engine.endVersion('f', 1, 'empty');
  t.equal(statusOf(w, 1), 'finishing', 'the cluster found it empty before this shard took someone in: they stay');
  w.clock.advance(DAY);
  await turn();
  t.equal(w.engine.inside('f', 1), 0, 'empty here');
  t.equal(statusOf(w, 1), 'finishing', 'someone left in another shard: still finishing');
  t.same(ended, []);

  w.engine.endVersion('f', 1, 'empty'); // the last shard to empty found nobody left anywhere: the cluster log ends it here too
  t.equal(statusOf(w, 1), 'finished', 'ended through the cluster');
});

t.test("a shard's finishing version left empty asks again when its cluster cannot be asked, and after a restart", async (t) => {
  const answers: { inside?: () => Promise<number> } = { inside: unreachable };
  const { across, ended } = cluster(answers);
  const w = await finishingWorld(across);
  w.clock.advance(DAY);
  await turn();
  t.match(w.logs.find((l) => l.level === 'warn'), { obj: { flowId: 'f', version: 1, code: 'JCT_SHARD_UNREACHABLE' } }, 'the cluster out of reach: said');
  answers.inside = () => Promise.resolve(0);
  w.clock.advance(60_000);
  await turn();
  t.same(ended, ['f v1 empty'], 'asked again a minute later: nobody left anywhere, ended through the cluster');
  t.equal(statusOf(w, 1), 'finishing', 'until the cluster log applies it here');

  await w.engine.journal.flush();
  const again = world({ across });
  again.engine.recover(w.backend);
  await turn();
  t.same(ended, ['f v1 empty', 'f v1 empty'], 'restarted before the cluster ended it: asked again');
  again.engine.endVersion('f', 1, 'empty');
  t.equal(statusOf(again, 1), 'finished');
});

t.test('versions: a new version takes new entries, the old one finishes its participants', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.people.upsert({ id: 'b' });
  const v1 = flow('f', [pauseDays('p', 1, 't'), tag('t', 'v1')]);
  const version = (n: number) => w.engine.flowRecords().find((r) => r.id === 'f' && r.version === n);
  w.engine.save(v1);
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'v2')]));
  t.equal(w.engine.launch('f').version, 2);
  t.equal(version(1)!.status, 'finishing');
  await w.engine.enter('f', 'b');
  t.same([...w.engine.participantsOf('f', 1)].map((p) => p.personId), ['a']);
  t.same([...w.engine.participantsOf('f', 2)].map((p) => p.personId), ['b']);
  w.clock.advance(DAY);
  t.same(w.people.get('a')!.tags, ['v1']);
  t.same(w.people.get('b')!.tags, ['v2']);
  t.equal(version(1)!.status, 'finished');
  t.equal(w.engine.metrics('f', 1).profilesExited, 1);
  t.equal(w.engine.metrics('f').version, 2);
});

t.test('launching an invalid flow throws every problem and leaves it a draft', async (t) => {
  const w = world();
  w.engine.save(flow('f', [{ id: 'x', type: 'nope', config: {} }]));
  const err = t.throws(() => w.engine.launch('f')) as JunctionError;
  t.equal(err.code, 'JCT_FLOW_INVALID');
  t.match(err.details, { problems: [{ code: 'JCT_ELEMENT_TYPE_UNKNOWN', path: '$.elements[0].type' }] });
  t.equal(w.engine.status('f')!.status, 'draft');
  t.throws(() => w.engine.launch('nope'), { code: 'JCT_FLOW_UNKNOWN' });
  await t.rejects(w.engine.enter('nope', 'a'), { code: 'JCT_FLOW_UNKNOWN' });
});

// Throws for people tagged "boom".
const explode = defineElement({
  type: 'testExplode',
  role: 'element',
  title: 'Explode (test only)',
  description: 'Throws for people tagged "boom".',
  config: Type.Object({}),
  example: {},
  branches: () => ['next'],
  execute: (_p, run) => {
    if (run.person.tags.includes('boom')) throw new Error('kaboom');
    return 0;
  },
});

t.test('an element that throws stops only its participant; the engine keeps running', async (t) => {
  const w = world({ modules: [{ name: 'test', elements: [explode] }] });
  w.people.upsert({ id: 'bad', tags: ['boom'] });
  w.people.upsert({ id: 'good' });
  w.engine.save(flow('f', [{ id: 'x', type: 'testExplode', config: {}, branches: { next: 't' } }, tag('t', 'ok')]));
  w.engine.launch('f');
  await w.engine.enter('f', 'bad');
  await w.engine.enter('f', 'good');
  t.same(w.people.get('good')!.tags, ['ok']);
  t.same(w.people.get('bad')!.tags, ['boom']);
  const m = w.engine.metrics('f');
  t.equal(m.elements.find((e) => e.id === 'x')!.failures, 1);
  t.equal(m.activeParticipants, 0);
  t.match(w.logs, [{ level: 'warn', obj: { code: 'JCT_ELEMENT_CRASHED' }, msg: 'kaboom' }]);
});

t.test('test elements belong to the world that lists them: nothing is registered globally', async (t) => {
  const w = world();
  w.engine.save(flow('f', [{ id: 'x', type: 'testExplode', config: {} }]));
  t.throws(() => w.engine.launch('f'), { code: 'JCT_FLOW_INVALID', details: { problems: [{ code: 'JCT_ELEMENT_TYPE_UNKNOWN' }] } });
});

t.test('a profile change the store refuses stops that participant with the store code; the others go on', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [tag('t', 'x', 'p'), pauseDays('p', 1)]));
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  t.equal(w.engine.metrics('f').activeParticipants, 1);
  // a profile change that fails in the store (the person was deleted behind the engine's back)
  const store = w.people as unknown as { update: (...a: unknown[]) => unknown };
  const original = store.update.bind(w.people);
  store.update = () => {
    throw new JunctionError('JCT_PERSON_UNKNOWN', 'gone');
  };
  w.people.upsert({ id: 'b' });
  const b = await w.engine.enter('f', 'b');
  store.update = original;
  t.equal(b.entered, true, 'the entry itself was accepted');
  const stopped = w.steps.filter((s) => s.participant.personId === 'b').at(-1)!.participant;
  t.equal(stopped.status, ParticipantStatus.Exited);
  t.equal(stopped.exitReason, 'JCT_PERSON_UNKNOWN');
  t.equal(w.engine.participant(b.participantId!), undefined, 'b is out of the flow');
  t.same(w.people.get('b')!.tags, [], 'nothing of the refused change stuck');
  t.match(w.logs.filter((l) => l.level === 'warn'), [{ obj: { flowId: 'f', participant: b.participantId, code: 'JCT_PERSON_UNKNOWN' }, msg: 'gone' }]);
  t.same(w.logs.filter((l) => l.level === 'error'), [], 'not an outbox failure');
  t.same([...w.engine.effectFailures], [], 'profile changes are not effects');
  const m = w.engine.metrics('f');
  t.equal(m.activeParticipants, 1, 'a is still waiting');
  t.equal(m.profilesExited, 0, 'stopped, not exited');
  w.clock.advance(DAY);
  t.same(pathOf(w, 'a'), ['start', 't', 'p', 'p.next.exit'], 'a went on');
  t.same(w.people.get('a')!.tags, ['x']);
});

t.test('goal performers: people who entered and then performed the goal event', async (t) => {
  const w = world();
  w.people.defineEvent({ name: 'purchase', properties: [] });
  w.people.upsert({ id: 'a' });
  w.people.upsert({ id: 'b' });
  w.engine.save(flow('f', [pauseDays('p', 1)], { goal: { event: 'purchase' } }));
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  t.same(await w.engine.event('a', 'purchase'), { personId: 'a', delivered: 0 }, 'a pause does not wait for events');
  await w.engine.event('a', 'purchase');
  await w.engine.event('b', 'purchase');
  t.equal(w.engine.metrics('f').goalPerformers, 1);
});

t.test('an input kind no module handles is refused', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  await t.rejects(w.engine.submit('a', { kind: 'test.nobodyHandlesThis' } as never), { code: 'JCT_INPUT_UNKNOWN' });
});

t.test('entering needs a known entry point when there are several', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.engine.save({
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [
      { id: 'e1', type: 'flowApi', config: {}, branches: { next: 't' } },
      { id: 'e2', type: 'flowApi', config: {}, branches: { next: 't' } },
    ],
    elements: [tag('t', 'x')],
  });
  w.engine.launch('f');
  await t.rejects(w.engine.enter('f', 'a'), { code: 'JCT_ENTRY_AMBIGUOUS' });
  await t.rejects(w.engine.enter('f', 'a', { entry: 't' }), { code: 'JCT_ENTRY_UNKNOWN' });
  t.equal((await w.engine.enter('f', 'a', { entry: 'e2' })).entered, true);
});

t.test('metrics across all versions count each person once; the goal percentage', async (t) => {
  const w = world();
  w.people.defineEvent({ name: 'bought', properties: [] });
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'v1')], { goal: { event: 'bought' } }));
  w.engine.launch('f');
  for (const id of ['a', 'b']) await w.engine.submit(id, { kind: 'flow.enter', flowId: 'f', person: { id } });
  w.engine.save(flow('f', [{ ...pauseDays('p', 1, 'n'), name: 'One day' }, tag('n', 'v2')], { goal: { event: 'bought' } }));
  w.engine.launch('f');
  w.clock.advance(DAY);
  for (const id of ['a', 'c']) await w.engine.submit(id, { kind: 'flow.enter', flowId: 'f', person: { id } });
  await w.engine.event('a', 'bought');
  w.clock.advance(DAY);
  await w.engine.idle();
  t.match(w.engine.metrics('f', 1), { profilesInFlow: 2, goalPerformers: 0, goalPercentage: 0 }, 'version 1 had finished when a bought');
  t.match(w.engine.metrics('f', 2), { profilesInFlow: 2, goalPerformers: 1, goalPercentage: 50 });
  const all = w.engine.metricsAllVersions('f');
  t.match(all, { versions: [1, 2], profilesInFlow: 3, profilesExited: 4, goalPerformers: 1, goalPercentage: 33.3 }, 'a was in both versions: one person');
  const byId = Object.fromEntries(all.elements.map((e) => [e.id, [e.totalEngagements, e.uniqueUsersEngaged]]));
  t.same(byId['p'], [4, 3], 'the pause both versions share: 4 passes by 3 people');
  t.equal(all.elements.find((e) => e.id === 'p')!.name, 'One day', 'named as the newest version names it');
  t.same(byId['t'], [2, 2]);
  t.same(byId['n'], [2, 2]);
  t.throws(() => w.engine.metricsAllVersions('nope'), { code: 'JCT_FLOW_UNKNOWN' });
});

t.test('new versions keep the original entry point; a launch-only audience has none, also while finishing; one version can be stopped', async (t) => {
  const w = world();
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'v1')]));
  w.engine.launch('f');
  await w.engine.submit('a', { kind: 'flow.enter', flowId: 'f', person: { id: 'a' } });
  const moved = { ...flow('f', [pauseDays('p', 1)]), entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'p' } }] };
  w.engine.save(moved);
  t.throws(() => w.engine.launch('f'), { code: 'JCT_VERSION_ENTRY_REMOVED', details: { problems: [{ path: '$.entryPoints' }] } });
  t.equal(w.engine.status('f')!.version, 1, 'version 1 still runs');
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'v2')]));
  t.equal(w.engine.launch('f').version, 2, 'the same entry point: launched');
  t.equal(w.engine.stopVersion('f', 2).status, 'finished', 'stopped with nobody inside: finished at once');
  t.throws(() => w.engine.stopVersion('f', 2), { code: 'JCT_FLOW_STATUS' });
  t.throws(() => w.engine.stopVersion('f', 9), { code: 'JCT_VERSION_UNKNOWN' });
  t.equal(w.engine.stopVersion('f', 1).status, 'finishing', 'a inside version 1 finishes her journey');
  w.clock.advance(DAY);
  await w.engine.idle();
  t.same(w.people.get('a')!.tags, ['v1']);

  const once = { ...flow('once', [tag('t', 'x')]), entryPoints: [{ id: 'all', type: 'predefinedAudience', config: { audience: { tags: ['vip'] }, updateAfterLaunch: 'never' }, branches: { next: 't' } }] };
  w.engine.save(once);
  w.engine.launch('once');
  w.engine.save(once);
  t.throws(() => w.engine.launch('once'), { code: 'JCT_VERSION_NOT_ALLOWED' }, 'refused while version 1 is finishing or finished too');
});

t.test('the goal of a running version changes in place; a duplicate is an independent draft', async (t) => {
  const w = world();
  w.people.defineEvent({ name: 'bought', properties: [] });
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  for (const id of ['a', 'b']) await w.engine.submit(id, { kind: 'flow.enter', flowId: 'f', person: { id } });
  await w.engine.event('a', 'bought');
  t.equal(w.engine.metrics('f').goalPerformers, 0, 'no goal yet');
  t.throws(() => w.engine.changeGoal('f', 'bougth'), { code: 'JCT_GOAL_UNKNOWN' }, 'an event nobody can perform is refused');
  t.equal(w.engine.changeGoal('f', 'bought').version, 1, 'no new version');
  await w.engine.event('b', 'bought');
  t.match(w.engine.metrics('f'), { goalPerformers: 1, goalPercentage: 50 }, 'counted from the change on');
  t.same(w.engine.status('f')!.definition.settings, { goal: { event: 'bought' } }, 'kept with the version');
  w.engine.changeGoal('f', undefined);
  await w.engine.event('a', 'bought');
  t.equal(w.engine.metrics('f').goalPerformers, 1);

  const copy = w.engine.duplicate('f', 'f-copy');
  t.match(copy, { id: 'f-copy', version: 1, status: 'draft' });
  w.engine.launch('f-copy');
  t.equal(w.engine.metrics('f-copy').profilesInFlow, 0, 'its own metrics');
  t.throws(() => w.engine.duplicate('f', 'f-copy'), { code: 'JCT_FLOW_EXISTS' });
  t.throws(() => w.engine.duplicate('f', 'x', 7), { code: 'JCT_VERSION_UNKNOWN' });
  t.throws(() => w.engine.duplicate('nope', 'x'), { code: 'JCT_FLOW_UNKNOWN' });
  w.engine.save({ ...flow('kw', []), entryPoints: [{ id: 'join', type: 'inboundMessage', config: { channel: 'sms', number: '+15550100', condition: { operator: 'anything' } } }] });
  t.throws(() => w.engine.duplicate('kw', 'kw2'), { code: 'JCT_DUPLICATE_NOT_ALLOWED' });
});

t.test('only drafts are deleted; a flow never launched goes away, a launched one keeps its versions', async (t) => {
  const w = world();
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.deleteDraft('f');
  t.equal(w.engine.status('f'), undefined, 'gone');
  t.equal(w.backend.tables.get('flow')!.size, 0, 'and from the store');
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  t.throws(() => w.engine.deleteDraft('f'), { code: 'JCT_FLOW_STATUS' });
  w.engine.save(flow('f', [pauseDays('p', 2)]));
  w.engine.deleteDraft('f');
  t.match(w.engine.status('f'), { version: 1, status: 'active' });
  w.engine.save(flow('f', [pauseDays('p', 3)]));
  t.equal(w.engine.flowRecords().at(-1)!.version, 2, 'the next draft takes the number again');
  t.throws(() => w.engine.deleteDraft('nope'), { code: 'JCT_FLOW_UNKNOWN' });
});

t.test('a flow the store cannot take is refused by save and changes nothing', async (t) => {
  const w = world();
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  await w.engine.durable();
  t.throws(() => w.engine.save({ ...flow('f', [pauseDays('p', 1)]), name: 10n }), { code: 'JCT_STORE_VALUE' }, 'the draft');
  t.throws(() => w.engine.save({ ...flow('g', [pauseDays('p', 1)]), name: 10n }), { code: 'JCT_STORE_VALUE' }, 'a new flow');
  t.equal(w.engine.flowVersions('f')[0]!.definition.name, 'f', 'the draft is unchanged');
  t.same(w.engine.flowVersions('g'), [], 'no new flow');
  w.engine.save(flow('h', [pauseDays('p', 1)]));
  await w.engine.durable();
  t.ok(w.engine.flowVersions('h').length, 'later saves are stored');
});

t.test('a flow nested 5,000 levels deep is refused before it is kept or stored', async (t) => {
  const w = world();
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 5000; i++) deep = { inner: deep };
  t.throws(() => w.engine.save({ ...flow('f', [pauseDays('p', 1)]), name: deep }), { code: 'JCT_FLOW_SHAPE', message: /nested more than 64 levels deep/ });
  t.same(w.engine.flowVersions('f'), [], 'nothing kept');
  w.engine.save(flow('g', [pauseDays('p', 1)]));
  await w.engine.durable();
  t.same([...w.backend.tables.get('flow')!.keys()], ['g@1'], 'the next save is stored');
});
