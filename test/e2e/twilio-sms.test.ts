// End to end through the real server: `junction start` on the embedded store with the SMS
// keywords example and Twilio configured against a local stand-in for Twilio's API. A signed
// webhook with JOIN enters the flow, which replies through the Messages API and waits; the
// reply YES takes its branch and the flow ends with a last message. Twilio's retry of a
// webhook sends nothing twice; an unsigned or wrongly signed webhook reaches no flow.
import t from 'tap';
import twilio from 'twilio';
import { once } from 'node:events';
import { standIn, startOnLoopback } from './helpers.js';
import { AUTH } from '../bin/junction-process.js';

const ACCOUNT = `AC${'0'.repeat(32)}`;
const TOKEN = 'twilio-auth-token-for-tests';
const NUMBER = '+15550100';
const ANA = '+12025550101';

interface Sent {
  To: string;
  From: string;
  Body: string;
}

/** Twilio's Messages API as far as Junction uses it: every send recorded and accepted. */
async function fakeTwilio(t: { teardown(fn: () => void): void }): Promise<{ url: string; readonly sent: Sent[] }> {
  const api = await standIn(t, (_request, n) => ({ status: 201, body: { sid: `SM${n}` } }));
  return {
    url: api.url,
    get sent() {
      return api.received.map((r) => Object.fromEntries(new URLSearchParams(r.body)) as unknown as Sent);
    },
  };
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

t.test('JOIN, the reply, YES, the last message; retries and forgeries change nothing', async (t) => {
  const api = await fakeTwilio(t);
  const junction = startOnLoopback(t, {
    JUNCTION_TWILIO_ACCOUNT_SID: ACCOUNT,
    JUNCTION_TWILIO_AUTH_TOKEN: TOKEN,
    JUNCTION_TWILIO_API_BASE_URL: api.url,
    JUNCTION_TWILIO_NUMBERS: JSON.stringify([NUMBER]),
  });
  const address = await junction.address;
  const webhook = `${address}/webhooks/twilio`;
  const post = (params: Record<string, string>, signature = twilio.getExpectedTwilioSignature(TOKEN, webhook, params)) =>
    fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params) });
  const sms = (sid: string, body: string) => ({ MessageSid: sid, AccountSid: ACCOUNT, From: ANA, To: NUMBER, Body: body, NumMedia: '0' });

  const join = await post(sms('SM100', 'JOIN'));
  t.equal(join.status, 200);
  t.match(await join.text(), /<Response\s*\/>/);
  await eventually(() => api.sent.length === 1);
  t.match(api.sent, [{ To: ANA, From: NUMBER, Body: /^Welcome to the club! You texted JOIN\./ }]);

  const retry = await post(sms('SM100', 'JOIN'));
  t.equal(retry.status, 200, "Twilio's retry is answered like the first");

  t.equal((await post(sms('SM101', 'YES'), 'forged')).status, 403, 'a wrong signature is refused');
  const unsigned = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(sms('SM102', 'YES')) });
  t.equal(unsigned.status, 401, 'an unsigned one too');

  t.equal((await post(sms('SM103', ' yes '))).status, 200);
  await eventually(() => api.sent.length === 2);
  t.match(api.sent[1], { To: ANA, Body: 'You are in. Text STOP any time to leave.' });
  await new Promise((r) => setTimeout(r, 100));
  t.equal(api.sent.length, 2, 'nothing was sent twice');
  const metrics = (await (await fetch(`${address}/flows/sms-keywords`, { headers: AUTH })).json()) as { metrics: { profilesInFlow: number; profilesExited: number } };
  t.match(metrics.metrics, { profilesInFlow: 1, profilesExited: 1 });
  junction.child.kill('SIGTERM');
  await once(junction.child, 'exit');
});
