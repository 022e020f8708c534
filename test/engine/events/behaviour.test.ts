// Events on the virtual clock, through a real engine: counting within a window with property
// filters (the third view of an item within 7 days), an event a little ahead of the clock,
// events before launch, Wait for an event
// counting from entry, a "not happened" condition broken early, a wait decided late (its flow
// paused) counting only what came before its end, events held while a flow is paused reaching
// its waits once at resume, a wait for two events, goals
// counted by events, product and people events starting flows, retention, and recovery of the
// history and of participants waiting for events.
import t from 'tap';
import { Engine, type StepEvent } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend } from '../../../engine/store/journal.js';
import { eventsModule } from '../../../engine/events/index.js';
import type { NodeDefinition } from '../../../engine/flow-schema.js';
import { flow, pauseDays, registryWith, tag } from '../helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Node {
  clock: VirtualClock;
  people: MemoryPeopleStore;
  engine: Engine;
  backend: MemoryBackend;
  steps: StepEvent[];
}

interface NodeOptions {
  clock?: VirtualClock;
  backend?: MemoryBackend;
  retentionDays?: number;
}

/** An engine with the events module and the shop's custom events (a new process on `backend` defines them again, as its people file would). */
function node(o: NodeOptions = {}): Node {
  const clock = o.clock ?? new VirtualClock('2026-01-05T09:00:00Z');
  const backend = o.backend ?? new MemoryBackend();
  const people = new MemoryPeopleStore(clock);
  people.defineEvent({ name: 'viewItem', properties: [{ name: 'itemId', type: 'text' }] });
  people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }, { name: 'total', type: 'decimal' }] });
  people.defineEvent({ name: 'unsubscribe', properties: [{ name: 'list', type: 'text' }] });
  const steps: StepEvent[] = [];
  const engine = new Engine({
    clock,
    people,
    registry: registryWith([eventsModule]),
    journal: new GroupCommit(backend, { flushMs: 0 }),
    partitions: 4,
    onStep: (e) => steps.push(e),
    ...(o.retentionDays === undefined ? {} : { eventRetentionMs: o.retentionDays * DAY }),
  });
  return { clock, people, engine, backend, steps };
}

function addPeople(n: Node, ...ids: string[]): void {
  for (const id of ids) n.people.upsert({ id });
}

/** A flow started by a People Real-Time Event entry, leading to `elements[0]`. */
function eventFlow(id: string, config: unknown, elements: NodeDefinition[], settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id,
    name: id,
    entryPoints: [{ id: 'on', type: 'realTimeEvent', config, branches: { next: elements[0]!.id } }],
    elements,
    settings,
  };
}

/** Wait for an event `w`: happened → tag `yes`, notHappened (when it has a waitFor to end it) → tag `no`. */
function waitFor(config: object): NodeDefinition[] {
  if (!('waitFor' in config)) return [{ id: 'w', type: 'waitForEvent', config, branches: { happened: 'yes' } }, tag('yes', 'yes')];
  return [{ id: 'w', type: 'waitForEvent', config, branches: { happened: 'yes', notHappened: 'no' } }, tag('yes', 'yes'), tag('no', 'no')];
}

/** How many times the person entered the flow (first steps). */
function entries(n: Node, flowId: string, personId: string): number {
  return n.steps.filter((s) => s.flow.id === flowId && s.participant.personId === personId && s.result.state.steps === 1).length;
}

const tags = (n: Node, id: string) => n.people.get(id)!.tags;

function days(n: Node, d: number): void {
  n.clock.advance(d * DAY);
}

t.test('the third view of the same item within 7 days gives a discount', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben');
  const condition = {
    event: 'viewItem',
    happened: true,
    times: { operator: 'exactly', count: 3 },
    within: { amount: 7, unit: 'days' },
    where: [{ property: 'itemId', operator: 'is', value: 'X' }],
  };
  n.engine.save(
    eventFlow('discount', { conditions: [condition], variables: [{ event: 'viewItem', property: 'itemId', variable: 'item' }] }, [tag('d', 'discount')], {
      variables: [{ name: 'item', type: 'text' }],
    }),
  );
  n.engine.launch('discount');
  days(n, 1);
  await n.engine.event('ana', 'viewItem', { itemId: 'X' });
  days(n, 1);
  await n.engine.event('ana', 'viewItem', { itemId: 'Y' });
  await n.engine.event('ana', 'viewItem', { itemId: 'X' });
  t.equal(entries(n, 'discount', 'ana'), 0, 'two views of X');
  days(n, 3);
  await n.engine.event('ana', 'viewItem', { itemId: 'Y' });
  t.equal(entries(n, 'discount', 'ana'), 0, 'a view of another item does not start it');
  await n.engine.event('ana', 'viewItem', { itemId: 'X' });
  t.equal(entries(n, 'discount', 'ana'), 1, 'the third view of X within 7 days');
  t.same(tags(n, 'ana'), ['discount']);
  t.equal(n.steps.find((s) => s.flow.id === 'discount')!.participant.vars['item'], 'X', 'the item mapped into the variable');
  days(n, 1);
  await n.engine.event('ana', 'viewItem', { itemId: 'X' });
  t.equal(entries(n, 'discount', 'ana'), 1, 'a fourth view is not "exactly 3"');

  // ben's views are spread out: the window slides
  await n.engine.event('ben', 'viewItem', { itemId: 'X' });
  days(n, 8);
  await n.engine.event('ben', 'viewItem', { itemId: 'X' });
  days(n, 1);
  await n.engine.event('ben', 'viewItem', { itemId: 'X' });
  t.equal(entries(n, 'discount', 'ben'), 0, 'the first view fell out of the 7 days');
  days(n, 6);
  await n.engine.event('ben', 'viewItem', { itemId: 'X' });
  t.equal(entries(n, 'discount', 'ben'), 1, 'three views within the last 7 days');
});

t.test('an event with a past time counts where its time falls', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  const condition = { event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 2 }, within: { amount: 1, unit: 'days' } };
  n.engine.save(eventFlow('twice', { conditions: [condition] }, [tag('t', 'twice')]));
  n.engine.launch('twice');
  days(n, 3);
  const now = n.clock.now();
  await n.engine.event('ana', 'viewItem', { itemId: 'A' }, now - 2 * DAY);
  await n.engine.event('ana', 'viewItem', { itemId: 'A' });
  t.equal(entries(n, 'twice', 'ana'), 0, 'the past one is outside the day');
  await n.engine.event('ana', 'viewItem', { itemId: 'A' }, now - 2 * HOUR);
  t.equal(entries(n, 'twice', 'ana'), 1, 'two within the day, one of them sent late');
  await t.rejects(n.engine.event('ana', 'viewItem', {}, now + 6 * MINUTE), { code: 'JCT_EVENT_TIME' }, 'not from the future');
  await n.engine.event('ana', 'viewItem', {}, now + 4 * MINUTE);
  t.pass('clock skew of a few minutes is taken');
});

t.test('an event a little ahead of the clock (the sender\'s clock runs fast) happens now: it starts flows and ends waits at once', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  n.engine.save(flow('f', waitFor({ conditions: [{ event: 'purchase', happened: true }] })));
  n.engine.save(eventFlow('e', { conditions: [{ event: 'purchase', happened: true }] }, [tag('t', 'bought')]));
  n.engine.launch('f');
  n.engine.launch('e');
  await n.engine.enter('f', 'ana');
  t.match(await n.engine.event('ana', 'purchase', { orderId: 'o-1' }, n.clock.now() + 2 * MINUTE), { delivered: 1 });
  await n.engine.idle();
  t.same(tags(n, 'ana'), ['yes', 'bought']);
  await t.rejects(n.engine.event('ana', 'purchase', {}, n.clock.now() + 6 * MINUTE), { code: 'JCT_EVENT_TIME' }, 'further ahead is refused');
});

t.test('events before launch do not count unless includeEventsBeforeLaunch', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben');
  const twice = [{ event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 2 } }];
  n.engine.save(eventFlow('strict', { conditions: twice }, [tag('s', 'strict')]));
  n.engine.save(eventFlow('loose', { conditions: twice, includeEventsBeforeLaunch: true }, [tag('l', 'loose')]));
  await n.engine.event('ana', 'viewItem');
  await n.engine.event('ben', 'viewItem');
  n.clock.advance(MINUTE);
  n.engine.launch('strict');
  n.engine.launch('loose');
  n.clock.advance(MINUTE);
  await n.engine.event('ana', 'viewItem');
  t.equal(entries(n, 'strict', 'ana'), 0, 'one view since launch');
  t.equal(entries(n, 'loose', 'ana'), 1, 'two views, one before launch');
  await n.engine.event('ben', 'viewItem', {}, n.clock.now() - 10 * MINUTE);
  t.equal(entries(n, 'strict', 'ben'), 0, 'sent after launch, but it happened before');
  t.equal(entries(n, 'loose', 'ben'), 1);
  await n.engine.event('ana', 'viewItem');
  t.equal(entries(n, 'strict', 'ana'), 1, 'two views since launch');
});

t.test('an entry starts only on an event that passes a "happened" condition\'s filters', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  const conditions = [
    { event: 'purchase', happened: true, where: [{ property: 'total', operator: 'greaterOrEqual', value: 100 }] },
    { event: 'viewItem', happened: true },
  ];
  n.engine.save(eventFlow('big', { conditions }, [tag('b', 'big')]));
  n.engine.launch('big');
  await n.engine.event('ana', 'purchase', { total: 150 });
  t.equal(entries(n, 'big', 'ana'), 0, 'no view yet');
  await n.engine.event('ana', 'viewItem');
  t.equal(entries(n, 'big', 'ana'), 1, 'the view completes the conditions');
  await n.engine.event('ana', 'purchase', { total: 20 });
  t.equal(entries(n, 'big', 'ana'), 1, 'a small purchase does not pass the filter: it starts nothing');
  await n.engine.event('ana', 'purchase', { total: 200 });
  t.equal(entries(n, 'big', 'ana'), 2, 'another big one re-enters (re-entry is on by default)');
});

t.test('an entry with a "not happened" condition', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben');
  const conditions = [
    { event: 'viewItem', happened: true },
    { event: 'purchase', happened: false, within: { amount: 30, unit: 'days' } },
  ];
  n.engine.save(eventFlow('browsers', { conditions, includeEventsBeforeLaunch: true }, [tag('b', 'browser')]));
  n.engine.launch('browsers');
  await n.engine.event('ben', 'purchase', { orderId: 'o1' });
  await n.engine.event('ana', 'viewItem');
  await n.engine.event('ben', 'viewItem');
  t.equal(entries(n, 'browsers', 'ana'), 1);
  t.equal(entries(n, 'browsers', 'ben'), 0, 'ben bought within 30 days');
  days(n, 31);
  await n.engine.event('ben', 'viewItem');
  t.equal(entries(n, 'browsers', 'ben'), 1, 'the purchase is older than 30 days now');
});

t.test('Wait for an event with includeEventsFromEntry counts what happened since entering', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben', 'cat', 'dan');
  const wait = { conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 2, unit: 'days' } };
  n.engine.save(flow('fromEntry', [pauseDays('p', 1, 'w'), ...waitFor({ ...wait, includeEventsFromEntry: true })]));
  n.engine.save(flow('fromHere', [pauseDays('p', 1, 'w'), ...waitFor(wait)]));
  n.engine.launch('fromEntry');
  n.engine.launch('fromHere');
  await n.engine.event('ben', 'purchase');
  n.clock.advance(MINUTE);
  for (const id of ['ana', 'ben']) await n.engine.enter('fromEntry', id);
  for (const id of ['cat', 'dan']) await n.engine.enter('fromHere', id);
  n.clock.advance(HOUR);
  await n.engine.event('ana', 'purchase');
  await n.engine.event('cat', 'purchase');
  days(n, 1);
  await n.engine.idle();
  t.same(tags(n, 'ana'), ['yes'], 'bought during the pause: on at once');
  t.same(tags(n, 'ben'), [], 'bought before entering: waits');
  t.same(tags(n, 'cat'), [], 'without includeEventsFromEntry the purchase during the pause does not count');
  await n.engine.event('dan', 'purchase');
  t.same(tags(n, 'dan'), ['yes'], 'a purchase during the wait');
  days(n, 2);
  await n.engine.idle();
  t.same(tags(n, 'ben'), ['no']);
  t.same(tags(n, 'cat'), ['no']);
});

t.test('a "not happened" condition broken during the wait decides notHappened at once', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben', 'cat', 'dan', 'eve');
  const conditions = [
    { event: 'purchase', happened: true },
    { event: 'unsubscribe', happened: false, where: [{ property: 'list', operator: 'is', value: 'offers' }] },
  ];
  n.engine.save(flow('f', waitFor({ conditions, waitFor: { amount: 3, unit: 'days' } })));
  n.engine.launch('f');
  await n.engine.event('eve', 'unsubscribe', { list: 'offers' });
  for (const id of ['ana', 'ben', 'cat', 'dan', 'eve']) await n.engine.enter('f', id);
  days(n, 1);
  t.match(await n.engine.event('ana', 'unsubscribe', { list: 'offers' }), { delivered: 1 });
  t.same(tags(n, 'ana'), ['no'], 'at once');
  t.match(await n.engine.event('ben', 'purchase'), { delivered: 0 }, 'a purchase decides nothing before the wait ends');
  t.same(tags(n, 'ben'), []);
  await n.engine.event('dan', 'purchase');
  await n.engine.event('dan', 'unsubscribe', { list: 'news' });
  t.same(tags(n, 'dan'), [], 'another list does not break it');
  days(n, 1);
  await n.engine.event('dan', 'unsubscribe', { list: 'offers' });
  t.same(tags(n, 'dan'), ['no'], 'bought, then unsubscribed: broken');
  await n.engine.event('eve', 'purchase');
  days(n, 1);
  await n.engine.idle();
  t.same(tags(n, 'ben'), ['yes'], 'at the end of the wait: bought, never unsubscribed');
  t.same(tags(n, 'cat'), ['no'], 'nothing happened');
  t.same(tags(n, 'eve'), ['yes'], 'unsubscribed before arriving: does not count');
});

t.test('a wait decided late (its flow paused) counts only the events before its end', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben', 'cat', 'dan');
  const conditions = [{ event: 'purchase', happened: true }];
  const variables = [{ event: 'purchase', property: 'orderId', variable: 'order' }];
  n.engine.save(flow('f', waitFor({ conditions, variables, waitFor: { amount: 2, unit: 'days' } }), { variables: [{ name: 'order', type: 'text' }] }));
  n.engine.launch('f');
  for (const id of ['ana', 'ben', 'cat', 'dan']) await n.engine.enter('f', id);
  n.engine.pause('f');
  days(n, 1);
  await n.engine.event('ana', 'purchase', { orderId: 'in-time' });
  days(n, 1); // the waits end: their timers are held
  await n.engine.idle();
  await n.engine.event('ana', 'purchase', { orderId: 'late' });
  await n.engine.event('ben', 'purchase', { orderId: 'at-the-end' }); // at the very millisecond the wait ends
  days(n, 1);
  await n.engine.event('cat', 'purchase', { orderId: 'a-day-late' });
  await n.engine.event('dan', 'purchase', { orderId: 'late' }, n.clock.now() - 1.5 * DAY); // sent late, but happened during the wait
  n.engine.resume('f');
  await n.engine.idle();
  t.same(tags(n, 'ana'), ['yes'], 'bought in time');
  t.equal(n.steps.filter((s) => s.participant.personId === 'ana').at(-1)!.participant.vars['order'], 'in-time', 'the purchase made in time is mapped');
  t.same(tags(n, 'ben'), ['no'], 'the end of the wait is not in it');
  t.same(tags(n, 'cat'), ['no'], 'bought after the wait ended');
  t.same(tags(n, 'dan'), ['yes'], 'an event counts where its time falls');
});

t.test('events that come while a flow is paused reach its waits at resume, and are taken in once', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  n.engine.save(flow('f', waitFor({ conditions: [{ event: 'purchase', happened: true }] })));
  const change = { id: 'w', type: 'waitForProfileChange', config: { attribute: 'city' }, branches: { changed: 'moved' } };
  n.engine.save(flow('p', [change, tag('moved', 'moved')]));
  n.engine.save(eventFlow('e', { conditions: [{ event: 'purchase', happened: true }] }, [tag('t', 'bought')]));
  for (const id of ['f', 'p', 'e']) n.engine.launch(id);
  await n.engine.enter('f', 'ana');
  await n.engine.enter('p', 'ana');
  n.engine.pause('f');
  n.engine.pause('p');
  await n.engine.event('ana', 'purchase', { orderId: 'o-1' });
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'set', attribute: 'city', value: 'Split' }] });
  await n.engine.idle();
  t.same(tags(n, 'ana'), ['bought'], 'held by the paused flows');
  n.engine.resume('f');
  n.engine.resume('p');
  await n.engine.idle();
  t.same(tags(n, 'ana'), ['bought', 'yes', 'moved'], 'the purchase and the change (an event Junction records) both reach their waits');
  t.equal(entries(n, 'e', 'ana'), 1, 'the purchase does not start another flow again');
});

t.test('a wait for two events goes on when both happened, and then waits for neither', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben');
  const conditions = [
    { event: 'purchase', happened: true },
    { event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'startsWith', value: 'X' }] },
  ];
  const variables = [
    { event: 'purchase', property: 'orderId', variable: 'order' },
    { event: 'viewItem', property: 'itemId', variable: 'item' },
  ];
  n.engine.save(flow('f', waitFor({ conditions, variables }), { variables: [{ name: 'order', type: 'text' }, { name: 'item', type: 'text' }] }));
  n.engine.launch('f');
  for (const id of ['ana', 'ben']) await n.engine.enter('f', id);
  t.match(await n.engine.event('ana', 'viewItem', { itemId: 'X-1' }), { delivered: 0 });
  t.match(await n.engine.event('ana', 'viewItem', { itemId: 'X-2' }), { delivered: 0 });
  t.match(await n.engine.event('ana', 'purchase', { orderId: 'o-1' }), { delivered: 1 });
  t.same(tags(n, 'ana'), ['yes']);
  const last = n.steps.filter((s) => s.participant.personId === 'ana').at(-1)!;
  t.same(last.participant.vars, { order: 'o-1', item: 'X-2' }, 'the latest matching events mapped');
  t.match(await n.engine.event('ana', 'viewItem', { itemId: 'X-3' }), { delivered: 0 }, 'no longer waiting on the first key');
  t.match(await n.engine.event('ana', 'purchase', {}), { delivered: 0 }, 'nor on the second');
  await n.engine.event('ben', 'purchase', { orderId: 'o-2' });
  await n.engine.event('ben', 'viewItem', { itemId: 'Y-1' });
  t.same(tags(n, 'ben'), [], 'a view that does not pass the filter');
  await n.engine.event('ben', 'viewItem', { itemId: 'X-9' });
  t.same(tags(n, 'ben'), ['yes']);
  days(n, 400);
  await n.engine.idle();
  t.equal(n.engine.metrics('f').activeParticipants, 0);
});

t.test('a goal counted by an event', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben', 'cat');
  n.engine.save(flow('f', [pauseDays('p', 3)], { goal: { event: 'purchase' } }));
  n.engine.launch('f');
  for (const id of ['ana', 'ben']) await n.engine.enter('f', id);
  await n.engine.event('ana', 'purchase');
  await n.engine.event('ana', 'purchase');
  await n.engine.event('cat', 'purchase');
  t.match(n.engine.metrics('f'), { profilesInFlow: 2, goalPerformers: 1, goalPercentage: 50 }, 'once per person; not for who never entered');
  n.engine.save(flow('g', [pauseDays('p', 3)], { goal: { event: 'person.tagAdded' } }));
  n.engine.launch('g');
  await n.engine.enter('g', 'ben');
  await n.engine.submit('ben', { kind: 'person.update', changes: [{ op: 'addTag', tag: 'loyal' }] });
  t.match(n.engine.metrics('g'), { goalPerformers: 1, goalPercentage: 100 }, 'a people event as the goal');
});

t.test('flow.exited of one flow starts another', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  n.engine.save(flow('a', [tag('t', 'a-done')]));
  const after = {
    conditions: [{ event: 'flow.exited', happened: true, where: [{ property: 'flowId', operator: 'is', value: 'a' }] }],
    variables: [{ event: 'flow.exited', property: 'reason', variable: 'why' }],
  };
  n.engine.save(eventFlow('b', after, [tag('u', 'after-a')], { variables: [{ name: 'why', type: 'text' }] }));
  const entered = { conditions: [{ event: 'flow.entered', happened: true, where: [{ property: 'flowId', operator: 'is', value: 'a' }] }] };
  n.engine.save(eventFlow('c', entered, [tag('v', 'saw-a')]));
  n.engine.launch('a');
  n.engine.launch('b');
  n.engine.launch('c');
  await n.engine.enter('a', 'ana');
  await n.engine.idle();
  t.same([...tags(n, 'ana')].sort(), ['a-done', 'after-a', 'saw-a']);
  t.equal(entries(n, 'b', 'ana'), 1, 'b exiting does not start b again (filtered on flowId)');
  const step = n.steps.find((s) => s.flow.id === 'b')!;
  t.type(step.participant.vars['why'], 'string', 'the exit reason mapped');
  t.ok(String(step.participant.vars['why']).length > 0);
});

t.test('person.tagAdded starts a flow, from a profile update and from another flow\'s step', async (t) => {
  const n = node();
  addPeople(n, 'ana', 'ben', 'cat');
  const vip = { conditions: [{ event: 'person.tagAdded', happened: true, where: [{ property: 'tag', operator: 'is', value: 'vip' }] }] };
  n.engine.save(eventFlow('welcome', vip, [tag('w', 'welcomed')]));
  n.engine.save(flow('promote', [tag('p', 'vip')]));
  n.engine.launch('welcome');
  n.engine.launch('promote');
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'addTag', tag: 'vip' }] });
  t.same(tags(n, 'ana'), ['vip', 'welcomed'], 'through the inbox');
  await n.engine.enter('promote', 'ben');
  await n.engine.idle();
  t.same(tags(n, 'ben'), ['vip', 'welcomed'], 'tagged by another flow');
  await n.engine.submit('cat', { kind: 'person.update', changes: [{ op: 'addTag', tag: 'regular' }] });
  t.same(tags(n, 'cat'), ['regular'], 'another tag');
  n.people.update('cat', [{ op: 'addTag', tag: 'vip' }]);
  await n.engine.idle();
  t.same(tags(n, 'cat'), ['regular', 'vip', 'welcomed'], 'a change made on the store directly');
});

t.test('person.changed names the attribute that changed', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  const moved = { conditions: [{ event: 'person.changed', happened: true, where: [{ property: 'attribute', operator: 'is', value: 'city' }] }] };
  n.engine.save(eventFlow('moved', moved, [tag('m', 'moved')]));
  n.engine.launch('moved');
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'set', attribute: 'firstName', value: 'Ana' }] });
  t.same(tags(n, 'ana'), []);
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'set', attribute: 'city', value: 'Split' }] });
  t.same(tags(n, 'ana'), ['moved']);
});

t.test('built-in events are kept only while a launched flow names them', async (t) => {
  const n = node();
  addPeople(n, 'ana');
  const eventRows = () => n.backend.tables.get('event')!.size;
  n.engine.save(flow('plain', [tag('t', 'x')]));
  n.engine.launch('plain');
  await n.engine.enter('plain', 'ana');
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'addTag', tag: 'y' }] });
  await n.engine.idle();
  t.equal(eventRows(), 0, 'no flow names flow.* or person.* events: none kept');
  await n.engine.event('ana', 'viewItem');
  await n.engine.idle();
  t.equal(eventRows(), 1, 'custom events are always kept');
  const counts = { conditions: [{ event: 'person.tagAdded', happened: true, times: { operator: 'atLeast', count: 2 } }], includeEventsBeforeLaunch: true };
  n.engine.save(eventFlow('twoTags', counts, [tag('z', 'two-tags')]));
  n.engine.launch('twoTags');
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'addTag', tag: 'a' }] });
  t.same(tags(n, 'ana'), ['x', 'y', 'a'], 'the tag added before launch was not kept');
  await n.engine.submit('ana', { kind: 'person.update', changes: [{ op: 'addTag', tag: 'b' }] });
  t.ok(tags(n, 'ana').includes('two-tags'));
});

t.test('Segment Audience branches on events; an event older than retention no longer counts', async (t) => {
  const n = node({ retentionDays: 10 });
  addPeople(n, 'ana', 'ben');
  const segments = [{ conditions: { all: [{ event: 'purchase', happened: true }] } }];
  n.engine.save(flow('seg', [{ id: 's', type: 'segmentAudience', config: { segments }, branches: { '1': 'buyer', else: 'other' } }, tag('buyer', 'buyer'), tag('other', 'other')]));
  n.engine.launch('seg');
  await n.engine.event('ana', 'purchase');
  await n.engine.event('ben', 'purchase');
  days(n, 5);
  await n.engine.enter('seg', 'ana');
  t.same(tags(n, 'ana'), ['buyer']);
  days(n, 6);
  await n.engine.enter('seg', 'ben');
  t.same(tags(n, 'ben'), ['other'], 'the purchase was 11 days ago: past the 10 kept');
  await t.rejects(n.engine.event('ana', 'purchase', {}, n.clock.now() - 11 * DAY), { code: 'JCT_EVENT_TIME' }, 'an event older than retention is refused');
});

t.test('retention: a new event drops the old ones from history and journal', async (t) => {
  const n = node({ retentionDays: 10 });
  addPeople(n, 'ana');
  const twice = [{ event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 2 } }];
  n.engine.save(eventFlow('twice', { conditions: twice }, [tag('t', 'twice')]));
  n.engine.launch('twice');
  n.clock.advance(MINUTE);
  await n.engine.event('ana', 'viewItem');
  await n.engine.idle();
  t.equal(n.backend.tables.get('event')!.size, 1);
  days(n, 11);
  await n.engine.event('ana', 'viewItem');
  await n.engine.idle();
  t.equal(entries(n, 'twice', 'ana'), 0, 'the first view is gone');
  t.equal(n.backend.tables.get('event')!.size, 1, 'its row deleted');
  days(n, 9);
  await n.engine.event('ana', 'viewItem');
  t.equal(entries(n, 'twice', 'ana'), 1, 'two within the 10 days');
});

t.test('recovery: the history and the participants waiting for events survive a restart', async (t) => {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const backend = new MemoryBackend();
  const a = node({ clock, backend });
  addPeople(a, 'ana', 'ben', 'cat', 'dan');
  const thrice = [{ event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 3 } }];
  a.engine.save(eventFlow('fan', { conditions: thrice }, [tag('t', 'fan')]));
  a.engine.save(flow('buy', waitFor({ conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 2, unit: 'days' } })));
  const both = [{ event: 'purchase', happened: true }, { event: 'viewItem', happened: true }];
  a.engine.save(flow('both', waitFor({ conditions: both })));
  for (const f of ['fan', 'buy', 'both']) a.engine.launch(f);
  clock.advance(MINUTE);
  await a.engine.event('ana', 'viewItem');
  await a.engine.event('ana', 'viewItem');
  await a.engine.enter('buy', 'ben');
  await a.engine.event('cat', 'purchase');
  await a.engine.enter('both', 'cat');
  await a.engine.enter('both', 'dan');
  await a.engine.event('dan', 'purchase');
  await a.engine.idle();
  await a.engine.close();

  clock.advance(HOUR);
  const b = node({ clock, backend });
  t.match(b.engine.recover(backend), { participants: 3, people: 4 });
  await b.engine.idle();
  await b.engine.event('ana', 'viewItem');
  t.same(tags(b, 'ana'), ['fan'], 'two views before the restart, one after');
  t.match(await b.engine.event('ben', 'purchase'), { delivered: 1 });
  t.same(tags(b, 'ben'), ['yes'], 'the waiting participant took the event after the restart');
  await b.engine.event('cat', 'viewItem');
  t.same(tags(b, 'cat'), [], 'cat bought before arriving at the wait: still waiting (arrival position survived)');
  await b.engine.event('cat', 'purchase');
  t.same(tags(b, 'cat'), ['yes']);
  await b.engine.event('dan', 'viewItem');
  t.same(tags(b, 'dan'), ['yes'], 'a purchase during the wait before the restart still counts');
  t.equal(b.engine.metrics('both').activeParticipants, 0);
});

t.test('recovery: a wait for an event still times out, and retention applies to what is loaded', async (t) => {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const backend = new MemoryBackend();
  const a = node({ clock, backend, retentionDays: 10 });
  addPeople(a, 'ana', 'ben');
  a.engine.save(flow('buy', waitFor({ conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 2, unit: 'days' } })));
  a.engine.launch('buy');
  await a.engine.event('ana', 'viewItem', { itemId: 'old' });
  days(a, 5);
  await a.engine.event('ana', 'viewItem', { itemId: 'new' });
  await a.engine.enter('buy', 'ben');
  await a.engine.idle();
  await a.engine.close();
  t.equal(backend.tables.get('event')!.size, 2);

  days(a, 6); // the first view is now 11 days old
  const b = node({ clock, backend, retentionDays: 10 });
  b.engine.recover(backend);
  await new Promise((r) => setImmediate(r));
  clock.advance(0);
  await b.engine.idle();
  t.same(tags(b, 'ben'), ['no'], 'the overdue wait ended without the event');
  t.equal(backend.tables.get('event')!.size, 1, 'the expired event\'s row was deleted at recovery');
  const segments = [{ conditions: { all: [{ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'is', value: 'old' }] }] } }];
  b.engine.save(flow('seg', [{ id: 's', type: 'segmentAudience', config: { segments }, branches: { '1': 'old', else: 'none' } }, tag('old', 'old'), tag('none', 'none')]));
  b.engine.launch('seg');
  await b.engine.enter('seg', 'ana');
  t.same(tags(b, 'ana'), ['none']);
  await b.engine.event('ana', 'viewItem', { itemId: 'x' });
  await b.engine.idle();
  const keys = [...backend.tables.get('event')!.keys()].sort();
  t.equal(keys.length, 2);
  t.ok(keys[1]! > keys[0]!, 'a new event gets a sequence after the restored ones');
});
