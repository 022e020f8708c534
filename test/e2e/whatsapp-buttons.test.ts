// End to end through the gateway and the engine: a Meta WhatsApp notification with JOIN starts
// a flow that sends interactive reply buttons through the Graph API; the person's button reply
// (signed like every notification) takes the branch its payload names; a retried notification
// changes nothing.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { world } from '../engine/helpers.js';
import { messagingModule } from '../../engine/messaging/index.js';
import metaWhatsApp from '../../channels/meta-whatsapp/index.js';
import { buildApp } from '../../gateway/app.js';

const APP_SECRET = 'meta-app-secret-for-tests';
const OURS = '+15550200';
const ANA = '+12025550101';

function notification(id: string, message: Record<string, unknown>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'waba', changes: [{ field: 'messages', value: { metadata: { display_phone_number: '15550200', phone_number_id: '777' }, messages: [{ id, from: ANA.slice(1), timestamp: '1764756000', ...message }] } }] }],
  });
}

t.test('JOIN, interactive buttons, the button reply, its branch', async (t) => {
  const sent: Array<Record<string, unknown>> = [];
  const graph = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      sent.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messages: [{ id: `wamid.out${sent.length}` }] }));
    });
  });
  graph.listen(0, '127.0.0.1');
  await once(graph, 'listening');
  t.teardown(() => graph.close());
  const w = world({
    modules: [messagingModule, metaWhatsApp],
    settings: {
      'meta-whatsapp': { appSecret: APP_SECRET, accessToken: 'graph-access-token', apiBaseUrl: `http://127.0.0.1:${(graph.address() as AddressInfo).port}`, phoneNumberIds: { [OURS]: '777' }, numbers: [OURS] },
    },
  });
  w.engine.save({
    schemaVersion: 1,
    id: 'visit',
    name: 'visit',
    entryPoints: [{ id: 'join', type: 'inboundMessage', config: { channel: 'whatsapp', number: OURS, condition: { operator: 'matchesText', values: ['JOIN'] } }, branches: { next: 'ask' } }],
    elements: [
      { id: 'ask', type: 'sendWhatsApp', config: { from: OURS, interactive: { type: 'buttons', body: 'Monday at 10?', buttons: [{ id: 'slot-ok', title: 'Yes' }, { id: 'slot-no', title: 'No' }] } }, branches: { next: 'answer' } },
      { id: 'answer', type: 'evaluateInboundMessage', config: { channel: 'whatsapp', number: OURS, branches: [{ name: 'ok', condition: { operator: 'buttonPayload', values: ['slot-ok'] } }] }, branches: { ok: 'booked' } },
      { id: 'booked', type: 'addTag', config: { tags: ['booked'] } },
    ],
  });
  w.engine.launch('visit');
  const app = buildApp(w.engine);
  const post = (body: string, signed = body) =>
    app.inject({ method: 'POST', url: '/webhooks/meta-whatsapp', payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(signed).digest('hex')}` } });

  const join = notification('wamid.in1', { type: 'text', text: { body: 'join' } });
  t.equal((await post(join)).statusCode, 200);
  await w.engine.idle();
  t.equal(sent.length, 1);
  t.match(sent[0], { messaging_product: 'whatsapp', to: ANA.slice(1), type: 'interactive', interactive: { type: 'button' } });
  t.equal((await post(join)).statusCode, 200, 'the retried notification is answered');
  await w.engine.idle();
  t.equal(sent.length, 1, 'and sends nothing again');

  const reply = notification('wamid.in2', { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'slot-ok', title: 'Yes' } } });
  t.equal((await post(reply)).statusCode, 200);
  await w.engine.idle();
  const ana = w.people.findByContact(ANA)!;
  t.ok(ana.tags.includes('booked'), 'the payload took its branch');
  t.equal((await post(reply.replace('slot-ok', 'slot-no'), reply)).statusCode, 403, 'a body changed after signing is refused');
  await w.engine.close();
});
