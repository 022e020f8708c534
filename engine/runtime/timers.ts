// Participant wake-ups: a min-heap of (due time, participant number) in two typed arrays, and
// one clock timer armed for the earliest. When it fires, every number due is handed over at
// once. Entries are never removed early; the engine skips a popped one whose participant no
// longer waits for it.
import type { Clock, TimerHandle } from '../clock.js';

export class Wakeups {
  private readonly heap = new TimerQueue();
  private armed: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    /** Receives the ids due at `now` (some may be stale). */
    private readonly onDue: (ids: number[], now: number) => void,
  ) {}

  add(at: number, participant: number): void {
    this.heap.push(at, participant);
    const top = this.heap.peek()!;
    if (this.armed && this.armed.at <= top) return;
    if (this.armed) this.clock.cancel(this.armed);
    this.armed = this.clock.schedule(top, () => this.fire());
  }

  stop(): void {
    if (this.armed) this.clock.cancel(this.armed);
    this.armed = undefined;
  }

  private fire(): void {
    this.armed = undefined;
    const now = this.clock.now();
    const due: number[] = [];
    for (let id = this.heap.popDue(now); id !== undefined; id = this.heap.popDue(now)) due.push(id);
    const top = this.heap.peek();
    if (top !== undefined) this.armed = this.clock.schedule(top, () => this.fire());
    this.onDue(due, now);
  }
}

export class TimerQueue {
  private ats = new Float64Array(1024);
  private ids = new Float64Array(1024);
  private size = 0;

  push(at: number, id: number): void {
    if (this.size === this.ats.length) this.grow();
    this.up(this.size++, at, id);
  }

  /** Due time of the earliest entry, or undefined when empty. */
  peek(): number | undefined {
    return this.size === 0 ? undefined : this.ats[0];
  }

  /** Id of the earliest entry, or undefined when empty. */
  peekId(): number | undefined {
    return this.size === 0 ? undefined : this.ids[0];
  }

  /** Removes and returns the earliest entry's id if it is due at or before `now`. */
  popDue(now: number): number | undefined {
    if (this.size === 0 || this.ats[0]! > now) return undefined;
    const id = this.ids[0]!;
    this.size--;
    if (this.size > 0) this.down(0, this.ats[this.size]!, this.ids[this.size]!);
    return id;
  }

  private up(i: number, at: number, id: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.ats[parent]! <= at) break;
      this.ats[i] = this.ats[parent]!;
      this.ids[i] = this.ids[parent]!;
      i = parent;
    }
    this.ats[i] = at;
    this.ids[i] = id;
  }

  private down(i: number, at: number, id: number): void {
    const n = this.size;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.ats[child + 1]! < this.ats[child]!) child++;
      if (this.ats[child]! >= at) break;
      this.ats[i] = this.ats[child]!;
      this.ids[i] = this.ids[child]!;
      i = child;
    }
    this.ats[i] = at;
    this.ids[i] = id;
  }

  private grow(): void {
    const ats = new Float64Array(this.ats.length * 2);
    const ids = new Float64Array(this.ids.length * 2);
    ats.set(this.ats);
    ids.set(this.ids);
    this.ats = ats;
    this.ids = ids;
  }
}
