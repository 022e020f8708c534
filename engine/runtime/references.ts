// References: names an effect's result gives to what it did (a sent message's provider id, the
// last message to a person on one of our numbers, a tracked link's code), so that inputs
// arriving later about it (a delivery report, a reply, a click) find the person, and the flow
// version and element that caused it. Each is kept for the reference window (expiring.ts);
// an outcome (e.g. "delivered") is recorded once per reference. The engine journals every change (table `ref`) and restores them at recovery.
// One map for the process: a report names no person, so it cannot be looked up per partition.
import type { Reference } from '../module.js';
import { Expiring } from './expiring.js';

export class References extends Expiring<Reference> {
  /** Marks an outcome recorded; undefined (nothing changes) when it already was. */
  record(key: string, outcome: string): Reference | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.recorded.includes(outcome)) return undefined;
    const updated = { ...entry, recorded: [...entry.recorded, outcome] };
    this.entries.set(key, updated); // in place: the key keeps its age
    return updated;
  }
}
