// Our numbers and addresses as the router compares them: an email lower-cased, a phone number
// in E.164 (what adapters give passes as it is), and anything else that is not a valid phone number (a short code) as its digits.
// Also a conversation's reply address as a participant keeps it: `<channel>:<our address>:<theirs>`.
import { normalizeContact } from '../people/contacts.js';
import type { InboundMessage } from './message.js';

const E164 = /^\+[1-9]\d{6,14}$/;

export function ourAddress(raw: string): string {
  if (E164.test(raw)) return raw;
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
