// The Plivo provider (carrier-dialects.md §3.1–3.3, §9): SMS, MMS and WhatsApp through Plivo
// Messaging. Inbound messages (the application's message_url) and status callbacks (the url
// given at send) arrive on /webhooks/plivo as form-encoded POSTs (or GETs), signed with
// X-Plivo-Signature-V3 or -V2 (signature.ts); the answer is an empty Plivo XML <Response/>.
// A multipart SMS is reported part by part, each report naming the whole message and its part
// (its status then follows every part: engine/messaging/parts.ts). Sends go through the
// Message API (send.ts).
import { Type } from '@sinclair/typebox';
import type { DeliveryReport, DeliveryStatus, InboundMessage } from '../../engine/messaging/message.js';
import { providerModule, requiredSetting as required, type Provider } from '../provider.js';
import { payload } from '../payload.js';
import { withPlus, withoutWhatsApp } from '../addresses.js';
import { fieldsOf, numbered } from '../form.js';
import { statusReport } from '../statuses.js';
import { verifyPlivo } from './signature.js';
import { sendPlivo } from './send.js';
import { Settings, type PlivoSettings } from './settings.js';

/** Plivo's Status → the normalized status (§9.3). */
const PLIVO_STATUSES: Readonly<Record<string, DeliveryStatus>> = {
  queued: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  undelivered: 'failed',
  rejected: 'failed',
};

const Uuid = Type.String({ minLength: 1, maxLength: 64 });
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }));

const readMessage = payload(
  Type.Object({
    MessageUUID: Uuid,
    From: Type.String({ minLength: 1, maxLength: 320 }),
    To: Type.String({ minLength: 1, maxLength: 320 }),
    Type: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('mms'), Type.Literal('whatsapp')])),
    Text: Text(65_536),
    Body: Text(65_536),
    MediaCount: Type.Optional(Type.String({ pattern: '^\\d{1,2}$' })),
    ContentType: Text(64),
  }),
  'Plivo message webhook',
);

const readStatus = payload(
  Type.Object({ MessageUUID: Uuid, Status: Type.String({ minLength: 1, maxLength: 64 }), ErrorCode: Text(64), ParentMessageUUID: Text(64), PartInfo: Text(64) }),
  'Plivo status callback',
);

/** A multipart SMS's PartInfo, "2 of 3". */
const PART_INFO = /^\s*(\d{1,3})\s+of\s+(\d{1,3})\s*$/i;

export const plivo: Provider<PlivoSettings> = {
  name: 'plivo',
  channels: ['sms', 'whatsapp'],
  settings: Settings,
  secrets: ['authToken', 'mainAuthToken'],
  methods: ['POST', 'GET'],
  accepted: { status: 200, body: '<Response></Response>', headers: { 'content-type': 'application/xml' } },
  verify(req, settings) {
    const authToken = required(settings.authToken, 'authToken');
    verifyPlivo(req, { authToken, mainAuthToken: settings.mainAuthToken ?? authToken });
  },
  read(req, _settings, now) {
    const fields = fieldsOf(req);
    const isStatusCallback = (fields as { Status?: unknown } | undefined)?.Status !== undefined;
    return isStatusCallback ? { messages: [], reports: [reportOf(fields, now)] } : { messages: [messageOf(fields, now)], reports: [] };
  },
  send: sendPlivo,
};

/**
 * A report on one part of a multipart SMS names the whole message by ParentMessageUUID (the
 * first part's id, the one the send was answered with) and the part by PartInfo.
 */
function reportOf(fields: unknown, now: number): DeliveryReport {
  const f = readStatus(fields);
  const report = statusReport(PLIVO_STATUSES, { provider: 'plivo', id: f.ParentMessageUUID || f.MessageUUID, word: f.Status, errorCode: f.ErrorCode || undefined, at: now });
  const part = partOf(f.PartInfo);
  return part ? { ...report, part } : report;
}

function partOf(info: string | undefined): DeliveryReport['part'] {
  const match = info === undefined ? null : PART_INFO.exec(info);
  const index = Number(match?.[1]);
  const of = Number(match?.[2]);
  return index >= 1 && index <= of ? { index, of } : undefined;
}

function messageOf(fields: unknown, now: number): InboundMessage {
  const f = readMessage(fields);
  const text = f.Text || f.Body || ''; // an SMS's text is in Text, an MMS's or WhatsApp message's in Body: the other may come empty
  return {
    channel: f.Type === 'whatsapp' ? 'whatsapp' : 'sms',
    provider: 'plivo',
    from: withPlus(withoutWhatsApp(f.From)),
    to: withPlus(withoutWhatsApp(f.To)),
    text,
    media: numbered(fields as Record<string, unknown>, 'Media', 1, Number(f.MediaCount ?? 0)),
    ...(f.ContentType === 'button' ? { button: { text } } : {}),
    providerMessageId: f.MessageUUID,
    receivedAt: now,
  };
}

export default providerModule(plivo);
