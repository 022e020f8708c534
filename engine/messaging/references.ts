// What a sent message leaves behind for the inputs that report on it later (see
// runtime/references.ts): its provider id, which delivery reports name, and the last message
// to this person from this sender, which their reply answers; and its tracked links. The result of a `message.send`
// carries both, with the channel, and the parts it was sent in ("messages sent" counts parts).
import type { EffectResult } from '../module.js';
import { CHANNELS, type Channel } from '../person.js';
import type { OutboundMessage } from './message.js';
import { ourAddress } from '../people/contacts.js';
import { smsSegments } from './segments.js';
import { linkRef } from './links.js';

/** A message a provider accepted, known by the id it gave it. */
export function sentRef(provider: string, providerMessageId: string): string {
  return `sent:${provider}:${providerMessageId}`;
}

/** The last message from our sender to a person on a channel: what their next message there replies to. */
export function replyRef(channel: Channel, ours: string, theirs: string): string {
  return `reply:${channel}:${ourAddress(ours)}:${theirs}`;
}

/** What a message's references keep: its channel; one object per channel, shared by every reference (they are many). */
const CHANNEL_DATA = Object.fromEntries(CHANNELS.map((channel) => [channel, Object.freeze({ channel })])) as Readonly<Record<Channel, Readonly<{ channel: Channel }>>>;

export interface SentMessage extends EffectResult {
  readonly provider: string;
  readonly providerMessageId: string;
  /** Parts it is billed as: an SMS's segments, 1 on other channels. */
  readonly parts: number;
  /** Whom it was sent to (a later send of the same step sequence goes there too). */
  readonly to: string;
}

/** What a sent message leaves behind; `links` (code → URL) are its tracked links (links.ts). */
export function sentMessage(provider: string, message: OutboundMessage, providerMessageId: string, links: Readonly<Record<string, string>> = {}): SentMessage {
  const data = CHANNEL_DATA[message.channel];
  const refs: Record<string, Record<string, unknown>> = { [sentRef(provider, providerMessageId)]: data, [replyRef(message.channel, message.from, message.to)]: data };
  for (const [code, url] of Object.entries(links)) refs[linkRef(code)] = { channel: message.channel, url, message: sentRef(provider, providerMessageId) };
  return { provider, providerMessageId, parts: message.channel === 'sms' ? smsSegments(message.text ?? '').parts : 1, to: message.to, refs };
}
