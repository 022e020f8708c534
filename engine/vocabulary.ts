// The engine's shared vocabulary, at the bottom of its dependencies: problems, participant
// state, inputs (what happens to people), outcomes (where an element sends a participant),
// outbox entries (what a step asks of the outside world), receipts, profile changes and flow
// records. Flow, runtime, store and people code all speak these types, so none of them has to
// import another to talk. It imports nothing of the engine but plain value and profile shapes.
import type { Value } from './values.js';
import type { Channel, DoNotContactEntry, Person, StandardAttribute } from './person.js';
import type { FlowDefinition } from './flow-schema.js';

/** A problem found in a flow, by the validator or by an element's check. */
export interface Problem {
  readonly code: string;
  readonly message: string;
  /** JSON path in the flow document, e.g. `$.elements[3].config.segments[0]`. */
  readonly path: string;
  readonly elementId?: string;
}

// ── participants ─────────────────────────────────────────────────────────────

export const ParticipantStatus = { Active: 0, Waiting: 1, Exited: 2 } as const;
export type ParticipantStatus = (typeof ParticipantStatus)[keyof typeof ParticipantStatus];

/** One person's journey through one flow version. Kept small: it is stored per participant. */
export interface ParticipantState {
  /** `<partition>.<sequence>` in base 36: unique across partitions and restarts. */
  readonly id: string;
  readonly flowId: string;
  readonly version: number;
  readonly personId: string;
  /** Index of the node the participant is at (waiting at, or last executed before exit). */
  node: number;
  status: ParticipantStatus;
  /** Epoch ms at which a waiting participant wakes up; 0 when it waits for no time. */
  waitUntil: number;
  /** What else a waiting participant waits for (see Wait.on); '' for nothing but time. */
  waitOn: string;
  /** The person's event history position (EventView.position) when the participant began waiting at its node. */
  waitFrom: number;
  /**
   * Flow variables (the flow's declared variables), and what an element keeps between the inputs
   * of one visit under a name no flow variable can take (`~…`: IVR elements, see ivr/elements/in-call.ts KEPT).
   */
  vars: Record<string, Value>;
  /**
   * Where an answer to the person goes, as the module of the last input that named one wrote
   * it (InputDefinition.replyAddress: an inbound message's channel, sender and our number);
   * '' for none. Kept across waits and restarts.
   */
  replyAddress: string;
  readonly enteredAt: number;
  /** Incremented once per step; part of every outbox entry's idempotency key. */
  steps: number;
  /** Why the participant exited: an exit element's id, `canceled`, or an error code. */
  exitReason?: string;
}

// ── inputs ───────────────────────────────────────────────────────────────────

/** A typed error an effect handler throws: retryable ones are retried with backoff. */
export interface EffectError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** The HTTP status of the answer that failed, when there was one. */
  readonly status?: number;
}

/**
 * Everything that can happen to a person, by kind. Modules add kinds by augmenting this
 * interface (`declare module '.../vocabulary.js' { interface InputKinds { … } }`).
 */
export interface InputKinds {
  /**
   * Add a person to a flow (the Flow API; Add to flow). `person` creates or merges the profile
   * first; `through` limits the entry points to one type (the Flow API passes `flowApi`).
   */
  /** `chain`: the flows an unbroken chain of Add to flow passed through in this moment (another shard's Add to flow): the entered participant's additions keep to the loop rule. */
  'flow.enter': { kind: 'flow.enter'; flowId: string; entry?: string; through?: string; branch?: number; vars?: Record<string, unknown>; person?: PersonInput; chain?: readonly string[] };
  /**
   * Take the person out of a flow (every version of it): each of their participants there leaves
   * now, without a further step, with the exit reason `removed` (the flow.exited event and the
   * live feed hear of it; a re-entry delay counts from then).
   */
  'flow.remove': { kind: 'flow.remove'; flowId: string };
  /** A participant's wait time has come. */
  timer: { kind: 'timer'; participant: string };
  /**
   * The person performed an event. From outside (an app) only custom events, their properties
   * typed by the definition; `person` creates or merges the profile first (without it, an event
   * for an unknown person is refused).
   */
  event: { kind: 'event'; name: string; properties: Record<string, unknown>; at: number; person?: PersonInput };
  /** An outbox entry was performed; its handler's result. */
  'effect.result': { kind: 'effect.result'; key: string; result: unknown; origin?: EffectOrigin };
  /** An outbox entry failed for good. */
  'effect.failed': { kind: 'effect.failed'; key: string; error: EffectError };
  /** Create or merge a profile. */
  'person.upsert': { kind: 'person.upsert'; person: PersonInput };
  /** Change a profile. */
  'person.update': { kind: 'person.update'; changes: ProfileChange[] };
  /**
   * Erase a person: their participants leave every flow at once (no exit event, no further
   * step), their entry and event history and seen elements are forgotten, their profile is
   * deleted, and their engaged-month rows are kept under an anonymous id.
   */
  'person.erase': { kind: 'person.erase' };
  /** Add or remove do-not-contact entries (keyed by the contact: no profile is needed). */
  doNotContact: { kind: 'doNotContact'; change: DoNotContactChange };
}
export type Input = InputKinds[keyof InputKinds];

/** What the inbox answers once an input's consequences are durable. */
export interface Receipt {
  readonly personId: string;
  /** Flow entries: whether the person entered, as which participant, or why not. */
  readonly entered?: boolean;
  readonly participantId?: string;
  readonly reason?: string;
  /** How many waiting participants took the input. */
  readonly delivered?: number;
  /** What a module's caller must answer (e.g. a voice webhook's next instructions). */
  readonly answer?: unknown;
  /** A removal from a flow: how many of the person's participants left it. */
  readonly removed?: number;
  /** An erasure: how many participants left flows and how many events were forgotten. */
  readonly erased?: { readonly participants: number; readonly events: number };
  /** A retry of an input already applied: this is the first one's receipt, and nothing changed. */
  readonly duplicate?: boolean;
}

// ── outcomes and the outbox ──────────────────────────────────────────────────

/** An element asks to wait: until a time, for an input, or both. */
export interface Wait {
  readonly wait: true;
  /** Epoch ms; omit to wait only for inputs. */
  readonly until?: number;
  /**
   * What input ends the wait besides time: `effect` (the result of an effect this element
   * emitted in this step; `effect:<label>` too, for an element that sends several things in
   * turn), or a key such as `event:<name>` that inputs of that kind carry. Several keys, one per
   * line, wait for any of them (`effect` among them: its result, or another input, e.g. a call's
   * webhook that may arrive before the result).
   */
  readonly on?: string;
}

/** Between the keys of a wait for any of several inputs (Wait.on). */
export const WAIT_KEY_SEPARATOR = '\n';

/** Whether a wait key is for an effect's result (`effect` or `effect:<label>`), which its key finds, not the wait index. */
export function isEffectKey(key: string): boolean {
  return key === 'effect' || key.startsWith('effect:');
}

/** Whether a wait (one key, or several one per line) is for an effect's result, among its keys. */
export function isEffectWait(on: string): boolean {
  return on.includes(WAIT_KEY_SEPARATOR) ? on.split(WAIT_KEY_SEPARATOR).some(isEffectKey) : isEffectKey(on);
}

/** Outgoing branch slot (index into the element's declared branches), a Wait, or EXIT. */
export type Outcome = number | Wait;
export const EXIT = -1;

/** What an element asks of the outside world. */
export type EffectRequest = { readonly kind: string; readonly [field: string]: unknown };

/** The flow version and element that emitted an effect. */
export interface EffectOrigin {
  readonly flowId: string;
  readonly version: number;
  readonly node: number;
}

/** An outbox entry: committed with its step, performed after the commit is durable. */
export interface Effect extends EffectRequest {
  /** Idempotency key: `${participantId}:${step}:${index}`; the same after a restart. */
  readonly key: string;
  readonly personId: string;
  readonly origin: EffectOrigin;
  /** Epoch ms after which performing it is pointless (its element stopped waiting): the outbox then fails it without trying. */
  readonly deadline?: number;
}

/**
 * The key an effect is known by outside Junction (a provider's or a receiver's idempotency key,
 * an email's Message-ID): its key and, when it has one, its deadline. The same on every retry,
 * while a new store, whose keys start over, never repeats one a receiver already has.
 */
export function externalKey(effect: Pick<Effect, 'key' | 'deadline'>): string {
  return effect.deadline === undefined ? effect.key : `${effect.key}.${effect.deadline.toString(36)}`;
}

// ── people ───────────────────────────────────────────────────────────────────

/** What a caller gives to create or merge a profile. Contacts are normalized on the way in. */
export interface PersonInput {
  id?: string;
  standard?: Partial<Record<StandardAttribute, Value>>;
  custom?: Record<string, Value>;
  phones?: string[];
  emails?: string[];
  tags?: string[];
  companies?: string[];
  lastContacted?: Partial<Record<Channel, string>>;
}

/** One change to a profile. `null` as a value empties the attribute. */
export type ProfileChange =
  | { op: 'set'; attribute: string; value: Value }
  | { op: 'addTag'; tag: string }
  | { op: 'removeTag'; tag: string }
  | { op: 'addPhone'; phone: string }
  | { op: 'addEmail'; email: string }
  | { op: 'contacted'; channel: Channel; at: string };

/**
 * Add to flow: a step asks that a person (this one, or another found by contact) enter another
 * flow through its Existing Flow entry point, with variable values.
 */
export interface FlowAddition {
  readonly flowId: string;
  readonly vars: Readonly<Record<string, Value>>;
  /** Another person, by phone or email (created when missing); absent: the participant's own person. */
  readonly contact?: { readonly channel: 'phone' | 'email'; readonly value: string };
}

/** A step's changes to the do-not-contact list. */
export interface DoNotContactChange {
  readonly op: 'add' | 'remove';
  readonly entries: readonly DoNotContactEntry[];
}

// ── event history ────────────────────────────────────────────────────────────

export type EventProperties = Readonly<Record<string, Value>>;

/** Which of a person's events of one name a condition looks at. */
export interface EventRange {
  /** Times from `from` to `to`, both included (epoch ms). */
  readonly from: number;
  readonly to: number;
  /** Only events recorded after this history position (EventView.position; 0: all). */
  readonly after: number;
  readonly filter?: (props: EventProperties) => boolean;
}

/** One person's event history, as conditions read it (events/history.ts keeps it). */
export interface EventView {
  /** The history's position now: events recorded later have a higher one. */
  readonly position: number;
  count(name: string, range: EventRange): number;
  /** The properties of the latest recorded event in the range. */
  latest(name: string, range: EventRange): EventProperties | undefined;
}

// ── flows ────────────────────────────────────────────────────────────────────

export type FlowStatus = 'draft' | 'scheduled' | 'active' | 'paused' | 'finishing' | 'finished' | 'canceled';

export interface FlowRecord {
  readonly id: string;
  readonly version: number;
  definition: FlowDefinition;
  status: FlowStatus;
  /** Epoch ms of the last status change. */
  statusAt: number;
  /** Epoch ms the version first became active (events before it do not start it). */
  activatedAt?: number;
  /** Saved from a file of the flows folder at start: that file is launched again only once it changes. */
  fromFile?: true;
  /** The SHA-256 of the file's document it was saved from: what the file was, whatever in-place edits (schedule, goal, audience) did to the definition since. */
  fileDigest?: string;
}

export type { Person, Value };
