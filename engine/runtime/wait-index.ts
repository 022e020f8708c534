// Which participants wait on which input keys, in one partition, by person (their number in
// the partition). A person's one (key, participant sequence) pair sits in a single array
// beside everyone else's, so finding who waits for a person's input is one array read and a
// key comparison: no map per key or per person. A person with several pairs has a list of
// their own in place of the key. Sequences come back in the order they were added.

/** No participant waits: one frozen list for every lookup that finds none. */
const NOBODY: readonly number[] = Object.freeze([]);

/** A person's pairs when they have more than one: key, sequence, key, sequence, … */
type Pairs = Array<string | number>;

export class WaitIndex {
  /** Per person p: at 2p their one key and at 2p + 1 its sequence, or at 2p their Pairs; undefined: none. */
  private readonly slots: Array<string | number | Pairs | undefined> = [];

  /** Notes that participant `seq` of the person waits on `key` (once, however often noted). */
  add(person: number, key: string, seq: number): void {
    const i = 2 * person;
    while (this.slots.length <= i + 1) this.slots.push(undefined); // grown in order: never a sparse array
    const held = this.slots[i];
    if (held === undefined) {
      this.slots[i] = key;
      this.slots[i + 1] = seq;
    } else if (typeof held === 'string') {
      if (held === key && this.slots[i + 1] === seq) return;
      this.slots[i] = [held, this.slots[i + 1] as number, key, seq];
      this.slots[i + 1] = undefined;
    } else if (indexOfPair(held as Pairs, key, seq) === -1) {
      (held as Pairs).push(key, seq);
    }
  }

  /** Forgets that participant `seq` of the person waits on `key`. */
  remove(person: number, key: string, seq: number): void {
    const i = 2 * person;
    const held = this.slots[i];
    if (typeof held === 'string') {
      if (held !== key || this.slots[i + 1] !== seq) return;
      this.slots[i] = undefined;
      this.slots[i + 1] = undefined;
    } else if (held !== undefined) {
      const pairs = held as Pairs;
      const at = indexOfPair(pairs, key, seq);
      if (at !== -1) pairs.splice(at, 2);
      if (pairs.length > 2) return;
      this.slots[i] = pairs[0];
      this.slots[i + 1] = pairs[1];
    }
  }

  /** Sequences of the person's participants waiting on `key`. */
  of(person: number, key: string): readonly number[] {
    const held = this.slots[2 * person];
    if (held === undefined) return NOBODY;
    if (typeof held === 'string') return held === key ? [this.slots[2 * person + 1] as number] : NOBODY;
    const pairs = held as Pairs;
    const seqs: number[] = [];
    for (let j = 0; j < pairs.length; j += 2) if (pairs[j] === key) seqs.push(pairs[j + 1] as number);
    return seqs;
  }
}

function indexOfPair(pairs: Pairs, key: string, seq: number): number {
  for (let j = 0; j < pairs.length; j += 2) if (pairs[j] === key && pairs[j + 1] === seq) return j;
  return -1;
}
