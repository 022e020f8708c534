// The Telnyx provider (carrier-dialects.md §4.1–4.3): messaging webhooks at /webhooks/telnyx,
// JSON events signed with Ed25519 (signature.ts). `message.received` is an inbound SMS or MMS,
// to the recipient that is our number (a group MMS lists others, kept with the message);
// `message.sent`, `message.finalized` and `message.read` report on a message we sent, by its
// first recipient's status; other events are acknowledged and ignored. Sends go to
// `POST /v2/messages` with the API key as a Bearer token: SMS, or MMS when there is media.
import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryReport, InboundMessage, OutboundMessage } from '../../engine/messaging/message.js';
import { prefixOf } from '../../engine/id-prefix.js';
import { providerModule, requiredSetting as required, statusCallbackUrl, type CommonSettings, type Provider, type WebhookContent } from '../provider.js';
import { payload } from '../payload.js';
import type { Explanation, ProviderAnswer } from '../http.js';
import { answerId, isRecord, valueAt } from '../answers.js';
import { statusReport } from '../statuses.js';
import { instant } from '../times.js';
import { verifyTelnyx } from './signature.js';
import { TELNYX_STATUSES } from './statuses.js';

const Settings = {
  apiKey: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'API key (Mission Control, API Keys); unset: every send fails' })),
  publicKey: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description: "the account's public key for webhook signatures (Mission Control, Keys & Credentials), Base64; unset: every webhook is refused",
    }),
  ),
  messagingProfileId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'messaging profile sent with every message (needed for alphanumeric senders)' })),
  apiBaseUrl: Type.String({ pattern: '^https?://[^/]+$', default: 'https://api.telnyx.com', description: 'base URL of the Telnyx API' }),
};
type Settings = CommonSettings & { apiKey?: string; publicKey?: string; messagingProfileId?: string; apiBaseUrl: string };

const REPORTING_EVENTS = ['message.sent', 'message.finalized', 'message.read'];

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Address = Type.String({ minLength: 1, maxLength: 320 });
const Short = Type.String({ maxLength: 1024 });
const When = Type.Optional(Type.Union([Short, Type.Null()]));
const readEvent = payload(
  Type.Object({ data: Type.Object({ event_type: Type.String({ maxLength: 100 }), occurred_at: When, payload: Type.Unknown() }) }),
  'Telnyx webhook',
);
const Recipient = Type.Object({ phone_number: Address, status: Type.Optional(Short) });
type Recipient = Static<typeof Recipient>;
const readInbound = payload(
  Type.Object({
    id: Id,
    type: Type.Optional(Short),
    from: Type.Object({ phone_number: Address }),
    to: Type.Union([Type.Array(Recipient, { minItems: 1, maxItems: 1000 }), Address]),
    text: Type.Optional(Type.Union([Type.String({ maxLength: 65_536 }), Type.Null()])),
    media: Type.Optional(Type.Array(Type.Object({ url: Type.String({ minLength: 1, maxLength: 2048 }) }), { maxItems: 100 })),
    received_at: When,
  }),
  'Telnyx inbound message',
);
const readOutbound = payload(
  Type.Object({
    id: Id,
    to: Type.Array(Type.Object({ status: Type.String({ maxLength: 64 }) }), { minItems: 1, maxItems: 1000 }),
    errors: Type.Optional(Type.Array(Type.Object({ code: Type.Optional(Type.Union([Short, Type.Number()])) }), { maxItems: 100 })),
    completed_at: When,
    sent_at: When,
  }),
  'Telnyx message status',
);

export const telnyx: Provider<Settings> = {
  name: 'telnyx',
  channels: ['sms'],
  settings: Settings,
  secrets: ['apiKey'],
  verify(req, settings, now) {
    verifyTelnyx(req, required(settings.publicKey, 'publicKey'), now);
  },
  read(req, settings, now) {
    const { data } = readEvent(req.body);
    const at = instant(data.occurred_at, now);
    if (data.event_type === 'message.received') return received(data.payload, at, settings.numbers);
    if (REPORTING_EVENTS.includes(data.event_type)) return { messages: [], reports: [report(data.payload, at)] };
    return { messages: [], reports: [] };
  },
  async send(message, settings, http) {
    const media = message.media ?? [];
    const answer = await http.call(
      {
        url: `${settings.apiBaseUrl}/v2/messages`,
        headers: { authorization: `Bearer ${required(settings.apiKey, 'apiKey')}`, accept: 'application/json' },
        json: {
          from: message.from,
          to: message.to,
          ...(message.text ? { text: message.text } : {}),
          ...(media.length > 0 ? { media_urls: media } : {}),
          ...(settings.messagingProfileId !== undefined ? { messaging_profile_id: settings.messagingProfileId } : {}),
          ...webhookOf(message, settings),
        },
      },
      telnyxError,
    );
    return { providerMessageId: answerId(valueAt(answer.json, 'data', 'id'), 'telnyx', 'data.id') };
  },
};

/** An inbound SMS or MMS (`numbers`: ours, as the settings list them); Telnyx's WhatsApp and RCS messages are not read here. */
function received(body: unknown, occurredAt: number, numbers: readonly string[]): WebhookContent {
  const m = readInbound(body);
  if (m.type !== undefined && m.type !== 'SMS' && m.type !== 'MMS') return { messages: [], reports: [] };
  const recipients = typeof m.to === 'string' ? [{ phone_number: m.to }] : m.to;
  const ours = ourRecipient(recipients, numbers);
  const others = recipients.filter((_, i) => i !== ours).map((r) => r.phone_number);
  const message: InboundMessage = {
    channel: 'sms',
    provider: 'telnyx',
    from: m.from.phone_number,
    to: recipients[ours]!.phone_number,
    ...(others.length > 0 ? { otherRecipients: others } : {}),
    text: m.text ?? '',
    media: (m.media ?? []).map((x) => x.url),
    providerMessageId: m.id,
    receivedAt: instant(m.received_at, occurredAt),
  };
  return { messages: [message], reports: [] };
}

/**
 * Which recipient is our number (a group MMS lists several, ours not always first): the first
 * one the settings list (bare or for SMS), else the first Telnyx marks as delivered to our
 * webhook (status `webhook_delivered`), else the first.
 */
function ourRecipient(recipients: readonly Recipient[], numbers: readonly string[]): number {
  const listed = recipients.findIndex((r) => numbers.includes(r.phone_number) || numbers.includes(`sms:${r.phone_number}`));
  return listed >= 0 ? listed : Math.max(0, recipients.findIndex((r) => r.status === 'webhook_delivered'));
}

/** The status of a message we sent, as its (first) recipient's status says. */
function report(body: unknown, occurredAt: number): DeliveryReport {
  const m = readOutbound(body);
  const errorCode = m.errors?.find((e) => e.code !== undefined)?.code;
  return statusReport(TELNYX_STATUSES, { provider: 'telnyx', id: m.id, word: m.to[0]!.status, errorCode, at: instant(m.completed_at ?? m.sent_at, occurredAt) });
}

/** Telnyx's `errors[]`: code, title and detail of each. */
/**
 * Where a message sent from a shard of a sharded cluster has its events sent (with publicBaseUrl
 * set): our webhook naming that shard, so its reports are asked of it alone. Any other message
 * leaves them to the messaging profile's URL.
 */
function webhookOf(message: OutboundMessage, settings: Settings): { webhook_url?: string } {
  if (settings.publicBaseUrl === undefined || prefixOf(message.idempotencyKey) === '') return {};
  return { webhook_url: statusCallbackUrl('telnyx', settings.publicBaseUrl, message) };
}

function telnyxError({ json }: ProviderAnswer): Explanation | undefined {
  const errors = valueAt(json, 'errors');
  const said = (Array.isArray(errors) ? errors.filter(isRecord) : []).map((e) => [e['code'], e['title'], e['detail']].filter((x) => typeof x === 'string' || typeof x === 'number').join(' '));
  return said.length > 0 ? { words: said.join('; ') } : undefined;
}

export default providerModule(telnyx);
