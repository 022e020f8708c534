// Times in provider payloads, read as epoch milliseconds: leniently where a provider's clock
// is only a hint (absent or unreadable: the time we received it), strictly where the payload
// promises a date-time (unreadable: the payload is malformed).
import { payloadInvalid } from './errors.js';

/** Epoch ms of a provider's date-time, or `now` when it gives none or one that does not parse. */
export function instant(text: string | null | undefined, now: number): number {
  const at = text ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? now : at;
}

/** Epoch ms of an ISO 8601 date-time, `now` without one; one that does not parse is JCT_PAYLOAD_INVALID (400). */
export function dateTime(iso: string | undefined, now: number): number {
  if (iso === undefined) return now;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw payloadInvalid(`"${iso}" is not a date-time`);
  return at;
}
