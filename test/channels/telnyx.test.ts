// The Telnyx provider through the shared harness: messaging webhooks signed with Ed25519 (a
// key pair made for the test), sends to /v2/messages; and the signature cross-checked with
// the Telnyx SDK's webhook verification and the published vector.
import t from 'tap';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import Telnyx from 'telnyx';
import telnyxModule, { telnyx } from '../../channels/telnyx/index.js';
import type { CommonSettings, WebhookRequest } from '../../channels/provider.js';
import type { InboundMessage } from '../../engine/messaging/message.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';

const pair = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const rawPublic = (key: KeyObject) => Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
const PUBLIC_KEY = rawPublic(pair.publicKey);
const settings = { apiKey: 'KEY0123456789ABCDEF_secret', publicKey: PUBLIC_KEY, apiBaseUrl: 'https://api.telnyx.com', numbers: ['+13125550199'] };

/** The test's signer: Ed25519 over `<timestamp>|<body>`, as Telnyx signs. */
function signature(body: string | Buffer, timestamp: string, key: KeyObject = pair.privateKey): string {
  return sign(null, Buffer.concat([Buffer.from(`${timestamp}|`), Buffer.from(body)]), key).toString('base64');
}

function signed(body: object, o: { at?: number; key?: KeyObject } = {}): { body: string; headers: Record<string, string> } {
  const text = JSON.stringify(body);
  const timestamp = String(Math.floor((o.at ?? Date.now()) / 1000));
  return { body: text, headers: { 'content-type': 'application/json', 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature(text, timestamp, o.key) } };
}

const event = (event_type: string, payload: object) => ({
  data: { event_type, id: 'b301ed3f-1490-491f-995f-6e64e69674d4', occurred_at: '2023-11-14T22:13:20.000+00:00', payload, record_type: 'event' },
  meta: { attempt: 1, delivered_to: 'https://example.com/webhooks/telnyx' },
});
const inbound = {
  id: '84cca175-9755-4859-b67f-4730d7f58aa3',
  record_type: 'message',
  direction: 'inbound',
  type: 'SMS',
  from: { phone_number: '+13125550100', carrier: 'T-Mobile USA', line_type: 'Wireless' },
  to: [{ phone_number: '+13125550199', status: 'webhook_delivered' }],
  text: 'Hello',
  media: [],
  received_at: '2023-11-14T22:13:19.000+00:00',
};
const outbound = (status: string, extra: object = {}) => ({
  id: '40385f64-5717-4562-b3fc-2c963f66afa6',
  record_type: 'message',
  direction: 'outbound',
  type: 'SMS',
  from: { phone_number: '+13125550199' },
  to: [{ phone_number: '+13125550100', status }],
  text: 'Welcome!',
  errors: [],
  sent_at: '2023-11-14T22:13:21.000+00:00',
  completed_at: null,
  ...extra,
});
const message: Partial<InboundMessage> = { channel: 'sms', provider: 'telnyx', from: '+13125550100', to: '+13125550199', text: 'Hello', media: [], providerMessageId: inbound.id, receivedAt: Date.parse('2023-11-14T22:13:19Z') };

const incoming: IncomingCase[] = [
  { label: 'message.received: an inbound SMS', ...signed(event('message.received', inbound)), status: 200, messages: [{ ...message, otherRecipients: undefined }] },
  {
    label: 'a group MMS listing another recipient first: our number is the one the settings list, the others are kept',
    ...signed(event('message.received', { ...inbound, type: 'MMS', to: [{ phone_number: '+13125550111' }, { phone_number: '+13125550199' }, { phone_number: '+13125550122' }] })),
    status: 200,
    messages: [{ ...message, to: '+13125550199', otherRecipients: ['+13125550111', '+13125550122'] }],
  },
  {
    label: 'a group MMS: our number listed for SMS only (sms:+1…) is ours too',
    settings: { numbers: ['sms:+13125550199'] },
    ...signed(event('message.received', { ...inbound, type: 'MMS', to: [{ phone_number: '+13125550111' }, { phone_number: '+13125550199' }] })),
    status: 200,
    messages: [{ to: '+13125550199', otherRecipients: ['+13125550111'] }],
  },
  {
    label: 'a group MMS to none of the numbers listed: ours is the one Telnyx marks webhook_delivered',
    settings: { numbers: [] },
    ...signed(event('message.received', { ...inbound, type: 'MMS', to: [{ phone_number: '+13125550111', status: 'delivered' }, { phone_number: '+13125550199', status: 'webhook_delivered' }] })),
    status: 200,
    messages: [{ to: '+13125550199', otherRecipients: ['+13125550111'] }],
  },
  {
    label: 'a group MMS with neither a listed number nor a status: the first recipient',
    settings: { numbers: ['*'] },
    ...signed(event('message.received', { ...inbound, type: 'MMS', to: [{ phone_number: '+13125550111' }, { phone_number: '+13125550199' }] })),
    status: 200,
    messages: [{ to: '+13125550111', otherRecipients: ['+13125550199'] }],
  },
  {
    label: 'message.received: an MMS with its media',
    ...signed(event('message.received', { ...inbound, type: 'MMS', text: null, media: [{ url: 'https://media.telnyx.com/1.jpg', content_type: 'image/jpeg', size: 1024 }, { url: 'https://media.telnyx.com/2.png' }] })),
    status: 200,
    messages: [{ channel: 'sms', text: '', media: ['https://media.telnyx.com/1.jpg', 'https://media.telnyx.com/2.png'] }],
  },
  {
    label: 'message.received without received_at: the event time',
    ...signed(event('message.received', { ...inbound, received_at: undefined })),
    status: 200,
    messages: [{ receivedAt: Date.parse('2023-11-14T22:13:20Z') }],
  },
  { label: 'a WhatsApp message (not read by this module) is acknowledged and ignored', ...signed(event('message.received', { ...inbound, type: 'WHATSAPP', to: '+13125550199' })), status: 200 },
  { label: 'another event (a call) is acknowledged and ignored', ...signed(event('call.initiated', { call_control_id: 'x' })), status: 200 },
  {
    label: 'message.sent: sent',
    ...signed(event('message.sent', outbound('sent'))),
    status: 200,
    reports: [{ provider: 'telnyx', providerMessageId: '40385f64-5717-4562-b3fc-2c963f66afa6', status: 'sent', providerStatus: 'sent', at: Date.parse('2023-11-14T22:13:21Z') }],
  },
  {
    label: 'message.finalized: delivered, at completed_at',
    ...signed(event('message.finalized', outbound('delivered', { completed_at: '2023-11-14T22:13:25.000+00:00' }))),
    status: 200,
    reports: [{ status: 'delivered', providerStatus: 'delivered', at: Date.parse('2023-11-14T22:13:25Z') }],
  },
  {
    label: 'message.finalized: delivery_failed with its error code',
    ...signed(event('message.finalized', outbound('delivery_failed', { errors: [{ code: '40008', title: 'Undeliverable', detail: 'The message could not be delivered' }] }))),
    status: 200,
    reports: [{ status: 'failed', providerStatus: 'delivery_failed', errorCode: '40008' }],
  },
  { label: 'message.finalized: sending_failed', ...signed(event('message.finalized', outbound('sending_failed'))), status: 200, reports: [{ status: 'failed' }] },
  { label: 'message.finalized: expired', ...signed(event('message.finalized', outbound('expired'))), status: 200, reports: [{ status: 'failed' }] },
  { label: 'message.sent: queued', ...signed(event('message.sent', outbound('queued'))), status: 200, reports: [{ status: 'queued' }] },
  { label: 'message.sent: sending', ...signed(event('message.sent', outbound('sending'))), status: 200, reports: [{ status: 'queued', providerStatus: 'sending' }] },
  { label: 'message.read: read', ...signed(event('message.read', outbound('read'))), status: 200, reports: [{ status: 'read' }] },
  { label: 'delivery_unconfirmed is unknown', ...signed(event('message.finalized', outbound('delivery_unconfirmed'))), status: 200, reports: [{ status: 'unknown', providerStatus: 'delivery_unconfirmed' }] },
  { label: 'a status never seen is unknown', ...signed(event('message.finalized', outbound('teleported'))), status: 200, reports: [{ status: 'unknown', providerStatus: 'teleported' }] },
  // Refusals.
  { label: 'no signature headers: 401', body: JSON.stringify(event('message.received', inbound)), headers: { 'content-type': 'application/json' }, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  {
    label: 'a signature without its timestamp: 401',
    ...signed(event('message.received', inbound)),
    headers: { 'content-type': 'application/json', 'telnyx-signature-ed25519': signed(event('message.received', inbound)).headers['telnyx-signature-ed25519']! },
    status: 401,
    code: 'JCT_SIGNATURE_MISSING',
  },
  { label: 'signed with another key: 403', ...signed(event('message.received', inbound), { key: other.privateKey }), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'a body changed after signing: 403',
    body: JSON.stringify(event('message.received', { ...inbound, text: 'STOP' })),
    headers: signed(event('message.received', inbound)).headers,
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'the timestamp changed after signing: 403',
    ...((s) => ({ ...s, headers: { ...s.headers, 'telnyx-timestamp': String(Number(s.headers['telnyx-timestamp']) - 1) } }))(signed(event('message.received', inbound))),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'signed 10 minutes ago: 403, saying so',
    ...signed(event('message.received', inbound), { at: Date.now() - 600_000 }),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
    answer: /cannot be accepted: it was signed 60\d s ago, more than the 300 s allowed/,
  },
  { label: 'signed 10 minutes in the future: 403', ...signed(event('message.received', inbound), { at: Date.now() + 600_000 }), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'a signature that is not 64 bytes: 403',
    ...((s) => ({ ...s, headers: { ...s.headers, 'telnyx-signature-ed25519': Buffer.alloc(32).toString('base64') } }))(signed(event('message.received', inbound))),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'a timestamp that is not digits: 403',
    ...((s) => ({ ...s, headers: { ...s.headers, 'telnyx-timestamp': `${s.headers['telnyx-timestamp']}.5` } }))(signed(event('message.received', inbound))),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'no public key configured: 403', settings: { publicKey: undefined }, ...signed(event('message.received', inbound)), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  {
    label: 'behind a proxy (public base URL set, internal Host): the URL is not signed, so it verifies',
    settings: { publicBaseUrl: 'https://junction.example.com' },
    ...((s) => ({ ...s, headers: { ...s.headers, host: '10.0.0.7:3000' } }))(signed(event('message.received', inbound))),
    status: 200,
    messages: [message],
  },
  { label: 'signed, but no data: 400', ...signed({ meta: {} }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'signed message.received without from: 400', ...signed(event('message.received', { ...inbound, from: undefined })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'signed message.received with an empty to: 400', ...signed(event('message.received', { ...inbound, to: [] })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'signed message.finalized without a recipient status: 400', ...signed(event('message.finalized', { ...outbound('delivered'), to: [{ phone_number: '+1' }] })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  {
    label: 'signed invalid UTF-8: 400',
    body: Buffer.from([0x7b, 0xff, 0x7d]),
    headers: { 'content-type': 'application/json', 'telnyx-timestamp': String(Math.floor(Date.now() / 1000)), 'telnyx-signature-ed25519': signature(Buffer.from([0x7b, 0xff, 0x7d]), String(Math.floor(Date.now() / 1000))) },
    status: 400,
    code: 'JCT_BODY_ENCODING',
  },
];

t.test('incoming', (t) => runIncoming(t, telnyxModule, incoming, settings));

const sms = { channel: 'sms' as const, from: '+13125550199', to: '+13125550100', text: 'Welcome!' };

const outgoing: OutgoingCase[] = [
  {
    label: 'an SMS is posted to /v2/messages with the API key as Bearer, and data.id comes back',
    message: sms,
    responses: [{ status: 200, body: { data: { id: '40385f64-5717-4562-b3fc-2c963f66afa6', record_type: 'message', to: [{ phone_number: '+13125550100', status: 'queued' }] } } }],
    result: { providerMessageId: '40385f64-5717-4562-b3fc-2c963f66afa6' },
    requests: [
      (r) => {
        t.equal(r.method, 'POST');
        t.equal(r.url, '/v2/messages');
        t.equal(r.headers['authorization'], 'Bearer KEY0123456789ABCDEF_secret');
        t.match(r.headers['content-type'], /^application\/json/);
        t.same(JSON.parse(r.body), { from: '+13125550199', to: '+13125550100', text: 'Welcome!' });
      },
    ],
  },
  {
    label: "a message sent from a shard of a sharded cluster, with publicBaseUrl: its events go to our webhook naming the shard; one of one engine's leaves them to the profile",
    settings: { publicBaseUrl: 'https://junction.example.com' },
    key: '2-p1.1:2:0',
    message: sms,
    responses: [{ status: 200, body: { data: { id: 'sharded-1' } } }],
    result: { providerMessageId: 'sharded-1' },
    requests: [(r) => void t.equal(JSON.parse(r.body).webhook_url, 'https://junction.example.com/webhooks/telnyx?shard=2')],
  },
  {
    label: 'without a shard, no webhook_url though publicBaseUrl is set',
    settings: { publicBaseUrl: 'https://junction.example.com' },
    message: sms,
    responses: [{ status: 200, body: { data: { id: 'single-1' } } }],
    result: { providerMessageId: 'single-1' },
    requests: [(r) => void t.equal(JSON.parse(r.body).webhook_url, undefined)],
  },
  {
    label: 'an MMS carries media_urls, and the messaging profile when set',
    settings: { messagingProfileId: '4001767e-ce0f-4cae-9d5f-0d5e636e7809' },
    message: { ...sms, text: 'Look', media: ['https://example.com/a.jpg'] },
    responses: [{ status: 200, body: { data: { id: 'mms-1' } } }],
    result: { providerMessageId: 'mms-1' },
    requests: [
      (r) => {
        t.same(JSON.parse(r.body), { from: '+13125550199', to: '+13125550100', text: 'Look', media_urls: ['https://example.com/a.jpg'], messaging_profile_id: '4001767e-ce0f-4cae-9d5f-0d5e636e7809' });
      },
    ],
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: sms,
    responses: [{ status: 429, body: { errors: [{ code: '10011', title: 'Too many requests' }] }, headers: { 'retry-after': '3' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 3000, message: /10011 Too many requests/ } as never,
  },
  { label: '503 is retryable', message: sms, responses: [{ status: 503, body: 'unavailable' }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  {
    label: 'an invalid number fails for good, in Telnyx’s words',
    message: { ...sms, to: '+1' },
    responses: [{ status: 400, body: { errors: [{ code: '40310', title: "Invalid 'to' address", detail: "The 'to' address should be in E.164 format.", source: { pointer: '/to' } }] } }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: "telnyx answered 400: 40310 Invalid 'to' address The 'to' address should be in E.164 format." } as never,
  },
  {
    label: 'a bad API key (401) fails for good',
    message: sms,
    responses: [{ status: 401, body: { errors: [{ code: '10009', title: 'Authentication failed' }] } }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: /10009 Authentication failed/ } as never,
  },
  { label: 'no API key: fails for good', settings: { apiKey: undefined }, message: sms, responses: [{ status: 200, body: {} }], error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false } },
  { label: 'a 2xx without data.id fails for good', message: sms, responses: [{ status: 200, body: { data: {} } }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
];

t.test('outgoing', (t) => runOutgoing(t, telnyxModule, outgoing, (url) => ({ apiBaseUrl: url }), settings));

// Cross-checks with the SDK's webhook verification and the published vector (carrier-dialects.md §4.2).
const sdk = new Telnyx({ apiKey: 'test', publicKey: PUBLIC_KEY });

t.test("the test signer's signatures validate with the SDK, and other keys' with neither", async (t) => {
  const good = signed(event('message.received', inbound));
  await t.resolves(sdk.webhooks.unwrap(good.body, { headers: good.headers }), 'the SDK accepts');
  const bad = signed(event('message.received', inbound), { key: other.privateKey });
  await t.rejects(sdk.webhooks.unwrap(bad.body, { headers: bad.headers }), 'the SDK refuses another key');
  await t.rejects(sdk.webhooks.unwrap(good.body.replace('Hello', 'STOP'), { headers: good.headers }), 'the SDK refuses a changed body');
});

t.test('the published vector verifies with ours and with the SDK', async (t) => {
  const seed = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const publicKey = 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=';
  const body =
    '{"data":{"event_type":"message.received","id":"b301ed3f-1490-491f-995f-6e64e69674d4","occurred_at":"2023-11-14T22:13:20.000+00:00","payload":{"id":"84cca175-9755-4859-b67f-4730d7f58aa3","direction":"inbound","from":{"phone_number":"+13125550100"},"to":[{"phone_number":"+13125550199","status":"webhook_delivered"}],"text":"Hello","type":"SMS","media":[]},"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks/telnyx"}}';
  const given = 'gQAEOdAIoNc3ReFgUUM49jH54pmUJCQfhD1oLQBEtBvBBFDjl6P3EZHWgrRZ1qqo77Zp5vvBm0GtHiarNARFCg==';
  t.equal(rawPublic(createPublicKey(key)), publicKey, 'the seed gives the published public key');
  t.equal(signature(body, '1700000000', key), given, 'the test signer makes the published signature');
  const headers = { 'telnyx-timestamp': '1700000000', 'telnyx-signature-ed25519': given };
  const request: WebhookRequest = { method: 'POST', url: '/webhooks/telnyx', params: {}, query: {}, headers, body: JSON.parse(body) as unknown, rawBody: Buffer.from(body), publicUrl: 'https://example.com/webhooks/telnyx' };
  const ours = { ...settings, publicKey } as CommonSettings & typeof settings;
  t.doesNotThrow(() => telnyx.verify(request, ours, 1700000000_000 + 60_000), 'ours accepts it');
  t.throws(() => telnyx.verify(request, ours, 1700000000_000 + 301_000), { code: 'JCT_SIGNATURE_INVALID' }, 'and refuses it 301 s later');
  const realNow = Date.now;
  Date.now = () => 1700000000_000;
  try {
    await t.resolves(new Telnyx({ apiKey: 'test', publicKey }).webhooks.unwrap(body, { headers }), 'the SDK accepts it with the clock at its timestamp');
  } finally {
    Date.now = realNow;
  }
});
