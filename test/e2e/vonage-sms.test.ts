// End to end through the real server: `junction start` on the embedded store with the SMS
// keywords example and Vonage configured against a local stand-in for Vonage's Messages API. A
// Messages API inbound SMS with JOIN, signed as Vonage signs it (an HS256 JWT made with the
// signature secret, whose payload_hash is the SHA-256 of the body), enters the flow, which
// replies through POST /v1/messages with Basic auth and waits; the reply YES takes its branch
// and the flow ends with its last message. Vonage's retry of a webhook sends nothing twice; an
// unsigned, wrongly signed or altered webhook is refused and reaches no flow.
import t from 'tap';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { verifySignature } from '@vonage/jwt';
import { engagements, eventually, flowMetrics, standIn, startOnLoopback, stays, stopJunction } from './helpers.js';

const API_KEY = 'a1b2c3d4';
const API_SECRET = 'vonage-api-secret-for-tests';
const SIGNATURE_SECRET = 'vonage-signature-secret-for-tests-0123456789';
const NUMBER = '+15550100';
const ANA = '+12025550101';

interface Sent {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { channel: string; message_type: string; text: string; from: string; to: string; client_ref: string };
}

/** Vonage's Messages API as far as Junction uses it: every send recorded and accepted (202). */
async function fakeVonage(t: { teardown(fn: () => void): void }): Promise<{ url: string; readonly sent: Sent[] }> {
  const uuid = (n: number) => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const api = await standIn(t, (_request, n) => ({ status: 202, body: { message_uuid: uuid(n) } }));
  return {
    url: api.url,
    get sent() {
      return api.received.map((r) => ({ ...r, body: JSON.parse(r.body) as Sent['body'] }));
    },
  };
}

/** The JWT Vonage puts in `Authorization: Bearer` of a Messages API webhook: HS256 with the signature secret. */
function vonageJwt(body: string, secret = SIGNATURE_SECRET): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: createHash('sha256').update(body).digest('hex'),
    api_key: API_KEY,
    application_id: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
  };
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** A Messages API inbound SMS from Ana to the club number, as Vonage posts it. */
function inboundSms(uuid: string, text: string): string {
  return JSON.stringify({
    channel: 'sms',
    message_uuid: uuid,
    to: NUMBER.slice(1),
    from: ANA.slice(1),
    timestamp: new Date().toISOString(),
    text,
    sms: { num_messages: '1', keyword: text.trim().split(/\s+/)[0]!.toUpperCase() },
    message_type: 'text',
  });
}

t.test('JOIN, the reply, YES, the last message; retries and forgeries change nothing', async (t) => {
  const api = await fakeVonage(t);
  const junction = startOnLoopback(t, {
    JUNCTION_VONAGE_API_KEY: API_KEY,
    JUNCTION_VONAGE_API_SECRET: API_SECRET,
    JUNCTION_VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET,
    JUNCTION_VONAGE_API_BASE_URL: api.url,
    JUNCTION_VONAGE_NUMBERS: JSON.stringify([NUMBER]),
  });
  const address = await junction.address;
  const webhook = `${address}/webhooks/vonage`;
  const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${vonageJwt(body)}` }) =>
    fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  const joinBody = inboundSms('11111111-0000-4000-8000-000000000001', 'JOIN');
  const joinHeaders = { authorization: `Bearer ${vonageJwt(joinBody)}` };
  t.ok(verifySignature(joinHeaders.authorization.slice('Bearer '.length), SIGNATURE_SECRET), "Vonage's SDK accepts the test's JWT");
  const join = await post(joinBody, joinHeaders);
  t.equal(join.status, 200, 'the signed JOIN is accepted');
  t.ok(await eventually(() => api.sent.length === 1), 'the flow replied through the Messages API');
  const welcome = api.sent[0]!;
  t.equal(welcome.method, 'POST');
  t.equal(welcome.url, '/v1/messages');
  t.equal(welcome.headers['authorization'], `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`, 'Basic auth with the API key and secret');
  t.match(welcome.headers['content-type'], /^application\/json/);
  t.match(welcome.body, {
    channel: 'sms',
    message_type: 'text',
    to: ANA.slice(1),
    from: NUMBER.slice(1),
    text: 'Welcome to the club! You texted JOIN. Reply YES to confirm or NO to leave.',
    client_ref: String,
  });

  t.equal((await post(joinBody, joinHeaders)).status, 200, "Vonage's retry (the very same request) is answered like the first");
  t.equal((await post(joinBody)).status, 200, 'and so is a retry with a fresh JWT');

  const no = inboundSms('11111111-0000-4000-8000-000000000002', 'NO');
  t.equal((await post(no, { authorization: `Bearer ${vonageJwt(no, 'another-secret-entirely')}` })).status, 403, 'a JWT signed with another secret is refused');
  t.equal((await post(no, {})).status, 401, 'an unsigned webhook is refused');
  t.equal((await post(no, { authorization: 'Bearer not.a.jwt' })).status, 403, 'a garbage token is refused');
  const yesSigned = inboundSms('11111111-0000-4000-8000-000000000003', 'YES');
  t.equal((await post(yesSigned.replace('"YES"', '"NO"'), { authorization: `Bearer ${vonageJwt(yesSigned)}` })).status, 403, 'a body altered after signing is refused');
  t.ok(await stays(() => api.sent.length === 1), 'no retry or forgery sent anything');

  t.equal((await post(inboundSms('11111111-0000-4000-8000-000000000004', ' yes '))).status, 200, 'the signed reply is accepted');
  t.ok(await eventually(() => api.sent.length === 2), 'the flow sent its last message');
  t.match(api.sent[1]!.body, { channel: 'sms', to: ANA.slice(1), from: NUMBER.slice(1), text: 'You are in. Text STOP any time to leave.' });
  t.ok(await stays(() => api.sent.length === 2), 'nothing was sent twice');

  const metrics = await flowMetrics(address, 'sms-keywords');
  t.match(metrics, { profilesInFlow: 1, profilesExited: 1, activeParticipants: 0 }, 'Ana entered once and left at the end');
  t.match(
    engagements(metrics),
    { join: 1, welcome: 1, answer: 1, 'tag-member': 1, thanks: 1, goodbye: 0, 'ask-again': 0, stop: 0 },
    'YES took its branch; neither the retries nor the forged NO reached the flow',
  );
  t.equal(await stopJunction(junction), 0, 'the server stops cleanly');
});
