// The one injectable clock. Production uses SystemClock; tests and `junction simulate`
// use VirtualClock, which moves only when told to and fires due timers in time order.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, at or after `at` (epoch ms). Returns a handle for cancel(). */
  schedule(at: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly at: number;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(at: number, fn: () => void): TimerHandle {
    const handle: SystemTimer = { at, timeout: undefined };
    const arm = (): void => {
      // setTimeout caps at about 24.8 days; re-arm until the due time is reached.
      const delay = Math.min(Math.max(0, at - Date.now()), 0x7fffffff);
      handle.timeout = setTimeout(() => (Date.now() >= at ? fn() : arm()), delay);
    };
    arm();
    return handle;
  }

  cancel(handle: TimerHandle): void {
    clearTimeout((handle as SystemTimer).timeout);
  }
}

interface SystemTimer extends TimerHandle {
  timeout: ReturnType<typeof setTimeout> | undefined;
}

interface VirtualTimer extends TimerHandle {
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(start: number | Date | string = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : new Date(start).getTime();
    if (!Number.isFinite(this.current)) throw new RangeError(`invalid start time: ${String(start)}`);
  }

  now(): number {
    return this.current;
  }

  schedule(at: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { at, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  cancel(handle: TimerHandle): void {
    (handle as VirtualTimer).cancelled = true;
  }

  /** Moves time forward to `at`, firing every timer due on the way, in order. */
  advanceTo(at: number | Date | string): void {
    const target = typeof at === 'number' ? at : new Date(at).getTime();
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.timers.splice(this.timers.indexOf(next), 1);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = Math.max(this.current, target);
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Time of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    return this.nextDue(Infinity)?.at;
  }

  private nextDue(limit: number): VirtualTimer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let best: VirtualTimer | undefined;
    for (const t of this.timers) {
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  }
}
