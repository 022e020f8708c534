import t from 'tap';
import { world, flow, type World } from './helpers.js';
import { hash32 } from '../../engine/hash.js';
import type { Receipt } from '../../engine/vocabulary.js';

/** Adds people u0 … u(n-1) and enters each into flow `f` through the Flow API. */
function enterPeople(w: World, n: number): Promise<Receipt[]> {
  const receipts = [];
  for (let i = 0; i < n; i++) {
    w.people.upsert({ id: `u${i}` });
    receipts.push(w.engine.enter('f', `u${i}`));
  }
  return Promise.all(receipts);
}

t.test('split audience: shares follow the weights, and a person always gets the same branch', async (t) => {
  const w = world();
  const branches = [{ percent: 20 }, { percent: 30 }, { percent: 50 }];
  w.engine.save(flow('f', [{ id: 's', type: 'splitAudience', config: { branches } }], { reentry: { enabled: true } }));
  w.engine.launch('f');
  const n = 20_000;
  t.ok((await enterPeople(w, n)).every((r) => r.entered), 'everyone entered');
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

t.test('a split inside a branch of another divides that branch by its own weights', async (t) => {
  const w = world();
  const outer = { id: 'outer', type: 'splitAudience', config: { branches: [{ percent: 50 }, { percent: 50 }] }, branches: { '1': 'inner' } };
  const inner = { id: 'inner', type: 'splitAudience', config: { branches: [{ percent: 50 }, { percent: 50 }] } };
  w.engine.save(flow('f', [outer, inner]));
  w.engine.launch('f');
  await enterPeople(w, 4_000);
  const exits = (id: string): number => w.engine.metrics('f').elements.find((e) => e.id === id)!.totalEngagements;
  const inside = exits('inner.1.exit') + exits('inner.2.exit');
  t.ok(Math.abs(exits('inner.2.exit') / inside - 0.5) < 0.05, `the inner split's branch 2 gets about half (${exits('inner.2.exit')} of ${inside})`);
});

t.test('the split hash is stable across processes and versions', async (t) => {
  t.equal(hash32('flow\u0000person'), hash32('flow\u0000person'));
  t.equal(hash32(''), 2872998923, 'a fixed value: changing the hash would move people between branches');
});
