// Fuzzing the email webhooks and the MIME reading: arbitrary forms (correctly signed), arbitrary
// bytes as multipart bodies and as part values (invalid UTF-8 included), arbitrary mails as the
// SMTP listener reads them. Never a 5xx: only 200 or a 4xx with a JCT_ code; time linear in size.
import t from 'tap';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import emailModule from '../../channels/email/index.js';
import { readMime } from '../../channels/email/inbound.js';
import { JunctionError } from '../../engine/errors.js';
import { fuzzAnswers, webhookGateway, type Answer } from './harness.js';

const SENDGRID_KEY = 'sendgrid-url-secret-0123456789';
const MAILGUN_KEY = 'mailgun-signing-key-0123';
const settings = Value.Default(emailModule.config!.schema, { domains: ['ours.test'], sendgridKey: SENDGRID_KEY, mailgunSigningKey: MAILGUN_KEY }) as Record<string, unknown>;
const BOUNDARY = 'fuzz-boundary-0123456789abcdefghij';

const gateway = webhookGateway(emailModule, settings);
t.teardown(gateway.close);

let tokens = 0;
function signed(fields: Record<string, string>): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const token = `fuzz-token-${++tokens}`;
  return { ...fields, timestamp, token, signature: createHmac('sha256', MAILGUN_KEY).update(timestamp + token).digest('hex') };
}

/** A multipart body built by hand, so part values may be any bytes. */
function multipart(parts: ReadonlyArray<readonly [string, string | Uint8Array]>): Buffer {
  const chunks: Buffer[] = [];
  for (const [name, value] of parts) {
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n\\]/g, '_')}"\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

const TYPE = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const ROUTES = ['/webhooks/email/mailgun', `/webhooks/email/sendgrid?key=${SENDGRID_KEY}`];

function post(url: string, body: Buffer, headers: Record<string, string> = TYPE): Promise<Answer> {
  return gateway.inject({ url, headers, body });
}

const FIELD_NAMES = ['recipient', 'sender', 'from', 'to', 'subject', 'text', 'html', 'headers', 'envelope', 'email', 'body-plain', 'body-html', 'body-mime', 'Message-Id'];
const name = fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 20 }));
const value = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom('help@ours.test', 'Ana <ana@example.org>', '{"to":["help@ours.test"]}', '{"to":[1]}', '<p><b>x</b></p>', 'From: a@b\r\n\r\nx'),
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
);
const fields = fc.array(fc.tuple(name, value), { maxLength: 20 });
const bytes = fc.uint8Array({ maxLength: 2000 });

t.test('signed arbitrary forms to either webhook: 200 or a JCT_ 4xx', async () => {
  const sent = fc.tuple(fields, fc.constantFrom(...ROUTES));
  await fuzzAnswers(sent, ([pairs, url]) => post(url, multipart(url.includes('mailgun') ? Object.entries(signed(Object.fromEntries(pairs))) : pairs)), 300);
});

t.test('arbitrary bytes as part values (invalid UTF-8 included)', async () => {
  const sent = fc.tuple(fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), bytes), { maxLength: 8 }), fc.constantFrom(...ROUTES));
  await fuzzAnswers(sent, ([parts, url]) => {
    const base = url.includes('mailgun') ? Object.entries(signed({ recipient: 'help@ours.test', from: 'ana@example.org' })) : [['from', 'ana@example.org'] as const, ['to', 'help@ours.test'] as const];
    return post(url, multipart([...parts, ...base]));
  }, 200);
});

t.test('arbitrary bytes as the whole body, with multipart or form content types', async () => {
  const types = [`multipart/form-data; boundary=${BOUNDARY}`, 'multipart/form-data', 'application/x-www-form-urlencoded', 'text/plain', 'application/json'];
  await fuzzAnswers(fc.tuple(bytes, fc.constantFrom(...ROUTES), fc.constantFrom(...types)), ([body, url, type]) => post(url, Buffer.from(body), { 'content-type': type }), 300);
});

t.test('arbitrary mails read by the SMTP path: a mail or a JunctionError, nothing else', async (t) => {
  const mail = fc.oneof(
    bytes,
    fc.tuple(fc.string({ maxLength: 200 }), fc.string({ maxLength: 500 })).map(([head, body]) => Buffer.from(`From: ${head}\r\nContent-Type: text/html\r\n\r\n${body}`)),
  );
  await fc.assert(
    fc.asyncProperty(mail, async (raw) => {
      try {
        const read = await readMime(Buffer.from(raw), ['help@ours.test'], undefined, 0);
        return typeof read.text === 'string' && read.from.includes('@');
      } catch (err) {
        return err instanceof JunctionError && err.code === 'JCT_PAYLOAD_INVALID';
      }
    }),
    { numRuns: 300 },
  );
});

t.test('time grows linearly with the size of a form', async (t) => {
  const timeOf = async (n: number): Promise<number> => {
    const parts: Array<[string, string]> = Object.entries(signed({ recipient: 'help@ours.test', from: 'ana@example.org', 'body-html': '<p>x</p>'.repeat(n) }));
    for (let i = 0; i < n / 128; i++) parts.push([`X-Header-${i}`, 'v'.repeat(8)]);
    const started = performance.now();
    const r = await post('/webhooks/email/mailgun', multipart(parts));
    t.equal(r.status, 200);
    return performance.now() - started;
  };
  await timeOf(1000); // warm up
  const small = await timeOf(8_000);
  const large = await timeOf(64_000);
  t.ok(large < 8 * small * 3 + 250, `8x the size took ${(large / small).toFixed(1)}x the time (${small.toFixed(0)} ms, ${large.toFixed(0)} ms)`);
});

t.test('deeply nested HTML does not blow up', async (t) => {
  const html = '<b>'.repeat(100_000) + 'deep' + '</b>'.repeat(100_000);
  const r = await post('/webhooks/email/mailgun', multipart(Object.entries(signed({ recipient: 'help@ours.test', from: 'ana@example.org', 'body-html': html }))));
  t.ok(r.status === 200 || r.status === 413, `answered ${r.status} ${r.code}`);
});
