// The one-click unsubscribe POST (RFC 8058) is taken when its form holds the pair
// List-Unsubscribe=One-Click, wherever it is among the fields: before or after another value of
// that name, urlencoded or multipart. A form without the pair is refused. The inbound mail
// webhooks still read a repeated field's last value (formOf).
import t, { type Test } from 'tap';
import emailModule from '../../channels/email/index.js';
import { formFields, formOf } from '../../channels/email/inbound.js';
import { unsubscribeToken } from '../../channels/email/unsubscribe.js';
import { messagingModule } from '../../engine/messaging/index.js';
import type { RouteRequest } from '../../engine/module.js';
import { buildApp } from '../../gateway/app.js';
import { world } from '../engine/helpers.js';

const CLUB = 'news@club.test';
const ANA = 'ana@example.org';
const SECRET = 'unsubscribe-secret-for-tests-0123456789';
const URLENCODED = { 'content-type': 'application/x-www-form-urlencoded' };
const MULTIPART = { 'content-type': 'multipart/form-data; boundary=xyz' };

function multipart(fields: Array<[string, string]>): string {
  return fields.map(([name, value]) => `--xyz\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') + '--xyz--\r\n';
}

async function unsubscribing(t: Test) {
  const w = world({ modules: [messagingModule, emailModule], settings: { email: { numbers: [CLUB], domains: ['club.test'], publicBaseUrl: 'https://junction.example.com', unsubscribeSecret: SECRET } } });
  const app = buildApp(w.engine);
  t.teardown(() => app.close());
  const url = `/unsubscribe/${unsubscribeToken({ contact: ANA, sender: CLUB }, SECRET)}`;
  return { w, post: (headers: Record<string, string>, payload: string) => app.inject({ method: 'POST', url, headers, payload }) };
}

t.test('the pair counts wherever it is among the fields', async (t) => {
  const forms: Array<[string, Record<string, string>, string]> = [
    ['after another value of the name', URLENCODED, 'List-Unsubscribe=x&List-Unsubscribe=One-Click'],
    ['before another value of the name', URLENCODED, 'List-Unsubscribe=One-Click&List-Unsubscribe=x'],
    ['among other fields', URLENCODED, 'a=1&List-Unsubscribe=One-Click&b=2'],
    ['multipart, before another value of the name', MULTIPART, multipart([['List-Unsubscribe', 'One-Click'], ['List-Unsubscribe', 'x']])],
  ];
  for (const [what, headers, payload] of forms) {
    const { w, post } = await unsubscribing(t);
    const answer = await post(headers, payload);
    t.equal(answer.statusCode, 200, what);
    t.ok(w.engine.people.isBlocked('email', ANA, CLUB), `${what}: the sender is blocked`);
  }
});

t.test('a form without the pair is refused and blocks nobody', async (t) => {
  const forms: Array<[string, string]> = [
    ['another value only', 'List-Unsubscribe=x&List-Unsubscribe=Maybe'],
    ['the value under another name', 'List-Unsubscribe-Post=One-Click'],
    ['the name in another case', 'list-unsubscribe=One-Click'],
    ['no field', ''],
  ];
  for (const [what, payload] of forms) {
    const { w, post } = await unsubscribing(t);
    const answer = await post(URLENCODED, payload);
    t.equal(answer.statusCode, 400, what);
    t.equal(answer.json().error.code, 'JCT_PAYLOAD_INVALID', what);
    t.equal(w.engine.people.doNotContact().size, 0, `${what}: nobody blocked`);
  }
});

t.test('the inbound mail webhooks read a repeated field as before: its last value; every value is there in order', async (t) => {
  const req = { headers: URLENCODED, rawBody: Buffer.from('to=a%40club.test&subject=one&to=b%40club.test') } as unknown as RouteRequest;
  t.same(await formOf(req), { to: 'b@club.test', subject: 'one' });
  t.same(await formFields(req), [['to', 'a@club.test'], ['subject', 'one'], ['to', 'b@club.test']]);
});
