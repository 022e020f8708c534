// Which participants wait on which input keys, in one partition, by person (their number in
// the partition). A person's one (key, participant sequence) pair sits in their record
// (person-records.ts, beside their newest event log), so finding who waits for a person's
// input is one read and a key comparison: no map per key or per person. A person with several
// pairs has a list of their own in place of the key. Sequences come back in the order they
// were added.
import { PersonRecords, WAIT_KEY, WAIT_SEQ } from './person-records.js';

/** No participant waits: one frozen list for every lookup that finds none. */
const NOBODY: readonly number[] = Object.freeze([]);

/** A person's pairs when they have more than one: key, sequence, key, sequence, … */
type Pairs = Array<string | number>;

export class WaitIndex {
  /** Per person: at WAIT_KEY their one key and at WAIT_SEQ its sequence, or at WAIT_KEY their Pairs; undefined: none. */
  constructor(private readonly records = new PersonRecords()) {}

  /** Notes that participant `seq` of the person waits on `key` (once, however often noted). */
  add(person: number, key: string, seq: number): void {
    const held = this.records.get(person, WAIT_KEY);
    if (held === undefined) {
      this.records.set(person, WAIT_KEY, key);
      this.records.set(person, WAIT_SEQ, seq);
    } else if (typeof held === 'string') {
      if (held === key && this.records.get(person, WAIT_SEQ) === seq) return;
      this.records.set(person, WAIT_KEY, [held, this.records.get(person, WAIT_SEQ) as number, key, seq]);
      this.records.set(person, WAIT_SEQ, undefined);
    } else if (indexOfPair(held as Pairs, key, seq) === -1) {
      (held as Pairs).push(key, seq);
    }
  }

  /** Forgets that participant `seq` of the person waits on `key`. */
  remove(person: number, key: string, seq: number): void {
    const held = this.records.get(person, WAIT_KEY);
    if (typeof held === 'string') {
      if (held !== key || this.records.get(person, WAIT_SEQ) !== seq) return;
      this.records.set(person, WAIT_KEY, undefined);
      this.records.set(person, WAIT_SEQ, undefined);
    } else if (held !== undefined) {
      const pairs = held as Pairs;
      const at = indexOfPair(pairs, key, seq);
      if (at !== -1) pairs.splice(at, 2);
      if (pairs.length > 2) return;
      this.records.set(person, WAIT_KEY, pairs[0]);
      this.records.set(person, WAIT_SEQ, pairs[1]);
    }
  }

  /** Sequences of the person's participants waiting on `key`. */
  of(person: number, key: string): readonly number[] {
    const held = this.records.get(person, WAIT_KEY);
    if (held === undefined) return NOBODY;
    if (typeof held === 'string') return held === key ? [this.records.get(person, WAIT_SEQ) as number] : NOBODY;
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
