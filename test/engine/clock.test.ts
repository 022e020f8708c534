import t from 'tap';
import { VirtualClock, SystemClock } from '../../engine/clock.js';

t.test('virtual clock fires timers in time order, ties in scheduling order', async (t) => {
  const clock = new VirtualClock('2026-03-01T00:00:00Z');
  const fired: string[] = [];
  clock.schedule(clock.now() + 2000, () => fired.push('b'));
  clock.schedule(clock.now() + 1000, () => fired.push('a1'));
  clock.schedule(clock.now() + 1000, () => fired.push('a2'));
  const c = clock.schedule(clock.now() + 1500, () => fired.push('cancelled'));
  clock.cancel(c);
  t.equal(clock.nextTimerAt(), clock.now() + 1000);
  clock.advance(1999);
  t.same(fired, ['a1', 'a2']);
  clock.advance(1);
  t.same(fired, ['a1', 'a2', 'b']);
  t.equal(clock.nextTimerAt(), undefined);
});

t.test('virtual clock: a timer scheduled while firing, due before the target, fires in the same advance', async (t) => {
  const clock = new VirtualClock(0);
  const at: number[] = [];
  clock.schedule(10, () => {
    at.push(clock.now());
    clock.schedule(20, () => at.push(clock.now()));
  });
  clock.advanceTo(100);
  t.same(at, [10, 20]);
  t.equal(clock.now(), 100);
});

t.test('virtual clock rejects an invalid start', async (t) => {
  t.throws(() => new VirtualClock('not a date'), RangeError);
});

t.test('system clock fires and cancels', async (t) => {
  const clock = new SystemClock();
  const fired = await new Promise<boolean>((resolve) => {
    clock.schedule(clock.now() + 5, () => resolve(true));
  });
  t.ok(fired);
  let cancelledFired = false;
  const h = clock.schedule(clock.now() + 5, () => (cancelledFired = true));
  clock.cancel(h);
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(cancelledFired);
});
