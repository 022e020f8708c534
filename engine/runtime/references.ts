// References: names an effect's result gives to what it did (a sent message's provider id, the
// last message to a person on one of our numbers, a tracked link's code), so that inputs
// arriving later about it (a delivery report, a reply, a click) find the person, and the flow
// version and element that caused it. Each is kept for the reference window (expiring.ts);
// an outcome (e.g. "delivered") is recorded once per reference; erasing a person drops theirs
// (a tracked link's stays, naming nobody). The engine journals every change (table `ref`) and restores them at recovery.
// One map for the process: a report names no person, so it cannot be looked up per partition.
import type { Reference } from '../module.js';
import { Expiring } from './expiring.js';

/** The person a reference kept after its person's erasure names: nobody (no person has an empty id). */
const NOBODY = '';

export class References extends Expiring<Reference> {
  /** Marks an outcome recorded; undefined (nothing changes) when it already was. */
  record(key: string, outcome: string): Reference | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.recorded.includes(outcome)) return undefined;
    const updated = { ...entry, recorded: [...entry.recorded, outcome] };
    this.entries.set(key, updated); // in place: the key keeps its age
    return updated;
  }

  /**
   * Forgets the person in every reference (they are being erased: a reply reference's key holds
   * their contact). A tracked link's stays, naming nobody, so that the link still leads where it
   * did; the others are dropped. Returns the keys changed, with their entry or null when dropped.
   * Linear in the references kept: erasures are rare, and an index by person would cost every
   * sent message an entry.
   */
  forget(personId: string): Array<[string, Reference | null]> {
    const changed: Array<[string, Reference | null]> = [];
    for (const [key, entry] of this.entries) {
      if (entry.personId !== personId) continue;
      changed.push([key, typeof entry.data['url'] === 'string' ? { ...entry, personId: NOBODY, recorded: [] } : null]);
    }
    for (const [key, entry] of changed) {
      if (entry) this.entries.set(key, entry); // in place: the key keeps its age
      else this.entries.delete(key);
    }
    return changed;
  }
}
