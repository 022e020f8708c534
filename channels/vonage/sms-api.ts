// Vonage's SMS API webhooks (carrier-dialects.md §2.1–2.3): inbound SMS and delivery receipts,
// flat fields with hyphenated names in a GET query, a POST form or a POST JSON body, signed
// with the `sig` field: a digest of the other fields sorted by name, "&name=value" each (with
// "&" and "=" in values turned to "_"), by the dashboard's signature method; the signed
// `timestamp` must be within the window. A binary SMS is acknowledged and counted as refused.
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryReport, InboundMessage } from '../../engine/messaging/message.js';
import type { WebhookContent, WebhookRequest } from '../provider.js';
import { hmac, requireFresh, sameText } from '../signing.js';
import { JunctionError } from '../../engine/errors.js';
import { payloadInvalid, signatureInvalid, signatureMissing } from '../errors.js';
import { payload } from '../payload.js';
import type { SignatureMethod } from './settings.js';
import { SMS_API_STATUSES } from './statuses.js';
import { withPlus } from '../addresses.js';
import { isRecord } from '../answers.js';
import { queryFields } from '../form.js';
import { statusReport } from '../statuses.js';
import { instant } from '../times.js';

const SIG = 'Vonage "sig" field';
const HMAC_OF = { md5hmac: 'md5', sha1hmac: 'sha1', sha256hmac: 'sha256', sha512hmac: 'sha512' } as const;

export type Fields = Readonly<Record<string, unknown>>;

/** The fields of an SMS API webhook: a GET's query, a POST's form or JSON body. */
export function smsApiFields(req: WebhookRequest): Fields {
  if (req.method === 'GET') return queryFields(req.url);
  return isRecord(req.body) ? req.body : {};
}

/** Throws unless `sig` is the fields' signature and their `timestamp` is fresh. */
export function verifySmsApi(fields: Fields, secret: string, method: SignatureMethod, windowS: number, now: number): void {
  const given = fields['sig'];
  if (typeof given !== 'string' || given === '') throw signatureMissing(SIG);
  if (!sameText(given.toLowerCase(), smsApiSignature(fields, secret, method))) throw signatureInvalid(SIG);
  requireFresh(Number(fields['timestamp']), now, windowS, SIG);
}

/** The lower-case hex signature of the fields (all but `sig`). */
export function smsApiSignature(fields: Fields, secret: string, method: SignatureMethod): string {
  let signed = '';
  for (const name of Object.keys(fields).sort()) if (name !== 'sig') signed += `&${name}=${textOf(fields, name).replace(/[&=]/g, '_')}`;
  if (method === 'md5hash') return createHash('md5').update(signed + secret).digest('hex');
  return hmac(HMAC_OF[method], secret, signed, 'hex');
}

function textOf(fields: Fields, name: string): string {
  const value = fields[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw payloadInvalid(`the SMS API field "${name}" is not a single value`);
}

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Number_ = Type.String({ minLength: 1, maxLength: 64 });
const PushedAt = Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$', description: 'UTC' }));
const Inbound = Type.Object({ msisdn: Number_, to: Number_, messageId: Id, type: Type.Optional(Type.String({ maxLength: 32 })), text: Type.Optional(Type.String({ maxLength: 65_536 })), 'message-timestamp': PushedAt });
const readInbound = payload(Inbound, 'Vonage inbound SMS');
const readReceipt = payload(
  Type.Object({ messageId: Id, status: Type.String({ maxLength: 64 }), 'err-code': Type.Optional(Type.String({ maxLength: 16 })), 'message-timestamp': PushedAt }),
  'Vonage delivery receipt',
);

/**
 * An inbound SMS, or a delivery receipt (it has a `status`). A binary SMS (`type` binary: `data`
 * and `udh`, no text) is no message to flows: it is acknowledged, so that Vonage does not send
 * it again, and counted as refused (JCT_MESSAGE_BINARY).
 */
export function readSmsApi(fields: Fields, now: number): WebhookContent {
  if (Object.hasOwn(fields, 'status')) return { messages: [], reports: [receipt(fields, now)] };
  const m = readInbound(fields);
  if (m.type === 'binary') return { messages: [], reports: [], malformed: [new JunctionError('JCT_MESSAGE_BINARY', `the Vonage SMS ${m.messageId} is binary (data and udh, no text): no flow reads it`)] };
  return { messages: [inbound(m, now)], reports: [] };
}

function inbound(m: Static<typeof Inbound>, now: number): InboundMessage {
  return {
    channel: 'sms',
    provider: 'vonage',
    from: withPlus(m.msisdn),
    to: withPlus(m.to),
    text: m.text ?? '',
    media: [],
    providerMessageId: m.messageId,
    receivedAt: pushedAt(m['message-timestamp'], now),
  };
}

function receipt(fields: Fields, now: number): DeliveryReport {
  const r = readReceipt(fields);
  const errorCode = r['err-code'] === '0' ? undefined : r['err-code'];
  return statusReport(SMS_API_STATUSES, { provider: 'vonage', id: r.messageId, word: r.status, errorCode, at: pushedAt(r['message-timestamp'], now) });
}

/** `message-timestamp` is "YYYY-MM-DD HH:MM:SS" in UTC. */
function pushedAt(text: string | undefined, now: number): number {
  return instant(text && `${text.replace(' ', 'T')}Z`, now);
}
