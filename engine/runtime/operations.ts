// Flow API operations: a batch of up to 1,000 people added to a flow in one call, and its
// report — per person, accepted (as which participant) or rejected with the reason's code and
// what it means. Reports
// are kept 30 days, journaled, and found by their operation id or by the Idempotency-Key the
// caller sent, so a retried call returns the first call's report and adds nobody twice. Each
// report keeps a hash of its whole request (its callbackData and notifyUrl too), so a key reused
// for another request is told apart; hashes kept before notifyUrl counted are checked as they were made. A key
// is the caller's own (the API key's id is kept with it): two clients may send the same one to a
// flow. Reports kept before that (no caller) answer a key of their flow whoever sends it.
import { createHash } from 'node:crypto';
import { JunctionError } from '../errors.js';
import { Expiring } from './expiring.js';
import type { PersonInput } from '../vocabulary.js';

export const MAX_BATCH = 1000;
export const OPERATION_KEEP_MS = 30 * 86_400_000;

export interface ParticipantToAdd {
  readonly person: PersonInput;
  readonly vars?: Record<string, unknown>;
  /** How the caller named this participant, echoed in the report (e.g. the commercial API's identifyBy). */
  readonly ref?: unknown;
  /** Set when the request already refused this participant (it does not fit the request's schema): it is reported rejected, and nobody is touched. */
  readonly refused?: { readonly code: string; readonly message: string };
  /** Its place in the whole batch when this call is one shard's part of it (a sharded cluster), echoed in the report, which is merged by it; never shown. */
  readonly position?: number;
}

export type ParticipantOutcome = { readonly ref?: unknown; readonly position?: number } & (
  | { readonly status: 'accepted'; readonly personId: string; readonly participantId: string }
  | { readonly status: 'rejected'; readonly personId?: string; readonly reason: string; readonly message?: string }
);

export interface OperationReport {
  readonly operationId: string;
  readonly flowId: string;
  readonly entry?: string;
  /** Epoch ms. */
  readonly at: number;
  readonly idempotencyKey?: string;
  /** The id of the API key that sent the Idempotency-Key (none without authentication, and in reports kept before). */
  readonly caller?: string;
  /** Hash of the request (requestHash) that came with the idempotency key; reports kept before it was recorded have none. */
  readonly requestHash?: string;
  /** Whatever the caller asked to have echoed (the commercial API's callbackData). */
  readonly callbackData?: string;
  readonly participants: readonly ParticipantOutcome[];
}

/** The kept reports, by operation id and by operationKey(). */
export class Operations extends Expiring<OperationReport> {
  private readonly byKey = new Map<string, string>();

  /** The report of an earlier call by this caller with this key to this flow (or one kept without a caller), if kept. */
  forKey(flowId: string, caller: string | undefined, idempotencyKey: string): OperationReport | undefined {
    const id = this.byKey.get(operationKey(flowId, caller, idempotencyKey)) ?? this.byKey.get(operationKey(flowId, undefined, idempotencyKey));
    return id === undefined ? undefined : this.get(id);
  }

  keep(report: OperationReport): void {
    this.set(report.operationId, report);
    this.indexKey(report);
  }

  override restore(entries: Iterable<readonly [string, OperationReport]>): void {
    super.restore(entries);
    for (const report of this.entries.values()) this.indexKey(report);
  }

  private indexKey(report: OperationReport): void {
    if (report.idempotencyKey !== undefined) this.byKey.set(operationKey(report.flowId, report.caller, report.idempotencyKey), report.operationId);
  }

  override expire(before: number): string[] {
    for (const r of this.entries.values()) {
      if (r.at >= before) break;
      if (r.idempotencyKey !== undefined) this.byKey.delete(operationKey(r.flowId, r.caller, r.idempotencyKey));
    }
    return super.expire(before);
  }
}

/** Where a call with an Idempotency-Key is found: `<flow>\0<caller>\0<key>` (no caller: ""). */
export function operationKey(flowId: string, caller: string | undefined, idempotencyKey: string): string {
  return `${flowId}\u0000${caller ?? ''}\u0000${idempotencyKey}`;
}

/** What the codes of a refused entry mean, for the report's reader. */
const REFUSALS: Readonly<Record<string, string>> = {
  JCT_REENTRY_DISABLED: 'the person was in this flow before, and it lets nobody enter twice (settings.reentry)',
  JCT_PERSON_IN_FLOW: 'the person is still in this flow, and it lets nobody enter again while inside: re-entry is off or has a delay (settings.reentry)',
  JCT_REENTRY_DELAY: 'the person left this flow less than its re-entry delay ago (settings.reentry.delay)',
  JCT_ENTRY_LIMIT: 'the person entered this flow as often as its entry limits allow for now (settings.reentry.limits)',
  JCT_FLOW_NOT_ACTIVE: 'the flow is not active (paused, or no longer taking anyone): nobody enters it now',
  JCT_CONTACT_INVALID: "a phone or email of the person's profile is not valid",
};

/** The message of a refused entry's code. */
export function refusalMessage(reason: string): string {
  return REFUSALS[reason] ?? 'the person did not enter the flow';
}

/** What a call asks besides its people and entry point: each changes what the call does. */
export interface RequestExtras {
  readonly callbackData?: string | undefined;
  readonly notifyUrl?: string | undefined;
}

/** Marks a hash of the whole request (requestHash); hashes kept before it covered less (legacyRequestHash). */
const WHOLE_REQUEST = 'v2.';

/**
 * A hash of a call's request: the same people, entry point and extras (callbackData, notifyUrl)
 * give the same hash, whatever the order of the fields of their objects (a retry serialized
 * anew may write them in another order).
 */
export function requestHash(people: readonly ParticipantToAdd[], entry: string | undefined, extras: RequestExtras): string {
  const { callbackData, notifyUrl } = extras;
  return WHOLE_REQUEST + sha256(JSON.stringify({ people, entry, callbackData, notifyUrl }, inKeyOrder));
}

/** A JSON.stringify replacer writing each object's fields sorted by name. */
function inKeyOrder(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether a kept hash (of either form) is the hash of this request. */
export function sameRequestHash(kept: string, people: readonly ParticipantToAdd[], entry: string | undefined, extras: RequestExtras): boolean {
  return kept === (kept.startsWith(WHOLE_REQUEST) ? requestHash(people, entry, extras) : legacyRequestHash(people, entry, extras.callbackData));
}

/** The hash reports kept before notifyUrl counted: people, entry point and callbackData only. */
function legacyRequestHash(people: readonly ParticipantToAdd[], entry: string | undefined, callbackData: string | undefined): string {
  return sha256(JSON.stringify({ people, entry, callbackData }));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** The earlier report of a call with this key, unless it came with another request (a report kept without a hash matches any). */
export function sameRequest(earlier: OperationReport, key: string, isThisRequest: (keptHash: string) => boolean): OperationReport {
  if (earlier.requestHash === undefined || isThisRequest(earlier.requestHash)) return earlier;
  throw new JunctionError('JCT_IDEMPOTENCY_KEY_REUSED', `the Idempotency-Key "${key}" was used with another request to flow "${earlier.flowId}"; send a new key for a new request`, { idempotencyKey: key });
}
