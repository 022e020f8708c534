// The outbox honours a handler's rate, per rate key: entries beyond it wait on the engine's
// clock, in order, and go out as tokens come free — not retries, not failures, not attempts; close() drops them.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { VirtualClock } from '../../../engine/clock.js';
import { EffectFailure } from '../../../engine/errors.js';
import { Registry, type EffectHandler, type Module } from '../../../engine/module.js';
import { Outbox, type OutboxOptions } from '../../../engine/runtime/outbox.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import type { Effect, Input } from '../../../engine/vocabulary.js';

const START = Date.UTC(2026, 0, 5, 9);

const effect = (key: string): Effect => ({ kind: 'test.send', key, personId: 'ana' }) as unknown as Effect;

/** An outbox whose `test.send` handler is limited by its module's settings, and what it saw. */
function rig(settings: Record<string, unknown>, perform: (effect: Effect) => unknown = (e) => `sent ${e.key}`, options: OutboxOptions = {}) {
  const clock = new VirtualClock(START);
  const calls: Array<{ key: string; at: number }> = [];
  const handler: EffectHandler = {
    kind: 'test.send',
    rate: (s) => (s['perSecond'] === undefined ? undefined : { perSecond: s['perSecond'] as number, burst: s['burst'] as number }),
    rateKey: (e, s) => (s['byFrom'] ? String(e['from']) : ''),
    perform: (e, ctx) => {
      calls.push({ key: e.key, at: ctx.now() - START });
      return perform(e);
    },
  };
  const module: Module = {
    name: 'test',
    effects: [handler],
    config: { schema: Type.Object({ perSecond: Type.Optional(Type.Number()), burst: Type.Optional(Type.Number()), byFrom: Type.Optional(Type.Boolean()) }), secrets: [] },
  };
  const recorded: Input[] = [];
  const logs: string[] = [];
  const logger = { warn: () => logs.push('warn'), error: () => logs.push('error') };
  const ctx = { people: new MemoryPeopleStore(clock), now: () => clock.now() };
  const outbox = new Outbox(new Registry([module], { test: settings }), ctx, clock, logger, (_e, input) => recorded.push(input), options);
  return { clock, calls, recorded, logs, outbox };
}

/** Moves the clock a second at a time and lets the started handlers finish. */
async function run(r: ReturnType<typeof rig>, seconds: number): Promise<void> {
  await r.outbox.idle();
  for (let i = 0; i < seconds; i++) {
    r.clock.advance(1000);
    await r.outbox.idle();
  }
}

t.test('10 sends at 2 per second, burst 2: out at the expected times, in order, all once', async (t) => {
  const r = rig({ perSecond: 2, burst: 2 }, undefined, { maxAttempts: 1 });
  const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
  r.outbox.dispatch(keys.map(effect));
  t.same(r.calls.map((c) => c.key), ['k0', 'k1'], 'the burst goes at once, the rest wait');
  await r.outbox.idle();
  r.clock.advance(499);
  t.equal(r.calls.length, 2, 'nothing before the next token');
  await run(r, 5);
  t.same(r.calls.map((c) => c.key), keys, 'in order');
  t.same(r.calls.map((c) => c.at), [0, 0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]);
  t.same(r.recorded.map((i) => i.kind), Array(10).fill('effect.result'), 'all performed, though maxAttempts is 1');
  t.same([...r.outbox.retries], [], 'no retry counted');
  t.same([...r.outbox.failures], [], 'no failure counted');
  t.same(r.logs, [], 'nothing logged');
  t.equal(r.clock.nextTimerAt(), undefined, 'no timer left');
});

t.test('entries dispatched later wait behind those already waiting', async (t) => {
  const r = rig({ perSecond: 1, burst: 1 });
  r.outbox.dispatch([effect('a'), effect('b')]);
  r.clock.advance(500);
  r.outbox.dispatch([effect('c')]);
  await run(r, 3);
  t.same(r.calls, [{ key: 'a', at: 0 }, { key: 'b', at: 1000 }, { key: 'c', at: 2000 }]);
});

t.test('a retry waits for a token too, behind the line', async (t) => {
  let failed = false;
  const r = rig({ perSecond: 1, burst: 1 }, (e) => {
    if (e.key !== 'a' || failed) return 'ok';
    failed = true;
    throw new EffectFailure('JCT_TEST_BUSY', 'busy', true);
  });
  r.outbox.dispatch([effect('a'), effect('b'), effect('c')]);
  await run(r, 4);
  t.same(r.calls, [{ key: 'a', at: 0 }, { key: 'b', at: 1000 }, { key: 'c', at: 2000 }, { key: 'a', at: 3000 }], 'the retry due at 1 s joins after c');
  t.same([...r.outbox.retries], [['test.send', 1]], 'the one failure is the one retry');
  t.equal(r.recorded.length, 3);
});

t.test('each rate key has the whole rate to itself, its line in order', async (t) => {
  const from = (key: string, sender: string): Effect => ({ ...effect(key), from: sender }) as Effect;
  const r = rig({ perSecond: 1, burst: 1, byFrom: true });
  r.outbox.dispatch([from('a1', 'A'), from('a2', 'A'), from('b1', 'B'), from('a3', 'A'), from('b2', 'B')]);
  await run(r, 3);
  t.same(r.calls, [{ key: 'a1', at: 0 }, { key: 'b1', at: 0 }, { key: 'a2', at: 1000 }, { key: 'b2', at: 1000 }, { key: 'a3', at: 2000 }]);
});

t.test('without a rate, every entry goes at once', async (t) => {
  const r = rig({});
  r.outbox.dispatch(['a', 'b', 'c'].map(effect));
  t.equal(r.calls.length, 3);
  t.equal(r.clock.nextTimerAt(), undefined);
});

t.test('idle() does not wait for waiting entries; close() drops them', async (t) => {
  const r = rig({ perSecond: 1, burst: 1 });
  r.outbox.dispatch(['a', 'b', 'c'].map(effect));
  await r.outbox.idle();
  t.equal(r.recorded.length, 1, 'idle resolved with two entries waiting');
  t.equal(r.clock.nextTimerAt(), START + 1000);
  r.outbox.close();
  t.equal(r.clock.nextTimerAt(), undefined, 'the timer is cancelled');
  await run(r, 5);
  t.same(r.calls.map((c) => c.key), ['a']);
});

t.test('a handler whose rate is invalid fails its entries for good', async (t) => {
  const r = rig({ perSecond: 0, burst: 1 });
  r.outbox.dispatch([effect('a')]);
  await r.outbox.idle();
  t.equal(r.calls.length, 0);
  t.match(r.recorded, [{ kind: 'effect.failed', key: 'a', error: { retryable: false } }]);
  t.same([...r.outbox.failures], [['test.send', 1]]);
});

t.test('an entry whose deadline passes while it waits is failed without being performed', async (t) => {
  const r = rig({ perSecond: 1, burst: 1 });
  const due = (key: string, after: number): Effect => ({ ...effect(key), deadline: START + after }) as Effect;
  r.outbox.dispatch([due('a', 1500), due('b', 1500), due('c', 1500)]);
  await run(r, 3);
  t.same(r.calls.map((c) => c.key), ['a', 'b'], 'c would go out at 2000, after its deadline');
  t.match(r.recorded[2], { kind: 'effect.failed', key: 'c', error: { code: 'JCT_EFFECT_EXPIRED', retryable: false } });
  t.same([...r.outbox.failures], [['test.send', 1]], 'counted as a failure');
});
