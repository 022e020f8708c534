// Redis in front of PostgreSQL against the real servers (skipped loudly when one is not there,
// failed when JUNCTION_REQUIRE_SERVICES=1), each test under a Redis prefix and a PostgreSQL
// schema of its own: a batch is durable once in the Redis stream; what a process left in Redis
// is laid over PostgreSQL's rows at the next open, in key order, deletes included; the drain
// moves it into PostgreSQL and trims the stream; while PostgreSQL refuses, batches are still
// taken, the loss is told once, and the drain catches up when it is back. In a sharded cluster
// (a directory writer) a batch's directory rows are in PostgreSQL when it is answered, a batch
// whose rows PostgreSQL does not take is refused (though in Redis) and taken when tried again,
// and the drain does not write them again.
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { RedisPostgresBackend, type RedisPostgresOptions } from '../../../engine/store/redis-postgres.js';
import type { Row, Table } from '../../../engine/store/journal.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from './postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from './redis-service.js';
import { batchOf } from '../../../engine/store/journal.js';
import { DirectoryRows } from '../../../engine/cluster/directory-rows.js';
import { MANY_SHARDS, commitPeople, personRow } from '../cluster/directory-service.js';
import { connection } from './postgres-service.js';

const skip = (await unlessRedis(t)) || (await unlessPostgres(t));

interface Place {
  schema: string;
  prefix: string;
}

function place(t: Test): Place {
  return { schema: tempSchema(t, 'jct_tiered'), prefix: tempPrefix(t, 'jct-tiered') };
}

async function open(t: Test, at: Place, options: Partial<RedisPostgresOptions> = {}): Promise<RedisPostgresBackend> {
  const backend = await RedisPostgresBackend.open({ redis: { url: REDIS_URL, prefix: at.prefix }, postgres: { url: PG_URL, schema: at.schema }, ...options });
  t.teardown(() => backend.close());
  return backend;
}

function rows(table: Table, entries: Array<[string, unknown]>): Row[] {
  return entries.map(([key, value]) => ({ table, key, value }));
}

async function streamLength(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    return await redis.xlen(`${prefix}log`);
  } finally {
    redis.disconnect();
  }
}

async function stored(schema: string, table: Table): Promise<Array<[string, unknown]>> {
  const found = await sql(`SELECT key, value FROM "${schema}"."${table}" ORDER BY key COLLATE "C"`);
  return found.map((r) => [r['key'] as string, JSON.parse(r['value'] as string)]);
}

async function until(test: () => Promise<boolean>): Promise<void> {
  while (!(await test())) await new Promise((resolve) => setTimeout(resolve, 20));
}

t.test('what a process left in Redis is laid over PostgreSQL at the next open, in key order', { skip }, async (t) => {
  const at = place(t);
  const first = await open(t, at, { drainMs: 20 });
  await first.commit(batchOf(rows('person', [['a', 1], ['c', 'old'], ['e', { v: 1 }], ['gone', true]])));
  await until(async () => (await stored(at.schema, 'person')).length === 4);
  await until(async () => (await streamLength(at.prefix)) === 0);
  t.pass('the drain wrote the batch to PostgreSQL and trimmed the stream');
  await first.close(); // its drain would take the next process's entries

  const second = await open(t, at, { drainMs: 60_000 });
  t.same([...second.load('person')], [['a', 1], ['c', 'old'], ['e', { v: 1 }], ['gone', true]]);
  await second.commit(batchOf(rows('person', [['b', 'new'], ['c', null], ['e', { v: 2 }], ['z', [1]], ['\u0000nul', 'key with a NUL']])));
  await second.commit(batchOf(rows('person', [['e', { v: 3 }]])));
  await second.commit(batchOf(rows('meta', [['seq', 7]])));
  t.equal(await streamLength(at.prefix), 3, 'each batch one stream entry, not yet drained');

  const third = await open(t, at, { drainMs: 60_000 }); // as after a crash of the second: nothing drained
  t.same(
    [...third.load('person')],
    [['\u0000nul', 'key with a NUL'], ['a', 1], ['b', 'new'], ['e', { v: 3 }], ['gone', true], ['z', [1]]],
    'the overlay wins, a delete removes, keys in binary order',
  );
  t.same([...third.load('meta')], [['seq', 7]]);
  await third.close();
  t.equal(await streamLength(at.prefix), 0, 'close drains');
  t.same((await stored(at.schema, 'person')).map(([k]) => k), ['\u0001\u0001nul', 'a', 'b', 'e', 'gone', 'z']);
});

t.test('a batch larger than one call takes (300,000 arguments) is one stream entry', { skip }, async (t) => {
  const at = place(t);
  const first = await open(t, at, { drainMs: 60_000 });
  await first.commit(batchOf(rows('person', Array.from({ length: 150_000 }, (_, i): [string, unknown] => [`p${i}`, i]))));
  t.equal(await streamLength(at.prefix), 1);
});

t.test('PostgreSQL refusing: batches are still taken, told once, drained when it is back', { skip }, async (t) => {
  const at = place(t);
  const told: unknown[] = [];
  const backend = await open(t, at, { drainMs: 20, onServer: (server, err) => told.push(err === undefined ? undefined : { server, err }) });
  await sql(`ALTER TABLE "${at.schema}".person RENAME TO person_away`);
  await backend.commit(batchOf(rows('person', [['ana', { n: 1 }]])));
  await backend.commit(batchOf(rows('person', [['bo', { n: 2 }]])));
  await until(async () => told.length === 1);
  t.match(told[0], { server: 'postgres', err: { code: 'JCT_STORE_UNAVAILABLE' } }, 'the loss is told, naming PostgreSQL');
  t.equal(await streamLength(at.prefix), 2, 'the batches wait in Redis');
  await sql(`ALTER TABLE "${at.schema}".person_away RENAME TO person`);
  await until(async () => told.length === 2);
  t.equal(told[1], undefined, 'and the return');
  t.same(await stored(at.schema, 'person'), [['ana', { n: 1 }], ['bo', { n: 2 }]]);
  t.equal(await streamLength(at.prefix), 0);
});

t.test('Redis out of reach: a commit fails with JCT_STORE_UNAVAILABLE', { skip }, async (t) => {
  const at = place(t);
  const backend = await open(t, at);
  const redis = (backend as unknown as { hot: { redis: Redis } }).hot.redis;
  redis.disconnect();
  await t.rejects(backend.commit(batchOf(rows('person', [['x', 1]]))), { code: 'JCT_STORE_UNAVAILABLE' });
});

t.test('Redis lost by the drain is told as Redis, not PostgreSQL, once; and its return', { skip }, async (t) => {
  const at = place(t);
  const told: Array<[string, unknown]> = [];
  const backend = await open(t, at, { drainMs: 20, onServer: (server, err) => told.push([server, err]) });
  await backend.commit(batchOf(rows('person', [['x', 1]])));
  const redis = (backend as unknown as { hot: { redis: Redis } }).hot.redis;
  redis.disconnect();
  await until(async () => told.length >= 1);
  t.match(told[0], ['redis', { code: 'JCT_STORE_UNAVAILABLE', details: { store: 'redis' } }], 'the loss names Redis');
  await redis.connect();
  await until(async () => told.length >= 2);
  t.same(told, [told[0], ['redis', undefined]], 'told once, then its return; PostgreSQL never');
});

t.test("a sharded cluster's directory rows are written before a batch is answered, not by the drain", { skip }, async (t) => {
  const at = place(t);
  const cluster = tempSchema(t, 'jct_tiered_cluster');
  const writer = new DirectoryRows({ schema: cluster, shard: 0, shards: MANY_SHARDS });
  const backend = await open(t, at, { drainMs: 60_000, postgres: { url: PG_URL, schema: at.schema, alsoWrite: writer, statementTimeoutMs: 300 } });
  const directory = async () => (await sql(`SELECT key, person FROM "${cluster}".directory ORDER BY key`)).map((r) => `${String(r['key'])} ${String(r['person'])}`);
  await commitPeople(backend, [personRow('0-a', ['+14155550100'])]);
  t.same(await directory(), ['+14155550100 0-a'], 'answered: the row is there');
  t.same(await stored(at.schema, 'person'), [], 'the person row is not drained yet');

  const locker = await connection(t);
  await locker.query(`BEGIN; LOCK TABLE "${cluster}".directory IN ACCESS EXCLUSIVE MODE`);
  await t.rejects(commitPeople(backend, [personRow('0-a', ['+14155550101'])]), { code: 'JCT_STORE_UNAVAILABLE' }, 'PostgreSQL does not take the rows: refused');
  t.equal(await streamLength(at.prefix), 2, 'though the batch is in Redis');
  await backend.commit(batchOf(rows('meta', [['seq', 1]])));
  t.equal(await streamLength(at.prefix), 3, 'a batch that changes no directory row is taken meanwhile: Redis alone');
  await locker.query('ROLLBACK');
  await commitPeople(backend, [personRow('0-a', ['+14155550101'])]);
  t.same(await directory(), ['+14155550101 0-a'], 'tried again: taken');

  await sql(`DELETE FROM "${cluster}".directory`);
  await backend.close();
  t.same((await stored(at.schema, 'person')).map(([key]) => key), ['0-a'], 'drained');
  t.same(await directory(), [], 'the drain wrote no directory row');
});
