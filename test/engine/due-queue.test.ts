// The keyed due queue: one time per key, replaced by a later set, popped in time order.
import t from 'tap';
import { DueByKey } from '../../engine/due-queue.js';

t.test('keys come out in time order, each once, with their latest time', async (t) => {
  const due = new DueByKey();
  due.set('a', 30);
  due.set('b', 10);
  due.set('c', 20);
  due.set('a', 5); // moved earlier
  due.set('c', 40); // moved later
  due.set('b', undefined); // no time any more
  t.equal(due.size, 2);
  t.equal(due.peek(), 5);
  t.equal(due.popDue(4), undefined, 'nothing is due before its time');
  t.equal(due.popDue(35), 'a');
  t.equal(due.popDue(35), undefined, 'a’s old time and b’s are skipped; c is not due yet');
  t.equal(due.peek(), 40, 'peek skips the stale entries');
  t.equal(due.popDue(40), 'c');
  t.equal(due.peek(), undefined);
  t.equal(due.size, 0);
});

t.test('setting the same time again adds nothing', async (t) => {
  const due = new DueByKey();
  due.set('a', 10);
  due.set('a', 10);
  t.equal(due.popDue(10), 'a');
  t.equal(due.popDue(10), undefined);
});
