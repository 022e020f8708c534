// Maps kept in the order of their keys, for lists read a page at a time (the do-not-contact list,
// flows, segments, templates): reading from a key on costs a search, not a scan or a sort of
// everything, and adding or removing a key costs a search and a move inside one chunk of keys.
// Keys compare as JavaScript compares strings (UTF-16 code units).

/** Entries in their keys' order, read from a position on. */
export interface Ordered<T> {
  readonly size: number;
  /** The [key, entry] pairs whose key sorts after `key` (every pair without one), in order; read them before the map changes. */
  after(key?: string): Iterable<readonly [string, T]>;
}

/** Keys per chunk once a chunk splits; a chunk holds at most twice as many. */
const CHUNK = 1024;

/** The index of the first key in the sorted chunk that is not below `key` (above it with `past`). */
function bound(chunk: readonly string[], key: string, past: boolean): number {
  let low = 0;
  let high = chunk.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const k = chunk[mid]!;
    if (k < key || (past && k === key)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A sorted set of strings in chunks: no chunk is empty, each chunk's keys are below the next chunk's. */
class SortedKeys {
  private readonly chunks: string[][] = [];

  add(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      return;
    }
    const c = this.chunkFor(key);
    const chunk = this.chunks[c]!;
    chunk.splice(bound(chunk, key, false), 0, key);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK));
  }

  delete(key: string): void {
    if (this.chunks.length === 0) return;
    const c = this.chunkFor(key);
    const chunk = this.chunks[c]!;
    const i = bound(chunk, key, false);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }

  *after(key: string | undefined): Generator<string> {
    let c = key === undefined ? 0 : this.chunkFor(key);
    let i = key === undefined || c >= this.chunks.length ? 0 : bound(this.chunks[c]!, key, true);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  /** The chunk a key belongs in: the first whose last key is not below it, else the last one. */
  private chunkFor(key: string): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.chunks[mid]!.at(-1)! < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** A Map that can also be read in its keys' order from any key on. */
export class OrderedMap<T> implements Ordered<T> {
  private readonly map = new Map<string, T>();
  private readonly keys = new SortedKeys();

  get size(): number {
    return this.map.size;
  }

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: T): this {
    if (!this.map.has(key)) this.keys.add(key);
    this.map.set(key, value);
    return this;
  }

  delete(key: string): boolean {
    if (!this.map.delete(key)) return false;
    this.keys.delete(key);
    return true;
  }

  /** The entries in the order they were first set (as a Map gives them). */
  values(): IterableIterator<T> {
    return this.map.values();
  }

  *after(key?: string): Generator<readonly [string, T]> {
    for (const k of this.keys.after(key)) yield [k, this.map.get(k)!];
  }
}

/** The same order with each entry shown through `view`. */
export function orderedView<T, U>(source: Ordered<T>, view: (entry: T) => U): Ordered<U> {
  return {
    get size() {
      return source.size;
    },
    *after(key?: string) {
      for (const [k, entry] of source.after(key)) yield [k, view(entry)] as const;
    },
  };
}
