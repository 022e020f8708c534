// What reports on a sent message in a sharded cluster (two processes, four shards, the test
// database), sent from the shard of the participant who sent it, through Twilio and Meta
// WhatsApp standing in: a tracked link's code starts with that shard's prefix, the Twilio
// message's status callback URL names it, and Meta echoes the send's key with its statuses, so a
// click or a status reaching the process that does not hold that shard asks the holder for that
// shard alone (not every shard it holds), and is recorded once; a code naming no shard is still
// looked for in every shard, and one nobody keeps is 404.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import twilioSdk from 'twilio';
import { messagingModule } from '../../../engine/messaging/index.js';
import { twilio } from '../../../channels/twilio/index.js';
import { metaWhatsApp } from '../../../channels/meta-whatsapp/index.js';
import { providerModule } from '../../../channels/provider.js';
import { createHmac } from 'node:crypto';
import { shardNamed } from '../../../engine/id-prefix.js';
import { unlessPostgres } from '../store/postgres-service.js';
import { standIn } from '../../e2e/helpers.js';
import { AUTH, call, clusterOf, eventually } from './cluster-service.js';

const skip = await unlessPostgres(t);
const NUMBER = '+15557650002';
const PUBLIC = 'https://go.example.com';
const TOKEN = 'twilio-auth-token-0123456789';
const ACCOUNT = `AC${'a1'.repeat(16)}`;
const APP_SECRET = 'meta-app-secret-0123456789';
const WHATSAPP = '+15550783881';

t.test('a click and a delivery status go to the shard that sent the message, through either process', { skip }, async (t) => {
  let answerAfterMs: number | undefined; // set: Twilio answers sends that much later
  const api = await standIn(t, (request, n) => {
    if (request.url.endsWith('/messages')) return { status: 201, body: { messages: [{ id: `wamid.${n}` }] } };
    return { status: 201, body: { sid: `SM${n}` }, ...(answerAfterMs === undefined ? {} : { afterMs: answerAfterMs }) };
  });
  const settings = {
    twilio: { authToken: TOKEN, accountSid: ACCOUNT, apiBaseUrl: api.url, numbers: [NUMBER], publicBaseUrl: PUBLIC },
    'meta-whatsapp': { appSecret: APP_SECRET, accessToken: 'EAAG-meta-access-token-0123456789', apiBaseUrl: api.url, numbers: [`whatsapp:${WHATSAPP}`], phoneNumberIds: { [WHATSAPP]: '106540352242922' } },
  };
  const modules = () => [messagingModule, providerModule(twilio), providerModule(metaWhatsApp)]; // each process its own sends in flight
  const cluster = await clusterOf(t, { processes: 2, shards: 4, modules, settings });
  const [a] = cluster.processes.map((p) => p.app) as [FastifyInstance];
  const promo = {
    schemaVersion: 1,
    id: 'promo',
    name: 'promo',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'sms' } }],
    elements: [
      { id: 'sms', type: 'sendSms', config: { from: NUMBER, text: 'Your order: https://shop.example.com/orders/17', trackLinks: true }, branches: { next: 'wa' } },
      { id: 'wa', type: 'sendWhatsApp', config: { from: WHATSAPP, template: { name: 'order_update', language: 'en_US' } }, branches: { next: 'wait' } },
      { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } },
    ],
  };
  t.equal((await call(a, 'POST', '/api/v1/flows', promo)).status, 201);
  t.equal((await call(a, 'POST', '/api/v1/flows/promo/launch')).status, 200);
  const added = await a.inject({ method: 'POST', url: '/flows/promo/participants', headers: AUTH, payload: { person: { phones: ['+14155550123'] } } });
  t.equal(added.statusCode, 201, added.body);
  const sent = await eventually(async () => api.received.filter((r) => !r.url.endsWith('/messages')).map((r) => new URLSearchParams(r.body)), (forms) => forms.length === 1);
  const code = /\/l\/([A-Za-z0-9_-]+)$/.exec(sent[0]!.get('Body')!)![1]!;
  const shard = shardNamed(code, 4);
  t.equal(shard, shardNamed(added.json().personId as string, 4), `the code ${code} names the shard of the person's participant`);

  const holder = cluster.processes.find((p) => p.process.shards().includes(shard!))!;
  const other = cluster.processes.find((p) => p !== holder)!;
  const clicked = await other.app.inject({ method: 'GET', url: `/l/${code}` });
  t.equal(clicked.statusCode, 302);
  t.equal(clicked.headers['location'], 'https://shop.example.com/orders/17');
  t.same(holder.served.filter((s) => s.call === 'reference'), [{ call: 'reference', shard }], 'the holder was asked for that shard alone');
  const counted = await eventually(() => call(a, 'GET', '/api/v1/reports/flows/promo'), (r) => r.body?.elements?.find((e: { id: string }) => e.id === 'sms')?.counters?.['sms:clicked'] === 1);
  t.match(counted.body.elements.find((e: { id: string }) => e.id === 'sms'), { counters: { 'sms:sent': 1, 'sms:clicked': 1 } }, 'the click counted once, on the element');

  t.equal((await other.app.inject({ method: 'GET', url: `/l/${code.slice(2)}` })).statusCode, 404, 'a code naming no shard is looked for everywhere, and nobody keeps this one');
  t.ok(holder.served.filter((s) => s.call === 'reference').length >= 2, 'the holder was asked again, for every shard it holds');

  const callback = sent[0]!.get('StatusCallback')!;
  t.equal(callback, `${PUBLIC}/webhooks/twilio?shard=${shard}`, "the status callback names the message's shard");
  holder.served.length = 0;
  const reported = await delivered(other.app, callback, 'SM1', '+14155550123');
  t.equal(reported.statusCode, 200, reported.body);
  t.same(holder.served.filter((s) => s.call === 'reference'), [{ call: 'reference', shard }], 'the holder was asked for that shard alone');
  const deliveredOnce = await eventually(() => call(a, 'GET', '/api/v1/reports/flows/promo'), (r) => r.body?.elements?.find((e: { id: string }) => e.id === 'sms')?.counters?.['sms:delivered'] === 1);
  t.match(deliveredOnce.body.elements.find((e: { id: string }) => e.id === 'sms'), { counters: { 'sms:delivered': 1 } }, 'the delivery counted on the element');

  const wamid = await eventually(async () => api.received.filter((r) => r.url.endsWith('/messages')), (sends) => sends.length === 1);
  t.match(JSON.parse(wamid[0]!.body), { biz_opaque_callback_data: new RegExp(`^${shard}-`) }, 'the WhatsApp send gives Meta its key');
  holder.served.length = 0;
  const statuses = [{ id: `wamid.${api.received.indexOf(wamid[0]!) + 1}`, status: 'delivered', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '14155550123', biz_opaque_callback_data: JSON.parse(wamid[0]!.body).biz_opaque_callback_data }];
  const notification = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: WHATSAPP.slice(1), phone_number_id: '106540352242922' }, statuses } }] }] });
  const signature = `sha256=${createHmac('sha256', APP_SECRET).update(notification).digest('hex')}`;
  const notified = await other.app.inject({ method: 'POST', url: '/webhooks/meta-whatsapp', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, payload: notification });
  t.equal(notified.statusCode, 200, notified.body);
  t.same(holder.served.filter((s) => s.call === 'reference'), [{ call: 'reference', shard }], "Meta's status, naming the send's key: the holder asked for that shard alone");
  const read = await eventually(() => call(a, 'GET', '/api/v1/reports/flows/promo'), (r) => r.body?.elements?.find((e: { id: string }) => e.id === 'wa')?.counters?.['whatsapp:delivered'] === 1);
  t.match(read.body.elements.find((e: { id: string }) => e.id === 'wa'), { counters: { 'whatsapp:delivered': 1 } }, 'the WhatsApp delivery counted on its element');

  // A status that arrives, at the other process, before the send's answer does (Twilio answers 400 ms late).
  answerAfterMs = 400;
  const twilioSends = () => api.received.filter((r) => !r.url.endsWith('/messages'));
  const second = await a.inject({ method: 'POST', url: '/flows/promo/participants', headers: AUTH, payload: { person: { phones: ['+14155550124'] } } });
  t.equal(second.statusCode, 201, second.body);
  const asked = await eventually(async () => twilioSends(), (sends) => sends.length === 2);
  const early = new URLSearchParams(asked[1]!.body).get('StatusCallback')!;
  const sid = `SM${api.received.indexOf(asked[1]!) + 1}`;
  const process = cluster.processes.find((p) => !p.process.shards().includes(shardNamed(`${new URL(early).searchParams.get('shard')}-`, 4)!))!;
  const heldBack = await delivered(process.app, early, sid, '+14155550124');
  t.equal(heldBack.statusCode, 200, heldBack.body);
  const both = await eventually(() => call(a, 'GET', '/api/v1/reports/flows/promo'), (r) => r.body?.elements?.find((e: { id: string }) => e.id === 'sms')?.counters?.['sms:delivered'] === 2);
  t.match(both.body.elements.find((e: { id: string }) => e.id === 'sms'), { counters: { 'sms:delivered': 2 } }, "held back until the holder knew the message, then counted: not lost for arriving first");
});

/** Twilio's "delivered" status callback for message `sid`, signed over `callback` (the URL the send gave), posted to `app`. */
function delivered(app: FastifyInstance, callback: string, sid: string, to: string) {
  const status = { MessageSid: sid, MessageStatus: 'delivered', From: NUMBER, To: to, AccountSid: ACCOUNT };
  return app.inject({
    method: 'POST',
    url: callback.slice(PUBLIC.length),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, callback, status) },
    payload: new URLSearchParams(status).toString(),
  });
}
