// The generic JSON contract, through the shared harness: signed webhooks in, signed sends out.
import t from 'tap';
import { createHmac } from 'node:crypto';
import genericModule from '../../channels/generic/index.js';
import { signature } from '../../engine/effects/http-request.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';

const SECRET = 'generic-shared-secret-0123';
const settings = { secret: SECRET };

function signed(body: unknown, at = Date.now(), secret = SECRET): { body: string; headers: Record<string, string> } {
  const text = JSON.stringify(body);
  return { body: text, headers: { 'content-type': 'application/json', 'x-junction-signature': signature(secret, text, at) } };
}

const sms = { id: 'm-1', channel: 'sms', from: '+385911234567', to: '+385800100', text: 'START', receivedAt: '2026-12-03T10:00:00.000Z' };

const incoming: IncomingCase[] = [
  {
    label: 'a signed message becomes an inbound message',
    ...signed({ messages: [sms] }),
    status: 200,
    messages: [{ channel: 'sms', provider: 'generic', from: '+385911234567', to: '+385800100', text: 'START', media: [], providerMessageId: 'm-1', receivedAt: Date.parse('2026-12-03T10:00:00Z') }],
  },
  {
    label: 'a WhatsApp button reply and a delivery report in one request',
    ...signed({
      messages: [{ id: 'w-1', channel: 'whatsapp', from: '+385911234567', to: '+385800100', button: { text: 'Yes', payload: 'confirm' } }],
      reports: [{ id: 'out-9', status: 'delivered', providerStatus: 'DLVRD' }],
    }),
    status: 200,
    messages: [{ channel: 'whatsapp', text: '', button: { text: 'Yes', payload: 'confirm' }, providerMessageId: 'w-1' }],
    reports: [{ provider: 'generic', providerMessageId: 'out-9', status: 'delivered', providerStatus: 'DLVRD' }],
  },
  {
    label: 'a report echoing the id Junction sent the message with carries it as the send’s key',
    ...signed({ reports: [{ id: 'out-10', status: 'sent', sentId: '3-p1.1:2:0.lz' }] }),
    status: 200,
    reports: [{ providerMessageId: 'out-10', status: 'sent', sentKey: '3-p1.1:2:0.lz' }],
  },
  { label: 'no signature: 401', body: JSON.stringify({ messages: [sms] }), headers: { 'content-type': 'application/json' }, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'signed with another secret: 403', ...signed({ messages: [sms] }, Date.now(), 'another-secret-entirely'), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'signed too long ago: 403', ...signed({ messages: [sms] }, Date.now() - 600_000), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  {
    label: 'a body changed after signing: 403',
    body: JSON.stringify({ messages: [{ ...sms, text: 'STOP' }] }),
    headers: signed({ messages: [sms] }).headers,
    status: 403,
    code: 'JCT_SIGNATURE_INVALID',
  },
  { label: 'no secret configured: every webhook refused', settings: { secret: undefined }, ...signed({ messages: [sms] }), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  { label: 'a signed body of the wrong shape: 400 naming the field', ...signed({ messages: [{ ...sms, channel: 'pigeon' }] }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'signed invalid UTF-8: 400', body: Buffer.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json', 'x-junction-signature': 't=1,v1=00' }, status: 400, code: 'JCT_BODY_ENCODING' },
];

t.test('incoming', (t) => runIncoming(t, genericModule, incoming, settings));

const outgoing: OutgoingCase[] = [
  {
    label: 'a message is posted signed, with its idempotency key (its outbox key and deadline: unique to this store; the deadline not as a field), and the carrier id comes back',
    message: { channel: 'sms', from: '+385800100', to: '+385911234567', text: 'Welcome!', deadline: 1_796_450_000_000 },
    responses: [{ status: 201, body: { id: 'carrier-77' } }],
    result: { providerMessageId: 'carrier-77' },
    requests: [
      (r) => {
        t.equal(r.url, '/send');
        t.equal(r.headers['idempotency-key'], `p1.1:2:0.${(1_796_450_000_000).toString(36)}`);
        t.same(JSON.parse(r.body), { id: `p1.1:2:0.${(1_796_450_000_000).toString(36)}`, channel: 'sms', from: '+385800100', to: '+385911234567', text: 'Welcome!' });
        const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-junction-signature']))!;
        t.equal(v1, createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex'));
      },
    ],
  },
  {
    label: "link tracking is Junction's own business: the carrier gets the message, not the instruction",
    message: { channel: 'sms', from: '+385800100', to: '+385911234567', text: 'See https://shop.example.com/a', trackLinks: true },
    responses: [{ status: 200, body: { id: 'carrier-78' } }],
    result: { providerMessageId: 'carrier-78' },
    requests: [(r) => void t.same(JSON.parse(r.body), { id: 'p1.1:2:0', channel: 'sms', from: '+385800100', to: '+385911234567', text: 'See https://shop.example.com/a' })],
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: { channel: 'sms', from: '+385800100', to: '+385911234567', text: 'x' },
    responses: [{ status: 429, body: 'slow down', headers: { 'retry-after': '7' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 7000 } as never,
  },
  { label: '503 is retryable', message: { channel: 'sms', from: '+385800100', to: '+1' }, responses: [{ status: 503 }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  { label: '400 fails for good', message: { channel: 'sms', from: '+385800100', to: '+1' }, responses: [{ status: 400, body: { error: 'bad number' } }], error: { code: 'JCT_SEND_REJECTED', retryable: false } },
  { label: 'a 2xx without an id fails for good', message: { channel: 'sms', from: '+385800100', to: '+1' }, responses: [{ status: 200, body: {} }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
];

t.test('outgoing', (t) => runOutgoing(t, genericModule, outgoing, (url) => ({ sendUrl: `${url}/send`, numbers: ['+385800100'] }), settings));

t.test('a sender no provider lists finds no handler', async (t) => {
  const { Registry } = await import('../../engine/module.js');
  const registry = new Registry([genericModule], { generic: { numbers: ['+385800100'] } });
  t.ok(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'sms', from: '+385800100' } as never));
  t.notOk(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'sms', from: '+1999' } as never));
});
