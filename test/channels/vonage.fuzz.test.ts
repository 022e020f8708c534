// Fuzzing the Vonage webhook: arbitrary fields, JSON, nesting, huge arrays and invalid UTF-8,
// correctly signed (SMS API `sig` or Messages API JWT), through the real gateway and engine,
// never get a 5xx (only 200 or a 4xx with a JCT_ code), in time linear in their size.
import t from 'tap';
import fc from 'fast-check';
import { createHash, createHmac } from 'node:crypto';
import vonageModule from '../../channels/vonage/index.js';
import { smsApiSignature } from '../../channels/vonage/sms-api.js';
import { verified, webhookGateway, wellAnswered, type Injected } from './harness.js';

const SECRET = 'vonage_signature_secret_0123456789';
const settings = { signatureSecret: SECRET, signatureMethod: 'sha256hmac', signatureWindowS: 300, apiBaseUrl: 'https://api.nexmo.com', numbers: [] };
const gateway = webhookGateway(vonageModule, settings);
t.teardown(gateway.close);

/** Sends a request and returns the status; throws (failing the property) unless it is well answered and `allowed`. */
async function answered(request: Injected, allowed?: (status: number) => boolean): Promise<number> {
  const answer = await gateway.inject(request);
  wellAnswered(answer, allowed);
  return answer.status;
}

/** Fields as they are read back from a form or query, signed with a fresh timestamp. */
function signedForm(fields: Record<string, string>): string {
  const view = Object.fromEntries(new URLSearchParams(new URLSearchParams({ ...fields, timestamp: String(Math.floor(Date.now() / 1000)) })));
  delete view['sig'];
  return new URLSearchParams({ ...view, sig: smsApiSignature(view, SECRET, 'sha256hmac') }).toString();
}

/** A Messages API request: the bytes, with a JWT whose payload_hash is theirs. */
function withJwt(body: string | Buffer, type = 'application/json'): Injected {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iat: Math.floor(Date.now() / 1000), payload_hash: createHash('sha256').update(body).digest('hex') })}`;
  return { body, headers: { 'content-type': type, authorization: `Bearer ${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}` } };
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const fieldName = fc.oneof(fc.constantFrom('msisdn', 'to', 'messageId', 'text', 'status', 'err-code', 'message-timestamp', 'sig', 'timestamp', 'type', '__proto__', 'constructor'), text);
const fields = fc.dictionary(fieldName, text, { maxKeys: 12 });
const runs = { numRuns: 150 };

t.test('SMS API: arbitrary signed fields in a form, a query and a JSON body', async (t) => {
  await fc.assert(
    fc.asyncProperty(fields, async (f) => {
      const form = signedForm(f);
      await answered({ body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, verified);
      await answered({ method: 'GET', url: `/webhooks/vonage?${form}` }, verified);
      const view = Object.fromEntries(new URLSearchParams(form));
      await answered({ body: JSON.stringify(view), headers: { 'content-type': 'application/json' } }, verified);
    }),
    runs,
  );
});

t.test('SMS API: a signed JSON body of arbitrary values and nesting', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fieldName, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), async (f) => {
      const body = { ...f, timestamp: String(Math.floor(Date.now() / 1000)) } as Record<string, unknown>;
      let sig: string;
      try {
        sig = smsApiSignature(body, SECRET, 'sha256hmac');
      } catch {
        sig = 'unsignable'; // a nested value: no signature can cover it
      }
      await answered({ body: JSON.stringify({ ...body, sig }), headers: { 'content-type': 'application/json' } }, verified);
    }),
    runs,
  );
});

const inbound = { channel: 'whatsapp', message_uuid: 'u-1', to: '447700900000', from: '447700900001', message_type: 'text', text: 'Hi' };
const messageField = fc.constantFrom('channel', 'message_uuid', 'to', 'from', 'message_type', 'text', 'image', 'button', 'reply', 'status', 'error', 'timestamp');

t.test('Messages API: valid messages with arbitrary fields changed, signed', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(messageField, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), async (changes) => {
      await answered(withJwt(JSON.stringify({ ...inbound, ...changes })), verified);
    }),
    runs,
  );
});

t.test('Messages API: arbitrary JSON with a message_uuid, and arbitrary JSON, signed', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
      await answered(withJwt(JSON.stringify({ message_uuid: value, value })), verified);
      await answered(withJwt(JSON.stringify(value)));
    }),
    runs,
  );
});

t.test('arbitrary bytes (invalid UTF-8 too) under each content type, signed', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'application/octet-stream'), async (bytes, type) => {
      await answered(withJwt(Buffer.from(bytes), type));
    }),
    runs,
  );
});

t.test('huge arrays and many fields: a 4xx or 200, quickly', async (t) => {
  const huge = Array.from({ length: 100_000 }, (_, i) => i);
  t.equal(await answered(withJwt(JSON.stringify({ ...inbound, image: huge }))), 400);
  t.equal(await answered(withJwt(JSON.stringify({ ...inbound, extra: huge }))), 200, 'unknown fields are ignored');
  const many = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`f${i}`, 'x']));
  t.equal(await answered({ body: signedForm({ ...many, msisdn: '447700900001', to: '447700900000', messageId: 'm' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 200);
});

t.test('time grows linearly with the size of the body', async (t) => {
  const timed = async (n: number): Promise<number> => {
    const form = signedForm(Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, 'x&='.repeat(4)])));
    const body = withJwt(JSON.stringify({ ...inbound, text: 'x'.repeat(n), list: Array.from({ length: n }, () => ({ a: [1, 'b'] })) }));
    const started = performance.now();
    for (let i = 0; i < 3; i++) {
      await answered({ body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await answered(body);
    }
    return performance.now() - started;
  };
  await timed(500); // warm up
  const small = await timed(1_000);
  const large = await timed(16_000);
  t.ok(large < small * 16 * 4 + 200, `16× the size took ${(large / small).toFixed(1)}× the time (${small.toFixed(0)} ms, ${large.toFixed(0)} ms)`);
});
