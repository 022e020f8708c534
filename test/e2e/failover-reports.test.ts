// Delivery reports through the gateway, over the generic JSON contract against a local stand-in
// carrier: a failover sends WhatsApp first; the carrier's signed report that it failed makes the
// flow send the SMS at once; the SMS's delivery report is counted on the element. A report on a
// message Junction never sent is answered 200 (so the carrier does not retry it) and changes
// nothing; an unsigned one is refused.
import t from 'tap';
import { world } from '../engine/helpers.js';
import { buildApp } from '../../gateway/app.js';
import { messagingModule } from '../../engine/messaging/index.js';
import genericModule from '../../channels/generic/index.js';
import { signature } from '../../engine/effects/http-request.js';
import { standIn } from './helpers.js';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

const SECRET = 'generic-shared-secret-0123';
const NUMBER = '+385800100';

/** The carrier's send API: every message recorded and accepted as `c<n>`. */
async function carrier(t: { teardown(fn: () => void): void }): Promise<{ url: string; readonly sent: Array<{ channel: string; text: string }> }> {
  const api = await standIn(t, (_request, n) => ({ status: 201, body: { id: `c${n}` } }));
  return {
    url: `${api.url}/send`,
    get sent() {
      return api.received.map((r) => JSON.parse(r.body) as { channel: string; text: string });
    },
  };
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

t.test('a failed WhatsApp report fails over to SMS; the SMS delivery is counted; unknown reports change nothing', async (t) => {
  const api = await carrier(t);
  const w = world({
    start: new Date().toISOString(),
    modules: [messagingModule, genericModule],
    settings: { generic: { secret: SECRET, sendUrl: api.url, numbers: [NUMBER] } },
  });
  const app = buildApp(w.engine);
  t.teardown(() => app.close());
  const report = (body: unknown, signed = true) => {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signed) headers['x-junction-signature'] = signature(SECRET, text, w.clock.now());
    return app.inject({ method: 'POST', url: '/webhooks/generic', headers, payload: text });
  };
  w.engine.save({
    schemaVersion: 1,
    id: 'notify',
    name: 'notify',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'tell' } }],
    elements: [
      {
        id: 'tell',
        type: 'failover',
        config: { first: { channel: 'whatsapp', from: NUMBER, text: 'Shipped (WhatsApp)' }, then: { channel: 'sms', from: NUMBER, text: 'Shipped (SMS)' }, deliveredWithinSeconds: 600 },
        branches: { delivered: 'done', failedOver: 'done' },
      },
      { id: 'done', type: 'addTag', config: { tags: ['told'] } },
    ],
  });
  w.engine.launch('notify');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'notify', person: { id: 'ana', phones: ['+385911234567'] } });
  await eventually(() => api.sent.length === 1);
  await w.engine.idle();
  t.match(api.sent, [{ channel: 'whatsapp', text: 'Shipped (WhatsApp)' }]);

  t.equal((await report({ reports: [{ id: 'c1', status: 'failed', errorCode: '131026' }] }, false)).statusCode, 401, 'an unsigned report is refused');
  t.equal((await report({ reports: [{ id: 'never-sent', status: 'failed' }] })).statusCode, 200, 'a report on an unknown message is answered');
  await w.engine.idle();
  t.equal(api.sent.length, 1, '... and changes nothing');

  t.equal((await report({ reports: [{ id: 'c1', status: 'failed', errorCode: '131026' }] })).statusCode, 200);
  await eventually(() => api.sent.length === 2);
  await w.engine.idle();
  t.match(api.sent[1], { channel: 'sms', text: 'Shipped (SMS)' }, 'failed over at once, not after the 10 minutes');
  t.same(w.people.get('ana')!.tags, ['told']);

  t.equal((await report({ reports: [{ id: 'c2', status: 'delivered' }] })).statusCode, 200);
  await w.engine.idle();
  const m = w.engine.metrics('notify');
  t.same(m.elements.find((e) => e.id === 'tell')!.counters, { 'whatsapp:sent': 1, 'whatsapp:failed': 1, 'sms:sent': 1, 'sms:delivered': 1 });
  t.equal(m.messagesSent, 2);
});

t.test('a report that arrives before the answer to the send it is about still fails over at once', async (t) => {
  const sent: string[] = [];
  let early: (body: unknown) => Promise<unknown> = async () => undefined;
  // the carrier reports the WhatsApp message failed before it answers the send (the answer waits up to 50 ms for that report)
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      sent.push((JSON.parse(body) as { channel: string }).channel);
      const id = `c${sent.length}`;
      const reported = sent.length === 1 ? early({ reports: [{ id, status: 'failed' }] }) : undefined;
      void Promise.race([reported, new Promise((r) => setTimeout(r, 50))]).then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id })));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const sendUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`;
  const w = world({ start: new Date().toISOString(), modules: [messagingModule, genericModule], settings: { generic: { secret: SECRET, sendUrl, numbers: [NUMBER] } } });
  const app = buildApp(w.engine);
  t.teardown(() => app.close());
  early = (body) => {
    const text = JSON.stringify(body);
    return app.inject({ method: 'POST', url: '/webhooks/generic', headers: { 'content-type': 'application/json', 'x-junction-signature': signature(SECRET, text, w.clock.now()) }, payload: text });
  };
  w.engine.save({
    schemaVersion: 1,
    id: 'notify',
    name: 'notify',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'tell' } }],
    elements: [{ id: 'tell', type: 'failover', config: { first: { channel: 'whatsapp', from: NUMBER, text: 'Shipped' }, then: { channel: 'sms', from: NUMBER, text: 'Shipped' }, deliveredWithinSeconds: 600 } }],
  });
  w.engine.launch('notify');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'notify', person: { id: 'ana', phones: ['+385911234567'] } });
  await eventually(() => sent.length === 2);
  t.same(sent, ['whatsapp', 'sms'], 'the early "failed" was heard: SMS at once, not after 10 minutes');
});
