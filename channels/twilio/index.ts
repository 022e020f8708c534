// The Twilio provider (carrier-dialects.md §1.1–1.3, §9): SMS, MMS and WhatsApp through
// Programmable Messaging. Inbound messages and status callbacks arrive on /webhooks/twilio as
// form-encoded POSTs (or GETs), signed with X-Twilio-Signature; the answer is an empty TwiML
// <Response/>. WhatsApp locations and reactions are acknowledged and skipped, as the Meta
// adapter skips them. Sends go through the Messages API (send.ts).
import { Type } from '@sinclair/typebox';
import type { DeliveryReport, DeliveryStatus, InboundMessage } from '../../engine/messaging/message.js';
import { providerModule, requiredSetting as required, type Provider } from '../provider.js';
import { payload } from '../payload.js';
import { isWhatsApp, withPlus, withoutWhatsApp } from '../addresses.js';
import { fieldsOf, numbered } from '../form.js';
import { statusReport } from '../statuses.js';
import { isSkippedType } from '../skipped.js';
import { verifyTwilio } from './signature.js';
import { sendTwilio } from './send.js';
import { Settings, type TwilioSettings } from './settings.js';

/** Twilio's MessageStatus → the normalized status (§9.3). */
const TWILIO_STATUSES: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  partially_delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  undelivered: 'failed',
  canceled: 'failed',
};

const Sid = Type.String({ minLength: 1, maxLength: 64 });
const Address = Type.String({ minLength: 1, maxLength: 320 });
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }));

const readMessage = payload(
  Type.Object({
    MessageSid: Sid,
    From: Address,
    To: Address,
    Body: Text(65_536),
    NumMedia: Type.Optional(Type.String({ pattern: '^\\d{1,2}$' })),
    ButtonText: Text(1024),
    ButtonPayload: Text(1024),
    MessageType: Text(64),
    Latitude: Text(64),
  }),
  'Twilio message webhook',
);


const readStatus = payload(
  Type.Object({ MessageSid: Sid, MessageStatus: Type.String({ minLength: 1, maxLength: 64 }), ErrorCode: Text(64) }),
  'Twilio status callback',
);

export const twilio: Provider<TwilioSettings> = {
  name: 'twilio',
  channels: ['sms', 'whatsapp'],
  settings: Settings,
  secrets: ['authToken'],
  methods: ['POST', 'GET'],
  accepted: { status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response/>', headers: { 'content-type': 'text/xml' } },
  verify(req, settings) {
    verifyTwilio(req, required(settings.authToken, 'authToken'));
  },
  read(req, _settings, now) {
    const fields = fieldsOf(req, true);
    if (isStatusCallback(fields)) return { messages: [], reports: [reportOf(fields, now)] };
    const message = messageOf(fields, now);
    return { messages: message ? [message] : [], reports: [] };
  },
  send: sendTwilio,
};

/** A status callback carries MessageStatus; an inbound message carries none, or "received". */
function isStatusCallback(fields: unknown): boolean {
  const status = (fields as { MessageStatus?: unknown } | undefined)?.MessageStatus;
  return status !== undefined && status !== 'received';
}

function reportOf(fields: unknown, now: number): DeliveryReport {
  const f = readStatus(fields);
  return statusReport(TWILIO_STATUSES, { provider: 'twilio', id: f.MessageSid, word: f.MessageStatus, errorCode: f.ErrorCode || undefined, at: now });
}

/** The message a webhook carries; undefined for a WhatsApp location or reaction (a location without MessageType is known by its Latitude). */
function messageOf(fields: unknown, now: number): InboundMessage | undefined {
  const f = readMessage(fields);
  if (isSkippedType(f.MessageType) || f.Latitude !== undefined) return undefined;
  return {
    channel: isWhatsApp(f.From) ? 'whatsapp' : 'sms',
    provider: 'twilio',
    from: withPlus(withoutWhatsApp(f.From)),
    to: withPlus(withoutWhatsApp(f.To)),
    text: f.Body ?? '',
    media: numbered(fields as Record<string, unknown>, 'MediaUrl', 0, Number(f.NumMedia ?? 0)),
    ...(f.ButtonText !== undefined ? { button: { text: f.ButtonText, ...(f.ButtonPayload ? { payload: f.ButtonPayload } : {}) } } : {}),
    providerMessageId: f.MessageSid,
    receivedAt: now,
  };
}

export default providerModule(twilio);
