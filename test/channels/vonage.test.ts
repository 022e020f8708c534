// The Vonage provider through the shared harness: SMS API webhooks (GET query, POST form, POST
// JSON; `sig` by each signature method), Messages API webhooks (JWT), sends through the
// Messages API; and the signatures cross-checked with Vonage's SDK and the published vectors.
import t from 'tap';
import { createHash, createHmac } from 'node:crypto';
import { SMS } from '@vonage/sms';
import { AlgorithmTypes } from '@vonage/auth';
import { verifySignature } from '@vonage/jwt';
import vonageModule, { vonage, vonageProvider } from '../../channels/vonage/index.js';
import { smsApiSignature } from '../../channels/vonage/sms-api.js';
import type { SignatureMethod, VonageSettings } from '../../channels/vonage/settings.js';
import type { WebhookRequest } from '../../channels/provider.js';
import type { InboundMessage } from '../../engine/messaging/message.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';
import { world } from '../engine/helpers.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { buildApp } from '../../gateway/app.js';
import type { Input } from '../../engine/vocabulary.js';

const SECRET = 'vonage_signature_secret_0123456789';
const settings = {
  apiKey: 'a1b2c3d',
  apiSecret: 'vonage-api-secret-0123',
  signatureSecret: SECRET,
  signatureMethod: 'sha256hmac',
  signatureWindowS: 300,
  apiBaseUrl: 'https://api.nexmo.com',
  numbers: ['+447700900000'],
};

type Fields = Record<string, string>;
const HASH_OF = { md5hmac: 'md5', sha1hmac: 'sha1', sha256hmac: 'sha256', sha512hmac: 'sha512' } as const;

/** The test's own SMS API signer, written from the recipe (carrier-dialects.md §2.3). */
function sig(fields: Fields, method: SignatureMethod = 'sha256hmac', secret = SECRET): string {
  const signed = Object.keys(fields)
    .sort()
    .map((k) => `&${k}=${fields[k]!.replace(/[&=]/g, '_')}`)
    .join('');
  return method === 'md5hash' ? createHash('md5').update(signed + secret).digest('hex') : createHmac(HASH_OF[method], secret).update(signed).digest('hex');
}

/** Fields as Vonage sends them: a fresh timestamp, a nonce and the signature. */
function signedFields(fields: Fields, o: { method?: SignatureMethod; secret?: string; at?: number } = {}): Fields {
  const all = { ...fields, timestamp: String(Math.floor((o.at ?? Date.now()) / 1000)), nonce: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab' };
  return { ...all, sig: sig(all, o.method, o.secret) };
}

const asQuery = (fields: Fields) => ({ method: 'GET' as const, url: `/webhooks/vonage?${new URLSearchParams(fields)}` });
const asForm = (fields: Fields) => ({ body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const asJson = (fields: object) => ({ body: JSON.stringify(fields), headers: { 'content-type': 'application/json' } });

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The test's own HS256 JWT, as Vonage signs Messages API webhooks. */
function jwt(claims: object, secret = SECRET, alg = 'HS256'): string {
  const head = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** A Messages API webhook: the body and its JWT (claims overridable). */
function messagesApi(body: object, o: { secret?: string; iat?: number; hashOf?: string; claims?: object; bearer?: boolean } = {}) {
  const text = JSON.stringify(body);
  const claims = {
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    jti: 'c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5',
    iss: 'Vonage',
    payload_hash: createHash('sha256').update(o.hashOf ?? text).digest('hex'),
    api_key: 'a1b2c3d',
    ...o.claims,
  };
  const token = jwt(claims, o.secret);
  return { body: text, headers: { 'content-type': 'application/json', authorization: o.bearer === false ? token : `Bearer ${token}` } };
}

const inboundSms = { 'api-key': 'a1b2c3d', msisdn: '447700900001', to: '447700900000', messageId: '0A0000000123ABCD1', text: 'Hi & bye=now', type: 'text', keyword: 'HI', 'message-timestamp': '2020-01-01 12:00:00' };
const smsMessage: Partial<InboundMessage> = { channel: 'sms', provider: 'vonage', from: '+447700900001', to: '+447700900000', text: 'Hi & bye=now', media: [], providerMessageId: '0A0000000123ABCD1', receivedAt: Date.parse('2020-01-01T12:00:00Z') };
const receipt = (status: string, extra: Fields = {}) => ({ msisdn: '447700900001', to: 'Vonage', 'network-code': '23410', messageId: '0B00000127FDBC63', price: '0.0333', status, scts: '1810251310', 'err-code': '0', 'message-timestamp': '2018-10-25 12:10:29', ...extra });
const waText = { channel: 'whatsapp', message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab', to: '447700900000', from: '447700900001', timestamp: '2020-01-01T14:00:00Z', profile: { name: 'Jane' }, message_type: 'text', text: 'Hello' };
const status = (s: string, extra: object = {}) => ({ message_uuid: 'bbbbbbbb-bbbb-4ccc-8ddd-0123456789ab', to: '447700900001', from: '447700900000', timestamp: '2020-01-01T14:00:00.000Z', status: s, channel: 'sms', ...extra });

const incoming: IncomingCase[] = [
  // SMS API: inbound SMS in each encoding and signature method.
  { label: 'SMS API, GET query, SHA-256 HMAC: an inbound SMS', ...asQuery(signedFields(inboundSms)), status: 200, messages: [smsMessage] },
  { label: 'SMS API, POST form, MD5 hash', settings: { signatureMethod: 'md5hash' }, ...asForm(signedFields(inboundSms, { method: 'md5hash' })), status: 200, messages: [smsMessage] },
  { label: 'SMS API, POST JSON, MD5 HMAC', settings: { signatureMethod: 'md5hmac' }, ...asJson(signedFields(inboundSms, { method: 'md5hmac' })), status: 200, messages: [smsMessage] },
  { label: 'SMS API, SHA-1 HMAC', settings: { signatureMethod: 'sha1hmac' }, ...asForm(signedFields(inboundSms, { method: 'sha1hmac' })), status: 200, messages: [smsMessage] },
  { label: 'SMS API, SHA-512 HMAC', settings: { signatureMethod: 'sha512hmac' }, ...asQuery(signedFields(inboundSms, { method: 'sha512hmac' })), status: 200, messages: [smsMessage] },
  {
    label: 'SMS API: an upper-case sig is accepted (the SDK compares case-insensitively)',
    ...asQuery(((f) => ({ ...f, sig: f.sig!.toUpperCase() }))(signedFields(inboundSms))),
    status: 200,
    messages: [smsMessage],
  },
  {
    label: 'SMS API: a binary SMS (data and udh, no text) is acknowledged, handed to no flow and counted as refused',
    ...asQuery(signedFields({ ...inboundSms, type: 'binary', text: '', data: '0605040b8423f0', udh: '050003cc0201' })),
    status: 200,
    refused: 'JCT_MESSAGE_BINARY',
  },
  {
    label: 'SMS API: a binary SMS without a text field, as a POST form, is answered the same',
    ...asForm(signedFields({ msisdn: '447700900001', to: '447700900000', messageId: '0A0000000123ABCD2', type: 'binary', data: '0605040b8423f0', udh: '050003cc0201' })),
    status: 200,
    refused: 'JCT_MESSAGE_BINARY',
  },
  // SMS API: delivery receipts.
  {
    label: 'SMS API receipt delivered (GET)',
    ...asQuery(signedFields(receipt('delivered'))),
    status: 200,
    reports: [{ provider: 'vonage', providerMessageId: '0B00000127FDBC63', status: 'delivered', providerStatus: 'delivered', errorCode: undefined, at: Date.parse('2018-10-25T12:10:29Z') }],
  },
  { label: 'SMS API receipt failed, err-code 6 (form)', ...asForm(signedFields(receipt('failed', { 'err-code': '6' }))), status: 200, reports: [{ status: 'failed', providerStatus: 'failed', errorCode: '6' }] },
  { label: 'SMS API receipt buffered is sent (JSON)', ...asJson(signedFields(receipt('buffered'))), status: 200, reports: [{ status: 'sent', providerStatus: 'buffered' }] },
  { label: 'SMS API receipt accepted is sent', ...asQuery(signedFields(receipt('accepted'))), status: 200, reports: [{ status: 'sent' }] },
  { label: 'SMS API receipt rejected is failed', ...asQuery(signedFields(receipt('rejected', { 'err-code': '4' }))), status: 200, reports: [{ status: 'failed', errorCode: '4' }] },
  { label: 'SMS API receipt expired is failed', ...asQuery(signedFields(receipt('expired'))), status: 200, reports: [{ status: 'failed' }] },
  { label: "SMS API receipt 'unknown' is unknown", ...asQuery(signedFields(receipt('unknown'))), status: 200, reports: [{ status: 'unknown', providerStatus: 'unknown' }] },
  { label: 'SMS API receipt with a status never seen is unknown', ...asQuery(signedFields(receipt('teleported'))), status: 200, reports: [{ status: 'unknown', providerStatus: 'teleported' }] },
  // SMS API: refusals.
  { label: 'SMS API without sig: 401', ...asQuery({ ...inboundSms, timestamp: String(Math.floor(Date.now() / 1000)) }), status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'SMS API, an empty POST: 401', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'SMS API signed with another secret: 403', ...asQuery(signedFields(inboundSms, { secret: 'another-secret' })), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'SMS API signed by another method than configured: 403', ...asQuery(signedFields(inboundSms, { method: 'md5hash' })), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'SMS API, a field changed after signing: 403',
    ...asForm({ ...signedFields(inboundSms), text: 'STOP' }),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'SMS API, a field added after signing: 403',
    ...asQuery({ ...signedFields(inboundSms), extra: '1' }),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'SMS API, a timestamp 10 minutes old: 403', ...asQuery(signedFields(inboundSms, { at: Date.now() - 600_000 })), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'SMS API, a 10-minute-old timestamp inside a wider configured window: 200',
    settings: { signatureWindowS: 3600 },
    ...asQuery(signedFields(inboundSms, { at: Date.now() - 600_000 })),
    status: 200,
    messages: [smsMessage],
  },
  {
    label: 'SMS API, signed without a timestamp: 403',
    ...asQuery(((f) => ({ ...f, sig: sig(f) }))({ ...inboundSms, nonce: 'n' } as Fields)),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'SMS API, signed but no msisdn: 400', ...asQuery(signedFields({ to: '447700900000', messageId: 'm', text: 'x' })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'SMS API receipt without messageId: 400', ...asQuery(signedFields({ status: 'delivered' })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  {
    label: 'SMS API JSON with a nested field: 400',
    ...asJson({ ...signedFields(inboundSms), concat: { part: 1 } }),
    status: 400,
    code: 'JCT_PAYLOAD_INVALID',
  },
  {
    label: 'SMS API, a message-timestamp of the wrong form: 400',
    ...asQuery(signedFields({ ...inboundSms, 'message-timestamp': '1 Jan 2020' })),
    status: 400,
    code: 'JCT_PAYLOAD_INVALID',
  },
  { label: 'no signature secret configured: 403', settings: { signatureSecret: undefined }, ...asQuery(signedFields(inboundSms)), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  {
    label: 'behind a proxy (public base URL set, internal Host): the URL is not signed, so it verifies',
    settings: { publicBaseUrl: 'https://junction.example.com' },
    method: 'GET',
    url: asQuery(signedFields(inboundSms)).url,
    headers: { host: '10.0.0.7:3000' },
    status: 200,
    messages: [smsMessage],
  },
  // Messages API: inbound.
  {
    label: 'Messages API: an inbound WhatsApp text',
    ...messagesApi(waText),
    status: 200,
    messages: [{ channel: 'whatsapp', provider: 'vonage', from: '+447700900001', to: '+447700900000', text: 'Hello', media: [], providerMessageId: waText.message_uuid, receivedAt: Date.parse('2020-01-01T14:00:00Z') }],
  },
  {
    label: 'Messages API: an inbound SMS, the JWT without "Bearer "',
    ...messagesApi({ ...waText, channel: 'sms', text: 'START', sms: { num_messages: '1', keyword: 'START' } }, { bearer: false }),
    status: 200,
    messages: [{ channel: 'sms', from: '+447700900001', text: 'START' }],
  },
  {
    label: 'Messages API: an MMS picture is an SMS-channel message with media',
    ...messagesApi({ ...waText, channel: 'mms', message_type: 'image', text: undefined, image: { url: 'https://api.nexmo.com/v3/media/1' } }),
    status: 200,
    messages: [{ channel: 'sms', text: '', media: ['https://api.nexmo.com/v3/media/1'] }],
  },
  {
    label: 'Messages API: a WhatsApp location is acknowledged and skipped (no text to match, as the Meta adapter skips it)',
    ...messagesApi({ ...waText, message_type: 'location', text: undefined, location: { lat: 45.81, long: 15.98 } }),
    status: 200,
  },
  {
    label: 'Messages API: a WhatsApp reaction is acknowledged and skipped',
    ...messagesApi({ ...waText, message_type: 'reaction', text: undefined, reaction: { action: 'react', emoji: '👍' } }),
    status: 200,
  },
  {
    label: 'Messages API: a WhatsApp image with a caption',
    ...messagesApi({ ...waText, message_type: 'image', text: undefined, image: { url: 'https://example.com/cat.jpg', caption: 'my cat' } }),
    status: 200,
    messages: [{ channel: 'whatsapp', text: 'my cat', media: ['https://example.com/cat.jpg'] }],
  },
  {
    label: "Messages API: a template's quick-reply button",
    ...messagesApi({ ...waText, message_type: 'button', text: undefined, button: { text: 'Yes', payload: 'confirm' } }),
    status: 200,
    messages: [{ channel: 'whatsapp', text: '', button: { text: 'Yes', payload: 'confirm' } }],
  },
  {
    label: 'Messages API: an interactive reply',
    ...messagesApi({ ...waText, message_type: 'reply', text: undefined, reply: { id: 'row-2', title: 'Tuesday', description: 'afternoon' } }),
    status: 200,
    messages: [{ channel: 'whatsapp', button: { text: 'Tuesday', payload: 'row-2' } }],
  },
  { label: 'Messages API: a Viber message is acknowledged and ignored', ...messagesApi({ ...waText, channel: 'viber_service' }), status: 200 },
  // Messages API: statuses.
  {
    label: 'Messages API status delivered',
    ...messagesApi(status('delivered')),
    status: 200,
    reports: [{ provider: 'vonage', providerMessageId: 'bbbbbbbb-bbbb-4ccc-8ddd-0123456789ab', status: 'delivered', providerStatus: 'delivered', at: Date.parse('2020-01-01T14:00:00Z') }],
  },
  { label: "Messages API status echoes the send's key (client_ref)", ...messagesApi(status('delivered', { client_ref: '3-p1.1:2:0' })), status: 200, reports: [{ status: 'delivered', sentKey: '3-p1.1:2:0' }] },
  { label: 'Messages API status submitted is sent', ...messagesApi(status('submitted')), status: 200, reports: [{ status: 'sent', providerStatus: 'submitted' }] },
  { label: 'Messages API status read (WhatsApp)', ...messagesApi(status('read', { channel: 'whatsapp' })), status: 200, reports: [{ status: 'read' }] },
  {
    label: 'Messages API status rejected, with its error',
    ...messagesApi(status('rejected', { error: { type: 'https://developer.vonage.com/api-errors/messages#1020', title: 1020, detail: 'Invalid params' } })),
    status: 200,
    reports: [{ status: 'failed', providerStatus: 'rejected', errorCode: '1020' }],
  },
  { label: 'Messages API status undeliverable is failed', ...messagesApi(status('undeliverable')), status: 200, reports: [{ status: 'failed' }] },
  { label: 'Messages API status never seen is unknown', ...messagesApi(status('beamed')), status: 200, reports: [{ status: 'unknown', providerStatus: 'beamed' }] },
  // Messages API: refusals.
  { label: 'Messages API without Authorization: 401', ...asJson(waText), status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'Messages API signed with another secret: 403', ...messagesApi(waText, { secret: 'not-the-secret' }), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'Messages API, the body changed after signing (payload_hash): 403',
    body: JSON.stringify({ ...waText, text: 'STOP' }),
    headers: messagesApi(waText).headers,
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'Messages API, a JWT without payload_hash: 403', ...messagesApi(waText, { claims: { payload_hash: undefined } }), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'Messages API, iat 10 minutes old: 403', ...messagesApi(waText, { iat: Math.floor(Date.now() / 1000) - 600 }), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'Messages API, iat not a number: 403', ...messagesApi(waText, { claims: { iat: String(Math.floor(Date.now() / 1000)) } }), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'Messages API, an unsigned "alg: none" token: 403',
    body: JSON.stringify(waText),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${b64url({ alg: 'none' })}.${b64url({ iat: Math.floor(Date.now() / 1000) })}.` },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'Messages API, a token signed with the secret but saying HS512: 403',
    body: JSON.stringify(waText),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt({ iat: Math.floor(Date.now() / 1000), payload_hash: createHash('sha256').update(JSON.stringify(waText)).digest('hex') }, SECRET, 'HS512')}` },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'Messages API, a garbage token: 403', ...asJson(waText), headers: { 'content-type': 'application/json', authorization: 'Bearer abc' }, status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'Messages API, signed but no from: 400', ...messagesApi({ ...waText, from: undefined }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'Messages API, signed status without message_uuid text: 400', ...messagesApi({ message_uuid: 7, status: 'delivered' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  {
    label: 'signed invalid UTF-8: 400',
    body: Buffer.from([0x7b, 0xff, 0x7d]),
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    status: 400,
    code: 'JCT_BODY_ENCODING',
  },
  {
    label: 'Messages API behind a proxy: verifies whatever the Host',
    settings: { publicBaseUrl: 'https://junction.example.com' },
    ...messagesApi(status('delivered')),
    headers: { ...messagesApi(status('delivered')).headers, host: 'internal:3000' },
    status: 200,
    reports: [{ status: 'delivered' }],
  },
];

t.test('incoming', (t) => runIncoming(t, vonageModule, incoming, settings));

const sms = { channel: 'sms' as const, from: '+447700900000', to: '+447700900001', text: 'Welcome!' };
const basic = `Basic ${Buffer.from('a1b2c3d:vonage-api-secret-0123').toString('base64')}`;

const outgoing: OutgoingCase[] = [
  {
    label: 'an SMS is posted to /v1/messages with Basic auth, the outbox key as client_ref, and the message_uuid comes back',
    message: sms,
    responses: [{ status: 202, body: { message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab' } }],
    result: { providerMessageId: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab' },
    requests: [
      (r) => {
        t.equal(r.method, 'POST');
        t.equal(r.url, '/v1/messages');
        t.equal(r.headers['authorization'], basic);
        t.match(r.headers['content-type'], /^application\/json/);
        t.same(JSON.parse(r.body), { channel: 'sms', message_type: 'text', text: 'Welcome!', from: '447700900000', to: '447700900001', client_ref: 'p1.1:2:0' });
      },
    ],
  },
  {
    label: 'a WhatsApp text: addresses without "+" or "whatsapp:"',
    message: { channel: 'whatsapp', from: '+447700900000', to: 'whatsapp:+447700900001', text: 'Hi' },
    responses: [{ status: 202, body: { message_uuid: 'w-1' } }],
    result: { providerMessageId: 'w-1' },
    requests: [
      (r) => {
        t.same(JSON.parse(r.body), { channel: 'whatsapp', message_type: 'text', text: 'Hi', from: '447700900000', to: '447700900001', client_ref: 'p1.1:2:0' });
      },
    ],
  },
  {
    label: 'an alphanumeric sender stays as it is',
    settings: { numbers: ['*'] },
    message: { ...sms, from: 'Junction' },
    responses: [{ status: 202, body: { message_uuid: 'm-2' } }],
    result: { providerMessageId: 'm-2' },
    requests: [
      (r) => {
        t.equal(JSON.parse(r.body).from, 'Junction');
      },
    ],
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: sms,
    responses: [{ status: 429, body: { type: 'https://developer.vonage.com/api-errors#throttled', title: 'Rate Limit Hit' }, headers: { 'retry-after': '7' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 7000, message: /Rate Limit Hit/ } as never,
  },
  { label: '500 is retryable', message: sms, responses: [{ status: 500, body: 'oops' }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  {
    label: 'an invalid number (422) fails for good, in Vonage’s words',
    message: { ...sms, to: '+1' },
    responses: [
      {
        status: 422,
        body: {
          type: 'https://developer.vonage.com/api-errors/messages#1150',
          title: 'Invalid params',
          detail: 'The value of one or more parameters is invalid.',
          instance: 'bf0ca0bf927b3b52e3cb03217e1a1ddf',
          invalid_parameters: [{ name: 'to', reason: 'Invalid number' }],
        },
      },
    ],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: 'vonage answered 422: Invalid params: The value of one or more parameters is invalid.; to: Invalid number' } as never,
  },
  {
    label: 'bad credentials (401) fail for good',
    message: sms,
    responses: [{ status: 401, body: { type: 'https://developer.vonage.com/api-errors#unauthorized', title: 'Unauthorized', detail: 'You did not provide correct credentials.' } }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: /Unauthorized: You did not provide correct credentials/ } as never,
  },
  {
    label: 'a WhatsApp template is not sent (text only)',
    message: { channel: 'whatsapp', from: '+447700900000', to: '+447700900001', template: { name: 'welcome', language: 'en', parameters: [] } },
    responses: [{ status: 202, body: { message_uuid: 'never' } }],
    error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false },
  },
  { label: 'media is not sent (text only)', message: { ...sms, media: ['https://example.com/a.jpg'] }, responses: [{ status: 202, body: {} }], error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false } },
  { label: 'no API secret: fails for good', settings: { apiSecret: undefined }, message: sms, responses: [{ status: 202, body: {} }], error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false } },
  { label: 'a 2xx without message_uuid fails for good', message: sms, responses: [{ status: 202, body: {} }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
];

t.test('outgoing', (t) => runOutgoing(t, vonageModule, outgoing, (url) => ({ apiBaseUrl: url }), settings));

// Cross-checks with the SDK and the published vectors (carrier-dialects.md §2.3, §2.4).
const vector: Fields = {
  'api-key': 'abcd1234',
  keyword: 'HI',
  'message-timestamp': '2020-01-01 12:00:00',
  messageId: '0A0000000123ABCD1',
  msisdn: '447700900001',
  nonce: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
  text: 'Hi & bye=now',
  timestamp: '1577880000',
  to: '447700900000',
  type: 'text',
};
const ALGORITHM_OF: Record<SignatureMethod, AlgorithmTypes> = {
  md5hash: AlgorithmTypes.md5hash,
  md5hmac: AlgorithmTypes.md5hmac,
  sha1hmac: AlgorithmTypes.sha1hmac,
  sha256hmac: AlgorithmTypes.sha256hmac,
  sha512hmac: AlgorithmTypes.sha512hmac,
};
const sdkSms = new SMS({ apiKey: 'k', apiSecret: 's' } as never);

t.test('SMS API sig: the published vectors', async (t) => {
  t.equal(smsApiSignature(vector, 'sigsecret', 'md5hash'), '164527d53956642ab9df12867fe92fd7');
  t.equal(smsApiSignature(vector, 'sigsecret', 'md5hmac'), '59d91015ed7ef936679f0c9635e48ec6');
  t.equal(smsApiSignature(vector, 'sigsecret', 'sha256hmac'), 'dce60745d53c297a690bd5d7b2ad0e59354aa4c0e20206e0d03d1cf4153547ed');
  const request = { method: 'GET', url: `/webhooks/vonage?${new URLSearchParams({ ...vector, sig: 'DCE60745D53C297A690BD5D7B2AD0E59354AA4C0E20206E0D03D1CF4153547ED' })}`, headers: {}, body: undefined };
  const verifyAt = (now: number) => vonage.verify(webhook(request), { ...settings, signatureSecret: 'sigsecret' } as VonageSettings, now);
  t.doesNotThrow(() => verifyAt(1577880000_000 + 60_000), 'the vector verifies at its own time');
  t.throws(() => verifyAt(1577880000_000 + 600_000), { code: 'JCT_SIGNATURE_INVALID' }, 'and is stale 10 minutes later');
});

t.test("SMS API sig: the test signer's signatures validate with the SDK, for every method", async (t) => {
  for (const method of Object.keys(ALGORITHM_OF) as SignatureMethod[]) {
    const fields = signedFields(inboundSms, { method });
    t.ok(sdkSms.verifySignature(fields.sig!, fields, SECRET, ALGORITHM_OF[method]), method);
    t.equal(smsApiSignature(fields, SECRET, method), fields.sig, `${method}: ours agrees`);
    t.notOk(sdkSms.verifySignature(fields.sig!, { ...fields, text: 'other' }, SECRET, ALGORITHM_OF[method]), `${method}: the SDK refuses a changed field too`);
  }
});

t.test('Messages API JWT: the published vector verifies with ours and with the SDK', async (t) => {
  const body = '{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000","from":"447700900001","timestamp":"2020-01-01T14:00:00.000Z","status":"delivered"}';
  const token =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjVkMjVmYjIzNmMyNTc4NzU1Nzk5YmExYjRkODE5ZjcyODhhMDhmZjg3NGM0Yjc5NzIwZTY3ZjQzOThmNjc3YmYiLCJhcGlfa2V5IjoiYTFiMmMzZCIsImFwcGxpY2F0aW9uX2lkIjoiYWFhYWFhYWEtYmJiYi1jY2NjLWRkZGQtMDEyMzQ1Njc4OWFiIn0.WOAhB9stQUef1CK6AaHf1NHCAUHflwxaTATgXtQUWPw';
  const request = { method: 'POST', url: '/webhooks/vonage', headers: { authorization: `Bearer ${token}` }, body: JSON.parse(body) as unknown, rawBody: Buffer.from(body) };
  t.ok(verifySignature(token, SECRET), 'the SDK accepts it');
  t.doesNotThrow(() => vonage.verify(webhook(request), settings as VonageSettings, 1700000000_000 + 30_000), 'ours accepts it');
  t.throws(() => vonage.verify(webhook({ ...request, rawBody: Buffer.from(body.replace('delivered', 'rejected')) }), settings as VonageSettings, 1700000000_000), { code: 'JCT_SIGNATURE_INVALID' });
  t.same((await vonage.read(webhook(request), settings as VonageSettings, 0)).reports, [{ provider: 'vonage', providerMessageId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', status: 'delivered', providerStatus: 'delivered', at: Date.parse('2020-01-01T14:00:00Z') }]);
});

t.test("Messages API JWT: the test signer's tokens validate with the SDK, other secrets' with neither", async (t) => {
  const good = messagesApi(waText).headers.authorization.slice('Bearer '.length);
  const bad = messagesApi(waText, { secret: 'another-secret' }).headers.authorization.slice('Bearer '.length);
  t.ok(verifySignature(good, SECRET));
  t.notOk(verifySignature(bad, SECRET));
});

t.test('SMS API: without message-timestamp, the time of arrival', async (t) => {
  const fields = { msisdn: '447700900001', to: '447700900000', messageId: 'm-2', text: 'x' };
  t.match((await vonage.read(webhook({ method: 'POST', url: '/webhooks/vonage', headers: {}, body: fields }), settings as VonageSettings, 12_345)).messages, [{ providerMessageId: 'm-2', receivedAt: 12_345 }]);
});

/** A gateway with the Vonage module, and the inbound messages submitted through it. */
function vonageGateway() {
  const { engine } = world({ start: new Date().toISOString(), modules: [messagingModule, vonageModule], settings: { vonage: settings } });
  const messages: InboundMessage[] = [];
  const submit = engine.submit.bind(engine);
  engine.submit = (key, input: Input) => (input.kind === 'message.inbound' && messages.push(input.message), submit(key, input));
  const app = buildApp(engine);
  const send = (fields: Fields) => app.inject({ method: 'GET', url: asQuery(signedFields(fields)).url });
  return { send, messages, close: () => engine.close() };
}

/** Part `index` of a long SMS of `of` parts whose reference is `ref`. */
const part = (ref: string, index: number, of: number, text: string): Fields => ({
  ...inboundSms,
  messageId: `0A00000000000000${index}`,
  text,
  type: 'unicode',
  concat: 'true',
  'concat-ref': ref,
  'concat-total': String(of),
  'concat-part': String(index),
});

t.test('SMS API: a long SMS comes part by part and is taken as one message, in order, named by its first part', async (t) => {
  const gw = vonageGateway();
  const texts = ['Bonjour, je voudrais changer ma livraison ', 'de mardi à jeudi 🚚 ', 'merci'];
  const answers = await Promise.all([3, 1, 2].map((i) => gw.send(part('7f', i, 3, texts[i - 1]!))));
  t.same(answers.map((a) => a.statusCode), [200, 200, 200], 'each part answered');
  const whole = { from: '+447700900001', to: '+447700900000', text: texts.join(''), providerMessageId: '0A000000000000001' };
  t.match(gw.messages, [whole, whole, whole], 'every part hands on the whole message (the engine takes it once)');
  const again = await gw.send(part('7f', 2, 3, texts[1]!));
  t.equal(again.statusCode, 200);
  t.match(gw.messages.at(-1), whole, 'a part sent again hands on the whole message again, not its own text');
  const other = await Promise.all([1, 2].map((i) => gw.send({ ...part('80', i, 2, `x${i}`), msisdn: '447700900009' })));
  t.same(other.map((a) => a.statusCode), [200, 200]);
  t.match(gw.messages.at(-1), { from: '+447700900009', text: 'x1x2' }, "another sender's parts are another message");
  await gw.close();
});

t.test('SMS API: a long SMS whose other parts do not come is handed on part by part after a short wait', async (t) => {
  const gw = vonageGateway();
  const started = Date.now();
  const answer = await gw.send(part('81', 2, 2, 'only the end'));
  t.equal(answer.statusCode, 200);
  t.ok(Date.now() - started >= 1000, 'it waited for the other part');
  t.match(gw.messages, [{ text: 'only the end', providerMessageId: '0A000000000000002' }]);
  const late = await gw.send(part('81', 1, 2, 'the start '));
  t.equal(late.statusCode, 200);
  t.match(gw.messages.at(-1), { text: 'the start ', providerMessageId: '0A000000000000001' }, 'a part after the wait is its own message');
  await gw.close();
});

t.test('SMS API: each Vonage module puts together the parts it receives: parts alike reaching two modules are not mixed', async (t) => {
  const read = (provider: typeof vonage, fields: Fields) => provider.read(webhook({ method: 'POST', url: '/webhooks/vonage', headers: {}, body: fields }), settings as VonageSettings, Date.now());
  const [one, other] = [vonageProvider(), vonageProvider()];
  const [fromOne, fromOther] = await Promise.all([read(one, part('90', 1, 2, 'the start ')), read(other, part('90', 2, 2, 'the end'))]);
  const said = (messages: readonly InboundMessage[]) => messages.map((m) => [m.text, m.providerMessageId]);
  t.same(said(fromOne.messages), [['the start ', '0A000000000000001']], "one module's part is its own message after the wait");
  t.same(said(fromOther.messages), [['the end', '0A000000000000002']], "and so is the other's");
});

function webhook(r: { method: string; url: string; headers: Record<string, string>; body: unknown; rawBody?: Buffer }): WebhookRequest {
  return { params: {}, query: {}, rawBody: Buffer.alloc(0), publicUrl: `https://junction.example.com${r.url}`, ...r };
}
