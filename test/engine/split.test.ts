import t from 'tap';
import { world, flow } from './helpers.js';
import { hash32 } from '../../engine/hash.js';

t.test('split audience: shares follow the weights, and a person always gets the same branch', async (t) => {
  const w = world();
  const branches = [{ percent: 20 }, { percent: 30 }, { percent: 50 }];
  w.engine.save(flow('f', [{ id: 's', type: 'splitAudience', config: { branches } }], { reentry: { enabled: true } }));
  w.engine.launch('f');
  const n = 20_000;
  const receipts = [];
  for (let i = 0; i < n; i++) {
    w.people.upsert({ id: `u${i}` });
    receipts.push(w.engine.enter('f', `u${i}`));
  }
  t.ok((await Promise.all(receipts)).every((r) => r.entered), 'everyone entered');
  const m = w.engine.metrics('f').elements;
  const share = (branch: string): number => m.find((e) => e.id === `s.${branch}.exit`)!.totalEngagements / n;
  t.ok(Math.abs(share('1') - 0.2) < 0.015, `branch 1 ≈ 20 % (${share('1')})`);
  t.ok(Math.abs(share('2') - 0.3) < 0.015, `branch 2 ≈ 30 % (${share('2')})`);
  t.ok(Math.abs(share('3') - 0.5) < 0.015, `branch 3 ≈ 50 % (${share('3')})`);

  const firstBranch = w.steps.find((s) => s.participant.personId === 'u7')!.participant.exitReason;
  t.equal((await w.engine.enter('f', 'u7')).entered, true);
  const again = w.steps.filter((s) => s.participant.personId === 'u7').map((s) => s.participant.exitReason);
  t.same(again, [firstBranch, firstBranch], 're-entry lands on the same branch');
});

t.test('the split hash is stable across processes and versions', async (t) => {
  t.equal(hash32('flow\u0000person'), hash32('flow\u0000person'));
  t.equal(hash32(''), 2872998923, 'a fixed value: changing the hash would move people between branches');
});
