// Messages in the engine's own words, whatever provider carried them: an InboundMessage a
// channel adapter made of a webhook, an OutboundMessage a send element asks a provider to
// deliver, and a DeliveryReport a status callback became. Also the inputs that carry them
// (`message.inbound`, `message.status`) and the normalized delivery statuses.
import type { Channel } from '../person.js';
import type { PersonInput } from '../vocabulary.js';

export interface InboundMessage {
  readonly channel: Channel;
  /** The module that received it, e.g. "twilio". */
  readonly provider: string;
  /** The person's address: a phone in E.164 or an email address. */
  readonly from: string;
  /** Our number or address the person wrote to. */
  readonly to: string;
  /** A group message (MMS): the other addresses it was sent to, besides `to`, in the provider's order. */
  readonly otherRecipients?: readonly string[];
  readonly text: string;
  /** URLs of attached media, in order. */
  readonly media: readonly string[];
  /** A WhatsApp quick-reply or interactive answer: the button's text and its payload (id). */
  readonly button?: { readonly text: string; readonly payload?: string };
  /** Email only. */
  readonly subject?: string;
  /**
   * Email only: the Message-IDs of the mails before it in its thread, oldest first (its
   * References header, else its In-Reply-To), angle brackets included; none when it starts one.
   */
  readonly references?: readonly string[];
  /**
   * Email only: the address the mail's Reply-To names, when it is not `from` (RFC 5322 §3.6.2):
   * answers on the conversation go there; the person is still the one of `from`.
   */
  readonly replyTo?: string;
  /** The provider's id of this message: retries of one webhook carry the same. */
  readonly providerMessageId: string;
  /** Epoch ms the provider says it received it, or when we did. */
  readonly receivedAt: number;
}

/** The sender as a profile input: their email address, or their phone number on every other channel. */
export function senderProfile(message: Pick<InboundMessage, 'channel' | 'from'>): PersonInput {
  return message.channel === 'email' ? { emails: [message.from] } : { phones: [message.from] };
}

/** The mail an email answers: its Message-ID (when it had one) and the References to send with the answer. */
export interface Thread {
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
}

/** A WhatsApp interactive message: reply buttons or a list. */
export type Interactive =
  | { readonly type: 'buttons'; readonly body: string; readonly buttons: ReadonlyArray<{ readonly id: string; readonly title: string }> }
  | {
      readonly type: 'list';
      readonly body: string;
      readonly button: string;
      readonly sections: ReadonlyArray<{
        readonly title: string;
        readonly rows: ReadonlyArray<{ readonly id: string; readonly title: string; readonly description?: string }>;
      }>;
    };

export interface OutboundMessage {
  readonly channel: Channel;
  /** Our sender: a number, WhatsApp number or email address; it chooses the provider. */
  readonly from: string;
  readonly to: string;
  readonly text?: string;
  readonly media?: readonly string[];
  /** Email only. */
  readonly subject?: string;
  readonly html?: string;
  readonly replyTo?: string;
  /** Email only: the sender's display name, beside the `from` address. */
  readonly fromName?: string;
  /**
   * Email only: present when the message answers the person's mail (it goes to the address they
   * last wrote from in this journey): that mail's Message-ID and the References to send, when
   * it had one (address.ts). Sent as an automatic reply (RFC 3834), threaded in mail clients.
   */
  readonly answers?: Thread;
  /** A WhatsApp template with its body parameters in order. */
  readonly template?: { readonly name: string; readonly language: string; readonly parameters: readonly string[] };
  readonly interactive?: Interactive;
  /** Rewrite the links of the text and HTML to tracked short URLs (links.ts). */
  readonly trackLinks?: boolean;
  /** The outbox entry's key: the same on every retry; sent in the provider's idempotency field where it has one. */
  readonly idempotencyKey: string;
  /**
   * Epoch ms after which sending is pointless (the outbox entry's deadline), the same on every
   * retry. Keys start over in a new store; with the key it names the message uniquely anywhere
   * (an email's Message-ID).
   */
  readonly deadline?: number;
}

/** What a provider answers to a send. */
export interface SendResult {
  readonly providerMessageId: string;
}

/** Normalized delivery statuses, in the order a message moves through them. */
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed', 'unknown'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryReport {
  readonly provider: string;
  /** The id the provider gave the message when we sent it. */
  readonly providerMessageId: string;
  readonly status: DeliveryStatus;
  /** The provider's own status word, kept for reports. */
  readonly providerStatus: string;
  readonly errorCode?: string;
  readonly at: number;
  /**
   * A report on one part of a multipart SMS (`providerMessageId` then names the whole message):
   * which part, of how many. The message's status follows its parts (parts.ts).
   */
  readonly part?: { readonly index: number; readonly of: number };
  /**
   * The outbox key of the send it reports on, as the provider echoes what it was given with the
   * message (Meta's biz_opaque_callback_data, Vonage's client_ref, Infobip's messageId): in a
   * sharded cluster its prefix names the shard that sent it (engine/id-prefix.ts).
   */
  readonly sentKey?: string;
}

declare module '../vocabulary.js' {
  interface InputKinds {
    /** A person wrote to one of our numbers or addresses. */
    'message.inbound': { kind: 'message.inbound'; message: InboundMessage };
    /** A provider reported on a message we sent. */
    'message.status': { kind: 'message.status'; report: DeliveryReport };
    /** The person opened a tracked link of a message we sent (links.ts). */
    'message.click': { kind: 'message.click'; code: string };
  }
}
