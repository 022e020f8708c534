// Cluster mode on Redis against the real server (skipped loudly when it is not there, failed
// when JUNCTION_REQUIRE_SERVICES=1), each test under a prefix of its own: what every lease does
// (lease-contract.ts); a standby takes an expired lease; one that expired with no taker is
// renewed; a standby told its store is out of reach is told when it is back; and a commit of a stale owner, on the Redis store and on Redis in front of
// PostgreSQL, is refused whole (JCT_STORE_FENCED), told once, while the new owner, which raised
// the fence before reading, loads everything the old one wrote and writes.
import t from 'tap';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { RedisLease, clusterView } from '../../../engine/store/redis-lease.js';
import { RedisBackend } from '../../../engine/store/redis.js';
import { RedisPostgresBackend } from '../../../engine/store/redis-postgres.js';
import type { RedisFence } from '../../../engine/store/redis-fence.js';
import { closedPort } from '../../gateway/services.js';
import { held, leaseContract, type LeaseUnderTest } from './lease-contract.js';
import { hasRedisServer, redisServer } from './redis-server.js';
import { REDIS_URL, tempPrefix, unlessRedis } from './redis-service.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from './postgres-service.js';
import { batchOf } from '../../../engine/store/journal.js';

const redisLease: LeaseUnderTest<RedisLease> = {
  skip: await unlessRedis(t),
  place: (t) => tempPrefix(t, 'jct-lease'),
  acquire: (prefix, options) => RedisLease.acquire({ url: REDIS_URL, prefix, ...options }),
  takeOver: (prefix) =>
    redis(async (r) => {
      const token = await r.incr(`${prefix}fence`);
      return r.hset(`${prefix}lease`, 'owner', 'someone else', 'token', token, 'address', '');
    }),
  unreachable: async (secret, options) => RedisLease.acquire({ url: `redis://:${secret}@127.0.0.1:${await closedPort()}`, commandTimeoutMs: 200, ...options }),
  view: (prefix) => clusterView({ url: REDIS_URL, prefix }),
};
const { skip } = redisLease;

async function redis<T>(use: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(REDIS_URL);
  try {
    return await use(r);
  } finally {
    r.disconnect();
  }
}

leaseContract(t, redisLease);

t.test('the cluster view leaves out member entries none of ours wrote instead of failing', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  const owner = await held(t, redisLease, prefix, { ttlMs: 60_000 });
  const far = Date.now() + 3_600_000;
  await redis((r) => r.hset(`${prefix}members`, 'garbage', 'not a member', 'huge', `99999999999999999 ${far} x`, 'empty', '', 'spaced', `1 ${far} http://a b`));
  const view = await clusterView({ url: REDIS_URL, prefix });
  t.same(view.members.map((m) => [m.name, m.address]), [['spaced', 'http://a b'], [owner.owner, '']], 'the readable ones, an address with spaces kept whole');
});

t.test('a process that asks for the lease forgets the members gone for more than a day (a killed one never leaves by itself)', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  const now = Date.now();
  await redis((r) => r.hset(`${prefix}members`, 'long-gone', `1 ${now - 2 * 86_400_000} http://a`, 'just-gone', `1 ${now - 3_600_000} http://b`, 'foreign', 'not a member'));
  const owner = await held(t, redisLease, prefix);
  t.same(Object.keys(await redis((r) => r.hgetall(`${prefix}members`))).sort(), ['foreign', 'just-gone', owner.owner].sort(), 'the one gone for a day is forgotten; the others kept');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an owner that stopped renewing loses the lease to a standby when it expires', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  const first = await held(t, redisLease, prefix, { ttlMs: 300 });
  first['stop'](); // paused: renews no more
  const second = await held(t, redisLease, prefix, { ttlMs: 300 });
  t.equal(second.token, '2');
});

t.test('a lease that expired with nobody taking it is renewed: no one else owned since', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  const owner = await held(t, redisLease, prefix, { ttlMs: 600 });
  await owner.advertise('http://127.0.0.1:8080');
  await redis((r) => r.del(`${prefix}lease`));
  await sleep(400);
  t.same(owner.losses, []);
  t.match(await redis((r) => r.hgetall(`${prefix}lease`)), { owner: owner.owner, token: '1', address: 'http://127.0.0.1:8080' }, 'written again as it was');
});

t.test('a stale owner cannot commit to the Redis store: its batch is refused whole, the new owner loads what the old one wrote', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  const owner = await held(t, redisLease, prefix, { ttlMs: 60_000 });
  const backend = await RedisBackend.open({ url: REDIS_URL, prefix, fence: owner });
  t.teardown(() => backend.close());
  const many = Array.from({ length: 150_000 }, (_, i) => ({ table: 'person' as const, key: `p${String(i).padStart(6, '0')}`, value: { i } }));
  await backend.commit(batchOf([...many, { table: 'meta', key: 'kept', value: 1 }]));
  await backend.commit(batchOf([{ table: 'meta', key: 'kept', value: null }]));
  await redisLease.takeOver(prefix);
  await t.rejects(backend.commit(batchOf([{ table: 'person', key: 'after', value: {} }, { table: 'meta', key: 'x', value: 1 }])), { code: 'JCT_STORE_FENCED' });
  t.same(owner.losses, ['fenced'], 'the loss is told once');
  t.same(await redis((r) => r.hlen(`${prefix}t:person`)), 150_000, 'a batch of 300,000 arguments (more than a call takes) was written whole; nothing of the refused one');
  t.same(await redis((r) => r.hkeys(`${prefix}t:meta`)), [], 'deletes are fenced writes too');

  await redis((r) => r.del(`${prefix}lease`));
  const next = await held(t, redisLease, prefix);
  t.equal(next.token, '3', 'the next owner takes the token after the fence');
  const theirs = await RedisBackend.open({ url: REDIS_URL, prefix, fence: next });
  t.teardown(() => theirs.close());
  t.equal([...theirs.load('person')].length, 150_000, 'and loads what the old owner wrote');
  await theirs.commit(batchOf([{ table: 'person', key: 'after', value: {} }]));
  t.equal(await redis((r) => r.hlen(`${prefix}t:person`)), 150_001);
});

t.test('an owner whose token is below the fence cannot even open the store', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  await redis((r) => r.set(`${prefix}fence`, '7'));
  const told: string[] = [];
  const stale: RedisFence = { token: '6', fenced: () => told.push('fenced') };
  await t.rejects(RedisBackend.open({ url: REDIS_URL, prefix, fence: stale }), { code: 'JCT_STORE_FENCED' });
  t.same(told, ['fenced']);
  const current = await RedisBackend.open({ url: REDIS_URL, prefix, fence: { token: '8', fenced: () => told.push('again') } });
  await current.close();
  t.equal(await redis((r) => r.get(`${prefix}fence`)), '8', 'a newer owner raises the fence');
});

t.test('Redis in front of PostgreSQL: a stale owner cannot append to the stream', { skip: skip || (await unlessPostgres(t)) }, async (t) => {
  const prefix = tempPrefix(t, 'jct-lease');
  const schema = tempSchema(t, 'jct_lease');
  const told: string[] = [];
  const old: RedisFence = { token: '1', fenced: () => told.push('old') };
  const open = (fence: RedisFence) => RedisPostgresBackend.open({ redis: { url: REDIS_URL, prefix, fence }, postgres: { url: PG_URL, schema }, drainMs: 60_000 });
  const first = await open(old);
  await first.commit(batchOf([{ table: 'person', key: 'before', value: 1 }]));
  const second = await open({ token: '2', fenced: () => told.push('new') });
  t.teardown(() => second.close());
  await t.rejects(first.commit(batchOf([{ table: 'person', key: 'stale', value: 1 }])), { code: 'JCT_STORE_FENCED' });
  t.same(told, ['old'], 'the stale owner is told');
  t.same([...second.load('person')].map(([k]) => k), ['before'], 'the new owner, raising the fence before reading the stream, has what was acknowledged');
  await second.commit(batchOf([{ table: 'person', key: 'after', value: 1 }]));
  await second.close();
  t.same((await sql(`SELECT key FROM "${schema}".person ORDER BY key`)).map((r) => r['key']), ['after', 'before'], 'the drain wrote what both acknowledged, not the refused batch');
  await first.close();
});

t.test('a standby told that its store is out of reach is told when it is back, before it takes the lease', { skip: skip || (hasRedisServer() ? false : 'redis-server is not installed') }, async (t) => {
  const port = await closedPort();
  const settings = ['--save', '', '--appendonly', 'no'];
  let server = await redisServer(t, port, settings);
  const url = `redis://127.0.0.1:${port}`;
  const owner = await RedisLease.acquire({ url, prefix: 'jct-back:', ttlMs: 3000, onLost: () => {} });
  t.teardown(() => owner.release());
  const told: string[] = [];
  const standby = RedisLease.acquire({ url, prefix: 'jct-back:', pollMs: 20, commandTimeoutMs: 200, onStoreError: (e) => told.push(e.code), onStoreBack: () => told.push('back'), onLost: () => {} });
  await sleep(100);
  const exited = once(server, 'exit');
  server.kill('SIGKILL');
  await exited;
  while (told.length === 0) await sleep(20);
  t.ok(told.every((code) => code === 'JCT_STORE_UNAVAILABLE'), 'told that it is out of reach (once per error it meets: a connection cut, then refused)');
  server = await redisServer(t, port, settings); // empty: the lease is gone, the standby takes it
  const taken = await standby;
  t.teardown(() => taken.release());
  t.equal(told.at(-1), 'back', 'then that it is back');
  t.equal(told.filter((code) => code === 'back').length, 1, 'once');
});
