// Our numbers and addresses as the router compares them: an email lower-cased, a phone number
// in E.164 (what adapters give passes as it is), an alphanumeric sender id as configured (spaces
// kept, e.g. "ACME Shop"), and anything else that is not a valid phone number (a short code) as
// its letters and digits.
// Also a conversation's reply address as a participant keeps it: `<channel>:<our address>:<theirs>`.
import { normalizeContact } from '../people/contacts.js';
import type { InboundMessage } from './message.js';

const E164 = /^\+[1-9]\d{6,14}$/;
/** An alphanumeric sender id: letters (at least one), digits and spaces, up to 11 in all, starting and ending with no space. */
const SENDER_ID = /^(?=[0-9 ]*[A-Za-z])[0-9A-Za-z]([0-9A-Za-z ]{0,9}[0-9A-Za-z])?$/;

export function ourAddress(raw: string): string {
  if (E164.test(raw)) return raw;
  if (SENDER_ID.test(raw.trim())) return raw.trim();
  const contact = normalizeContact(raw);
  if (contact) return contact.value;
  return raw.includes('@') ? raw.trim().toLowerCase() : raw.replace(/[^0-9A-Za-z]/g, '');
}

/** The reply address of an inbound message: its channel, our number or address it came to, and its sender. */
export function replyAddressOf(message: Pick<InboundMessage, 'channel' | 'from' | 'to'>): string {
  return `${message.channel}:${ourAddress(message.to)}:${message.from}`;
}

/** The person's address in a reply address (after its channel and ours, which hold no colon); undefined for ''. */
export function theirAddress(replyAddress: string): string | undefined {
  const ours = replyAddress.indexOf(':', replyAddress.indexOf(':') + 1);
  return ours < 0 ? undefined : replyAddress.slice(ours + 1);
}
