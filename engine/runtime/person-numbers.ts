// The numbers a partition gives its people (0, 1, 2, … on first need) and the ids they stand
// for. Finding a person's number is one memory read: an open-addressing table holds each id's
// hash, the id and its number side by side in one array (a Map holds its buckets and its
// entries apart, two cold reads at a million people), and the hash is compared before the id,
// so a neighbour's id is not read.
import { hash32 } from '../hash.js';

/** Entries per cell: hash, id, number. */
const CELL = 3;
const INITIAL_CELLS = 1024;
/** Bits of an id's hash kept: a small integer, stored without a box. */
const HASH_BITS = 30;

export class PersonNumbers {
  /** Ids by number. */
  private readonly ids: string[] = [];
  /** Numbers of forgotten ids (erasures are rare): not placed again when the table grows. */
  private readonly forgotten = new Set<number>();
  /** Per cell: the id's hash (a small integer), the id (undefined: empty) and its number. */
  private cells: Array<string | number | undefined> = emptyCells(INITIAL_CELLS);
  private mask = INITIAL_CELLS - 1;
  /** An id's hash shifted right by this is its first cell. */
  private shift = HASH_BITS - Math.log2(INITIAL_CELLS);

  /** The person's number, if one was given. */
  find(id: string): number | undefined {
    const h = hashOf(id);
    for (let i = h >>> this.shift; ; i = (i + 1) & this.mask) {
      const at = CELL * i;
      const key = this.cells[at + 1];
      if (key === undefined) return undefined;
      if (this.cells[at] === h && key === id) return this.cells[at + 2] as number;
    }
  }

  /** The person's number, given now if they have none. */
  numberOf(id: string): number {
    return this.find(id) ?? this.add(id);
  }

  /**
   * The id is not found again (an erased person): its cell is emptied and the cells after it
   * in the same run move back where their search starts allows (no tombstones). Its number is
   * not reused; idOf() still answers it, for the journal rows that delete what it had.
   */
  forget(id: string): void {
    const h = hashOf(id);
    let i = h >>> this.shift;
    for (; this.cells[CELL * i + 1] !== id; i = (i + 1) & this.mask) if (this.cells[CELL * i + 1] === undefined) return;
    this.forgotten.add(this.cells[CELL * i + 2] as number);
    for (let j = (i + 1) & this.mask; this.cells[CELL * j + 1] !== undefined; j = (j + 1) & this.mask) {
      const home = (this.cells[CELL * j] as number) >>> this.shift;
      if (((j - home) & this.mask) < ((j - i) & this.mask)) continue; // its search starts after the hole: it stays
      this.move(j, i);
      i = j;
    }
    this.cells[CELL * i] = undefined;
    this.cells[CELL * i + 1] = undefined;
    this.cells[CELL * i + 2] = undefined;
  }

  private move(from: number, to: number): void {
    for (let k = 0; k < CELL; k++) this.cells[CELL * to + k] = this.cells[CELL * from + k];
  }

  idOf(n: number): string {
    return this.ids[n]!;
  }

  private add(id: string): number {
    const n = this.ids.push(id) - 1;
    if (2 * this.ids.length > this.mask + 1) this.grow();
    else this.place(id, n);
    return n;
  }

  /** Puts an id known to be absent into its first free cell. */
  private place(id: string, n: number): void {
    const h = hashOf(id);
    let i = h >>> this.shift;
    while (this.cells[CELL * i + 1] !== undefined) i = (i + 1) & this.mask;
    this.cells[CELL * i] = h;
    this.cells[CELL * i + 1] = id;
    this.cells[CELL * i + 2] = n;
  }

  /** Doubles the table (kept at most half full) and places every id again. */
  private grow(): void {
    const size = 2 * (this.mask + 1);
    this.cells = emptyCells(size);
    this.mask = size - 1;
    this.shift--;
    const skip = this.forgotten.size > 0;
    for (let n = 0; n < this.ids.length; n++) if (!skip || !this.forgotten.has(n)) this.place(this.ids[n]!, n);
  }
}

/**
 * The id's hash as a small integer (HASH_BITS), multiplied so that its top bits, which pick the
 * first cell, depend on all of hash32's (whose low bits picked the partition).
 */
function hashOf(id: string): number {
  return Math.imul(hash32(id), 0x9e3779b1) >>> (32 - HASH_BITS);
}

function emptyCells(cells: number): Array<string | number | undefined> {
  return new Array<string | number | undefined>(CELL * cells).fill(undefined);
}
