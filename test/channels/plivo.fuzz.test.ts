// Fuzzing the Plivo webhook: correctly signed (V3 and V2) requests with arbitrary form fields
// (known names among them, repeated keys, long lists), arbitrary queries and arbitrary bytes
// (invalid UTF-8 too) never produce a 5xx, only 200 or a 4xx with a JCT_ code; and the
// adapter's cost grows linearly with the body.
import t from 'tap';
import fc from 'fast-check';
import plivoModule, { plivo } from '../../channels/plivo/index.js';
import { plivoSignature, v3Base } from '../../channels/plivo/signature.js';
import { formParams } from '../../channels/form.js';
import { formCostIsLinear, fuzzAnswers, notForItsSignature, webhookGateway, type Answer } from './harness.js';

const TOKEN = 'plivo-fuzz-token-0123456789';
const PUBLIC = 'https://junction.example.com';
const NONCE = '05429567804466091622';
const gateway = webhookGateway(plivoModule, { authToken: TOKEN, publicBaseUrl: PUBLIC });
t.teardown(gateway.close);

const NAMES = ['MessageUUID', 'From', 'To', 'Type', 'Text', 'Body', 'MediaCount', 'Media1', 'Media2', 'ContentType', 'Status', 'ErrorCode'];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 }));
const value = fc.oneof(fc.constantFrom('', '0', '2', '99', 'sms', 'mms', 'whatsapp', 'button', '14155550100', 'delivered'), fc.string({ unit: 'binary', maxLength: 40 }));
const form = fc.array(fc.tuple(name, value), { maxLength: 30 }).map((pairs) => new URLSearchParams(pairs).toString());

interface Sent {
  method: 'GET' | 'POST';
  url: string;
  type?: string;
  body?: Buffer;
  version: 'v2' | 'v3';
}

const version = fc.constantFrom('v2' as const, 'v3' as const);
const sent: fc.Arbitrary<Sent> = fc.oneof(
  fc.tuple(form, form, version).map(([query, body, version]) => ({ method: 'POST' as const, url: `/webhooks/plivo?${query}`, type: 'application/x-www-form-urlencoded', body: Buffer.from(body), version })),
  fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/xml'), version).map(([bytes, type, version]) => ({
    method: 'POST' as const,
    url: '/webhooks/plivo',
    type,
    body: Buffer.from(bytes),
    version,
  })),
  fc.tuple(form, version).map(([query, version]) => ({ method: 'GET' as const, url: query ? `/webhooks/plivo?${query}` : '/webhooks/plivo', version })),
);

/** The headers Plivo would sign the request with. */
function signature(r: Sent): Record<string, string> {
  const url = `${PUBLIC}${r.url}`;
  if (r.version === 'v2') return { 'x-plivo-signature-v2': plivoSignature(TOKEN, url.split('?')[0] + NONCE), 'x-plivo-signature-v2-nonce': NONCE };
  const params = r.method === 'POST' ? formParams((r.body ?? Buffer.alloc(0)).toString('utf8')) : new Map<string, string[]>();
  return { 'x-plivo-signature-v3': plivoSignature(TOKEN, `${v3Base(r.method, url, params)}.${NONCE}`), 'x-plivo-signature-v3-nonce': NONCE };
}

function post(r: Sent): Promise<Answer> {
  return gateway.inject({ method: r.method, url: r.url, headers: { ...signature(r), ...(r.type ? { 'content-type': r.type } : {}) }, body: r.body });
}

t.test('signed arbitrary requests are answered 200 or 4xx with a JCT_ code, never 5xx', async (t) => {
  await fuzzAnswers(sent, post, 400, notForItsSignature);
  t.pass('400 signed arbitrary requests');
});

t.test('a valid message among arbitrary extra fields is still read', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.stringMatching(/^X[A-Za-z]{0,8}$/), fc.string({ maxLength: 20 })), { maxLength: 20 }), version, async (extra, version) => {
      const body = new URLSearchParams([['MessageUUID', 'u-1'], ['From', '14155550100'], ['To', '14155550199'], ['Text', 'hi'], ...extra]).toString();
      return (await post({ method: 'POST', url: '/webhooks/plivo', type: 'application/x-www-form-urlencoded', body: Buffer.from(body), version })).status === 200;
    }),
    { numRuns: 100 },
  );
  t.pass('100 messages with arbitrary extra fields');
});

t.test('huge bodies cost time linear in their size', async (t) => {
  const settings = { authToken: TOKEN, publicBaseUrl: PUBLIC, apiBaseUrl: '', numbers: [], timeoutMs: 1000 };
  await formCostIsLinear(t, plivo, settings, '/webhooks/plivo?tenant=acme', (url, body) => signature({ method: 'POST', url, body: Buffer.from(body), version: 'v3' }));
  const big = new URLSearchParams({ MessageUUID: 'u', From: '1', To: '2', Text: 'x'.repeat(900_000) }).toString();
  const { status } = await post({ method: 'POST', url: '/webhooks/plivo', type: 'application/x-www-form-urlencoded', body: Buffer.from(big), version: 'v3' });
  t.equal(status, 400, 'a 900 kB text is refused, not choked on');
});
