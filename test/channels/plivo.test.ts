// The Plivo adapter through the shared harness: V2- and V3-signed form webhooks (inbound SMS,
// MMS, WhatsApp, status callbacks; GET; -Ma- headers; behind a proxy) in, Message API sends out;
// signatures checked against the published vectors and cross-checked with the plivo SDK.
import t from 'tap';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { validateSignature, validateV3Signature } from 'plivo';
import plivoModule from '../../channels/plivo/index.js';
import { plivoSignature, v3Base, verifyPlivo } from '../../channels/plivo/signature.js';
import { formParams } from '../../channels/form.js';
import type { WebhookRequest } from '../../channels/provider.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';

const TOKEN = 'plivo-subaccount-token-0123';
const MAIN = 'plivo-main-account-token-4567';
const AUTH_ID = 'SAXXXXXXXXXXXXXXXXXX';
const PUBLIC = 'https://junction.example.com';
const HOOK = `${PUBLIC}/webhooks/plivo`;
const NONCE = '05429567804466091622';
const settings = { authToken: TOKEN, mainAuthToken: MAIN, authId: AUTH_ID, publicBaseUrl: PUBLIC };

type Params = Record<string, string | string[]>;

// The test's own signer, written from carrier-dialects.md §3.3 (not from the adapter).
const b64 = (token: string, data: string): string => createHmac('sha256', token).update(data, 'utf8').digest('base64');
const pairs = (p: Params, between: string): string[] =>
  Object.keys(p)
    .sort()
    .flatMap((k) => [p[k]!].flat().sort().map((v) => k + between + v));
const path = (url: string): string => url.split(/[?#]/)[0]!;
function v3String(method: string, url: string, params: Params): string {
  const query: Params = {};
  for (const [k, v] of new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '')) query[k] = [...[query[k] ?? []].flat(), v];
  const qs = pairs(query, '=').join('&');
  if (method === 'GET') return qs ? `${path(url)}?${qs}` : path(url);
  const has = Object.keys(params).length > 0;
  return `${path(url)}${qs || has ? '?' : ''}${qs}${qs && has ? '.' : ''}${pairs(params, '').join('')}`;
}
const v2 = (url: string, token = TOKEN, nonce = NONCE): string => b64(token, path(url) + nonce);
const v3 = (method: string, url: string, params: Params, token = TOKEN, nonce = NONCE): string => b64(token, `${v3String(method, url, params)}.${nonce}`);

function encode(params: Params): string {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of [v].flat()) form.append(k, item);
  return form.toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** A form POST signed V2, as Plivo Messaging signs. */
function signedV2(params: Params, url = HOOK, token = TOKEN): { body: string; headers: Record<string, string> } {
  return { body: encode(params), headers: { ...FORM, 'x-plivo-signature-v2': v2(url, token), 'x-plivo-signature-v2-nonce': NONCE } };
}
/** A form POST signed V3. */
function signedV3(params: Params, url = HOOK, token = TOKEN): { body: string; headers: Record<string, string> } {
  return { body: encode(params), headers: { ...FORM, 'x-plivo-signature-v3': v3('POST', url, params, token), 'x-plivo-signature-v3-nonce': NONCE } };
}

const UUID = '3a5f0f6e-1111-2222-3333-444455556666';
const sms = { From: '14155550100', To: '14155550199', Type: 'sms', Text: 'STOP', MessageUUID: UUID, Units: '1', TotalRate: '0.00000', TotalAmount: '0.00000', MessageIntent: 'optout', PowerpackUUID: '' };
const status = (s: string, extra: Params = {}) => ({ MessageUUID: UUID, From: '14155550199', To: '14155550100', Type: 'sms', Status: s, Units: '1', Sequence: '2', ...extra });

const incoming: IncomingCase[] = [
  {
    label: 'a V2-signed inbound SMS becomes a message, numbers given their "+"',
    ...signedV2(sms),
    status: 200,
    answer: '<Response></Response>',
    messages: [{ channel: 'sms', provider: 'plivo', from: '+14155550100', to: '+14155550199', text: 'STOP', media: [], providerMessageId: UUID }],
  },
  {
    label: 'an MMS: its text in Body and its media Media1… in order',
    ...signedV2({ ...sms, Type: 'mms', Text: [], Body: 'look', MediaCount: '2', Media1: 'https://media.plivo.com/1', Media2: 'https://media.plivo.com/2' }),
    status: 200,
    messages: [{ channel: 'sms', text: 'look', media: ['https://media.plivo.com/1', 'https://media.plivo.com/2'] }],
  },
  {
    label: 'an MMS with an empty Text beside its Body: the text is the Body',
    ...signedV2({ ...sms, Type: 'mms', Text: '', Body: 'look' }),
    status: 200,
    messages: [{ channel: 'sms', text: 'look' }],
  },
  {
    label: 'an SMS with an empty Body beside its Text: the text is the Text',
    ...signedV2({ ...sms, Body: '' }),
    status: 200,
    messages: [{ channel: 'sms', text: 'STOP' }],
  },
  {
    label: 'a WhatsApp button reply',
    ...signedV2({ From: '385911234567', To: '14155550199', Type: 'whatsapp', Body: 'Yes', ContentType: 'button', MessageUUID: UUID, Units: '1' }),
    status: 200,
    messages: [{ channel: 'whatsapp', from: '+385911234567', text: 'Yes', button: { text: 'Yes' } }],
  },
  {
    label: 'a V3-signed message on a URL with a query',
    url: '/webhooks/plivo?tenant=acme&b=2',
    ...signedV3(sms, `${HOOK}?tenant=acme&b=2`),
    status: 200,
    messages: [{ providerMessageId: UUID }],
  },
  {
    label: 'V3 signed with the main account token in the -Ma- header',
    body: encode(sms),
    headers: { ...FORM, 'x-plivo-signature-ma-v3': v3('POST', HOOK, sms, MAIN), 'x-plivo-signature-v3-nonce': NONCE },
    status: 200,
    messages: [{ providerMessageId: UUID }],
  },
  {
    label: 'V2 signed with the main account token in the -Ma- header',
    body: encode(sms),
    headers: { ...FORM, 'x-plivo-signature-ma-v2': v2(HOOK, MAIN), 'x-plivo-signature-v2-nonce': NONCE },
    status: 200,
    messages: [{ providerMessageId: UUID }],
  },
  {
    label: 'a V3 header listing several signatures',
    body: encode(sms),
    headers: { ...FORM, 'x-plivo-signature-v3': `bm90IGl0,${v3('POST', HOOK, sms)}`, 'x-plivo-signature-v3-nonce': NONCE },
    status: 200,
    messages: [{ providerMessageId: UUID }],
  },
  {
    label: 'a signature listed after thousands of junk entries is not looked for: 403, each token signed once',
    body: encode(sms),
    headers: { ...FORM, 'x-plivo-signature-v3': `${'bm90IGl0,'.repeat(5000)}${v3('POST', HOOK, sms)}`, 'x-plivo-signature-v3-nonce': NONCE },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'a GET webhook signed V3 over its query',
    method: 'GET',
    url: `/webhooks/plivo?${encode(sms)}`,
    headers: { 'x-plivo-signature-v3': v3('GET', `${HOOK}?${encode(sms)}`, {}), 'x-plivo-signature-v3-nonce': NONCE },
    status: 200,
    messages: [{ from: '+14155550100', text: 'STOP' }],
  },
  ...(
    [
      ['queued', 'queued'],
      ['sent', 'sent'],
      ['delivered', 'delivered'],
      ['read', 'read'],
      ['rejected', 'failed'],
      ['lost_in_space', 'unknown'],
    ] as const
  ).map(
    ([word, normalized]): IncomingCase => ({
      label: `status callback "${word}" → ${normalized}`,
      ...signedV2(status(word)),
      status: 200,
      reports: [{ provider: 'plivo', providerMessageId: UUID, status: normalized, providerStatus: word }],
    }),
  ),
  {
    label: 'a report on part 2 of a multipart SMS names the whole message (its first part) and the part',
    ...signedV2(status('delivered', { MessageUUID: 'part-two-uuid', ParentMessageUUID: UUID, PartInfo: '2 of 3' })),
    status: 200,
    reports: [{ provider: 'plivo', providerMessageId: UUID, status: 'delivered', part: { index: 2, of: 3 } }],
  },
  {
    label: 'a single-part message reports no part; a PartInfo that is no part is none',
    ...signedV2(status('delivered', { ParentMessageUUID: UUID, PartInfo: '4 of 3' })),
    status: 200,
    reports: [{ provider: 'plivo', providerMessageId: UUID, status: 'delivered', part: undefined }],
  },
  {
    label: 'a status callback to a URL naming a shard, V2-signed over it, is accepted',
    url: '/webhooks/plivo?shard=3',
    ...signedV2(status('delivered'), `${HOOK}?shard=3`),
    status: 200,
    reports: [{ provider: 'plivo', providerMessageId: UUID, status: 'delivered' }],
  },
  {
    label: 'an undelivered message keeps its error code',
    ...signedV3(status('undelivered', { ErrorCode: '200' })),
    status: 200,
    reports: [{ status: 'failed', providerStatus: 'undelivered', errorCode: '200' }],
  },
  {
    label: 'behind a proxy: the request arrives with an internal Host, the public URL is what was signed',
    ...signedV3(sms),
    headers: { ...signedV3(sms).headers, host: 'junction-internal:3000' },
    status: 200,
    messages: [{ providerMessageId: UUID }],
  },
  {
    label: 'behind a proxy: a signature over the internal URL is refused',
    ...signedV3(sms, 'http://junction-internal:3000/webhooks/plivo'),
    headers: { ...signedV3(sms, 'http://junction-internal:3000/webhooks/plivo').headers, host: 'junction-internal:3000' },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'without publicBaseUrl the Host header makes the URL',
    settings: { publicBaseUrl: undefined },
    ...signedV3(sms, 'http://hooks.example.org/webhooks/plivo'),
    headers: { ...signedV3(sms, 'http://hooks.example.org/webhooks/plivo').headers, host: 'hooks.example.org' },
    status: 200,
    messages: [{ providerMessageId: UUID }],
  },
  { label: 'no signature: 401', body: encode(sms), headers: FORM, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  {
    label: 'a signature without its nonce: 401',
    body: encode(sms),
    headers: { ...FORM, 'x-plivo-signature-v3': v3('POST', HOOK, sms) },
    status: 401,
    code: 'JCT_SIGNATURE_MISSING',
  },
  { label: 'V3 signed with another token: 403', ...signedV3(sms, HOOK, 'another-token'), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'V2 signed with another token: 403', ...signedV2(sms, HOOK, 'another-token'), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'the main token in the plain header: 403',
    body: encode(sms),
    headers: { ...FORM, 'x-plivo-signature-v3': v3('POST', HOOK, sms, MAIN), 'x-plivo-signature-v3-nonce': NONCE },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'a V3 body changed after signing: 403', body: encode({ ...sms, Text: 'START' }), headers: signedV3(sms).headers, status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'a V3 query changed after signing: 403',
    url: '/webhooks/plivo?tenant=evil',
    ...signedV3(sms, `${HOOK}?tenant=acme`),
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'V2 signs the URL only: a changed body still verifies (Plivo’s limitation, see docs/channels/plivo.md)',
    body: encode({ ...sms, Text: 'START' }),
    headers: signedV2(sms).headers,
    status: 200,
    messages: [{ text: 'START' }],
  },
  { label: 'no auth token configured: every webhook refused', settings: { authToken: undefined }, ...signedV2(sms), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  { label: 'a signed message without MessageUUID: 400', ...signedV3({ From: '14155550100', To: '14155550199', Text: 'x' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'a signed message of an unknown Type: 400', ...signedV3({ ...sms, Type: 'fax' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'a signed MMS missing an announced medium: 400', ...signedV3({ ...sms, Type: 'mms', MediaCount: '2', Media1: 'https://m/1' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'a signed status callback without MessageUUID: 400', ...signedV3({ Status: 'sent' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  {
    label: 'a signed body of another content type: 400',
    body: JSON.stringify(sms),
    headers: { 'content-type': 'application/json', 'x-plivo-signature-v2': v2(HOOK), 'x-plivo-signature-v2-nonce': NONCE },
    status: 400,
    code: 'JCT_PAYLOAD_INVALID',
  },
];

t.test('incoming', (t) => runIncoming(t, plivoModule, incoming, settings));

const basic = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;
const queued = { status: 202, body: { api_id: 'a-1', message: 'message(s) queued', message_uuid: ['db3ce55a-7f1d-11e1-8ea7-1231380bc196'] } };
const toFailSend = { channel: 'sms', from: '+14155550199', to: '+14155550100', text: 'x' } as const;

const outgoing: OutgoingCase[] = [
  {
    label: 'an SMS is posted as JSON with Basic auth and the status callback url; the message_uuid comes back',
    message: { channel: 'sms', from: '+14155550199', to: '+14155550100', text: 'Welcome!' },
    responses: [queued],
    result: { providerMessageId: 'db3ce55a-7f1d-11e1-8ea7-1231380bc196' },
    requests: [
      (r) => {
        t.equal(r.method, 'POST');
        t.equal(r.url, `/v1/Account/${AUTH_ID}/Message/`);
        t.equal(r.headers['authorization'], basic);
        t.match(r.headers['content-type'], /^application\/json/);
        t.same(JSON.parse(r.body), { src: '+14155550199', dst: '+14155550100', type: 'sms', text: 'Welcome!', url: HOOK, method: 'POST' });
      },
    ],
  },
  {
    label: 'a message sent from a shard of a sharded cluster: its status callback url names the shard',
    key: '12-p1.1:2:0',
    message: { channel: 'sms', from: '+14155550199', to: '+14155550100', text: 'Welcome!' },
    responses: [queued],
    result: { providerMessageId: 'db3ce55a-7f1d-11e1-8ea7-1231380bc196' },
    requests: [(r) => void t.equal(JSON.parse(r.body).url, `${HOOK}?shard=12`)],
  },
  {
    label: 'media make an MMS; without publicBaseUrl no callback url',
    settings: { publicBaseUrl: undefined },
    message: { channel: 'sms', from: '+14155550199', to: '+14155550100', text: 'look', media: ['https://x.example/1.jpg'] },
    responses: [queued],
    result: { providerMessageId: 'db3ce55a-7f1d-11e1-8ea7-1231380bc196' },
    requests: [(r) => void t.same(JSON.parse(r.body), { src: '+14155550199', dst: '+14155550100', type: 'mms', text: 'look', media_urls: ['https://x.example/1.jpg'] })],
  },
  {
    label: 'a WhatsApp template with its body parameters',
    message: { channel: 'whatsapp', from: '+14155550199', to: '+385911234567', template: { name: 'appointment', language: 'en_US', parameters: ['Ana', '12:00'] } },
    responses: [queued],
    result: { providerMessageId: 'db3ce55a-7f1d-11e1-8ea7-1231380bc196' },
    requests: [
      (r) =>
        void t.match(JSON.parse(r.body), {
          type: 'whatsapp',
          template: { name: 'appointment', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '12:00' }] }] },
        }),
    ],
  },
  {
    label: 'WhatsApp reply buttons',
    message: { channel: 'whatsapp', from: '+14155550199', to: '+385911234567', interactive: { type: 'buttons', body: 'Come?', buttons: [{ id: 'y', title: 'Yes' }, { id: 'n', title: 'No' }] } },
    responses: [queued],
    result: { providerMessageId: 'db3ce55a-7f1d-11e1-8ea7-1231380bc196' },
    requests: [
      (r) =>
        void t.same(JSON.parse(r.body).interactive, {
          type: 'button',
          body: { text: 'Come?' },
          action: {
            buttons: [
              { id: 'y', title: 'Yes' },
              { id: 'n', title: 'No' },
            ],
          },
        }),
    ],
  },
  {
    label: 'a WhatsApp list',
    message: {
      channel: 'whatsapp',
      from: '+14155550199',
      to: '+385911234567',
      interactive: { type: 'list', body: 'Pick', button: 'Times', sections: [{ title: 'Mon', rows: [{ id: 'm9', title: '9:00', description: 'morning' }] }] },
    },
    responses: [queued],
    result: { providerMessageId: 'db3ce55a-7f1d-11e1-8ea7-1231380bc196' },
    requests: [
      (r) =>
        void t.same(JSON.parse(r.body).interactive, {
          type: 'list',
          body: { text: 'Pick' },
          action: { buttons: [{ title: 'Times' }], sections: [{ title: 'Mon', rows: [{ id: 'm9', title: '9:00', description: 'morning' }] }] },
        }),
    ],
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: toFailSend,
    responses: [{ status: 429, body: { api_id: 'a-2', error: 'too many requests' }, headers: { 'retry-after': '3' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 3000 } as never,
  },
  { label: '500 is retryable', message: toFailSend, responses: [{ status: 500, body: 'oops' }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  {
    label: 'an invalid destination fails for good with Plivo’s words',
    message: toFailSend,
    responses: [{ status: 400, body: { api_id: 'a-3', error: 'invalid dst parameter: +14155550100 is not a valid number' } }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: 'plivo answered 400: invalid dst parameter: +14155550100 is not a valid number' } as never,
  },
  { label: 'a 2xx without a message_uuid fails for good', message: toFailSend, responses: [{ status: 202, body: { api_id: 'a-4' } }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
  {
    label: 'no auth id configured: fails for good',
    settings: { authId: undefined },
    message: toFailSend,
    responses: [queued],
    error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false },
  },
];

t.test('outgoing', (t) => runOutgoing(t, plivoModule, outgoing, (url) => ({ apiBaseUrl: url, numbers: ['*'] }), settings));

function request(method: string, publicUrl: string, body: string, headers: Record<string, string>): WebhookRequest {
  return { method, url: '', publicUrl, params: {}, query: {}, headers, body: undefined, rawBody: Buffer.from(body) };
}

t.test('the published test vectors (carrier-dialects.md §3.3)', async (t) => {
  const token = 'MAXXXXXXXXXXXXXXXXXX_token';
  const tokens = { authToken: token, mainAuthToken: token };
  t.equal(plivoSignature(token, `https://example.com/sms/inbound/${NONCE}`), 'uUFgALiL8Z/DgKcVJof3u3pz+la9JdVD8LxvqsEyreY=');
  const v2Headers = { 'x-plivo-signature-v2': 'uUFgALiL8Z/DgKcVJof3u3pz+la9JdVD8LxvqsEyreY=', 'x-plivo-signature-v2-nonce': NONCE };
  t.doesNotThrow(() => verifyPlivo(request('POST', 'https://example.com/sms/inbound/', '', v2Headers), tokens));
  const call = { CallUUID: '2be3c5b4-1111-2222-3333-444455556666', From: '14155550100', To: '14155550199', Direction: 'inbound', CallStatus: 'ringing' };
  const vectors: Array<[string, string, string, string]> = [
    ['POST', 'https://example.com/answer/', encode(call), 'hJUcYLZdVjuQr1Tf8EFssZYsDLVygT7lhQiLZVS+M+g='],
    ['POST', 'https://example.com/answer/?tenant=acme&b=2', encode(call), 'ZdMIht3UbQls2sm1lCJaB9rcfEz7bAXXanCl/uFOFFE='],
    ['GET', `https://example.com/answer/?tenant=acme&${encode(call)}`, '', 'tuV1CqkeMcLvThq01dEzRFHpK/m228S1Fjn69WTESQY='],
  ];
  for (const [method, url, body, expected] of vectors) {
    t.equal(plivoSignature(token, `${v3Base(method, url, method === 'POST' ? formParams(body) : new Map())}.${NONCE}`), expected, `${method} ${url}`);
    t.doesNotThrow(() => verifyPlivo(request(method, url, body, { 'x-plivo-signature-v3': expected, 'x-plivo-signature-v3-nonce': NONCE }), tokens));
  }
});

t.test('signatures cross-checked with the plivo SDK (validateV3Signature, validateSignature)', async (t) => {
  // ASCII only: the SDK runs its inputs through utf8.encode before hashing them as UTF-8 again,
  // so it disagrees with the documented recipe (and with its other SDKs) on any non-ASCII byte.
  const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 10 });
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,7}$/);
  const params = fc.dictionary(name, fc.oneof(ascii, fc.array(ascii, { minLength: 1, maxLength: 3 })), { maxKeys: 6 });
  const query = fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), ascii, { maxKeys: 3 });
  const base = fc.constantFrom('https://junction.example.com/webhooks/plivo', 'http://127.0.0.1:3000/webhooks/plivo');
  fc.assert(
    fc.property(base, query, params, fc.constantFrom('GET', 'POST'), (base, q, p, method) => {
      const qs = new URLSearchParams(q).toString();
      const url = method === 'GET' ? `${base}?${[qs, encode(p)].filter(Boolean).join('&')}` : `${base}${qs ? `?${qs}` : ''}`;
      const body = method === 'POST' ? encode(p) : '';
      const ours = plivoSignature(TOKEN, `${v3Base(method, url, method === 'POST' ? formParams(body) : new Map())}.${NONCE}`);
      const testSigner = v3(method, url, method === 'POST' ? p : {});
      verifyPlivo(request(method, url, body, { 'x-plivo-signature-v3': testSigner, 'x-plivo-signature-v3-nonce': NONCE }), { authToken: TOKEN, mainAuthToken: TOKEN });
      const v2Ours = plivoSignature(TOKEN, url.split('?')[0] + NONCE);
      return (
        ours === testSigner &&
        validateV3Signature(method, url, NONCE, TOKEN, ours, method === 'POST' ? p : {}) &&
        validateSignature(url, NONCE, v2Ours, TOKEN) &&
        v2Ours === v2(url)
      );
    }),
    { numRuns: 300 },
  );
  t.pass('300 random requests: the SDK accepts our V2 and V3 signatures; we accept the test signer’s');
});
