// The Meta WhatsApp Cloud API provider through the shared harness: the GET handshake, signed
// notifications (messages, media, replies, statuses, batches) in, Graph API sends out. The
// X-Hub-Signature-256 recipe is checked against carrier-dialects §6.4's vector and an
// independent WebCrypto HMAC (Meta's Node SDK, WhatsApp/WhatsApp-Nodejs-SDK, is not installed;
// its generate_x_hub_256_sig is createHmac('sha256', secret).update(body).digest('hex')).
import t from 'tap';
import { createHmac } from 'node:crypto';
import metaModule, { metaWhatsApp } from '../../channels/meta-whatsapp/index.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';

const APP_SECRET = 'meta-app-secret-0123456789';
const VERIFY_TOKEN = 'meta-verify-token-0123';
const ACCESS_TOKEN = 'EAAG-meta-access-token-0123456789';
const settings = { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, accessToken: ACCESS_TOKEN };

/** carrier-dialects §6.4: the published [COMPUTED] vector. */
const VECTOR = {
  secret: 'app_secret_123',
  body: '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}',
  signature: 'sha256=4b9149d7189c440eedb5adb55f3f885bf6de8894177a4df052b1409ba1556c8d',
};

function sign(body: string, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

function signed(body: unknown, secret = APP_SECRET): { body: string; headers: Record<string, string> } {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { body: text, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(text, secret) } };
}

const METADATA = { display_phone_number: '15550783881', phone_number_id: '106540352242922' };
function notification(value: Record<string, unknown>, field = 'messages'): unknown {
  return { object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field, value: { messaging_product: 'whatsapp', metadata: METADATA, ...value } }] }] };
}
const message = (type: string, content: Record<string, unknown>, id = `wamid.${type}`) => ({ from: '16505551234', id, timestamp: '1749416383', type, ...content });
const status = (s: string, extra: Record<string, unknown> = {}) => ({ id: `wamid.out-${s}`, status: s, timestamp: '1749416400', recipient_id: '16505551234', ...extra });
const AT = 1749416383_000;

t.test('the signature recipe', async (t) => {
  t.equal(sign(VECTOR.body, VECTOR.secret), VECTOR.signature, 'the test signer reproduces the published vector');
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(VECTOR.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = Buffer.from(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(VECTOR.body))).toString('hex');
  t.equal(`sha256=${mac}`, VECTOR.signature, 'an independent WebCrypto HMAC agrees');
  const req = { method: 'POST', url: '/webhooks/meta-whatsapp', publicUrl: 'https://x/webhooks/meta-whatsapp', params: {}, query: {}, body: undefined };
  const base = { ...settings, appSecret: VECTOR.secret, numbers: [], timeoutMs: 1000, apiBaseUrl: '', apiVersion: 'v23.0' };
  t.doesNotThrow(() => metaWhatsApp.verify({ ...req, rawBody: Buffer.from(VECTOR.body), headers: { 'x-hub-signature-256': VECTOR.signature } }, base, Date.now()), 'the adapter accepts the vector');
  t.throws(() => metaWhatsApp.verify({ ...req, rawBody: Buffer.from(VECTOR.body + ' '), headers: { 'x-hub-signature-256': VECTOR.signature } }, base, Date.now()), { code: 'JCT_SIGNATURE_INVALID' });
});

const handshake = (query: string, extra: Partial<IncomingCase> = {}): IncomingCase => ({ label: query, method: 'GET', url: `/webhooks/meta-whatsapp?${query}`, status: 200, ...extra });

const incoming: IncomingCase[] = [
  handshake(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`, { label: 'handshake: the right token is answered with the challenge', answer: /^1158201444$/ }),
  handshake(`hub.mode=subscribe&hub.verify_token=wrong-token-000000&hub.challenge=1`, { label: 'handshake: a wrong token is refused', status: 403, code: 'JCT_SIGNATURE_INVALID' }),
  handshake(`hub.mode=subscribe&hub.challenge=1`, { label: 'handshake: no token: 401', status: 401, code: 'JCT_SIGNATURE_MISSING' }),
  handshake(`hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`, { label: 'handshake: another mode: 400', status: 400, code: 'JCT_PAYLOAD_INVALID' }),
  handshake(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}`, { label: 'handshake: no challenge: 400', status: 400, code: 'JCT_PAYLOAD_INVALID' }),
  handshake(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`, { label: 'handshake: no verify token configured', settings: { verifyToken: undefined }, status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' }),
  {
    label: 'the published vector: a text message',
    settings: { appSecret: VECTOR.secret },
    body: VECTOR.body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': VECTOR.signature },
    status: 200,
    messages: [
      {
        channel: 'whatsapp',
        provider: 'meta-whatsapp',
        from: '+16505551234',
        to: '+15550783881',
        text: 'Does it come in another color?',
        media: [],
        providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        receivedAt: AT,
      },
    ],
  },
  {
    label: 'media: image with caption, audio, video, document',
    ...signed(
      notification({
        messages: [
          message('image', { image: { id: 'img-1', mime_type: 'image/jpeg', sha256: 'x', caption: 'the receipt' } }),
          message('audio', { audio: { id: 'aud-1', mime_type: 'audio/ogg' } }),
          message('video', { video: { id: 'vid-1' } }),
          message('document', { document: { id: 'doc-1', filename: 'a.pdf', caption: 'contract' } }),
        ],
      }),
    ),
    status: 200,
    messages: [
      { text: 'the receipt', media: ['whatsapp-media:img-1'], providerMessageId: 'wamid.image' },
      { text: '', media: ['whatsapp-media:aud-1'] },
      { text: '', media: ['whatsapp-media:vid-1'] },
      { text: 'contract', media: ['whatsapp-media:doc-1'] },
    ],
  },
  {
    label: 'replies: interactive button, interactive list, template quick-reply button',
    ...signed(
      notification({
        messages: [
          message('interactive', { context: { from: '15550783881', id: 'wamid.menu' }, interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes please' } } }),
          message('interactive', { interactive: { type: 'list_reply', list_reply: { id: 'opt-2', title: 'Support', description: 'Talk to us' } } }, 'wamid.list'),
          message('button', { button: { text: 'Stop promotions', payload: 'STOP' } }),
        ],
      }),
    ),
    status: 200,
    messages: [
      { text: 'Yes please', button: { text: 'Yes please', payload: 'yes' } },
      { text: 'Support', button: { text: 'Support', payload: 'opt-2' }, providerMessageId: 'wamid.list' },
      { text: 'Stop promotions', button: { text: 'Stop promotions', payload: 'STOP' } },
    ],
  },
  {
    label: 'statuses: sent, delivered, read, failed with its error, and an unknown word',
    ...signed(
      notification({
        statuses: [
          status('sent', { conversation: { id: 'c', origin: { type: 'service' } }, pricing: { category: 'service' } }),
          status('delivered'),
          status('read'),
          status('failed', { errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'x' } }] }),
          status('deleted'),
        ],
      }),
    ),
    status: 200,
    reports: [
      { provider: 'meta-whatsapp', providerMessageId: 'wamid.out-sent', status: 'sent', providerStatus: 'sent', at: 1749416400_000 },
      { providerMessageId: 'wamid.out-delivered', status: 'delivered' },
      { providerMessageId: 'wamid.out-read', status: 'read' },
      { providerMessageId: 'wamid.out-failed', status: 'failed', errorCode: '131026' },
      { providerMessageId: 'wamid.out-deleted', status: 'unknown', providerStatus: 'deleted' },
    ],
  },
  {
    label: "a status echoes the send's key (biz_opaque_callback_data)",
    ...signed(notification({ statuses: [status('delivered', { biz_opaque_callback_data: '3-p1.1:2:0' })] })),
    status: 200,
    reports: [{ providerMessageId: 'wamid.out-delivered', status: 'delivered', sentKey: '3-p1.1:2:0' }],
  },
  {
    label: 'a status word like a prototype key is still unknown',
    ...signed(notification({ statuses: [status('constructor'), status('__proto__')] })),
    status: 200,
    reports: [{ status: 'unknown' }, { status: 'unknown' }],
  },
  {
    label: 'a batch: two entries, several changes, messages and statuses together',
    ...signed({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba-1',
          changes: [
            { field: 'messages', value: { metadata: METADATA, messages: [message('text', { text: { body: 'one' } }, 'w1'), message('text', { text: { body: 'two' } }, 'w2')] } },
            { field: 'messages', value: { metadata: METADATA, statuses: [status('delivered')] } },
          ],
        },
        { id: 'waba-2', changes: [{ field: 'messages', value: { metadata: { display_phone_number: '1 555-000-1111', phone_number_id: '222' }, messages: [message('text', { text: { body: 'three' } }, 'w3')], statuses: [status('read')] } }] },
      ],
    }),
    status: 200,
    messages: [{ text: 'one', to: '+15550783881' }, { text: 'two' }, { text: 'three', to: '+15550001111' }],
    reports: [{ status: 'delivered' }, { status: 'read' }],
  },
  {
    label: 'our number comes from phoneNumberIds when the notification names its id',
    settings: { phoneNumberIds: { '+15550783899': '106540352242922' } },
    ...signed(notification({ messages: [message('text', { text: { body: 'hi' } })] })),
    status: 200,
    messages: [{ to: '+15550783899' }],
  },
  {
    label: 'types we do not carry (location, reaction, a WhatsApp Flow reply) and other fields are acknowledged and skipped',
    ...signed({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba-1',
          changes: [
            {
              field: 'messages',
              value: {
                metadata: METADATA,
                messages: [
                  message('location', { location: { latitude: 1, longitude: 2 } }),
                  message('reaction', { reaction: { message_id: 'm', emoji: '👍' } }),
                  message('interactive', { interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"a":1}' } } }),
                ],
              },
            },
            { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1 } },
          ],
        },
      ],
    }),
    status: 200,
  },
  {
    label: 'behind a proxy (public base URL set, internal Host): the body signature still verifies',
    settings: { publicBaseUrl: 'https://junction.example.com' },
    ...signed(notification({ messages: [message('text', { text: { body: 'hi' } })] })),
    headers: { ...signed(notification({ messages: [message('text', { text: { body: 'hi' } })] })).headers, host: 'junction-internal:3000' },
    status: 200,
    messages: [{ text: 'hi' }],
  },
  { label: 'no signature: 401', body: VECTOR.body, headers: { 'content-type': 'application/json' }, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  {
    label: 'only the old SHA-1 X-Hub-Signature: 401',
    body: VECTOR.body,
    headers: { 'content-type': 'application/json', 'x-hub-signature': `sha1=${createHmac('sha1', APP_SECRET).update(VECTOR.body).digest('hex')}` },
    status: 401,
    code: 'JCT_SIGNATURE_MISSING',
  },
  { label: 'signed with another secret: 403', ...signed(VECTOR.body, 'another-app-secret-9999'), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'the hex without "sha256=": 403', body: VECTOR.body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(VECTOR.body).slice(7) }, status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'a body changed after signing: 403',
    body: VECTOR.body.replace('another color', 'another colour'),
    headers: signed(VECTOR.body).headers,
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'the same JSON re-serialized differently: 403 (the raw bytes are signed)',
    body: JSON.stringify(JSON.parse(VECTOR.body), null, 1),
    headers: signed(VECTOR.body).headers,
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'no App Secret configured: refused', settings: { appSecret: undefined }, ...signed(VECTOR.body), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  { label: 'malformed: no entry: 400', ...signed({ object: 'whatsapp_business_account' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: "another Meta product's notification on a shared URL: acknowledged, nothing done (Meta disables a webhook that keeps failing)", ...signed({ object: 'page', entry: [{ id: '1', time: 1, messaging: [] }] }), status: 200, messages: [], reports: [] },
  { label: 'a malformed item (an image message without its image) is passed over and counted; the webhook is taken', ...signed(notification({ messages: [message('image', {})] })), status: 200, malformed: 1 },
  { label: 'a malformed status (a timestamp that is not Unix seconds) is passed over and counted', ...signed(notification({ statuses: [status('sent', { timestamp: 'yesterday' })] })), status: 200, malformed: 1 },
  {
    label: 'messages without metadata are passed over and counted',
    ...signed({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { messages: [message('text', { text: { body: 'x' } })] } }] }] }),
    status: 200,
    malformed: 1,
  },
  {
    label: 'a batch holding a malformed message applies the others (a 400 would have Meta send it all again for days)',
    ...signed(notification({ messages: [message('text', { text: { body: 'one' } }, 'w1'), message('text', { text: 42 }, 'w2'), message('text', { text: { body: 'three' } }, 'w3')], statuses: [status('delivered')] })),
    status: 200,
    messages: [{ text: 'one' }, { text: 'three' }],
    reports: [{ status: 'delivered' }],
    malformed: 1,
  },
  { label: 'signed JSON that is not an object: 400', ...signed('[1,2,3]'), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'invalid UTF-8: 400', body: Buffer.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' }, status: 400, code: 'JCT_BODY_ENCODING' },
];

t.test('incoming', (t) => runIncoming(t, metaModule, incoming, settings));

const FROM = '+15550783881';
const TO = '+16505551234';
const wa = (extra: Record<string, unknown> = {}) => ({ channel: 'whatsapp' as const, from: FROM, to: TO, ...extra });
const ACCEPTED = { status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: '16505551234', wa_id: '16505551234' }], messages: [{ id: 'wamid.sent-1' }] } };
const graphError = (code: number, message: string, details?: string) => ({ error: { message, type: 'OAuthException', code, ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}), fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam' } });

/** The Cloud API request for one message: path, bearer token, and the JSON body. */
function graphRequest(content: Record<string, unknown>) {
  return (r: { method: string; url: string; headers: Record<string, unknown>; body: string }) => {
    t.equal(r.method, 'POST');
    t.equal(r.url, '/v23.0/106540352242922/messages');
    t.equal(r.headers['authorization'], `Bearer ${ACCESS_TOKEN}`);
    t.match(r.headers['content-type'], /^application\/json/);
    t.same(JSON.parse(r.body), { messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505551234', biz_opaque_callback_data: 'p1.1:2:0', ...content });
  };
}

const outgoing: OutgoingCase[] = [
  {
    label: 'text',
    message: wa({ text: 'Your order shipped.' }),
    responses: [ACCEPTED],
    result: { providerMessageId: 'wamid.sent-1' },
    requests: [graphRequest({ type: 'text', text: { body: 'Your order shipped.' } })],
  },
  {
    label: 'a template with body parameters',
    message: wa({ template: { name: 'order_update', language: 'en_US', parameters: ['Ana', '#1167'] } }),
    responses: [ACCEPTED],
    result: { providerMessageId: 'wamid.sent-1' },
    requests: [
      graphRequest({
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '#1167' }] }] },
      }),
    ],
  },
  {
    label: 'a template without parameters has no components',
    message: wa({ template: { name: 'hello_world', language: 'en_US', parameters: [] } }),
    responses: [ACCEPTED],
    result: { providerMessageId: 'wamid.sent-1' },
    requests: [graphRequest({ type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } })],
  },
  {
    label: 'interactive reply buttons',
    message: wa({ interactive: { type: 'buttons', body: 'Confirm?', buttons: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }] } }),
    responses: [ACCEPTED],
    result: { providerMessageId: 'wamid.sent-1' },
    requests: [
      graphRequest({
        type: 'interactive',
        interactive: { type: 'button', body: { text: 'Confirm?' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }, { type: 'reply', reply: { id: 'no', title: 'No' } }] } },
      }),
    ],
  },
  {
    label: 'an interactive list',
    message: wa({
      interactive: { type: 'list', body: 'How can we help?', button: 'Options', sections: [{ title: 'Topics', rows: [{ id: 'sales', title: 'Sales' }, { id: 'help', title: 'Support', description: 'Talk to us' }] }] },
    }),
    responses: [ACCEPTED],
    result: { providerMessageId: 'wamid.sent-1' },
    requests: [
      graphRequest({
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'How can we help?' },
          action: { button: 'Options', sections: [{ title: 'Topics', rows: [{ id: 'sales', title: 'Sales' }, { id: 'help', title: 'Support', description: 'Talk to us' }] }] },
        },
      }),
    ],
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: wa({ text: 'x' }),
    responses: [{ status: 429, body: graphError(4, '(#4) Application request limit reached'), headers: { 'retry-after': '30' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 30_000 } as never,
  },
  {
    label: 'a throughput limit answered 400 (#130429) is retryable',
    message: wa({ text: 'x' }),
    responses: [{ status: 400, body: graphError(130429, '(#130429) Rate limit hit') }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, message: /Rate limit hit/ } as never,
  },
  { label: '500 is retryable', message: wa({ text: 'x' }), responses: [{ status: 500, body: graphError(1, 'An unknown error occurred') }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  {
    label: 'an undeliverable number fails for good, in Meta\'s words',
    message: wa({ text: 'x' }),
    responses: [{ status: 400, body: graphError(131026, '(#131026) Message undeliverable', 'The recipient is not a WhatsApp user') }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: 'meta-whatsapp answered 400: (#131026) Message undeliverable (The recipient is not a WhatsApp user)' } as never,
  },
  {
    label: 'an expired access token fails for good',
    message: wa({ text: 'x' }),
    responses: [{ status: 401, body: graphError(190, 'Error validating access token: Session has expired') }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: /Session has expired/ } as never,
  },
  { label: 'a 2xx without a message id fails for good', message: wa({ text: 'x' }), responses: [{ status: 200, body: {} }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
  {
    label: 'a sender without a phone number id is not configured',
    settings: { numbers: ['*'] },
    message: wa({ from: '+15550000000', text: 'x' }),
    responses: [ACCEPTED],
    error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false },
  },
  { label: 'no access token: not configured', settings: { accessToken: undefined }, message: wa({ text: 'x' }), responses: [ACCEPTED], error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false } },
  { label: 'media is refused for good', message: wa({ text: 'x', media: ['https://example.com/a.jpg'] }), responses: [ACCEPTED], error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false } },
  { label: 'an empty message is refused for good', message: wa({}), responses: [ACCEPTED], error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false } },
];

t.test('outgoing', (t) =>
  runOutgoing(t, metaModule, outgoing, (url) => ({ apiBaseUrl: url, apiVersion: 'v23.0', numbers: [FROM], phoneNumberIds: { [FROM]: '106540352242922' } }), settings),
);

t.test('a sender is handled when listed in numbers, and only on WhatsApp', async (t) => {
  const { Registry } = await import('../../engine/module.js');
  const registry = new Registry([metaModule], { 'meta-whatsapp': { numbers: [FROM] } });
  t.ok(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'whatsapp', from: FROM } as never));
  t.notOk(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'sms', from: FROM } as never));
});
