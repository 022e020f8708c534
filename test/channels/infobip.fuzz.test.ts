// Fuzzing the Infobip webhook through the real gateway and engine: authenticated bodies of any
// shape (random JSON, result lists mixing SMS, WhatsApp, report and seen items with random
// leaves, raw bytes that need not be UTF-8, huge arrays) and random Authorization headers never
// get a 5xx, only 200 or a 4xx with a JCT_ code; reading costs time linear in the body's size.
import t from 'tap';
import fc from 'fast-check';
import infobipModule from '../../channels/infobip/index.js';
import { fastest, fuzzAnswers, webhookGateway, wellAnswered, type Answer } from './harness.js';

const USER = 'infobip-hooks';
const PASSWORD = 'infobip-webhook-password-0123';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const gateway = webhookGateway(infobipModule, { webhookUsername: USER, webhookPassword: PASSWORD, numbers: [] });
t.teardown(gateway.close);

function post(body: Buffer | string, authorization = AUTH): Promise<Answer> {
  return gateway.inject({ headers: { 'content-type': 'application/json', authorization }, body });
}

const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
const maybe = <T>(real: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: real }, { weight: 1, arbitrary: leaf });
const number = fc.stringMatching(/^[0-9]{1,15}$/);
const instant = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant('2024-01-01T10:00:00.000+0000'), fc.constant('2024-19-01T10:00:00Z'));
const group = fc.record(
  { groupName: maybe(fc.constantFrom('PENDING', 'DELIVERED', 'UNDELIVERABLE', 'EXPIRED', 'REJECTED', 'OK', 'constructor', '__proto__')), name: maybe(fc.string()), id: maybe(fc.integer()) },
  { requiredKeys: [] },
);
const whatsApp = fc.record(
  {
    type: maybe(fc.constantFrom('TEXT', 'IMAGE', 'VOICE', 'BUTTON', 'INTERACTIVE_BUTTON_REPLY', 'INTERACTIVE_LIST_REPLY', 'LOCATION', 'toString')),
    text: maybe(fc.string()),
    url: maybe(fc.webUrl()),
    caption: maybe(fc.string()),
    payload: maybe(fc.string()),
    id: maybe(fc.string()),
    title: maybe(fc.string()),
  },
  { requiredKeys: [] },
);
const item = fc.record(
  {
    messageId: maybe(fc.string({ minLength: 1 })),
    from: maybe(number),
    to: maybe(number),
    text: maybe(fc.string()),
    receivedAt: maybe(instant),
    doneAt: maybe(instant),
    seenAt: maybe(instant),
    status: maybe(group),
    error: maybe(fc.option(group)),
    message: maybe(whatsApp),
  },
  { requiredKeys: [] },
);
const body = fc.record({ results: maybe(fc.array(item, { maxLength: 8 })), messageCount: maybe(fc.nat()) }, { requiredKeys: [] });

t.test('authenticated bodies of any shape never get a 5xx', async (t) => {
  await fuzzAnswers(body, (b) => post(JSON.stringify(b)), 500);
  await fuzzAnswers(fc.jsonValue(), (b) => post(JSON.stringify(b) ?? 'null'), 200);
  await fuzzAnswers(fc.uint8Array({ maxLength: 512 }), (bytes) => post(Buffer.from(bytes)), 200);
  t.pass('every answer was 200 or a 4xx with a JCT_ code');
});

t.test('Authorization headers of any shape never get a 5xx', async (t) => {
  const header = fc.oneof(fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`), fc.stringMatching(/^[\x21-\x7e]{0,80}$/), fc.constant('Basic'), fc.constant('Basic ==='));
  await fuzzAnswers(header, (h) => post(JSON.stringify({ results: [] }), h), 300);
  t.pass('every answer was 200 or a 4xx with a JCT_ code');
});

t.test('huge arrays and deep nesting are refused or read, never a 5xx', async (t) => {
  t.ok(wellAnswered(await post(JSON.stringify({ results: Array.from({ length: 60_000 }, () => 1) }))), 'a huge list');
  t.ok(wellAnswered(await post('['.repeat(50_000) + ']'.repeat(50_000))), 'deep nesting');
  t.ok(wellAnswered(await post(JSON.stringify({ results: [{ messageId: 'x', from: '1', to: '2', text: 'é'.repeat(300_000) }] }))), 'a huge text');
});

t.test('time linear in the size of the body', async (t) => {
  const reports = (n: number) => JSON.stringify({ results: Array.from({ length: n }, (_, i) => ({ messageId: `m${i}`, status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' } })) });
  const refused = (n: number) => JSON.stringify({ results: Array.from({ length: n }, () => ({ messageId: 7, status: 'x', message: [] })) });
  for (const [label, make] of [['accepted reports', reports], ['refused items', refused]] as const) {
    const small = await fastest(() => post(make(100)));
    const large = await fastest(() => post(make(800)));
    t.ok(large < small * 40 + 50, `${label}: 8× the body took ${large.toFixed(1)} ms against ${small.toFixed(1)} ms`);
  }
});
