// EventHistory on its own: events kept sorted by time whatever order they arrive in, counted
// by time range, by "recorded after" position and by property filter, the latest recorded
// one in a range, retention dropping old events when a new one of the same name comes,
// the per-name cap, and restore (recovery) leaving out what retention let go.
import t from 'tap';
import { EventHistory, MAX_PER_NAME } from '../../../engine/runtime/event-history.js';
import type { EventRange } from '../../../engine/vocabulary.js';

const ALL: EventRange = { from: 0, to: Number.MAX_SAFE_INTEGER, after: 0 };
const range = (from: number, to: number, extra: Partial<EventRange> = {}): EventRange => ({ from, to, after: 0, ...extra });

t.test('events arriving with past times are kept in time order', async (t) => {
  const h = new EventHistory();
  h.add(1, 'view', 300, { n: 3 }, 0);
  h.add(1, 'view', 100, { n: 1 }, 0);
  h.add(1, 'view', 200, { n: 2 }, 0);
  const v = h.view(1);
  t.equal(v.count('view', ALL), 3);
  t.equal(v.count('view', range(0, 150)), 1, 'only the one at 100');
  t.equal(v.count('view', range(150, 250)), 1, 'only the one at 200');
  t.equal(v.count('view', range(100, 300)), 3, 'both ends included');
  t.equal(v.count('view', range(101, 299)), 1);
  t.equal(v.count('view', range(301, 400)), 0);
  t.same(v.latest('view', range(0, 250)), { n: 2 }, 'latest recorded in the range (not the latest time)');
  t.same(v.latest('view', ALL), { n: 2 }, 'the one at 200 was recorded last');
  t.same(v.latest('view', range(250, 400)), { n: 3 });
  t.equal(v.latest('view', range(400, 500)), undefined);
});

t.test('sequence numbers grow with each event; the view position is the last one', async (t) => {
  const h = new EventHistory();
  t.equal(h.view(0).position, 0);
  t.equal(h.add(0, 'a', 10, {}, 0), 1);
  t.equal(h.add(5, 'b', 10, {}, 0), 2, 'one sequence per partition, across people and names');
  t.equal(h.add(0, 'a', 5, {}, 0), 3);
  t.equal(h.view(0).position, 3);
  t.equal(h.view(7).position, 3, 'a person with no events sees the same position');
  t.equal(h.seq, 3);
});

t.test('counting only events recorded after a position', async (t) => {
  const h = new EventHistory();
  h.add(1, 'view', 100, {}, 0); // seq 1
  h.add(1, 'view', 200, {}, 0); // seq 2
  const position = h.view(1).position;
  h.add(1, 'view', 50, { late: true }, 0); // seq 3, but earlier in time
  const v = h.view(1);
  t.equal(v.count('view', { ...ALL, after: position }), 1, 'the late-arriving event counts: it was recorded after');
  t.same(v.latest('view', { ...ALL, after: position }), { late: true });
  t.equal(v.count('view', range(0, 150, { after: position })), 1);
  t.equal(v.count('view', range(150, 250, { after: position })), 0, 'the one at 200 was recorded before');
  t.equal(v.count('view', { ...ALL, after: 3 }), 0);
});

t.test('counting with a property filter', async (t) => {
  const h = new EventHistory();
  for (const [at, item] of [[10, 'A'], [20, 'B'], [30, 'A'], [40, 'A'], [50, 'C']] as const) h.add(1, 'view', at, { item }, 0);
  const v = h.view(1);
  const isA = (p: Readonly<Record<string, unknown>>) => p['item'] === 'A';
  t.equal(v.count('view', { ...ALL, filter: isA }), 3);
  t.equal(v.count('view', range(15, 35, { filter: isA })), 1);
  t.equal(v.count('view', range(0, 100, { filter: isA, after: 3 })), 1, 'filter and position together');
  t.same(v.latest('view', { ...ALL, filter: isA }), { item: 'A' });
  t.same(v.latest('view', { ...ALL, filter: (p) => p['item'] === 'B' }), { item: 'B' });
  t.equal(v.latest('view', { ...ALL, filter: () => false }), undefined);
});

t.test('events of equal time stay in recording order', async (t) => {
  const h = new EventHistory();
  h.add(1, 'x', 100, { i: 1 }, 0);
  h.add(1, 'x', 100, { i: 2 }, 0);
  h.add(1, 'x', 100, { i: 3 }, 0);
  const v = h.view(1);
  t.equal(v.count('x', range(100, 100)), 3);
  t.same(v.latest('x', range(100, 100)), { i: 3 });
  t.same(v.latest('x', range(100, 100, { after: 1, filter: (p) => p['i'] !== 3 })), { i: 2 });
});

t.test('people and names are kept apart', async (t) => {
  const h = new EventHistory();
  h.add(1, 'a', 10, {}, 0);
  h.add(2, 'a', 10, {}, 0);
  h.add(2, 'b', 10, {}, 0);
  t.equal(h.view(1).count('a', ALL), 1);
  t.equal(h.view(1).count('b', ALL), 0);
  t.equal(h.view(2).count('b', ALL), 1);
  t.equal(h.view(3).count('a', ALL), 0, 'nobody');
  t.equal(h.view(3).latest('a', ALL), undefined);
});

t.test('retention: a new event drops the same name\'s events older than keepFrom', async (t) => {
  const h = new EventHistory();
  const a = h.add(1, 'view', 100, {}, 0);
  const b = h.add(1, 'view', 200, {}, 0);
  h.add(1, 'other', 50, {}, 0);
  const c = h.add(1, 'view', 300, {}, 150);
  t.same(h.dropped, [a], 'the one at 100 went');
  t.equal(h.view(1).count('view', ALL), 2);
  t.equal(h.view(1).count('other', ALL), 1, 'another name is trimmed only when it records');
  h.add(1, 'view', 400, {}, 350);
  t.same([...h.dropped].sort(), [b, c].sort(), 'dropped by sequence, oldest first');
  t.equal(h.view(1).count('view', ALL), 1);
  h.add(1, 'view', 500, {}, 0);
  t.same(h.dropped, [], 'nothing to drop');
});

t.test('an event itself older than keepFrom is dropped at once', async (t) => {
  const h = new EventHistory();
  const r = h.add(1, 'view', 10, {}, 100);
  t.same(h.dropped, [r]);
  t.equal(h.view(1).count('view', ALL), 0);
});

t.test('at most MAX_PER_NAME events per person and name: the oldest go first', async (t) => {
  const h = new EventHistory();
  let droppedBefore = 0;
  for (let i = 0; i < MAX_PER_NAME; i++) {
    h.add(1, 'tick', 1000 + i, { i }, 0);
    droppedBefore += h.dropped.length;
  }
  t.equal(droppedBefore, 0, 'nothing dropped up to the cap');
  t.equal(h.view(1).count('tick', ALL), MAX_PER_NAME);
  h.add(1, 'tick', 1000 + MAX_PER_NAME, { i: MAX_PER_NAME }, 0);
  t.same(h.dropped, [1], 'the first recorded (and oldest) went');
  t.equal(h.view(1).count('tick', ALL), MAX_PER_NAME);
  t.equal(h.view(1).count('tick', range(0, 1000)), 0);
  const past = h.add(1, 'tick', 5, { early: true }, 0);
  t.same(h.dropped, [past], 'an event older than every kept one is itself the oldest: dropped');
  t.equal(h.view(2).count('tick', ALL), 0, 'the cap is per person');
});

t.test('restore puts journaled events back in time order, leaving out what retention let go', async (t) => {
  const h = new EventHistory();
  t.equal(h.restore(1, 'view', 300, 7, { n: 3 }, 150), true);
  t.equal(h.restore(1, 'view', 100, 2, { n: 1 }, 150), false, 'older than keepFrom');
  t.equal(h.restore(1, 'view', 200, 5, { n: 2 }, 150), true);
  t.equal(h.seq, 7, 'the sequence moves past every restored one, kept or not');
  const v = h.view(1);
  t.equal(v.count('view', ALL), 2);
  t.equal(v.count('view', range(0, 250)), 1);
  t.same(v.latest('view', ALL), { n: 3 }, 'latest by sequence');
  t.equal(v.count('view', { ...ALL, after: 5 }), 1, 'positions are the journaled sequences');
  t.equal(h.add(1, 'view', 400, {}, 0), 8, 'new events continue after them');
  const h2 = new EventHistory();
  h2.restore(1, 'x', 10, 9, {}, 100);
  t.equal(h2.seq, 9, 'a dropped event still moves the sequence');
});

t.test('a view with keepFrom does not count events retention let go but nothing trimmed yet', async (t) => {
  const h = new EventHistory();
  h.add(1, 'view', 100, { n: 1 }, 0);
  h.add(1, 'view', 200, { n: 2 }, 0);
  t.equal(h.view(1, 150).count('view', ALL), 1);
  t.equal(h.view(1, 150).count('view', range(0, 120)), 0);
  t.equal(h.view(1, 150).count('view', range(180, 300)), 1, 'a range starting later is kept as it is');
  t.same(h.view(1, 250).latest('view', ALL), undefined);
  t.same(h.view(1, 150).latest('view', ALL), { n: 2 });
  t.equal(h.view(1).count('view', ALL), 2, 'still held until a new event or a restart trims it');
});

t.test('many people with several names each: every log found, the columns growing as needed', async (t) => {
  const h = new EventHistory();
  for (let p = 0; p < 3000; p++) for (let n = 0; n < 3; n++) h.add(p, `n${(p + n) % 7}`, 1000 + p, { p, n }, 0);
  h.add(2999, 'n3', 5000, { again: true }, 0); // person 2999 has n3, n4 and n5
  t.equal(h.view(1234).count('n2', ALL), 1);
  t.same(h.view(1234).latest('n3', ALL), { p: 1234, n: 1 });
  t.equal(h.view(1234).count('n5', ALL), 0, 'a name the person never had');
  t.equal(h.view(2999).count('n3', ALL), 2, 'a second event of a name');
  t.same(h.view(2999).latest('n3', ALL), { again: true });
  t.equal(h.view(2999).count('n3', range(0, 4000)), 1, 'the first one, at 3999');
  t.equal(h.view(5000).count('n0', ALL), 0, 'a person beyond the columns');
});
