// Inputs already applied, by the key their module gives them (e.g. a provider's message id): a
// retry of one within the window gets the first one's receipt and changes nothing. One per
// partition (a retry carries the same person, so it lands in the same partition), oldest
// first, so expiring is dropping from the front; the engine journals every add and expiry.
import type { Receipt } from '../vocabulary.js';

export interface SeenEntry {
  readonly at: number;
  readonly receipt: Receipt;
}

export class Seen {
  private readonly entries = new Map<string, SeenEntry>();

  /** The receipt of an input with this key applied within the window, if any. */
  get(key: string): Receipt | undefined {
    return this.entries.get(key)?.receipt;
  }

  /** Records an applied input; `at` never goes back, so the map stays oldest first. */
  add(key: string, entry: SeenEntry): void {
    this.entries.set(key, entry);
  }

  /** Drops the entries older than `before` and returns their keys. */
  expire(before: number): string[] {
    const gone: string[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.at >= before) break;
      gone.push(key);
    }
    for (const key of gone) this.entries.delete(key);
    return gone;
  }
}
