// Reading an Infobip webhook: one `{"results":[…]}` body whose items are inbound SMS (MO_JSON_2),
// WhatsApp inbound messages, SMS and WhatsApp delivery reports, or WhatsApp seen reports, each
// told apart by its fields and checked with a TypeBox schema. Reports map `status.groupName`
// through the status table; WhatsApp message types we do not carry are skipped.
import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryReport, DeliveryStatus, InboundMessage } from '../../engine/messaging/message.js';
import type { WebhookContent } from '../provider.js';
import { BatchItems, payload } from '../payload.js';
import { payloadInvalid } from '../errors.js';
import { withPlus } from '../addresses.js';
import { statusOf } from '../statuses.js';
import { dateTime } from '../times.js';

const PROVIDER = 'infobip';

/** Infobip `status.groupName` → normalized (carrier-dialects §9.3). */
const STATUSES = {
  PENDING: 'sent',
  DELIVERED: 'delivered',
  UNDELIVERABLE: 'failed',
  EXPIRED: 'failed',
  REJECTED: 'failed',
} as const satisfies Record<string, DeliveryStatus>;

const MEDIA_TYPES = ['IMAGE', 'DOCUMENT', 'VIDEO', 'AUDIO', 'VOICE', 'STICKER'];

const Text = (max: number) => Type.String({ maxLength: max });
const Id = Type.String({ minLength: 1, maxLength: 512 });
const Address = Type.String({ minLength: 1, maxLength: 64 });
const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$', maxLength: 64 });
const Group = Type.Object({ groupName: Text(64), name: Type.Optional(Text(128)), id: Type.Optional(Type.Number()) });

const Report = Type.Object({ messageId: Id, status: Group, error: Type.Optional(Type.Union([Group, Type.Null()])), doneAt: Type.Optional(Instant), sentAt: Type.Optional(Instant) });
const WhatsAppMessage = Type.Object({
  messageId: Id,
  from: Address,
  to: Address,
  receivedAt: Type.Optional(Instant),
  message: Type.Object({
    type: Text(64),
    text: Type.Optional(Text(65_536)),
    url: Type.Optional(Text(4096)),
    caption: Type.Optional(Text(4096)),
    payload: Type.Optional(Text(1024)),
    id: Type.Optional(Text(1024)),
    title: Type.Optional(Text(1024)),
  }),
});
const Sms = Type.Object({ messageId: Id, from: Address, to: Address, text: Text(65_536), receivedAt: Type.Optional(Instant) });
const Seen = Type.Object({ messageId: Id, seenAt: Instant });

/** The body: its items are told apart by their fields first, then checked as that kind, so a problem names the item's field. */
const readBody = payload(Type.Object({ results: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 1000 }) }), 'Infobip webhook body');
const readReport = payload(Report, 'Infobip delivery report');
const readWhatsApp = payload(WhatsAppMessage, 'Infobip WhatsApp message');
const readSms = payload(Sms, 'Infobip inbound SMS');
const readSeen = payload(Seen, 'Infobip seen report');

type WhatsAppMessage = Static<typeof WhatsAppMessage>;

/** The messages and reports of a verified webhook; a malformed item is passed over (BatchItems). */
export function readResults(body: unknown, now: number): WebhookContent {
  const read = new BatchItems();
  for (const [i, item] of readBody(body).results.entries()) {
    const at = `$.results.${i}`;
    if (item['status'] !== undefined) read.one(() => reportOf(readReport(item, at), now), read.reports);
    else if (item['message'] !== undefined) read.one(() => whatsAppOf(readWhatsApp(item, at), now), read.messages);
    else if (item['text'] !== undefined) read.one(() => smsOf(readSms(item, at), now), read.messages);
    else read.one(() => seenOf(readSeen(item, at), now), read.reports);
  }
  return read;
}

function smsOf(r: Static<typeof Sms>, now: number): InboundMessage {
  return { channel: 'sms', provider: PROVIDER, from: withPlus(r.from), to: withPlus(r.to), text: r.text, media: [], providerMessageId: r.messageId, receivedAt: dateTime(r.receivedAt, now) };
}

/** A WhatsApp message, or undefined for a type we do not carry. */
function whatsAppOf(r: WhatsAppMessage, now: number): InboundMessage | undefined {
  const content = contentOf(r);
  if (!content) return undefined;
  return { channel: 'whatsapp', provider: PROVIDER, from: withPlus(r.from), to: withPlus(r.to), ...content, providerMessageId: r.messageId, receivedAt: dateTime(r.receivedAt, now) };
}

/** What a WhatsApp message says; undefined for the types we do not carry (location, contact, reaction, order …). */
function contentOf(r: WhatsAppMessage): Pick<InboundMessage, 'text' | 'media' | 'button'> | undefined {
  const m = r.message;
  if (m.type === 'TEXT') return { text: field(r, m.text, 'text'), media: [] };
  if (MEDIA_TYPES.includes(m.type)) return { text: m.caption ?? '', media: [field(r, m.url, 'url')] };
  if (m.type === 'BUTTON') {
    const text = field(r, m.text, 'text');
    return { text, media: [], button: { text, ...(m.payload !== undefined ? { payload: m.payload } : {}) } };
  }
  if (m.type === 'INTERACTIVE_BUTTON_REPLY' || m.type === 'INTERACTIVE_LIST_REPLY') {
    const title = field(r, m.title, 'title');
    return { text: title, media: [], button: { text: title, payload: field(r, m.id, 'id') } };
  }
  return undefined;
}

/** A field a message's type requires; a message without it is malformed. */
function field(r: WhatsAppMessage, value: string | undefined, name: string): string {
  if (value === undefined) throw payloadInvalid(`the Infobip WhatsApp message ${r.messageId} of type "${r.message.type}" has no "message.${name}"`);
  return value;
}

function reportOf(r: Static<typeof Report>, now: number): DeliveryReport {
  const error = r.error && r.error.groupName !== 'OK' ? r.error : undefined;
  return {
    provider: PROVIDER,
    providerMessageId: r.messageId,
    sentKey: r.messageId, // the send gives its outbox key as the message's id (send.ts)
    status: statusOf(STATUSES, r.status.groupName),
    providerStatus: r.status.name ?? r.status.groupName,
    ...(error ? { errorCode: error.name ?? error.groupName } : {}),
    at: dateTime(r.doneAt ?? r.sentAt, now),
  };
}

function seenOf(r: Static<typeof Seen>, now: number): DeliveryReport {
  return { provider: PROVIDER, providerMessageId: r.messageId, status: 'read', providerStatus: 'SEEN', at: dateTime(r.seenAt, now) };
}
