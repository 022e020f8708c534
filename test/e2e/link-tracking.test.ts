// Link tracking through the gateway: a send element with trackLinks has its links rewritten to
// short URLs on the provider's public address; opening one counts the click once on the element,
// gives the person a `message.clicked` event (here the flow's goal) and redirects to the link.
// Codes are the same on every retry of one send; unknown codes are 404.
import t from 'tap';
import { world } from '../engine/helpers.js';
import { buildApp } from '../../gateway/app.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { trackLinks } from '../../engine/messaging/links.js';
import genericModule from '../../channels/generic/index.js';
import { standIn } from './helpers.js';

const NUMBER = '+385800100';
const PUBLIC = 'https://go.example.com';

t.test('links become short URLs; a click is counted once, heard as an event and redirected', async (t) => {
  const api = await standIn(t, (_request, n) => ({ status: 201, body: { id: `c${n}` } }));
  const texts = () => api.received.map((r) => (JSON.parse(r.body) as { text: string }).text);
  const sendUrl = `${api.url}/send`;
  const w = world({
    start: new Date().toISOString(),
    modules: [messagingModule, genericModule],
    settings: { generic: { secret: 'generic-shared-secret-0123', sendUrl, numbers: [NUMBER], publicBaseUrl: PUBLIC } },
  });
  const app = buildApp(w.engine);
  t.teardown(() => app.close());
  w.engine.save({
    schemaVersion: 1,
    id: 'promo',
    name: 'promo',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'sms' } }],
    elements: [
      { id: 'sms', type: 'sendSms', config: { from: NUMBER, text: 'Your order: https://shop.example.com/orders/17?x=1. Help: https://help.example.com', trackLinks: true }, branches: { next: 'wait' } },
      { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } },
    ],
    settings: { goal: { event: 'message.clicked' } },
  });
  w.engine.launch('promo');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'promo', person: { id: 'ana', phones: ['+385911234567'] } });
  for (let i = 0; i < 200 && texts().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await w.engine.idle();
  const short = [...texts()[0]!.matchAll(/https:\/\/go\.example\.com\/l\/([A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
  t.equal(short.length, 2, `both links were shortened: ${texts()[0]}`);
  t.match(texts()[0], /^Your order: https:\/\/go\.example\.com\/l\/\S+\. Help: https:\/\/go\.example\.com\/l\/\S+$/, 'the sentence around them is kept');

  const open = (code: string) => app.inject({ method: 'GET', url: `/l/${code}` });
  const first = await open(short[0]!);
  t.equal(first.statusCode, 302);
  t.equal(first.headers['location'], 'https://shop.example.com/orders/17?x=1');
  t.equal((await open(short[0]!)).statusCode, 302, 'a second click redirects too');
  t.equal((await open(short[1]!)).headers['location'], 'https://help.example.com');
  const unknown = await open('nope123');
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().error.code, 'JCT_NOT_FOUND');
  t.equal((await open('bad%20code')).statusCode, 400, 'a code of the wrong shape is refused');

  await w.engine.idle();
  const m = w.engine.metrics('promo');
  t.same(m.elements.find((e) => e.id === 'sms')!.counters, { 'sms:sent': 1, 'sms:clicked': 1 }, 'clicks count once per message');
  t.equal(m.goalPerformers, 1, 'message.clicked reached the goal');
});

t.test('codes depend only on the outbox key and the link order; without links nothing changes', async (t) => {
  const message = { channel: 'email' as const, from: 'news@ours.test', to: 'ana@example.org', text: 'See https://a.example/x!', html: '<a href="https://a.example/x">x</a>', idempotencyKey: 'p1:2:0' };
  const a = trackLinks(message, PUBLIC);
  const b = trackLinks(message, PUBLIC);
  t.same(a, b, 'a retry sends the same short URLs');
  t.same(Object.values(a.links), ['https://a.example/x', 'https://a.example/x'], 'trailing punctuation is not part of a link');
  t.match(a.message.html, /^<a href="https:\/\/go\.example\.com\/l\/[A-Za-z0-9_-]{10}">x<\/a>$/);
  t.not(trackLinks({ ...message, idempotencyKey: 'p2:2:0' }, PUBLIC).message.text, a.message.text, 'another send gets other codes');
  t.same(trackLinks({ ...message, text: 'no links', html: undefined }, PUBLIC).links, {});
});

t.test('in HTML only links are tracked, with their character references read: images load as they are', async (t) => {
  const html = '<img src="https://cdn.example/logo.png" alt="logo"><p>See https://cdn.example/plain</p><a class="b" href="https://shop.example/?a=1&amp;utm_source=mail&#38;x=&quot;y">Shop</a>';
  const tracked = trackLinks({ channel: 'email', from: 'news@ours.test', to: 'ana@example.org', subject: 's', text: 'Shop', html, idempotencyKey: 'p1:2:0' }, PUBLIC);
  t.same(Object.values(tracked.links), ['https://shop.example/?a=1&utm_source=mail&x="y'], 'the link the browser would open');
  t.match(tracked.message.html, /^<img src="https:\/\/cdn\.example\/logo\.png" alt="logo"><p>See https:\/\/cdn\.example\/plain<\/p><a class="b" href="https:\/\/go\.example\.com\/l\/[A-Za-z0-9_-]{10}">Shop<\/a>$/);
});
