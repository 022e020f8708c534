// A min-heap of (due time, participant id): the engine arms one clock timer for the
// earliest entry and pops everything due when it fires. Entries are never removed early;
// the engine skips a popped entry whose participant no longer waits until that time.

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
