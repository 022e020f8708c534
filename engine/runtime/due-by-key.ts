// Due times by key (a person id), one each: setting a key again replaces its time, and entries
// come out in time order. The heap keeps every time ever set; an entry whose time is no longer
// its key's is skipped when it reaches the top, so a change costs one push and nothing is
// searched. Keys are numbered once, for the heap's typed arrays.
import { TimerQueue } from './timers.js';

export class DueByKey {
  /** Key → the time in the heap that is still theirs. */
  private readonly due = new Map<string, number>();
  private readonly queue = new TimerQueue();
  private readonly keys: string[] = [];
  private readonly numbers = new Map<string, number>();

  /** How many keys have a time. */
  get size(): number {
    return this.due.size;
  }

  /** Gives `key` the time `at`, or none when undefined. */
  set(key: string, at: number | undefined): void {
    if (at === undefined) {
      this.due.delete(key);
      return;
    }
    if (this.due.get(key) === at) return;
    this.due.set(key, at);
    this.queue.push(at, this.numberOf(key));
  }

  /** The earliest time still some key's, or undefined when none is. */
  peek(): number | undefined {
    for (;;) {
      const at = this.queue.peek();
      if (at === undefined || this.due.get(this.keys[this.queue.peekId()!]!) === at) return at;
      this.queue.popDue(at); // stale
    }
  }

  /** Removes and returns the key of the earliest time at or before `now`, or undefined when none is due. */
  popDue(now: number): string | undefined {
    for (let n = this.queue.popDue(now); n !== undefined; n = this.queue.popDue(now)) {
      const key = this.keys[n]!;
      const at = this.due.get(key);
      if (at === undefined || at > now) continue; // stale: the key's time changed
      this.due.delete(key);
      return key;
    }
    return undefined;
  }

  private numberOf(key: string): number {
    let n = this.numbers.get(key);
    if (n === undefined) {
      n = this.keys.push(key) - 1;
      this.numbers.set(key, n);
    }
    return n;
  }
}
