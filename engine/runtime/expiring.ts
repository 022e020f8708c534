// Entries kept for a window of time, oldest first: each carries the time it was made (`at`,
// never going back), so expiring is dropping from the front until a younger one. The inputs
// already applied (dedup.ts) and the effects' references (references.ts) are kept this way.

export class Expiring<V extends { readonly at: number }> {
  protected readonly entries = new Map<string, V>();

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Keeps an entry; a key given again moves to the back with its new entry. */
  set(key: string, entry: V): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  /** Puts back entries read from a store (in key order there): oldest first, as expire() needs them. */
  restore(entries: Iterable<readonly [string, V]>): void {
    for (const [key, entry] of [...entries].sort((a, b) => a[1].at - b[1].at)) this.entries.set(key, entry);
  }

  /** Drops the entries made before `before` and returns their keys. */
  expire(before: number): string[] {
    const gone: string[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.at >= before) break;
      gone.push(key);
    }
    for (const key of gone) this.entries.delete(key);
    return gone;
  }

  get size(): number {
    return this.entries.size;
  }
}
