// Vonage's Messages API (carrier-dialects.md §2.4): its inbound and status webhooks (JSON, a
// `message_uuid` in each) signed with a JWT in `Authorization: Bearer`, HS256 with the
// signature secret, whose `payload_hash` is the SHA-256 of the body and whose `iat` must be
// within the window; and the send, `POST /v1/messages` with Basic auth (API key and secret).
// Inbound locations and reactions are acknowledged and skipped, as the Meta adapter skips them.
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Channel } from '../../engine/person.js';
import type { DeliveryReport, InboundMessage, OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import { EffectFailure } from '../../engine/errors.js';
import { basicAuth, type Explanation, type ProviderAnswer, type ProviderHttp } from '../http.js';
import { requiredSetting as required, type WebhookContent, type WebhookRequest } from '../provider.js';
import { header, requireFresh, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';
import { payload } from '../payload.js';
import { verifiedClaims } from './jwt.js';
import type { VonageSettings } from './settings.js';
import { MESSAGES_API_STATUSES } from './statuses.js';
import { withPlus, withoutPlus, withoutWhatsApp } from '../addresses.js';
import { answerId, isRecord, valueAt } from '../answers.js';
import { statusReport } from '../statuses.js';
import { isSkippedType } from '../skipped.js';
import { instant } from '../times.js';

const JWT = 'Vonage JWT (Authorization header)';

/** Whether a webhook is the Messages API's: a JSON object with a `message_uuid`. */
export function isMessagesApi(req: WebhookRequest): boolean {
  return isRecord(req.body) && Object.hasOwn(req.body, 'message_uuid');
}

/** Throws unless the JWT is signed with the secret, fresh, and hashes this very body. */
export function verifyMessagesApi(req: WebhookRequest, secret: string, windowS: number, now: number): void {
  const authorization = header(req, 'authorization');
  if (authorization === undefined || authorization.trim() === '') throw signatureMissing(JWT);
  const claims = verifiedClaims(authorization.replace(/^Bearer\s+/i, '').trim(), secret, JWT);
  requireFresh(typeof claims['iat'] === 'number' ? claims['iat'] : NaN, now, windowS, JWT);
  const hash = claims['payload_hash'];
  if (typeof hash !== 'string' || !sameText(hash.toLowerCase(), createHash('sha256').update(req.rawBody).digest('hex'))) throw signatureInvalid(JWT);
}

/** Inbound channels Junction reads; messages on others (Viber, Messenger, RCS) are ignored. */
const CHANNEL_OF: Readonly<Record<string, Channel>> = { sms: 'sms', mms: 'sms', whatsapp: 'whatsapp' };
const MEDIA_FIELDS = ['image', 'audio', 'video', 'file', 'sticker', 'vcard'] as const;

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Address = Type.String({ minLength: 1, maxLength: 320 });
const Short = Type.String({ maxLength: 1024 });
const Media = Type.Optional(Type.Object({ url: Type.String({ minLength: 1, maxLength: 2048 }), caption: Type.Optional(Type.String({ maxLength: 4096 })) }));
const Inbound = Type.Object({
  message_uuid: Id,
  channel: Type.String({ maxLength: 32 }),
  message_type: Type.String({ maxLength: 32 }),
  from: Address,
  to: Address,
  timestamp: Type.Optional(Short),
  text: Type.Optional(Type.String({ maxLength: 65_536 })),
  image: Media,
  audio: Media,
  video: Media,
  file: Media,
  sticker: Media,
  vcard: Media,
  button: Type.Optional(Type.Object({ text: Type.Optional(Short), payload: Type.Optional(Short) })),
  reply: Type.Optional(Type.Object({ id: Type.Optional(Short), title: Short })),
});
const readInbound = payload(Inbound, 'Vonage Messages API inbound message');
const readStatus = payload(
  Type.Object({
    message_uuid: Id,
    status: Type.String({ maxLength: 64 }),
    timestamp: Type.Optional(Short),
    error: Type.Optional(Type.Object({ title: Type.Optional(Type.Union([Short, Type.Number()])) })),
    /** What the send gave it (the outbox key), echoed. */
    client_ref: Type.Optional(Type.String({ maxLength: 100 })),
  }),
  'Vonage Messages API status',
);

/** A status webhook (it has a `status`) or an inbound message. */
export function readMessagesApi(body: unknown, now: number): WebhookContent {
  if (isRecord(body) && Object.hasOwn(body, 'status')) return { messages: [], reports: [status(body, now)] };
  const message = inbound(body, now);
  return { messages: message ? [message] : [], reports: [] };
}

function inbound(body: unknown, now: number): InboundMessage | undefined {
  const m = readInbound(body);
  const channel = Object.hasOwn(CHANNEL_OF, m.channel) ? CHANNEL_OF[m.channel] : undefined;
  if (!channel || isSkippedType(m.message_type)) return undefined;
  const media = MEDIA_FIELDS.flatMap((f) => m[f] ?? []);
  const button = buttonOf(m);
  return {
    channel,
    provider: 'vonage',
    from: withPlus(m.from),
    to: withPlus(m.to),
    text: m.text ?? media.find((x) => x.caption !== undefined)?.caption ?? '',
    media: media.map((x) => x.url),
    ...(button ? { button } : {}),
    providerMessageId: m.message_uuid,
    receivedAt: instant(m.timestamp, now),
  };
}

/** A template's quick-reply button, or the row or button chosen in an interactive message. */
function buttonOf(m: Static<typeof Inbound>): InboundMessage['button'] {
  if (m.button?.text !== undefined) return { text: m.button.text, ...(m.button.payload !== undefined ? { payload: m.button.payload } : {}) };
  if (m.reply) return { text: m.reply.title, ...(m.reply.id !== undefined ? { payload: m.reply.id } : {}) };
  return undefined;
}

function status(body: unknown, now: number): DeliveryReport {
  const s = readStatus(body);
  return statusReport(MESSAGES_API_STATUSES, { provider: 'vonage', id: s.message_uuid, word: s.status, errorCode: s.error?.title, at: instant(s.timestamp, now), sentKey: s.client_ref });
}

/** Sends a text on SMS or WhatsApp; `client_ref` carries the outbox key (Vonage does not de-duplicate on it). */
export async function sendMessage(message: OutboundMessage, settings: VonageSettings, http: ProviderHttp): Promise<SendResult> {
  const answer = await http.call(
    {
      url: `${settings.apiBaseUrl}/v1/messages`,
      headers: { authorization: basicAuth(required(settings.apiKey, 'apiKey'), required(settings.apiSecret, 'apiSecret')), accept: 'application/json' },
      json: {
        channel: message.channel,
        message_type: 'text',
        text: textOf(message),
        from: bare(message.from),
        to: bare(message.to),
        client_ref: message.idempotencyKey.slice(0, 100),
      },
    },
    vonageError,
  );
  return { providerMessageId: answerId(valueAt(answer.json, 'message_uuid'), 'vonage', 'message_uuid') };
}

function textOf(message: OutboundMessage): string {
  const extra = message.media?.length ? 'media' : message.template ? 'a template' : message.interactive ? 'interactive content' : undefined;
  if (extra === undefined && message.text) return message.text;
  throw new EffectFailure('JCT_SEND_UNSUPPORTED', `the vonage module sends text only, this message has ${extra ?? 'no text'}`, false);
}

/** An address as the Messages API wants it: without "+" or a "whatsapp:" prefix. */
function bare(address: string): string {
  return withoutPlus(withoutWhatsApp(address));
}

/** Vonage's problem details: title, detail and the invalid parameters. */
function vonageError({ json }: ProviderAnswer): Explanation | undefined {
  if (!isRecord(json) || typeof json['title'] !== 'string') return undefined;
  const params = Array.isArray(json['invalid_parameters']) ? json['invalid_parameters'].filter(isRecord).map((p) => `${String(p['name'])}: ${String(p['reason'])}`) : [];
  return { words: [`${json['title']}${typeof json['detail'] === 'string' ? `: ${json['detail']}` : ''}`, ...params].join('; ') };
}
