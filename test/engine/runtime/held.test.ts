// Inputs held while a flow is paused are journaled (table `held`): after a restart they are back
// in their version's held list, in the order they came, and reach their participants once at
// resume; cancel and erasure let go of them, a new version delivers them; a due timer is held once
// though it fires again after the restart; the same through the embedded store's file; an effect
// outcome held is delivered at resume without counting its outbox entry done again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Engine, type StepEvent } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend } from '../../../engine/store/journal.js';
import { SqliteBackend } from '../../../engine/store/sqlite.js';
import { eventsModule } from '../../../engine/events/index.js';
import type { NodeDefinition } from '../../../engine/flow-schema.js';
import { askElement as ask, flow, registryWith, tag } from '../helpers.js';
import { ParticipantStatus } from '../../../engine/vocabulary.js';
import type { Module } from '../../../engine/module.js';

const DAY = 24 * 3600 * 1000;

interface Node {
  engine: Engine;
  people: MemoryPeopleStore;
  steps: StepEvent[];
}

/** An engine with the events module on `backend` (a restart: a new one on the same backend, recovered). */
function node(backend: MemoryBackend, clock: VirtualClock): Node {
  const people = new MemoryPeopleStore(clock);
  people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }] });
  const steps: StepEvent[] = [];
  const engine = new Engine({ clock, people, registry: registryWith([eventsModule]), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 4, onStep: (e) => steps.push(e) });
  return { engine, people, steps };
}

async function restart(backend: MemoryBackend, clock: VirtualClock, before: Node): Promise<Node> {
  await before.engine.close();
  const after = node(backend, clock);
  after.engine.recover(backend);
  return after;
}

/** Wait for a purchase (for `days`, or indefinitely): happened → tag `yes`, notHappened (after the days) → tag `no`. */
function waitFor(days?: number): NodeDefinition[] {
  const config = { conditions: [{ event: 'purchase', happened: true }], ...(days === undefined ? {} : { waitFor: { amount: days, unit: 'days' } }) };
  if (days === undefined) return [{ id: 'w', type: 'waitForEvent', config, branches: { happened: 'yes' } }, tag('yes', 'yes')];
  return [{ id: 'w', type: 'waitForEvent', config, branches: { happened: 'yes', notHappened: 'no' } }, tag('yes', 'yes'), tag('no', 'no')];
}

const heldRows = (backend: MemoryBackend) => backend.tables.get('held')!.size;
const tagsOf = (n: Node, id: string) => n.people.get(id)!.tags;
const exits = (n: Node, id: string) => n.steps.filter((s) => s.participant.personId === id && s.participant.status === ParticipantStatus.Exited).length;

async function pausedWithOneWaiting(days?: number): Promise<{ backend: MemoryBackend; clock: VirtualClock; a: Node }> {
  const backend = new MemoryBackend();
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const a = node(backend, clock);
  a.people.upsert({ id: 'ana' });
  a.engine.save(flow('f', waitFor(days)));
  a.engine.launch('f');
  await a.engine.enter('f', 'ana');
  a.engine.pause('f');
  await a.engine.durable();
  return { backend, clock, a };
}

t.test('an event held while paused survives a restart and moves its participant on once at resume', async (t) => {
  const { backend, clock, a } = await pausedWithOneWaiting();
  t.match(await a.engine.event('ana', 'purchase', { orderId: 'o-1' }), { delivered: 1 });
  t.equal(heldRows(backend), 1, 'held, and journaled with the step that held it');
  const b = await restart(backend, clock, a);
  t.same(tagsOf(b, 'ana'), [], 'still held after the restart');
  b.engine.resume('f');
  await b.engine.idle();
  t.same(tagsOf(b, 'ana'), ['yes'], 'the held purchase reached the wait');
  t.equal(exits(b, 'ana'), 1, 'the participant went on exactly once');
  t.equal(heldRows(backend), 0, 'the row is gone once delivered');
  const c = await restart(backend, clock, b);
  t.same(c.engine.journeysOf('ana'), [], 'nothing delivered again after another restart');
  t.same(tagsOf(c, 'ana'), ['yes']);
  await c.engine.close();
});

t.test('a canceled flow lets go of its held inputs: nothing delivered, rows gone', async (t) => {
  const { backend, clock, a } = await pausedWithOneWaiting();
  await a.engine.event('ana', 'purchase', { orderId: 'o-1' });
  const b = await restart(backend, clock, a);
  t.equal(heldRows(backend), 1, 'held across the restart');
  b.engine.cancel('f');
  await b.engine.idle();
  t.same(tagsOf(b, 'ana'), [], 'nothing delivered');
  t.equal(heldRows(backend), 0, 'rows gone');
  t.same(b.engine.journeysOf('ana'), []);
  await b.engine.close();
});

t.test('inputs held for one participant keep their order across a restart; a due timer is held once', async (t) => {
  const { backend, clock, a } = await pausedWithOneWaiting(1);
  clock.advance(DAY); // the wait ends while paused: its timer is held
  await a.engine.idle();
  await a.engine.event('ana', 'purchase', { orderId: 'late' });
  t.equal(heldRows(backend), 2, 'the timer, then the purchase');
  const b = await restart(backend, clock, a);
  clock.advance(1); // the overdue timer fires again after the restart
  await b.engine.idle();
  t.equal(heldRows(backend), 2, 'and is not held twice');
  b.engine.resume('f');
  await b.engine.idle();
  t.same(tagsOf(b, 'ana'), ['no'], 'the wait ended first: the purchase came after it');
  t.equal(exits(b, 'ana'), 1);
  t.equal(heldRows(backend), 0);
  await b.engine.close();
});

t.test('a timer due while paused fires once after a restart and resume', async (t) => {
  const { backend, clock, a } = await pausedWithOneWaiting(1);
  await a.engine.close(); // stopped before the wait ends
  clock.advance(2 * DAY);
  const b = node(backend, clock);
  b.engine.recover(backend);
  clock.advance(1);
  await b.engine.idle();
  t.equal(heldRows(backend), 1, 'the overdue timer is held by the paused flow');
  b.engine.resume('f');
  await b.engine.idle();
  t.same(tagsOf(b, 'ana'), ['no']);
  t.equal(exits(b, 'ana'), 1);
  await b.engine.close();
});

t.test('erasing a person lets go of the inputs held for them', async (t) => {
  const { backend, clock, a } = await pausedWithOneWaiting();
  await a.engine.event('ana', 'purchase', { orderId: 'o-1' });
  t.equal(heldRows(backend), 1);
  await a.engine.submit('ana', { kind: 'person.erase' });
  t.equal(heldRows(backend), 0);
  const b = await restart(backend, clock, a);
  b.engine.resume('f');
  await b.engine.idle();
  t.same([...b.engine.participantsOf('f', 1)], [], 'nobody left inside');
  t.equal(heldRows(backend), 0);
  await b.engine.close();
});

t.test('a new version launched while paused lets the old one finish: its held inputs are delivered', async (t) => {
  const { backend, clock, a } = await pausedWithOneWaiting();
  await a.engine.event('ana', 'purchase', { orderId: 'o-1' });
  const b = await restart(backend, clock, a);
  b.engine.save(flow('f', waitFor()));
  b.engine.launch('f');
  await b.engine.idle();
  t.same(tagsOf(b, 'ana'), ['yes'], 'the old version finishes: its participant takes the held purchase');
  t.equal(b.engine.flowVersions('f')[0]!.status, 'finished');
  t.equal(heldRows(backend), 0);
  await b.engine.close();
});

t.test('on the embedded store too: held across a real restart, delivered once at resume', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-held-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const open = (backend: SqliteBackend): Node => {
    const people = new MemoryPeopleStore(clock);
    people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }] });
    const steps: StepEvent[] = [];
    const engine = new Engine({ clock, people, registry: registryWith([eventsModule]), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 4, onStep: (e) => steps.push(e) });
    return { engine, people, steps };
  };
  const first = new SqliteBackend({ dir });
  const a = open(first);
  a.engine.save(flow('f', waitFor()));
  a.engine.launch('f');
  await a.engine.submit('ana', { kind: 'person.upsert', person: { id: 'ana' } });
  await a.engine.enter('f', 'ana');
  a.engine.pause('f');
  await a.engine.event('ana', 'purchase', { orderId: 'o-1' });
  await a.engine.close();
  first.close(); // the process ends
  const backend = new SqliteBackend({ dir });
  t.equal([...backend.load('held')].length, 1, 'one held row in the file');
  const b = open(backend);
  b.engine.recover(backend);
  b.engine.resume('f');
  await b.engine.idle();
  t.same(tagsOf(b, 'ana'), ['yes']);
  t.equal(exits(b, 'ana'), 1);
  await b.engine.close();
  backend.close();
  const check = new SqliteBackend({ dir });
  t.same([...check.load('held')], [], 'the row is gone from the file');
  check.close();
});

t.test('an effect outcome held while paused reaches its wait at resume and is counted once', async (t) => {
  let answer!: (value: string) => void;
  const module: Module = { name: 'test', elements: [ask], effects: [{ kind: 'test.call', perform: () => new Promise<string>((resolve) => (answer = resolve)) }] };
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const people = new MemoryPeopleStore(clock);
  const engine = new Engine({ clock, people, registry: registryWith([module]), journal: new GroupCommit(new MemoryBackend(), { flushMs: 0 }), partitions: 4 });
  engine.save(flow('f', [{ id: 'call', type: 'testCall', config: {}, branches: { next: 't' } }, tag('t', 'called')]));
  engine.launch('f');
  await engine.submit('ana', { kind: 'flow.enter', flowId: 'f', person: { id: 'ana' } });
  await new Promise((r) => setImmediate(r)); // dispatched: the handler waits for its answer
  engine.pause('f');
  answer('ok');
  await engine.idle();
  t.same(people.get('ana')!.tags, [], 'held');
  t.equal(engine.outboxPending, 0, 'the entry is done');
  engine.resume('f');
  await engine.idle();
  t.same(people.get('ana')!.tags, ['called'], 'the outcome reached the wait');
  t.equal(engine.outboxPending, 0, 'and the entry is not counted done twice');
  await engine.close();
});
