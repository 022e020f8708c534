// WaitIndex on its own: one pair per person kept inline, several pairs in order, removal
// back to one pair and to none, a pair noted twice kept once, and people kept apart.
import t from 'tap';
import { WaitIndex } from '../../../engine/runtime/wait-index.js';

t.test('one participant waiting on one key', async (t) => {
  const w = new WaitIndex();
  w.add(3, 'event:a', 7);
  t.same(w.of(3, 'event:a'), [7]);
  t.same(w.of(3, 'event:b'), [], 'another key');
  t.same(w.of(2, 'event:a'), [], 'another person');
  t.same(w.of(40, 'event:a'), [], 'a person beyond the index');
  w.remove(3, 'event:a', 8);
  t.same(w.of(3, 'event:a'), [7], 'another sequence is not removed');
  w.remove(3, 'event:a', 7);
  t.same(w.of(3, 'event:a'), []);
});

t.test('several pairs of one person come back in the order added', async (t) => {
  const w = new WaitIndex();
  w.add(0, 'k', 1);
  w.add(0, 'other', 2);
  w.add(0, 'k', 3);
  w.add(0, 'k', 3);
  t.same(w.of(0, 'k'), [1, 3], 'a pair noted twice is kept once');
  t.same(w.of(0, 'other'), [2]);
  w.remove(0, 'k', 1);
  t.same(w.of(0, 'k'), [3]);
  w.remove(0, 'other', 2);
  t.same(w.of(0, 'k'), [3], 'back to one pair');
  t.same(w.of(0, 'other'), []);
  w.add(0, 'other', 4);
  t.same(w.of(0, 'other'), [4]);
  w.remove(0, 'k', 3);
  w.remove(0, 'other', 4);
  t.same(w.of(0, 'k'), []);
  t.same(w.of(0, 'other'), []);
});

t.test('people are kept apart', async (t) => {
  const w = new WaitIndex();
  for (let p = 0; p < 2000; p++) w.add(p, `event:e${p % 10}`, p + 1);
  t.same(w.of(1234, 'event:e4'), [1235]);
  t.same(w.of(1234, 'event:e5'), []);
  w.remove(1234, 'event:e4', 1235);
  t.same(w.of(1234, 'event:e4'), []);
  t.same(w.of(1244, 'event:e4'), [1245]);
});
