// Delivery statuses in Junction's words: each provider keeps a table of its own status words,
// read here by own key only (so "constructor" or "__proto__" is no status), the rest 'unknown';
// and the delivery report a provider's status callback makes.
import type { DeliveryReport, DeliveryStatus } from '../engine/messaging/message.js';

/** The normalized status a table gives a provider's status word; a word it lacks is 'unknown'. */
export function statusOf(table: Readonly<Record<string, DeliveryStatus>>, word: string): DeliveryStatus {
  return Object.hasOwn(table, word) ? table[word]! : 'unknown';
}

/** What a status callback says of one message we sent. */
export interface StatusSaid {
  readonly provider: string;
  /** The provider's message id. */
  readonly id: string;
  /** The provider's status word. */
  readonly word: string;
  /** The provider's error code, when it gives one. */
  readonly errorCode?: string | number | undefined;
  readonly at: number;
  /** What the provider echoes of the send (DeliveryReport.sentKey), when it does. */
  readonly sentKey?: string | undefined;
}

/** The delivery report of a status callback, its word read through the provider's table. */
export function statusReport(table: Readonly<Record<string, DeliveryStatus>>, s: StatusSaid): DeliveryReport {
  return {
    provider: s.provider,
    providerMessageId: s.id,
    status: statusOf(table, s.word),
    providerStatus: s.word,
    ...(s.errorCode !== undefined ? { errorCode: String(s.errorCode) } : {}),
    at: s.at,
    ...(s.sentKey !== undefined ? { sentKey: s.sentKey } : {}),
  };
}
