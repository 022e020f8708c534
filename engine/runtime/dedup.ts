// Inputs already applied, by the key their module gives them (e.g. a provider's message id): a
// retry of one within the window gets the first one's receipt and changes nothing. One per
// partition (a retry carries the same person, so it lands in the same partition), kept for the
// window (expiring.ts); the engine journals every add and expiry.
import type { Receipt } from '../vocabulary.js';
import { Expiring } from './expiring.js';

export interface SeenEntry {
  readonly at: number;
  readonly receipt: Receipt;
}

export class Seen extends Expiring<SeenEntry> {}
