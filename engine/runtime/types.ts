// Runtime vocabulary shared by the pure step, the elements and the shell:
// participant state, inputs (what happens to a participant), effects (what the
// participant asks of the outside world) and outcomes (where an element sends it).
import type { Value } from '../values.js';
import type { Person } from '../people/types.js';

export const ParticipantStatus = { Active: 0, Waiting: 1, Exited: 2 } as const;
export type ParticipantStatus = (typeof ParticipantStatus)[keyof typeof ParticipantStatus];

/** One person's journey through one flow version. Kept small: it is stored per participant. */
export interface ParticipantState {
  readonly id: string;
  readonly flowId: string;
  readonly version: number;
  readonly personId: string;
  /** Index of the node the participant is at (waiting at, or last executed before exit). */
  node: number;
  status: ParticipantStatus;
  /** Epoch ms at which a waiting participant wakes up; 0 when it waits for no time. */
  waitUntil: number;
  /** Flow variables (only the flow's declared variables). */
  vars: Record<string, Value>;
  readonly enteredAt: number;
  /** Incremented once per step; part of every effect's idempotency key. */
  steps: number;
  /** Why the participant exited: an exit element's id, `canceled`, or an error code. */
  exitReason?: string;
}

/**
 * Something that happens to a participant. `enter` starts it, `timer` wakes a waiting one;
 * other kinds (events, inbound messages, call events, effect results) are delivered to the
 * element the participant waits at, whose resume() decides what they mean.
 */
export type Input =
  | { readonly kind: 'enter'; readonly entry: number; readonly branch?: number; readonly vars?: Readonly<Record<string, Value>> }
  | { readonly kind: 'timer' }
  | { readonly kind: string; readonly [field: string]: unknown };

/** A request to the outside world; the shell performs it after the new state is durable. */
export interface Effect {
  readonly kind: string;
  /** Idempotency key: `${participantId}:${step}:${index}`. */
  readonly key: string;
  readonly personId: string;
  readonly [field: string]: unknown;
}

export type EffectRequest = { readonly kind: string; readonly [field: string]: unknown };

/** An element asks to wait: until a time, for inputs its resume() accepts, or both. */
export interface Wait {
  readonly wait: true;
  /** Epoch ms; omit to wait only for inputs. */
  readonly until?: number;
}

/** Outgoing branch slot (index into the element's declared branches), a Wait, or EXIT. */
export type Outcome = number | Wait;
export const EXIT = -1;

/** A problem found in a flow, by the validator or by an element's check(). */
export interface Problem {
  readonly code: string;
  readonly message: string;
  /** JSON path in the flow document, e.g. `$.elements[3].config.segments[0]`. */
  readonly path: string;
  readonly elementId?: string;
}

export type { Person };
