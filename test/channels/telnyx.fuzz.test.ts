// Fuzzing the Telnyx webhook: arbitrary JSON, events with arbitrary payload fields, huge arrays
// and invalid UTF-8, correctly signed with Ed25519, through the real gateway and engine, never
// get a 5xx (only 200 or a 4xx with a JCT_ code), in time linear in their size.
import t from 'tap';
import fc from 'fast-check';
import { generateKeyPairSync, sign } from 'node:crypto';
import telnyxModule from '../../channels/telnyx/index.js';
import { verified, webhookGateway, wellAnswered } from './harness.js';

const pair = generateKeyPairSync('ed25519');
const publicKey = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
const settings = { apiKey: 'KEY0123456789', publicKey, apiBaseUrl: 'https://api.telnyx.com', numbers: [] };
const gateway = webhookGateway(telnyxModule, settings);
t.teardown(gateway.close);

/** Sends the bytes signed and returns the status; throws (failing the property) unless it is read or refused as malformed. */
async function answered(body: string | Buffer, type = 'application/json'): Promise<number> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.concat([Buffer.from(`${timestamp}|`), Buffer.from(body)]), pair.privateKey).toString('base64');
  const answer = await gateway.inject({ headers: { 'content-type': type, 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature }, body });
  wellAnswered(answer, verified);
  return answer.status;
}

const event = (event_type: unknown, payload: unknown) => JSON.stringify({ data: { event_type, id: 'e-1', occurred_at: '2023-11-14T22:13:20Z', payload, record_type: 'event' } });
const message = {
  id: 'm-1',
  type: 'SMS',
  from: { phone_number: '+13125550100' },
  to: [{ phone_number: '+13125550199', status: 'delivered' }],
  text: 'Hello',
  media: [{ url: 'https://media.telnyx.com/1.jpg' }],
  errors: [{ code: '40008' }],
  received_at: '2023-11-14T22:13:19Z',
  sent_at: null,
  completed_at: '2023-11-14T22:13:25Z',
};
const eventType = fc.oneof(fc.constantFrom('message.received', 'message.sent', 'message.finalized', 'message.read', 'call.initiated'), fc.string({ maxLength: 20 }));
const messageField = fc.constantFrom(...Object.keys(message), 'direction', 'cc');
const runs = { numRuns: 200 };

t.test('message events with arbitrary fields changed', async () => {
  await fc.assert(
    fc.asyncProperty(eventType, fc.dictionary(messageField, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), async (type, changes) => {
      await answered(event(type, { ...message, ...changes }));
    }),
    runs,
  );
});

t.test('arbitrary JSON, as the body and as the payload', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), eventType, async (value, type) => {
      await answered(JSON.stringify(value));
      await answered(event(type, value));
      await answered(JSON.stringify({ data: value }));
    }),
    runs,
  );
});

t.test('arbitrary strings (any code point) in every text field', async () => {
  const text = fc.string({ unit: 'binary', maxLength: 60 });
  await fc.assert(
    fc.asyncProperty(text, text, text, text, async (from, to, body, status) => {
      await answered(event('message.received', { ...message, from: { phone_number: from }, to: [{ phone_number: to }], text: body }));
      await answered(event('message.finalized', { ...message, to: [{ status }], completed_at: body }));
    }),
    runs,
  );
});

t.test('arbitrary bytes (invalid UTF-8 too) under each content type', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'application/octet-stream'), async (bytes, type) => {
      await answered(Buffer.from(bytes), type);
    }),
    runs,
  );
});

t.test('huge arrays: a 4xx or 200, quickly', async (t) => {
  const huge = (n: number) => Array.from({ length: n }, (_, i) => ({ phone_number: `+${i}`, status: 'sent', url: `x${i}` })); // under the 1 MB body limit
  t.equal(await answered(event('message.received', { ...message, to: huge(10_000) })), 400);
  t.equal(await answered(event('message.finalized', { ...message, to: huge(10_000) })), 400);
  t.equal(await answered(event('message.received', { ...message, media: huge(10_000) })), 400);
  t.equal(await answered(event('message.finalized', { ...message, cc: huge(10_000) })), 200, 'unknown fields are ignored');
  t.equal(await answered(event('call.initiated', huge(10_000))), 200, 'other events are ignored');
});

t.test('time grows linearly with the size of the body', async (t) => {
  const timed = async (n: number): Promise<number> => {
    const body = event('message.received', { ...message, text: 'x'.repeat(n), media: Array.from({ length: Math.min(n, 100) }, () => ({ url: 'https://x' })), tags: Array.from({ length: n }, () => ({ a: [1, 'b'] })) });
    const started = performance.now();
    for (let i = 0; i < 3; i++) await answered(body);
    return performance.now() - started;
  };
  await timed(500); // warm up
  const small = await timed(1_000);
  const large = await timed(16_000);
  t.ok(large < small * 16 * 4 + 200, `16× the size took ${(large / small).toFixed(1)}× the time (${small.toFixed(0)} ms, ${large.toFixed(0)} ms)`);
});
