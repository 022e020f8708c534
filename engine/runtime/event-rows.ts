// The journal rows of one partition's events (table `event`, key eventKey(person, sequence),
// value [name, time, properties], null once dropped). An event recorded or dropped is noted
// here in columns, in order, and its row is built only when the batch is written: nothing per
// event goes into the open batch's maps. Members are handed out once each, so every mark is a
// new row; a key written and deleted in one batch gets both rows, in that order.
import { RowGroup, type TableTexts } from '../store/journal.js';
import type { EventProperties } from '../vocabulary.js';
import { eventKey, type EventRow } from './rows.js';

export class EventRows extends RowGroup<number> {
  // Per noted row: the person's id, the event's sequence, and its name, time and properties
  // (name undefined: the event was dropped, its row is deleted). The columns keep their length
  // from batch to batch (no regrowth each time); `count` of their entries are this batch's.
  private count = 0;
  private readonly people: string[] = [];
  private readonly seqs: number[] = [];
  private readonly names: Array<string | undefined> = [];
  private readonly times: number[] = [];
  private readonly props: Array<EventProperties | undefined> = [];

  constructor() {
    super(
      'event',
      (i) => eventKey(this.people[i]!, this.seqs[i]!),
      (i): EventRow | null => {
        const name = this.names[i];
        return name === undefined ? null : [name, this.times[i]!, this.props[i]!];
      },
    );
  }

  get marked(): number {
    return this.count;
  }

  /** Notes a recorded event; returns the member to mark in the journal. */
  recorded(personId: string, seq: number, name: string, at: number, props: EventProperties): number {
    return this.note(personId, seq, name, at, props);
  }

  /** Notes a dropped event (its row goes); returns the member to mark in the journal. */
  dropped(personId: string, seq: number): number {
    return this.note(personId, seq, undefined, 0, undefined);
  }

  /** Every member is new: recorded() and dropped() hand each out once. */
  mark(): boolean {
    return true;
  }

  takeTexts(into: TableTexts): void {
    for (let i = 0; i < this.count; i++) {
      this.write(into, i);
      this.props[i] = undefined; // kept by the history while it holds the event, not by the columns
    }
    this.count = 0;
  }

  private note(personId: string, seq: number, name: string | undefined, at: number, props: EventProperties | undefined): number {
    const i = this.count++;
    this.people[i] = personId;
    this.seqs[i] = seq;
    this.names[i] = name;
    this.times[i] = at;
    this.props[i] = props;
    return i;
  }
}
