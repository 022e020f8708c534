// Participant wake-ups: a min-heap of (due time, participant id) and one clock timer armed
// for the earliest. When it fires, every id due is handed over at once. Entries are never
// removed early; the engine skips a popped one whose participant no longer waits for it.
import type { Clock, TimerHandle } from '../clock.js';

export class Wakeups {
  private readonly heap = new TimerQueue();
  private armed: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    /** Receives the ids due at `now` (some may be stale). */
    private readonly onDue: (ids: string[], now: number) => void,
  ) {}

  add(at: number, participantId: string): void {
    this.heap.push(at, participantId);
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
    const due: string[] = [];
    for (let id = this.heap.popDue(now); id !== undefined; id = this.heap.popDue(now)) due.push(id);
    const top = this.heap.peek();
    if (top !== undefined) this.armed = this.clock.schedule(top, () => this.fire());
    this.onDue(due, now);
  }
}

export class TimerQueue {
  private readonly ats: number[] = [];
  private readonly ids: string[] = [];

  push(at: number, id: string): void {
    this.ats.push(at);
    this.ids.push(id);
    this.up(this.ats.length - 1);
  }

  /** Due time of the earliest entry, or undefined when empty. */
  peek(): number | undefined {
    return this.ats[0];
  }

  /** Removes and returns the earliest entry's id if it is due at or before `now`. */
  popDue(now: number): string | undefined {
    if (this.ats.length === 0 || this.ats[0]! > now) return undefined;
    const id = this.ids[0]!;
    const lastAt = this.ats.pop()!;
    const lastId = this.ids.pop()!;
    if (this.ats.length > 0) {
      this.ats[0] = lastAt;
      this.ids[0] = lastId;
      this.down(0);
    }
    return id;
  }

  private up(i: number): void {
    const at = this.ats[i]!;
    const id = this.ids[i]!;
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

  private down(i: number): void {
    const n = this.ats.length;
    const at = this.ats[i]!;
    const id = this.ids[i]!;
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
}
