// Tracked links in a sharded cluster (two processes, four shards, the test database): a link's
// code starts with the shard prefix of the participant whose message carried it, so a click
// reaching the process that does not hold that shard asks the holder for that shard alone (not
// every shard it holds), is counted once and redirected; a code naming no shard is still found
// by asking every shard, and one nobody keeps is 404.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { messagingModule } from '../../../engine/messaging/index.js';
import genericModule from '../../../channels/generic/index.js';
import { shardNamed } from '../../../engine/id-prefix.js';
import { unlessPostgres } from '../store/postgres-service.js';
import { standIn } from '../../e2e/helpers.js';
import { AUTH, call, clusterOf, eventually } from './cluster-service.js';

const skip = await unlessPostgres(t);
const NUMBER = '+385800100';
const PUBLIC = 'https://go.example.com';

t.test("a click goes to the shard its code names, through either process", { skip }, async (t) => {
  const api = await standIn(t, (_request, n) => ({ status: 201, body: { id: `c${n}` } }));
  const settings = { generic: { secret: 'generic-shared-secret-0123', sendUrl: `${api.url}/send`, numbers: [NUMBER], publicBaseUrl: PUBLIC } };
  const cluster = await clusterOf(t, { processes: 2, shards: 4, modules: [messagingModule, genericModule], settings });
  const [a] = cluster.processes.map((p) => p.app) as [FastifyInstance];
  const promo = {
    schemaVersion: 1,
    id: 'promo',
    name: 'promo',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'sms' } }],
    elements: [
      { id: 'sms', type: 'sendSms', config: { from: NUMBER, text: 'Your order: https://shop.example.com/orders/17', trackLinks: true }, branches: { next: 'wait' } },
      { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } },
    ],
  };
  t.equal((await call(a, 'POST', '/api/v1/flows', promo)).status, 201);
  t.equal((await call(a, 'POST', '/api/v1/flows/promo/launch')).status, 200);
  const added = await a.inject({ method: 'POST', url: '/flows/promo/participants', headers: AUTH, payload: { person: { phones: ['+14155550123'] } } });
  t.equal(added.statusCode, 201, added.body);
  const sent = await eventually(async () => api.received.map((r) => (JSON.parse(r.body) as { text: string }).text), (texts) => texts.length === 1);
  const code = /\/l\/([A-Za-z0-9_-]+)$/.exec(sent[0]!)![1]!;
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
});
