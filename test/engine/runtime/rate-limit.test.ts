// The token bucket of a send rate (refill, cap, when the next token is free) and the line of
// attempts waiting for it (first come first served, one timer, dropped on close).
import t from 'tap';
import { VirtualClock } from '../../../engine/clock.js';
import { RateLimit, TokenBucket } from '../../../engine/runtime/rate-limit.js';

t.test('a full bucket gives its burst at once, then one token per 1/perSecond', async (t) => {
  const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, 0);
  t.same([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
  t.equal(bucket.nextAt(0), 500);
  t.equal(bucket.take(499), false, 'not before the token is free');
  t.equal(bucket.nextAt(499), 500);
  t.equal(bucket.take(500), true);
  t.equal(bucket.take(500), false);
});

t.test('a quiet spell refills the bucket up to its burst, no more', async (t) => {
  const bucket = new TokenBucket({ perSecond: 10, burst: 2 }, 0);
  t.ok(bucket.take(0) && bucket.take(0));
  const taken = [0, 0, 0].map(() => bucket.take(60_000)).filter(Boolean).length;
  t.equal(taken, 2, 'a minute later: the burst, not 600');
  t.equal(bucket.nextAt(60_000), 60_100);
});

t.test('a slow rate waits whole milliseconds, never less than one', async (t) => {
  const bucket = new TokenBucket({ perSecond: 3, burst: 1 }, 0);
  t.ok(bucket.take(0));
  t.equal(bucket.nextAt(0), 334);
  t.ok(bucket.take(334));
  const next = bucket.nextAt(334);
  t.ok(next > 334 && next <= 668);
  t.ok(bucket.take(next));
});

t.test('a clock that goes back adds no tokens and takes none', async (t) => {
  const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, 10_000);
  t.ok(bucket.take(10_000));
  t.notOk(bucket.take(5_000));
  t.equal(bucket.nextAt(5_000), 6_000, 'a full interval from the earlier time');
});

t.test('a rate must be positive and its burst at least one', async (t) => {
  t.throws(() => new TokenBucket({ perSecond: 0, burst: 1 }, 0), RangeError);
  t.throws(() => new TokenBucket({ perSecond: Infinity, burst: 1 }, 0), RangeError);
  t.throws(() => new TokenBucket({ perSecond: 1, burst: 0.5 }, 0), RangeError);
  t.throws(() => new TokenBucket({ perSecond: 1, burst: NaN }, 0), RangeError);
});

t.test('waiting attempts run first come first served, on the clock, with one timer', async (t) => {
  const clock = new VirtualClock(0);
  const limit = new RateLimit({ perSecond: 1, burst: 1 }, clock);
  const ran: Array<[string, number]> = [];
  for (const name of ['a', 'b', 'c']) limit.run(() => ran.push([name, clock.now()]));
  t.same(ran, [['a', 0]], 'the first at once, the others wait');
  t.equal(clock.nextTimerAt(), 1000);
  clock.advance(1000);
  limit.run(() => ran.push(['d', clock.now()]));
  t.same(ran.map(([n]) => n), ['a', 'b'], 'a newcomer waits behind the line');
  clock.advance(10_000);
  t.same(ran, [['a', 0], ['b', 1000], ['c', 2000], ['d', 3000]]);
  t.equal(clock.nextTimerAt(), undefined, 'no timer once the line is empty');
});

t.test('close drops the waiting attempts and cancels the timer', async (t) => {
  const clock = new VirtualClock(0);
  const limit = new RateLimit({ perSecond: 1, burst: 1 }, clock);
  const ran: string[] = [];
  for (const name of ['a', 'b', 'c']) limit.run(() => ran.push(name));
  limit.close();
  t.equal(clock.nextTimerAt(), undefined);
  clock.advance(10_000);
  t.same(ran, ['a']);
});
