// PersonNumbers and PersonRecords on their own: numbers given in order and kept through the
// table's growth, unknown ids not numbered by a lookup; the wait index and the event history
// sharing one person's record keep their fields apart.
import t from 'tap';
import { PersonNumbers } from '../../../engine/runtime/person-numbers.js';
import { PersonRecords } from '../../../engine/runtime/person-records.js';
import { WaitIndex } from '../../../engine/runtime/wait-index.js';
import { EventHistory } from '../../../engine/runtime/event-history.js';

t.test('people are numbered in order of first need, through growth', async (t) => {
  const numbers = new PersonNumbers();
  t.equal(numbers.find('p0'), undefined, 'nobody is numbered yet');
  for (let i = 0; i < 5000; i++) t.equal(numbers.numberOf(`p${i}`), i);
  let kept = 0;
  for (let i = 0; i < 5000; i++) if (numbers.find(`p${i}`) === i && numbers.numberOf(`p${i}`) === i && numbers.idOf(i) === `p${i}`) kept++;
  t.equal(kept, 5000, 'every number kept and found again');
  t.equal(numbers.find('p5000'), undefined, 'a lookup does not number');
  t.equal(numbers.numberOf('p5000'), 5000);
});

t.test('a forgotten id is not found again; everyone else still is, through growth', async (t) => {
  const numbers = new PersonNumbers();
  for (let i = 0; i < 500; i++) numbers.numberOf(`p${i}`); // the first table (1,024 cells) nearly half full: long probe runs
  const forgotten = new Set<number>();
  for (let i = 0; i < 500; i += 3) {
    numbers.forget(`p${i}`);
    forgotten.add(i);
  }
  numbers.forget('nobody');
  const check = (upTo: number): number => {
    let right = 0;
    for (let i = 0; i < upTo; i++) if (numbers.find(`p${i}`) === (forgotten.has(i) ? undefined : i)) right++;
    return right;
  };
  t.equal(check(500), 500, 'the cells after each hole moved back where their search finds them');
  t.equal(numbers.idOf(3), 'p3', 'a forgotten number still names its id');
  for (let i = 500; i < 3000; i++) numbers.numberOf(`p${i}`);
  t.equal(check(3000), 3000, 'growth places everyone again but the forgotten');
  t.equal(numbers.numberOf('p0'), 3000, 'a forgotten id comes back with a new number');
});

t.test('the wait index and the event history share a record without mixing', async (t) => {
  const records = new PersonRecords();
  const waits = new WaitIndex(records);
  const history = new EventHistory(records);
  waits.add(2, 'event:a', 7);
  history.add(2, 'a', 100, {}, 0);
  history.add(2, 'b', 200, {}, 0);
  waits.add(2, 'event:b', 8);
  t.same(waits.of(2, 'event:a'), [7]);
  t.same(waits.of(2, 'event:b'), [8]);
  const all = { from: 0, to: 1_000, after: 0 };
  t.equal(history.count(2, 'a', all, 0), 1);
  t.equal(history.count(2, 'b', all, 0), 1);
  waits.remove(2, 'event:a', 7);
  waits.remove(2, 'event:b', 8);
  t.same(waits.of(2, 'event:a'), []);
  t.equal(history.count(2, 'a', all, 0), 1, 'the history is not touched by the waits');
  t.equal(history.count(5, 'a', all, 0), 0, 'another person');
});
