// Due times in a min-heap: TimerQueue, (time, number) pairs in two typed arrays, what the
// runtime's participant wake-ups are kept in; and DueByKey over it, one time per key (a person
// id), for the indexes that follow each person's next moment (the Date or Time entry's, the
// real-time segments that follow the clock). Kept apart from the runtime so the people store
// may use it too.
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

/**
 * Due times by key, one each: setting a key again replaces its time, and keys come out in time
 * order. The heap keeps every time ever set; an entry whose time is no longer its key's is
 * skipped when it reaches the top, so a change costs one push and nothing is searched. Keys are
 * numbered once, for the heap's typed arrays.
 */
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
