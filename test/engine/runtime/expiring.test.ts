// Entries kept for a window: expiring drops the oldest first; entries read back from a store
// (which gives them in key order) are put back oldest first, so expiring still stops at the
// first young one.
import t from 'tap';
import { Expiring } from '../../../engine/runtime/expiring.js';

t.test('restored in key order, expired by age', async (t) => {
  const kept = new Expiring<{ at: number }>();
  kept.restore([
    ['a-young', { at: 300 }],
    ['b-old', { at: 100 }],
    ['c-middle', { at: 200 }],
  ]);
  t.same(kept.expire(250), ['b-old', 'c-middle']);
  t.equal(kept.size, 1);
  t.ok(kept.get('a-young'));
  kept.set('d', { at: 400 });
  kept.set('a-young', { at: 500 });
  t.same(kept.expire(450), ['d'], 'a key given again moved to the back');
});
