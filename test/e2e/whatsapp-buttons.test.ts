// End to end through the real server: `junction start` with Meta WhatsApp configured against a
// local stand-in for the Graph API and the flow in fixtures/whatsapp-flows. A signed notification
// with JOIN starts the flow, which sends interactive reply buttons; the person's button reply
// (signed like every notification) takes the branch its payload names; the Graph API's status
// notification that the buttons were read counts on the element; a retried notification
// changes nothing, a body changed after signing is refused.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { engagements, eventually, metricsWhen, standIn, startOnLoopback, stays, type FlowMetrics } from './helpers.js';

const APP_SECRET = 'meta-app-secret-for-tests';
const OURS = '+15550200';
const ANA = '+12025550101';
const PHONE_NUMBER_ID = '777';

/** The flow `visit`: JOIN, the buttons, the answer by payload, a tag. */
const FLOWS = resolve('test/e2e/fixtures/whatsapp-flows');

function notification(value: Record<string, unknown>): string {
  const metadata = { display_phone_number: OURS.slice(1), phone_number_id: PHONE_NUMBER_ID };
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'waba', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, ...value } }] }] });
}

const message = (id: string, content: Record<string, unknown>) => notification({ messages: [{ id, from: ANA.slice(1), timestamp: '1764756000', ...content }] });
const status = (id: string, what: string) => notification({ statuses: [{ id, status: what, timestamp: '1764756100', recipient_id: ANA.slice(1) }] });

t.test('JOIN, interactive buttons, read, the button reply and its branch; retries and altered bodies change nothing', async (t) => {
  const graph = await standIn(t, (_request, n) => ({ status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: `wamid.out${n}` }] } }));
  const sent = () => graph.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  const junction = startOnLoopback(t, {
    JUNCTION_FLOWS: FLOWS,
    JUNCTION_META_WHATSAPP_APP_SECRET: APP_SECRET,
    JUNCTION_META_WHATSAPP_ACCESS_TOKEN: 'graph-access-token',
    JUNCTION_META_WHATSAPP_API_BASE_URL: graph.url,
    JUNCTION_META_WHATSAPP_PHONE_NUMBER_IDS: JSON.stringify({ [OURS]: PHONE_NUMBER_ID }),
    JUNCTION_META_WHATSAPP_NUMBERS: JSON.stringify([OURS]),
  });
  const address = await junction.address;
  const post = (body: string, signed = body) =>
    fetch(`${address}/webhooks/meta-whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(signed).digest('hex')}` },
      body,
    });

  const joined = message('wamid.in1', { type: 'text', text: { body: 'join' } });
  t.equal((await post(joined)).status, 200);
  t.ok(await eventually(() => sent().length === 1), 'the buttons were sent');
  t.match(sent()[0], { messaging_product: 'whatsapp', to: ANA.slice(1), type: 'interactive', interactive: { type: 'button' } });
  t.match(graph.received[0], { url: `/v23.0/${PHONE_NUMBER_ID}/messages`, headers: { authorization: 'Bearer graph-access-token' } });
  t.equal((await post(joined)).status, 200, 'the retried notification is answered');
  t.ok(await stays(() => sent().length === 1), 'and sends nothing again');

  t.equal((await post(status('wamid.out1', 'read'))).status, 200, 'the status notification is answered');
  const counters = (m: FlowMetrics) => m.elements.find((e) => e.id === 'ask')!.counters;
  t.same(counters(await metricsWhen(address, 'visit', (m) => counters(m)['whatsapp:seen'] === 1)), { 'whatsapp:sent': 1, 'whatsapp:delivered': 1, 'whatsapp:seen': 1 }, 'read (so delivered too), counted on the element that sent');
  const reply = message('wamid.in2', { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'slot-ok', title: 'Yes' } } });
  t.equal((await post(reply.replace('slot-ok', 'slot-no'), reply)).status, 403, 'a body changed after signing is refused');
  t.equal((await post(reply)).status, 200);
  const after = await metricsWhen(address, 'visit', (m) => engagements(m)['booked'] === 1);
  t.equal(engagements(after)['booked'], 1, 'the payload took its branch');
  t.same(counters(after), { 'whatsapp:sent': 1, 'whatsapp:delivered': 1, 'whatsapp:seen': 1, 'whatsapp:replied': 1 }, 'the reply counted too');
});
