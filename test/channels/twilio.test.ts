// The Twilio adapter through the shared harness: signed form webhooks (inbound SMS, MMS,
// WhatsApp, status callbacks; GET and JSON-body variants; behind a proxy) in, Messages API sends
// out; signatures cross-checked both ways with the twilio SDK and the published vectors.
import t from 'tap';
import { createHash } from 'node:crypto';
import twilioSdk from 'twilio';
import fc from 'fast-check';
import twilioModule from '../../channels/twilio/index.js';
import { twilioSignature, verifyTwilio } from '../../channels/twilio/signature.js';
import { formParams } from '../../channels/form.js';
import type { WebhookRequest } from '../../channels/provider.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';
import { world } from '../engine/helpers.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { loadModuleSettings } from '../../config/modules.js';
import { NOTIFY, standIn } from '../e2e/helpers.js';

const TOKEN = 'twilio-auth-token-0123456789';
const ACCOUNT = `AC${'a1'.repeat(16)}`;
const PUBLIC = 'https://junction.example.com';
const HOOK = `${PUBLIC}/webhooks/twilio`;
const settings = { authToken: TOKEN, accountSid: ACCOUNT, publicBaseUrl: PUBLIC };

type Params = Record<string, string | string[]>;

/** A form POST as Twilio sends it, signed by the SDK over `url`. */
function signed(params: Params, url = HOOK, token = TOKEN): { body: string; headers: Record<string, string> } {
  return {
    body: encode(params),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(token, url, params) },
  };
}

function encode(params: Params): string {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of typeof v === 'string' ? [v] : v) form.append(k, item);
  return form.toString();
}

const SID = 'SM11111111111111111111111111111111';
const sms = { MessageSid: SID, SmsSid: SID, AccountSid: ACCOUNT, From: '+15551230001', To: '+15557650002', Body: 'Hello world', NumMedia: '0', SmsStatus: 'received' };
const status = (s: string, extra: Params = {}) => ({ MessageSid: SID, MessageStatus: s, SmsStatus: s, From: '+15557650002', To: '+15551230001', AccountSid: ACCOUNT, ...extra });
const jsonBody = JSON.stringify({ MessageSid: SID, From: '+15551230001', To: '+15557650002', Body: 'json hello' });
const jsonUrl = `/webhooks/twilio?bodySHA256=${createHash('sha256').update(jsonBody).digest('hex')}`;

const incoming: IncomingCase[] = [
  {
    label: 'an inbound SMS becomes a message, answered with an empty TwiML response',
    ...signed(sms),
    status: 200,
    answer: /^<\?xml[^>]*\?><Response\/>$/,
    messages: [{ channel: 'sms', provider: 'twilio', from: '+15551230001', to: '+15557650002', text: 'Hello world', media: [], providerMessageId: SID }],
  },
  {
    label: 'an MMS carries its media URLs in order',
    ...signed({ ...sms, Body: '', NumMedia: '2', MediaUrl0: 'https://api.twilio.com/media/ME1', MediaContentType0: 'image/jpeg', MediaUrl1: 'https://api.twilio.com/media/ME2' }),
    status: 200,
    messages: [{ channel: 'sms', text: '', media: ['https://api.twilio.com/media/ME1', 'https://api.twilio.com/media/ME2'] }],
  },
  {
    label: 'a WhatsApp location is acknowledged and skipped (no text to match, as the Meta adapter skips it)',
    ...signed({ ...sms, From: 'whatsapp:+385911234567', To: 'whatsapp:+15557650003', Body: '', MessageType: 'location', Latitude: '45.81', Longitude: '15.98', Address: 'Trg', Label: 'Home' }),
    status: 200,
  },
  {
    label: 'a WhatsApp location without MessageType is known by its Latitude',
    ...signed({ ...sms, From: 'whatsapp:+385911234567', To: 'whatsapp:+15557650003', Body: '', Latitude: '45.81', Longitude: '15.98' }),
    status: 200,
  },
  {
    label: 'a WhatsApp reaction is acknowledged and skipped',
    ...signed({ ...sms, From: 'whatsapp:+385911234567', To: 'whatsapp:+15557650003', Body: '', MessageType: 'reaction' }),
    status: 200,
  },
  {
    label: 'a WhatsApp quick reply: channel whatsapp, sender without its prefix, the button text and payload',
    ...signed({ ...sms, From: 'whatsapp:+385911234567', To: 'whatsapp:+15557650003', Body: 'Yes', ButtonText: 'Yes', ButtonPayload: 'confirm', ProfileName: 'Ana', WaId: '385911234567' }),
    status: 200,
    messages: [{ channel: 'whatsapp', from: '+385911234567', to: '+15557650003', text: 'Yes', button: { text: 'Yes', payload: 'confirm' } }],
  },
  ...(
    [
      ['queued', 'queued'],
      ['sending', 'queued'],
      ['sent', 'sent'],
      ['delivered', 'delivered'],
      ['read', 'read'],
      ['canceled', 'failed'],
      ['partially_delivered', 'delivered'],
      ['receiving', 'unknown'],
      ['teleported', 'unknown'],
    ] as const
  ).map(
    ([word, normalized]): IncomingCase => ({
      label: `status callback "${word}" → ${normalized}`,
      ...signed(status(word)),
      status: 200,
      reports: [{ provider: 'twilio', providerMessageId: SID, status: normalized, providerStatus: word }],
    }),
  ),
  {
    label: 'an undelivered message keeps its error code',
    ...signed(status('undelivered', { ErrorCode: '30003' })),
    status: 200,
    reports: [{ status: 'failed', providerStatus: 'undelivered', errorCode: '30003' }],
  },
  {
    label: "a status callback to a URL naming a shard, signed over it (the SDK's signature) is accepted",
    url: '/webhooks/twilio?shard=3',
    ...signed(status('delivered'), `${HOOK}?shard=3`),
    status: 200,
    reports: [{ status: 'delivered', providerMessageId: SID }],
  },
  {
    label: 'a repeated parameter is signed once per distinct value, sorted',
    ...signed({ ...sms, Tag: ['b', 'a', 'b'] }),
    status: 200,
    messages: [{ text: 'Hello world' }],
  },
  {
    label: 'a webhook URL with a query is signed with it',
    url: '/webhooks/twilio?tenant=acme&x=%27q%27',
    ...signed(sms, `${HOOK}?tenant=acme&x=%27q%27`),
    status: 200,
    messages: [{ providerMessageId: SID }],
  },
  {
    label: 'the signature over the URL with its default port is accepted',
    ...signed(sms, 'https://junction.example.com:443/webhooks/twilio'),
    status: 200,
    messages: [{ providerMessageId: SID }],
  },
  {
    label: 'behind a proxy: the request arrives with an internal Host, the public URL is what was signed',
    ...signed(sms),
    headers: { ...signed(sms).headers, host: 'junction-internal:3000' },
    status: 200,
    messages: [{ providerMessageId: SID }],
  },
  {
    label: 'behind a proxy: a signature over the internal URL is refused',
    ...signed(sms, 'http://junction-internal:3000/webhooks/twilio'),
    headers: { ...signed(sms, 'http://junction-internal:3000/webhooks/twilio').headers, host: 'junction-internal:3000' },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  {
    label: 'without publicBaseUrl the Host header makes the URL',
    settings: { publicBaseUrl: undefined },
    ...signed(sms, 'http://hooks.example.org/webhooks/twilio'),
    headers: { ...signed(sms, 'http://hooks.example.org/webhooks/twilio').headers, host: 'hooks.example.org' },
    status: 200,
    messages: [{ providerMessageId: SID }],
  },
  {
    label: 'a GET webhook: the parameters are in the signed URL',
    method: 'GET',
    url: `/webhooks/twilio?${encode(sms)}`,
    headers: { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, `${HOOK}?${encode(sms)}`, {}) },
    status: 200,
    messages: [{ from: '+15551230001', text: 'Hello world', providerMessageId: SID }],
  },
  {
    label: 'a JSON body signed through bodySHA256 in the URL',
    url: jsonUrl,
    body: jsonBody,
    headers: { 'content-type': 'application/json', 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, `${PUBLIC}${jsonUrl}`, {}) },
    status: 200,
    messages: [{ text: 'json hello', providerMessageId: SID }],
  },
  {
    label: 'a JSON body changed after signing: 403',
    url: jsonUrl,
    body: jsonBody.replace('json hello', 'json HELLO'),
    headers: { 'content-type': 'application/json', 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, `${PUBLIC}${jsonUrl}`, {}) },
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'no signature: 401', body: encode(sms), headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'signed with another token: 403', ...signed(sms, HOOK, 'another-auth-token'), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'a body changed after signing: 403',
    body: encode({ ...sms, Body: 'STOP' }),
    headers: signed(sms).headers,
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'no auth token configured: every webhook refused', settings: { authToken: undefined }, ...signed(sms), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  { label: 'a signed message without MessageSid: 400', ...signed({ From: '+15551230001', To: '+15557650002', Body: 'x' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'a signed MMS missing an announced media URL: 400', ...signed({ ...sms, NumMedia: '2', MediaUrl0: 'https://m/1' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'a signed status callback without MessageSid: 400', ...signed({ MessageStatus: 'sent' }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  {
    label: 'a signed body of another content type: 400',
    body: encode(sms),
    headers: { 'content-type': 'text/plain', 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, HOOK, sms) },
    status: 400,
    code: 'JCT_PAYLOAD_INVALID',
  },
  {
    label: 'signed invalid UTF-8: 400',
    body: Buffer.from([0x42, 0x6f, 0x64, 0x79, 0x3d, 0xff]),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
    status: 400,
    code: 'JCT_BODY_ENCODING',
  },
];

t.test('incoming', (t) => runIncoming(t, twilioModule, incoming, settings));

const toFailSend = { channel: 'sms', from: '+15557650002', to: '+15551230001', text: 'x' } as const;

const outgoing: OutgoingCase[] = [
  {
    label: 'an SMS is posted to the Messages API with Basic auth and the status callback; the sid comes back',
    message: { channel: 'sms', from: '+15557650002', to: '+15551230001', text: 'Welcome!' },
    responses: [{ status: 201, body: { sid: 'SM99', status: 'queued' } }],
    result: { providerMessageId: 'SM99' },
    requests: [
      (r) => {
        t.equal(r.method, 'POST');
        t.equal(r.url, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
        t.equal(r.headers['authorization'], `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`);
        t.match(r.headers['content-type'], /^application\/x-www-form-urlencoded/);
        t.same(Object.fromEntries(new URLSearchParams(r.body)), { To: '+15551230001', From: '+15557650002', Body: 'Welcome!', StatusCallback: HOOK });
      },
    ],
  },
  {
    label: "a message sent from a shard of a sharded cluster: its status callback names the shard",
    key: '3-p1.1:2:0',
    message: { channel: 'sms', from: '+15557650002', to: '+15551230001', text: 'Welcome!' },
    responses: [{ status: 201, body: { sid: 'SM98' } }],
    result: { providerMessageId: 'SM98' },
    requests: [(r) => void t.equal(new URLSearchParams(r.body).get('StatusCallback'), `${HOOK}?shard=3`)],
  },
  {
    label: 'an MMS repeats MediaUrl; without publicBaseUrl no status callback',
    settings: { publicBaseUrl: undefined },
    message: { channel: 'sms', from: '+15557650002', to: '+15551230001', text: 'look', media: ['https://x.example/1.jpg', 'https://x.example/2.jpg'] },
    responses: [{ status: 201, body: { sid: 'MM1' } }],
    result: { providerMessageId: 'MM1' },
    requests: [
      (r) => {
        const form = new URLSearchParams(r.body);
        t.same(form.getAll('MediaUrl'), ['https://x.example/1.jpg', 'https://x.example/2.jpg']);
        t.equal(form.get('StatusCallback'), null);
      },
    ],
  },
  {
    label: 'WhatsApp: whatsapp: prefixes and a Content API template with numbered variables',
    message: { channel: 'whatsapp', from: '+15557650003', to: '+385911234567', template: { name: `HX${'b'.repeat(32)}`, language: 'en', parameters: ['Ana', '12:00'] } },
    responses: [{ status: 201, body: { sid: 'SM77' } }],
    result: { providerMessageId: 'SM77' },
    requests: [
      (r) => {
        const form = new URLSearchParams(r.body);
        t.equal(form.get('To'), 'whatsapp:+385911234567');
        t.equal(form.get('From'), 'whatsapp:+15557650003');
        t.equal(form.get('ContentSid'), `HX${'b'.repeat(32)}`);
        t.same(JSON.parse(form.get('ContentVariables')!), { 1: 'Ana', 2: '12:00' });
      },
    ],
  },
  {
    label: 'a template not named by its ContentSid fails for good',
    message: { channel: 'whatsapp', from: '+15557650003', to: '+385911234567', template: { name: 'welcome', language: 'en', parameters: [] } },
    responses: [{ status: 201, body: { sid: 'never' } }],
    error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false },
  },
  {
    label: 'interactive buttons are not sendable without a template: fails for good',
    message: { channel: 'whatsapp', from: '+15557650003', to: '+385911234567', interactive: { type: 'buttons', body: 'Ok?', buttons: [{ id: 'y', title: 'Yes' }] } },
    responses: [{ status: 201, body: { sid: 'never' } }],
    error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false },
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: toFailSend,
    responses: [{ status: 429, body: { code: 20429, message: 'Too Many Requests', status: 429 }, headers: { 'retry-after': '7' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 7000, message: /Too Many Requests \(error 20429\)/ } as never,
  },
  {
    label: "a full sender queue (400, error 21611) is retryable: the number sends again once Twilio's queue drains",
    message: toFailSend,
    responses: [
      {
        status: 400,
        body: { code: 21611, message: "This 'From' number has exceeded the maximum number of queued messages", more_info: 'https://www.twilio.com/docs/errors/21611', status: 400 },
      },
    ],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, message: /queued messages \(error 21611\)/ } as never,
  },
  { label: '503 is retryable', message: toFailSend, responses: [{ status: 503, body: 'unavailable' }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  {
    label: 'an invalid number (21211) fails for good with Twilio’s words',
    message: toFailSend,
    responses: [
      {
        status: 400,
        body: { code: 21211, message: "The 'To' number +15551230001 is not a valid phone number.", more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 },
      },
    ],
    error: {
      code: 'JCT_SEND_REJECTED',
      retryable: false,
      message: "twilio answered 400: The 'To' number +15551230001 is not a valid phone number. (error 21211); see https://www.twilio.com/docs/errors/21211",
    } as never,
  },
  { label: 'a 2xx without a sid fails for good', message: toFailSend, responses: [{ status: 201, body: {} }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
  {
    label: 'no account SID configured: fails for good',
    settings: { accountSid: undefined },
    message: toFailSend,
    responses: [{ status: 201, body: { sid: 'never' } }],
    error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false },
  },
];

t.test('outgoing', (t) => runOutgoing(t, twilioModule, outgoing, (url) => ({ apiBaseUrl: url, numbers: ['*'] }), settings));

function request(publicUrl: string, body: string, headers: Record<string, string>, method = 'POST'): WebhookRequest {
  return { method, url: '', publicUrl, params: {}, query: {}, headers, body: undefined, rawBody: Buffer.from(body) };
}

t.test('the published test vectors (carrier-dialects.md §1.3)', async (t) => {
  const params = formParams(encode({ MessageSid: SID, AccountSid: 'AC22222222222222222222222222222222', From: '+15551230001', To: '+15557650002', Body: 'Hello world', NumMedia: '0' }));
  t.equal(twilioSignature('12345', 'https://example.com/webhooks/sms?tenant=acme', params), 'ta9AqyT4Ub/fw0OFrqkWfiHgJ2o=');
  const form = encode(Object.fromEntries([...params].map(([k, v]) => [k, v[0]!])));
  t.doesNotThrow(() => verifyTwilio(request('https://example.com:443/webhooks/sms?tenant=acme', form, { 'x-twilio-signature': 'ta9AqyT4Ub/fw0OFrqkWfiHgJ2o=' }), '12345'));
  const body = '{"event":"test"}';
  const url = 'https://example.com/webhooks/events?bodySHA256=2d9c95a7b02d34fcd937555555970ef0183483946d5268fbcf68a324674be708';
  t.equal(twilioSignature('12345', url, new Map()), 'Hh5ak7EUMiG9y5rV5CN3FGfHH6c=');
  t.doesNotThrow(() => verifyTwilio(request(url, body, { 'x-twilio-signature': 'Hh5ak7EUMiG9y5rV5CN3FGfHH6c=' }), '12345'));
  t.throws(() => verifyTwilio(request(url, '{"event":"tesT"}', { 'x-twilio-signature': 'Hh5ak7EUMiG9y5rV5CN3FGfHH6c=' }), '12345'), { code: 'JCT_SIGNATURE_INVALID' });
});

t.test('our signatures validate with the twilio SDK, and the SDK’s verify with us', async (t) => {
  const value = fc.string({ maxLength: 12 });
  const name = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__proto__');
  const query = fc.option(fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.string({ maxLength: 6 }), { maxKeys: 3 }), { nil: undefined });
  fc.assert(
    fc.property(fc.dictionary(name, fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })), { maxKeys: 8 }), query, fc.boolean(), (params, q, port) => {
      const url = `https://junction.example.com${port ? ':443' : ''}/webhooks/twilio${q ? `?${new URLSearchParams(q).toString()}` : ''}`;
      const body = encode(params);
      const ours = twilioSignature(TOKEN, url, formParams(body));
      const sdk = twilioSdk.getExpectedTwilioSignature(TOKEN, url, params);
      verifyTwilio(request(url, body, { 'x-twilio-signature': sdk }), TOKEN);
      return twilioSdk.validateRequest(TOKEN, ours, url, params);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random requests: the SDK accepts our signatures and we accept the SDK’s');
  const body = JSON.stringify({ MessageSid: SID, Body: 'é ✓' });
  const url = `${HOOK}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
  t.ok(twilioSdk.validateRequestWithBody(TOKEN, twilioSignature(TOKEN, url, new Map()), url, body), 'the SDK accepts our JSON-body signature');
  t.doesNotThrow(() => verifyTwilio(request(url, body, { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, url, {}) }), TOKEN));
});

t.test('an alphanumeric sender id keeps its spaces from the flow to Twilio', async (t) => {
  const api = await standIn(t, (_r, n) => ({ status: 201, body: { sid: `SM${n}` } }));
  const w = world({
    modules: [messagingModule, twilioModule],
    settings: { twilio: loadModuleSettings([{ name: 'twilio', ...twilioModule.config! }], { twilio: { accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: api.url, numbers: ['ACME Shop'] } }, {})['twilio']! },
  });
  w.engine.save({ ...NOTIFY, elements: [{ ...NOTIFY.elements[0]!, config: { from: ' ACME Shop ', text: 'Shipped' } }, NOTIFY.elements[1]!] });
  w.engine.launch('notify');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'notify', person: { id: 'ana', phones: ['+385911234567'] } });
  await w.engine.idle();
  t.same(api.received.map((r) => new URLSearchParams(r.body).get('From')), ['ACME Shop'], 'sent as "ACME Shop", listed so in numbers');
  t.ok(w.people.get('ana')!.tags.includes('notified'));
  await w.engine.close();
});
