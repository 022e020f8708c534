// Participant wake-ups: a min-heap of (due time, participant number) (TimerQueue, due-queue.ts), and
// one clock timer armed for the earliest. When it fires, every number due is handed over at
// once. Entries are never removed early; the engine skips a popped one whose participant no
// longer waits for it.
import type { Clock, TimerHandle } from '../clock.js';
import { TimerQueue } from '../due-queue.js';

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
