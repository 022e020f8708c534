// Send rate limits, for the outbox: the token bucket of one rate-limited effect handler and the
// line of attempts waiting for its tokens. An attempt runs at once when a token is free and
// nothing waits before it; otherwise it joins the line, in arrival order, and one timer on the
// engine's clock runs the line as tokens come free. Each attempt costs O(1). Per process only.
import type { Clock, TimerHandle } from '../clock.js';

/** Sustained attempts per second, and how many may go at once after a quiet spell. */
export interface Rate {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * A bucket of up to `burst` tokens, one more every 1/perSecond; times are epoch ms. It is kept
 * as the time it is full again (GCRA), so tokens are never counted in fractions.
 */
export class TokenBucket {
  private readonly interval: number;
  private fullAt: number;

  constructor(
    private readonly rate: Rate,
    now: number,
  ) {
    if (!(rate.perSecond > 0 && Number.isFinite(rate.perSecond))) throw new RangeError(`perSecond must be a positive number, got ${rate.perSecond}`);
    if (!(rate.burst >= 1 && Number.isFinite(rate.burst))) throw new RangeError(`burst must be at least 1, got ${rate.burst}`);
    this.interval = 1000 / rate.perSecond;
    this.fullAt = now;
  }

  /** Takes a token if one is free at `now`. */
  take(now: number): boolean {
    if (this.nextAt(now) > now) return false;
    this.fullAt = Math.max(this.fullAt, now) + this.interval;
    return true;
  }

  /** When the next token is free (a whole ms): `now` if one is. */
  nextAt(now: number): number {
    // A clock that went back owes no more than a full bucket's wait.
    this.fullAt = Math.min(this.fullAt, now + this.rate.burst * this.interval);
    return Math.max(now, Math.ceil(this.fullAt - (this.rate.burst - 1) * this.interval));
  }
}

interface Waiting {
  readonly run: () => void;
  next: Waiting | undefined;
}

/** A token bucket and the attempts waiting for it, first come first served. */
export class RateLimit {
  private readonly bucket: TokenBucket;
  private first: Waiting | undefined;
  private last: Waiting | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    rate: Rate,
    private readonly clock: Clock,
  ) {
    this.bucket = new TokenBucket(rate, clock.now());
  }

  /** Runs `run` now if a token is free and nothing waits; otherwise when its turn comes. */
  run(run: () => void): void {
    if (!this.first && this.bucket.take(this.clock.now())) return run();
    const waiting: Waiting = { run, next: undefined };
    if (this.last) this.last.next = waiting;
    else this.first = waiting;
    this.last = waiting;
    this.arm();
  }

  /** Drops the waiting attempts and cancels the timer. */
  close(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.first = this.last = undefined;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = this.clock.schedule(this.bucket.nextAt(this.clock.now()), () => {
      this.timer = undefined;
      this.release();
    });
  }

  /** Runs the waiting attempts a token is free for, then waits for the next token. */
  private release(): void {
    while (this.first && this.bucket.take(this.clock.now())) {
      const { run } = this.first;
      this.first = this.first.next;
      if (!this.first) this.last = undefined;
      run();
    }
    if (this.first) this.arm();
  }
}
