// The generic JSON contract: what any carrier or in-house gateway can speak to Junction without
// an adapter of its own (documented in docs/channels.md).
// - Webhook: POST /webhooks/generic, a JSON body { messages?: [...], reports?: [...] } signed
//   with the shared secret: `X-Junction-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//   "<t>.<raw body>">`, accepted within 300 s of our clock.
// - Send: POST <sendUrl>, a JSON message signed the same way with an Idempotency-Key header;
//   a 2xx answer carries { "id": "<the carrier's message id>" }.
import { Type } from '@sinclair/typebox';
import { signature } from '../../engine/effects/http-request.js';
import { CHANNELS } from '../../engine/person.js';
import { DELIVERY_STATUSES, type DeliveryReport, type InboundMessage } from '../../engine/messaging/message.js';
import { providerModule, requiredSetting as required, type CommonSettings, type Provider } from '../provider.js';
import { header, requireFresh, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';
import { payload } from '../payload.js';
import { answerId, valueAt } from '../answers.js';
import { dateTime } from '../times.js';

const SIGNATURE = 'X-Junction-Signature header';
const TOLERANCE_S = 300;

const Settings = {
  secret: Type.Optional(Type.String({ minLength: 16, description: 'shared secret of the signatures both ways; unset: every webhook is refused' })),
  sendUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'where messages are sent' })),
};
type Settings = CommonSettings & { secret?: string; sendUrl?: string };

const Text = (max: number) => Type.String({ maxLength: max });
const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$', description: 'ISO 8601 date-time with a zone' });
const Body = Type.Object(
  {
    messages: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ minLength: 1, maxLength: 200 }),
            channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
            from: Type.String({ minLength: 1, maxLength: 320 }),
            to: Type.String({ minLength: 1, maxLength: 320 }),
            text: Type.Optional(Text(65_536)),
            media: Type.Optional(Type.Array(Text(2048), { maxItems: 20 })),
            button: Type.Optional(Type.Object({ text: Text(1024), payload: Type.Optional(Text(1024)) }, { additionalProperties: false })),
            subject: Type.Optional(Text(998)),
            receivedAt: Type.Optional(Instant),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
    reports: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ minLength: 1, maxLength: 200 }),
            status: Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s))),
            providerStatus: Type.Optional(Text(100)),
            errorCode: Type.Optional(Text(100)),
            at: Type.Optional(Instant),
            /** The `id` the message was posted with (the send's key), when the carrier echoes it. */
            sentId: Type.Optional(Text(200)),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
  },
  { additionalProperties: false },
);
const readBody = payload(Body, 'generic webhook body');

export const generic: Provider<Settings> = {
  name: 'generic',
  channels: CHANNELS,
  settings: Settings,
  secrets: ['secret'],
  verify(req, settings, now) {
    const secret = required(settings.secret, 'secret');
    const given = header(req, 'x-junction-signature');
    if (given === undefined) throw signatureMissing(SIGNATURE);
    const t = Number(/^t=(\d+),/.exec(given)?.[1]);
    requireFresh(t, now, TOLERANCE_S, SIGNATURE);
    if (!sameText(given, signature(secret, req.rawBody.toString('utf8'), t * 1000))) throw signatureInvalid(SIGNATURE);
  },
  read(req, _settings, now) {
    const body = readBody(req.body);
    return {
      messages: (body.messages ?? []).map((m): InboundMessage => ({
        channel: m.channel,
        provider: 'generic',
        from: m.from,
        to: m.to,
        text: m.text ?? '',
        media: m.media ?? [],
        ...(m.button ? { button: m.button } : {}),
        ...(m.subject !== undefined ? { subject: m.subject } : {}),
        providerMessageId: m.id,
        receivedAt: dateTime(m.receivedAt, now),
      })),
      reports: (body.reports ?? []).map((r): DeliveryReport => ({
        provider: 'generic',
        providerMessageId: r.id,
        status: r.status,
        providerStatus: r.providerStatus ?? r.status,
        ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
        at: dateTime(r.at, now),
        ...(r.sentId !== undefined ? { sentKey: r.sentId } : {}),
      })),
    };
  },
  async send(message, settings, http) {
    // The links are already rewritten (trackLinks is Junction's); the deadline is Junction's outbox's: neither is the carrier's.
    const { idempotencyKey, trackLinks: _tracked, deadline: _deadline, ...content } = message;
    const body = JSON.stringify({ id: idempotencyKey, ...content });
    const answer = await http.call({
      url: required(settings.sendUrl, 'sendUrl'),
      headers: { 'idempotency-key': idempotencyKey, 'x-junction-signature': signature(required(settings.secret, 'secret'), body, Date.now()) },
      text: { body, type: 'application/json' },
    });
    return { providerMessageId: answerId(valueAt(answer.json, 'id'), 'the carrier', 'id') };
  },
};

export default providerModule(generic);
