// The people file in a sharded cluster (two processes, four shards, the test database): every
// shard loads the file's definitions and its own profiles as it is first taken, so that each
// person is made once, in one shard, and found through either process by id, phone or email; a
// profile without an id that names a contact of an earlier one updates that person, in its
// shard; a static segment's size is the cluster's. A restart of every process keeps what the
// API changed since (the profiles are not loaded again) and loads the segment again.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { homeOfKey, shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import { peopleFileShards } from '../../../engine/cluster/people-file-shards.js';
import { checkedPeopleFile } from '../../../engine/people-file.js';
import { unlessPostgres } from '../store/postgres-service.js';
import { call, clusterOf, eventually } from './cluster-service.js';

const skip = await unlessPostgres(t);
const SHARDS = 4;

const IDS = ['ana', 'ivo', 'eva', 'luka', 'mia', 'noa', 'tin', 'lea'];
const EVA_PHONE = '+14155550300';
/** A phone whose home shard is not the shard of the person with EVA_PHONE (made in EVA_PHONE's home). */
const OTHER_PHONE = ['+14155550301', '+14155550302', '+14155550303', '+14155550304', '+14155550305'].find((p) => homeOfKey(p, SHARDS) !== homeOfKey(EVA_PHONE, SHARDS))!;

const FILE = checkedPeopleFile({
  attributes: [{ name: 'tier', type: 'text' }],
  events: [{ name: 'purchase', properties: [{ name: 'total', type: 'decimal' }] }],
  companies: [{ id: 'acme', name: 'Acme' }],
  people: [
    ...IDS.map((id, i) => ({ id, phones: [`+1415555010${i}`], emails: [`${id}@example.com`], custom: { tier: 'gold' }, companies: ['acme'] })),
    { phones: [EVA_PHONE], standard: { firstName: 'Eve' } },
    { phones: [OTHER_PHONE, EVA_PHONE], standard: { lastName: 'Novak' } },
  ],
  segments: [{ id: 'vip', name: 'VIP', kind: 'static', members: IDS }],
  doNotContact: [{ channel: 'sms', contact: '+14155550999', senders: [] }],
});

t.test("each profile's shard: its id's, or an earlier profile's that gave one of its keys, else its first key's home", async (t) => {
  const shards = peopleFileShards(FILE, SHARDS);
  t.same(shards.slice(0, IDS.length), IDS.map((id) => shardOfPersonId(id, SHARDS)), 'by id');
  t.equal(shards[IDS.length], homeOfKey(EVA_PHONE, SHARDS), 'a new person: its first key’s home');
  t.equal(shards[IDS.length + 1], shards[IDS.length], 'a profile naming her phone is hers, though its first key’s home is another');
  t.ok(new Set(shards).size > 1, 'profiles in several shards');
});

t.test('two processes load the people file: each person once, found through either; a restart keeps what changed since', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: SHARDS, peopleFile: FILE });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  for (const [i, id] of IDS.entries()) {
    const byId = await call(i % 2 ? a : b, 'GET', `/api/v1/people/${id}`);
    t.match(byId.body, { id, custom: { tier: 'gold' }, companies: ['acme'] }, `${id} by id`);
    const byEmail = await call(i % 2 ? b : a, 'GET', `/api/v1/people?email=${id}%40example.com`);
    t.equal(byEmail.body.id, id, `${id} by email, through the other process`);
  }
  const eve = await call(a, 'GET', `/api/v1/people?phone=${encodeURIComponent(OTHER_PHONE)}`);
  t.match(eve.body, { standard: { firstName: 'Eve', lastName: 'Novak' }, phones: [EVA_PHONE, OTHER_PHONE] }, 'the second profile updated the person the first made');
  t.equal(shardOfPersonId(eve.body.id, SHARDS), homeOfKey(EVA_PHONE, SHARDS), "in her first phone's home, with an id of that shard");
  t.equal((await call(b, 'GET', `/api/v1/people?phone=${encodeURIComponent(EVA_PHONE)}`)).body.id, eve.body.id, 'one person, by either phone');
  const segments = await eventually(() => call(b, 'GET', '/api/v1/segments'), (r) => r.body?.segments?.[0]?.size === IDS.length);
  t.match(segments.body.segments, [{ id: 'vip', size: IDS.length }], 'the static segment holds the people of every shard, each once');
  t.match((await call(a, 'GET', '/api/v1/do-not-contact')).body, { entries: [{ channel: 'sms', contact: '+14155550999' }] }, 'the do-not-contact list');
  const attributes = (await call(b, 'GET', '/api/v1/attributes')).body.attributes as Array<{ name: string; type: string }>;
  t.match(attributes.find((attribute) => attribute.name === 'tier'), { type: 'text' }, 'the attribute defined');

  t.equal((await call(a, 'PATCH', '/api/v1/people/ana', { set: { tier: 'silver' } })).status, 200);
  await Promise.all(cluster.processes.map((p) => p.stop()));
  cluster.processes.length = 0;
  await cluster.start();
  await cluster.start();
  await cluster.settled();
  const [c, d] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  // The first process back takes every shard and gives two up when the second joins: a shard may be indexed twice.
  const indexedShards = async () => new Set(cluster.processes.flatMap((p) => p.logs.filter((l) => l.msg === 'contacts indexed').map((l) => l['shard'])));
  const indexed = await eventually(indexedShards, (shards) => shards.size === SHARDS);
  t.same([...indexed].sort(), [0, 1, 2, 3], "each shard taken over indexed its restored people's contacts in the background");
  t.match((await call(c, 'GET', '/api/v1/people/ana')).body, { custom: { tier: 'silver' } }, 'the change made since the file was loaded stays');
  t.equal((await call(d, 'GET', `/api/v1/people?phone=${encodeURIComponent(EVA_PHONE)}`)).body.id, eve.body.id, 'nobody made twice');
  t.match((await call(d, 'GET', '/api/v1/segments')).body.segments, [{ id: 'vip', size: IDS.length }], 'the static segment loaded again, its members held');
});
