// Per person of a partition (by their number), what routing any event of theirs reads, side by
// side in one array: what they wait on (wait-index.ts) and their newest event log
// (event-history.ts). At a million people each is a cold memory read; kept together, an event
// pays one for both.

/** A person's fields: the wait index's two, then the event history's one. */
export const WAIT_KEY = 0;
export const WAIT_SEQ = 1;
export const NEWEST_LOG = 2;
const FIELDS = 3;

export type Field = typeof WAIT_KEY | typeof WAIT_SEQ | typeof NEWEST_LOG;

/** What a field holds: the wait index's key, pairs or sequence, the history's log number; undefined when unset. */
export type FieldValue = string | number | Array<string | number> | undefined;

export class PersonRecords {
  private readonly cells: FieldValue[] = [];

  get(person: number, field: Field): FieldValue {
    return this.cells[FIELDS * person + field];
  }

  set(person: number, field: Field, value: FieldValue): void {
    const at = FIELDS * person + field;
    while (this.cells.length <= at) this.cells.push(undefined); // grown in order: never a sparse array
    this.cells[at] = value;
  }
}
