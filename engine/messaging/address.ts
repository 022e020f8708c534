// A conversation's reply address as a participant keeps it: `<channel>:<our address>:<theirs>`
// (our address as ourAddress reads it). On email, the mail answered follows on a second line:
// its Message-ID after the Message-IDs of its References (trimmed, see threadIds), so that an
// answer threads in the person's mail client; when the mail's Reply-To named another address
// (RFC 5322 §3.6.2), that address follows on a third line: answers go there, while the person
// stays the one of the From address. A reply address written before has no second or third line.
import { ourAddress } from '../people/contacts.js';
import type { InboundMessage, Thread } from './message.js';

/** Most Message-IDs kept of a thread: its first one (the mail that began it) and the latest. */
const MAX_IDS = 10;
/** Longest Message-ID kept; a longer one is dropped (real ones are well under 100 characters). */
const MAX_ID = 250;
const MESSAGE_ID = /^<[^<>\s]+@[^<>\s]+>$/;

/** The reply address of an inbound message: its channel, our number or address it came to, its sender, and on email the mail's thread and Reply-To. */
export function replyAddressOf(message: Pick<InboundMessage, 'channel' | 'from' | 'to' | 'providerMessageId' | 'references' | 'replyTo'>): string {
  const address = `${message.channel}:${ourAddress(message.to)}:${message.from}`;
  if (message.channel !== 'email') return address;
  const thread = isMessageId(message.providerMessageId) ? threadIds(message.references ?? [], message.providerMessageId).join(' ') : '';
  const replyTo = message.replyTo !== undefined && message.replyTo !== message.from ? `\n${message.replyTo}` : '';
  return thread === '' && replyTo === '' ? address : `${address}\n${thread}${replyTo}`;
}

/** The person's address in a reply address (after its channel and ours, which hold no colon); undefined for ''. */
export function theirAddress(replyAddress: string): string | undefined {
  const ours = replyAddress.indexOf(':', replyAddress.indexOf(':') + 1);
  if (ours < 0) return undefined;
  const end = replyAddress.indexOf('\n', ours);
  return replyAddress.slice(ours + 1, end < 0 ? undefined : end);
}

/** The channel of a reply address ('' for none). */
export function channelOf(replyAddress: string): string {
  return replyAddress.slice(0, Math.max(0, replyAddress.indexOf(':')));
}

/** Where answers on the conversation go: the address the person's Reply-To named, else their own. */
export function answerAddress(replyAddress: string): string | undefined {
  return lineOf(replyAddress, 2) || theirAddress(replyAddress);
}

/** The mail a reply address answers: In-Reply-To and References to send; {} when it kept none. */
export function threadOf(replyAddress: string): Thread {
  const ids = lineOf(replyAddress, 1).split(' ').filter(isMessageId);
  return ids.length === 0 ? {} : { inReplyTo: ids[ids.length - 1]!, references: ids };
}

/** Line `n` (from 0) of a reply address; '' when it has none. */
function lineOf(replyAddress: string, n: number): string {
  return replyAddress.split('\n', n + 1)[n] ?? '';
}

/**
 * The References of an answer to mail `messageId`: the Message-IDs of its own References worth
 * keeping (see keptIds), then its own: at most MAX_IDS, so a long conversation costs the
 * participant no more than a short one.
 */
export function threadIds(references: readonly string[], messageId: string): string[] {
  return [...keptIds(references.filter((id) => id !== messageId), MAX_IDS - 1), messageId];
}

/**
 * Message-IDs worth keeping of a References list, in order, duplicates and malformed or overlong
 * ones left out; of more than `max`, the first (it names the thread) and the latest, as RFC 5322
 * suggests trimming a long list.
 */
export function keptIds(ids: readonly string[], max: number): string[] {
  const kept = [...new Set(ids.filter(isMessageId))];
  return kept.length <= max ? kept : [kept[0]!, ...kept.slice(kept.length - (max - 1))];
}

function isMessageId(id: string): boolean {
  return id.length <= MAX_ID && MESSAGE_ID.test(id);
}
