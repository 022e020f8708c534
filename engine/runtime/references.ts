// References: names an effect's result gives to what it did (a sent message's provider id, the
// last message to a person on one of our numbers, a tracked link's code), so that inputs
// arriving later about it (a delivery report, a reply, a click) find the person, and the flow
// version and element that caused it. Each is kept for the reference window, oldest first, so
// expiring is dropping from the front; an outcome (e.g. "delivered") is recorded once per
// reference. The engine journals every change (table `ref`) and restores them at recovery.
// One map for the process: a report names no person, so it cannot be looked up per partition.
import type { Reference } from '../module.js';

export class References {
  private readonly entries = new Map<string, Reference>();

  get(key: string): Reference | undefined {
    return this.entries.get(key);
  }

  /** Keeps a reference; a key given again moves to the back with its new entry. */
  set(key: string, entry: Reference): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  /** Marks an outcome recorded; false (nothing changes) when it already was. */
  record(key: string, outcome: string): Reference | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.recorded.includes(outcome)) return undefined;
    const updated = { ...entry, recorded: [...entry.recorded, outcome] };
    this.entries.set(key, updated);
    return updated;
  }

  /** Drops the references made before `before` and returns their keys. */
  expire(before: number): string[] {
    const gone: string[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.at >= before) break;
      gone.push(key);
    }
    for (const key of gone) this.entries.delete(key);
    return gone;
  }

  get size(): number {
    return this.entries.size;
  }
}
