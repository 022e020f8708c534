// Fuzzing the Twilio webhook: correctly signed requests with arbitrary form fields (known names
// among them, repeated keys, long lists), arbitrary JSON, and arbitrary bytes (invalid UTF-8
// too) never produce a 5xx, only 200 or a 4xx with a JCT_ code; and their cost grows linearly.
import t from 'tap';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import twilioModule, { twilio } from '../../channels/twilio/index.js';
import { twilioSignature } from '../../channels/twilio/signature.js';
import { formParams } from '../../channels/form.js';
import { formCostIsLinear, fuzzAnswers, notForItsSignature, webhookGateway, type Answer } from './harness.js';

const TOKEN = 'twilio-fuzz-token-0123456789';
const PUBLIC = 'https://junction.example.com';
const gateway = webhookGateway(twilioModule, { authToken: TOKEN, publicBaseUrl: PUBLIC });
t.teardown(gateway.close);

const NAMES = ['MessageSid', 'From', 'To', 'Body', 'NumMedia', 'MediaUrl0', 'MediaUrl1', 'MessageStatus', 'ErrorCode', 'ButtonText', 'ButtonPayload', 'SmsStatus'];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 }));
const value = fc.oneof(
  fc.constantFrom('', '0', '2', '99', 'whatsapp:+385911234567', '+15551230001', 'delivered', 'received', 'SM1'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const form = fc.array(fc.tuple(name, value), { maxLength: 30 }).map((pairs) => new URLSearchParams(pairs).toString());
const sent = fc.oneof(
  form.map((body) => ({ url: '/webhooks/twilio', type: 'application/x-www-form-urlencoded', body: Buffer.from(body) })),
  fc.jsonValue().map((v) => jsonRequest(JSON.stringify(v))),
  fc.uint8Array({ maxLength: 200 }).chain((bytes) =>
    fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'application/octet-stream').map((type) => ({ url: '/webhooks/twilio', type, body: Buffer.from(bytes) })),
  ),
  form.map((query) => ({ url: query ? `/webhooks/twilio?${query}` : '/webhooks/twilio', type: undefined, body: undefined, method: 'GET' as const })),
);

function jsonRequest(text: string): { url: string; type: string; body: Buffer } {
  return { url: `/webhooks/twilio?bodySHA256=${createHash('sha256').update(text).digest('hex')}`, type: 'application/json', body: Buffer.from(text) };
}

interface Sent {
  url: string;
  type: string | undefined;
  body: Buffer | undefined;
  method?: 'GET' | 'POST';
}

/** Sends a request signed as Twilio would. */
function post(r: Sent): Promise<Answer> {
  const signedParams = r.method === 'GET' || r.url.includes('bodySHA256') ? new Map() : formParams((r.body ?? Buffer.alloc(0)).toString('utf8'));
  const headers = { 'x-twilio-signature': twilioSignature(TOKEN, `${PUBLIC}${r.url}`, signedParams), ...(r.type ? { 'content-type': r.type } : {}) };
  return gateway.inject({ method: r.method ?? 'POST', url: r.url, headers, body: r.body });
}

t.test('signed arbitrary requests are answered 200 or 4xx with a JCT_ code, never 5xx', async (t) => {
  await fuzzAnswers(sent, post, 400, notForItsSignature);
  t.pass('400 signed arbitrary requests');
});

t.test('a valid message among arbitrary extra fields is still read', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.stringMatching(/^X[A-Za-z]{0,8}$/), fc.string({ maxLength: 20 })), { maxLength: 20 }), async (extra) => {
      const body = new URLSearchParams([['MessageSid', 'SM1'], ['From', '+15551230001'], ['To', '+15557650002'], ['Body', 'hi'], ...extra]).toString();
      return (await post({ url: '/webhooks/twilio', type: 'application/x-www-form-urlencoded', body: Buffer.from(body) })).status === 200;
    }),
    { numRuns: 100 },
  );
  t.pass('100 messages with arbitrary extra fields');
});

t.test('huge bodies cost time linear in their size', async (t) => {
  const settings = { authToken: TOKEN, publicBaseUrl: PUBLIC, apiBaseUrl: '', numbers: [], timeoutMs: 1000 };
  await formCostIsLinear(t, twilio, settings, '/webhooks/twilio', (url, body) => ({ 'x-twilio-signature': twilioSignature(TOKEN, `${PUBLIC}${url}`, formParams(body)) }));
  const { status } = await post(jsonRequest(JSON.stringify({ MessageSid: 'SM1', From: '+1', To: '+2', Body: 'x'.repeat(900_000) })));
  t.equal(status, 400, 'a 900 kB text is refused, not choked on');
});
