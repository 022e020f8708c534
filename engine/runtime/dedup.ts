// Inputs already applied, by the key their module gives them (e.g. a provider's message id): a
// retry of one within the window gets the first one's receipt and changes nothing, unless its
// answer is out of date (an answered input whose participants have taken a step since). One per
// partition (a retry carries the same person, so it lands in the same partition), kept for the
// window (expiring.ts); the engine journals every add and expiry. The sessions inputs said were
// over (a call that ended) are kept here too, under keys no input's can take (endedKey).
import type { Receipt } from '../vocabulary.js';
import { Expiring } from './expiring.js';

export interface SeenEntry {
  readonly at: number;
  readonly receipt: Receipt;
  /**
   * An answered input: the participants its answer left waiting, with their step count then
   * (filled as its steps run). The answer holds while each is still at that step.
   */
  readonly left?: Array<[participantId: string, steps: number]>;
}

export class Seen extends Expiring<SeenEntry> {}

/** Whether the answer of an input seen before still holds: none of the participants it left waiting has moved since. */
export function answerHolds(entry: SeenEntry, stepsOf: (participantId: string) => number | undefined): boolean {
  return (entry.left ?? []).every(([id, steps]) => stepsOf(id) === steps);
}

/** Where a session an input said was over is kept: a leading NUL, which no input kind begins with. */
export function endedKey(kind: string, session: string): string {
  return `\u0000ended\u0000${kind}\u0000${session}`;
}
