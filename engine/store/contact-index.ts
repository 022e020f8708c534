// The people store's index of people by phone and email. Recovery adds a million people at once
// and leaves their contacts for later: they are indexed by the first lookup or write, or a slice
// at a time once the process serves (indexInBackground), so the start does not wait for them.
import type { Person } from '../person.js';

/** People indexed per slice in the background: about 20 ms of work between two turns of the event loop. */
const SLICE = 20_000;

export class ContactIndex {
  private readonly byContact = new Map<string, string>();
  private deferred: Person[] = [];
  private next = 0;

  /** The index, with every deferred person in it (the store reads it before it replaces or removes anyone). */
  get map(): Map<string, string> {
    if (this.next < this.deferred.length) this.indexDeferred(this.deferred.length);
    return this.byContact;
  }

  /** Leaves a restored person's contacts for later. */
  defer(person: Person): void {
    this.deferred.push(person);
  }

  /** Indexes the deferred people a slice at a time, yielding to the event loop between slices; resolves with how many there were. */
  async indexInBackground(): Promise<number> {
    const total = this.deferred.length;
    while (this.indexDeferred(SLICE)) await new Promise((resolve) => setImmediate(resolve));
    return total;
  }

  /** Indexes up to `count` deferred people, in the order restored (a later owner of a contact wins); whether some are left. */
  private indexDeferred(count: number): boolean {
    const end = Math.min(this.deferred.length, this.next + count);
    for (; this.next < end; this.next++) {
      const person = this.deferred[this.next]!;
      for (const contact of person.phones) this.byContact.set(contact, person.id);
      for (const contact of person.emails) this.byContact.set(contact, person.id);
    }
    if (this.next < this.deferred.length) return true;
    this.deferred = [];
    this.next = 0;
    return false;
  }
}
