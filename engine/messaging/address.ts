// A conversation's reply address as a participant keeps it: `<channel>:<our address>:<theirs>`
// (our address as ourAddress reads it).
import { ourAddress } from '../people/contacts.js';
import type { InboundMessage } from './message.js';

/** The reply address of an inbound message: its channel, our number or address it came to, and its sender. */
export function replyAddressOf(message: Pick<InboundMessage, 'channel' | 'from' | 'to'>): string {
  return `${message.channel}:${ourAddress(message.to)}:${message.from}`;
}

/** The person's address in a reply address (after its channel and ours, which hold no colon); undefined for ''. */
export function theirAddress(replyAddress: string): string | undefined {
  const ours = replyAddress.indexOf(':', replyAddress.indexOf(':') + 1);
  return ours < 0 ? undefined : replyAddress.slice(ours + 1);
}
