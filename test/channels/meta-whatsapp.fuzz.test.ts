// Fuzzing the Meta WhatsApp webhook through the real gateway and engine: correctly signed
// bodies of any shape (random JSON, notification-like bodies with random leaves, raw bytes that
// need not be UTF-8, huge arrays) and random handshake queries never get a 5xx, only 200 or a
// 4xx with a JCT_ code; reading costs time linear in the body's size.
import t from 'tap';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import metaModule from '../../channels/meta-whatsapp/index.js';
import { fastest, fuzzAnswers, webhookGateway, wellAnswered, type Answer } from './harness.js';

const APP_SECRET = 'meta-app-secret-0123456789';
const VERIFY_TOKEN = 'meta-verify-token-0123';
const gateway = webhookGateway(metaModule, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, numbers: [] });
t.teardown(gateway.close);

function post(body: Buffer): Promise<Answer> {
  const signature = `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
  return gateway.inject({ headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
}


const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
const maybe = <T>(real: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: real }, { weight: 1, arbitrary: leaf });
const digits = fc.stringMatching(/^[0-9]{1,20}$/);
const word = fc.constantFrom('text', 'image', 'audio', 'video', 'document', 'sticker', 'interactive', 'button', 'location', 'reaction', 'sent', 'delivered', 'read', 'failed', 'constructor', '__proto__', 'toString');
const part = fc.record(
  { id: maybe(fc.string()), body: maybe(fc.string()), caption: maybe(fc.string()), title: maybe(fc.string()), text: maybe(fc.string()), payload: maybe(fc.string()), type: maybe(word) },
  { requiredKeys: [] },
);
const message = fc.record(
  {
    from: maybe(digits),
    id: maybe(fc.string({ minLength: 1 })),
    timestamp: maybe(fc.stringMatching(/^[0-9]{1,12}$/)),
    type: maybe(word),
    text: maybe(part),
    image: maybe(part),
    document: maybe(part),
    interactive: maybe(fc.record({ type: maybe(word), button_reply: maybe(part), list_reply: maybe(part) }, { requiredKeys: [] })),
    button: maybe(part),
  },
  { requiredKeys: [] },
);
const status = fc.record(
  { id: maybe(fc.string({ minLength: 1 })), status: maybe(fc.oneof(word, fc.string())), timestamp: maybe(fc.stringMatching(/^[0-9]{1,12}$/)), errors: maybe(fc.array(fc.record({ code: maybe(fc.integer()) }))) },
  { requiredKeys: [] },
);
const notification = fc.record(
  {
    object: maybe(fc.constant('whatsapp_business_account')),
    entry: maybe(
      fc.array(
        fc.record({
          id: maybe(fc.string()),
          changes: maybe(
            fc.array(
              fc.record({
                field: maybe(fc.constantFrom('messages', 'account_update')),
                value: maybe(
                  fc.record(
                    { metadata: maybe(fc.record({ display_phone_number: maybe(digits), phone_number_id: maybe(digits) })), messages: maybe(fc.array(message, { maxLength: 5 })), statuses: maybe(fc.array(status, { maxLength: 5 })) },
                    { requiredKeys: [] },
                  ),
                ),
              }),
              { maxLength: 3 },
            ),
          ),
        }),
        { maxLength: 3 },
      ),
    ),
  },
  { requiredKeys: [] },
);

t.test('signed bodies of any shape never get a 5xx', async (t) => {
  const asJson = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');
  await fuzzAnswers(notification, (body) => post(asJson(body)), 400);
  await fuzzAnswers(fc.jsonValue(), (body) => post(asJson(body)), 200);
  await fuzzAnswers(fc.uint8Array({ maxLength: 512 }), (bytes) => post(Buffer.from(bytes)), 200);
  t.pass('every answer was 200 or a 4xx with a JCT_ code');
});

t.test('huge arrays and deep nesting are refused or read, never a 5xx', async (t) => {
  const huge = { object: 'whatsapp_business_account', entry: Array.from({ length: 30_000 }, () => ({ id: '1', changes: [] })) };
  t.match(await post(Buffer.from(JSON.stringify(huge))), { status: 400, code: 'JCT_PAYLOAD_INVALID' });
  const deep = '['.repeat(50_000) + ']'.repeat(50_000);
  t.ok(wellAnswered(await post(Buffer.from(deep))), 'deep nesting');
  const manyStrings = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { statuses: Array.from({ length: 20_000 }, () => 7) } }] }] };
  t.match(await post(Buffer.from(JSON.stringify(manyStrings))), { status: 400, code: 'JCT_PAYLOAD_INVALID' });
});

t.test('handshake queries of any shape never get a 5xx', async (t) => {
  const param = fc.oneof(fc.constant(VERIFY_TOKEN), fc.constant('subscribe'), fc.string());
  const query = fc.array(fc.tuple(fc.constantFrom('hub.mode', 'hub.verify_token', 'hub.challenge', 'hub', 'x'), param), { maxLength: 5 });
  await fuzzAnswers(query, (pairs) => gateway.inject({ method: 'GET', url: `/webhooks/meta-whatsapp?${new URLSearchParams(pairs).toString()}` }), 300);
  t.pass('every handshake answer was 200 or a 4xx with a JCT_ code');
});

t.test('time linear in the size of the body', async (t) => {
  const statuses = (n: number) =>
    Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { statuses: Array.from({ length: n }, (_, i) => ({ id: `w${i}`, status: 'delivered', timestamp: '1749416400' })) } }] }] }));
  const refused = (n: number) => Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: Array.from({ length: n }, () => ({ id: 7, changes: 'x' })) }));
  for (const [label, body] of [['accepted statuses', statuses], ['refused entries', refused]] as const) {
    const small = await fastest(() => post(body(100)));
    const large = await fastest(() => post(body(800)));
    t.ok(large < small * 40 + 50, `${label}: 8× the body took ${large.toFixed(1)} ms against ${small.toFixed(1)} ms`);
  }
});
