// The due index of an entry point that people enter when a date attribute's moment comes
// (Date or Time, and Change in People Profile on a date operator): each person's next
// occurrence in a min-heap, and one engine timer for the earliest. Nothing scans profiles on a
// tick: the index is filled once when the entry activates (launch or restart) and kept current
// by profile changes; a changed date replaces the person's due time (DueByKey). An occurrence enters a person once:
// one that started before the person's last entry into the flow is passed over, so restarts and
// repeated changes on the same day do not enter twice. While the flow is paused a person whose
// occurrence comes is held and enters at resume (EntryHost.enterOrHold).
import type { EntryHost } from '../element.js';
import { attributeValue } from '../people/profile.js';
import type { Person } from '../person.js';
import type { PeopleChange } from '../store/interfaces.js';
import { DueByKey } from '../due-queue.js';
import { nextOccurrence, type Moment, type Occurrence } from './date-moment.js';

export class DueIndex {
  /** Person id → their next occurrence. */
  private readonly due = new DueByKey();
  private armedAt = Infinity;
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly moment: Moment,
    private readonly host: EntryHost,
  ) {}

  /** Indexes everyone (entering those whose occurrence is on now) and follows profile changes; returns the stop function. */
  start(): () => void {
    const now = this.host.now();
    for (const person of this.host.people.all()) this.consider(person, now);
    const stopListening = this.host.onPeopleChange((change) => this.changed(change));
    return () => {
      stopListening();
      this.cancelTimer?.();
    };
  }

  /** How many people have an occurrence ahead. */
  get size(): number {
    return this.due.size;
  }

  private changed(change: PeopleChange): void {
    const person = setsAttribute(change, this.moment.attribute) ? this.host.people.get(change.personId) : undefined;
    if (person) this.consider(person, this.host.now());
  }

  /** Enters the person if an occurrence is on now, and indexes their next one. */
  private consider(person: Person, now: number): void {
    const value = attributeValue(person, this.moment.attribute);
    const next = nextOccurrence(this.moment, value, now, this.host.lastEntryAt(person.id));
    if (next && next.at <= now) {
      this.host.enterOrHold(person.id);
      this.index(person.id, nextOccurrence(this.moment, value, now, next.at));
    } else {
      this.index(person.id, next);
    }
  }

  private index(id: string, next: Occurrence | undefined): void {
    this.due.set(id, next?.at);
    if (next && next.at < this.armedAt) this.arm(next.at);
  }

  private arm(at: number): void {
    this.cancelTimer?.();
    this.armedAt = at;
    this.cancelTimer = this.host.schedule(at, () => this.fire());
  }

  private fire(): void {
    this.armedAt = Infinity;
    this.cancelTimer = undefined;
    const now = this.host.now();
    for (let id = this.due.popDue(now); id !== undefined; id = this.due.popDue(now)) {
      const person = this.host.people.get(id);
      if (person) this.consider(person, now);
    }
    const top = this.due.peek();
    if (top !== undefined && top < this.armedAt) this.arm(top);
  }
}

/** Whether the change created the profile or changed `attribute` in it. */
export function setsAttribute(change: PeopleChange, attribute: string): boolean {
  return change.kind === 'created' || (change.kind === 'updated' && change.attributes?.includes(attribute) === true);
}
