// Reading a Meta WhatsApp event notification: the envelope (entries → changes → value) checked
// with a TypeBox schema, inbound messages (text, media as `whatsapp-media:<id>`, interactive
// button and list replies, template quick-reply buttons) and status updates through the
// status table. Changes other than `messages` and message types we do not carry are skipped.
import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryReport, DeliveryStatus, InboundMessage } from '../../engine/messaging/message.js';
import type { WebhookContent } from '../provider.js';
import { BatchItems, payload } from '../payload.js';
import { payloadInvalid } from '../errors.js';
import { withPlus } from '../addresses.js';
import { statusReport } from '../statuses.js';

const PROVIDER = 'meta-whatsapp';

/** Meta `statuses[].status` → normalized (carrier-dialects §9.3); `read` implies delivered. */
const STATUSES = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
} as const satisfies Record<string, DeliveryStatus>;

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;

const Text = (max: number) => Type.String({ maxLength: max });
const Id = Type.String({ minLength: 1, maxLength: 512 });
const Seconds = Type.String({ pattern: '^[0-9]{1,12}$', description: 'Unix seconds' });
const Digits = Type.String({ pattern: '^[0-9]{1,20}$' });
const Media = Type.Object({ id: Id, caption: Type.Optional(Text(4096)), mime_type: Type.Optional(Text(256)) });
const Reply = Type.Object({ id: Text(1024), title: Text(1024), description: Type.Optional(Text(1024)) });

const Message = Type.Object({
  from: Digits,
  id: Id,
  timestamp: Seconds,
  type: Text(64),
  text: Type.Optional(Type.Object({ body: Text(65_536) })),
  image: Type.Optional(Media),
  audio: Type.Optional(Media),
  video: Type.Optional(Media),
  document: Type.Optional(Media),
  sticker: Type.Optional(Media),
  interactive: Type.Optional(Type.Object({ type: Text(64), button_reply: Type.Optional(Reply), list_reply: Type.Optional(Reply) })),
  button: Type.Optional(Type.Object({ text: Text(1024), payload: Type.Optional(Text(1024)) })),
});

const Status = Type.Object({
  id: Id,
  status: Text(64),
  timestamp: Seconds,
  recipient_id: Type.Optional(Text(64)),
  errors: Type.Optional(Type.Array(Type.Object({ code: Type.Number(), title: Type.Optional(Text(1024)) }), { maxItems: 100 })),
  /** What the send gave it (send.ts: the outbox key), echoed. */
  biz_opaque_callback_data: Type.Optional(Text(512)),
});

const Body = Type.Object({
  object: Type.Literal('whatsapp_business_account'),
  entry: Type.Array(
    Type.Object({
      id: Text(64),
      changes: Type.Array(
        Type.Object({
          field: Text(128),
          value: Type.Object({
            metadata: Type.Optional(Type.Object({ display_phone_number: Text(64), phone_number_id: Text(64) })),
            messages: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })), // each read alone (readMessage)
            statuses: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })), // each read alone (readStatus)
          }),
        }),
        { maxItems: 1000 },
      ),
    }),
    { maxItems: 1000 },
  ),
});
const readBody = payload(Body, 'Meta WhatsApp notification');
const readMessage = payload(Message, 'Meta WhatsApp message');
const readStatus = payload(Status, 'Meta WhatsApp status');

type Value = Static<typeof Body>['entry'][number]['changes'][number]['value'];
type Message = Static<typeof Message>;
type Content = Pick<InboundMessage, 'text' | 'media' | 'button'>;

/** The messages and reports of a verified notification; `phoneNumberIds` names our numbers. */
export function readNotification(body: unknown, phoneNumberIds: Readonly<Record<string, string>>): WebhookContent {
  if (ofAnotherProduct(body)) return { messages: [], reports: [] };
  const read = new BatchItems();
  readBody(body).entry.forEach((entry, e) =>
    entry.changes.forEach((change, c) => {
      if (change.field !== 'messages') return;
      const at = `$.entry.${e}.changes.${c}.value`;
      (change.value.messages ?? []).forEach((item, i) => read.one(() => messageOf(readMessage(item, `${at}.messages.${i}`), change.value, phoneNumberIds), read.messages));
      (change.value.statuses ?? []).forEach((item, i) => read.one(() => reportOf(readStatus(item, `${at}.statuses.${i}`)), read.reports));
    }),
  );
  return read;
}

/** An inbound message, or undefined for a type we do not carry. */
function messageOf(m: Message, value: Value, phoneNumberIds: Readonly<Record<string, string>>): InboundMessage | undefined {
  if (!value.metadata) throw payloadInvalid(`the Meta WhatsApp message ${m.id} comes without the change's "metadata" naming our number`);
  const content = contentOf(m);
  if (!content) return undefined;
  return { channel: 'whatsapp', provider: PROVIDER, from: withPlus(m.from), to: ourNumber(value.metadata, phoneNumberIds), ...content, providerMessageId: m.id, receivedAt: Number(m.timestamp) * 1000 };
}

/**
 * A notification of another Meta product whose app shares the URL (`object` "page",
 * "instagram", …): acknowledged with nothing to do, since Meta disables a webhook whose answers
 * keep failing.
 */
function ofAnotherProduct(body: unknown): boolean {
  const object = (body as { object?: unknown } | null)?.object;
  return typeof object === 'string' && object !== 'whatsapp_business_account';
}

/** Our number: the one whose phone number id the notification names, else its display number. */
function ourNumber(metadata: { display_phone_number: string; phone_number_id: string }, phoneNumberIds: Readonly<Record<string, string>>): string {
  const configured = Object.entries(phoneNumberIds).find(([, id]) => id === metadata.phone_number_id)?.[0];
  return configured ?? withPlus(metadata.display_phone_number.replace(/\D/g, ''));
}

/** What a message says; undefined for the types we do not carry (location, contacts, reaction, order, system, interactive replies other than a button or list row …). */
function contentOf(m: Message): Content | undefined {
  if (m.type === 'text') return { text: part(m, m.text).body, media: [] };
  if (isMedia(m.type)) {
    const media = part(m, m[m.type]);
    return { text: media.caption ?? '', media: [`whatsapp-media:${media.id}`] };
  }
  if (m.type === 'interactive') {
    const interactive = part(m, m.interactive);
    const reply = interactive.button_reply ?? interactive.list_reply;
    return reply && { text: reply.title, media: [], button: { text: reply.title, payload: reply.id } }; // others (a WhatsApp Flow's nfm_reply …) are not carried
  }
  if (m.type === 'button') {
    const button = part(m, m.button);
    return { text: button.text, media: [], button: { text: button.text, ...(button.payload !== undefined ? { payload: button.payload } : {}) } };
  }
  return undefined;
}

function isMedia(type: string): type is (typeof MEDIA_TYPES)[number] {
  return (MEDIA_TYPES as readonly string[]).includes(type);
}

/** The object a message's type announces; a message without it is malformed. */
function part<T>(m: Message, value: T | undefined): T {
  if (value === undefined) throw payloadInvalid(`the Meta WhatsApp message ${m.id} of type "${m.type}" lacks its "${m.type}" content`);
  return value;
}

function reportOf(s: Static<typeof Status>): DeliveryReport {
  return statusReport(STATUSES, { provider: PROVIDER, id: s.id, word: s.status, errorCode: s.errors?.[0]?.code, at: Number(s.timestamp) * 1000, sentKey: s.biz_opaque_callback_data });
}
