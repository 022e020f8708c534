// Looking shards up in the cluster's directory against the real Postgres (skipped loudly when it
// is not there, failed when JUNCTION_REQUIRE_SERVICES=1): a key found is kept (a hit asks
// nothing), a key not found is asked again; a thousand keys are one query; a removal a shard
// commits is heard (NOTIFY) and dropped from the cache, a removal too long to list drops it
// all; the cache keeps the most recently used keys up to its size; a lost listening connection
// empties it, and the next lookup listens again.
import t, { type Test } from 'tap';
import { Directory, type DirectoryOptions } from '../../../engine/cluster/directory.js';
import { contactKey, externalIdKey } from '../../../engine/cluster/shard-of.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../store/postgres-service.js';
import { commitPeople, personRow, shardStore } from './directory-service.js';

const skip = await unlessPostgres(t);

async function open(t: Test, schema: string, options: Partial<DirectoryOptions> = {}): Promise<Directory> {
  const directory = await Directory.open({ url: PG_URL, schema, ...options });
  t.teardown(() => directory.close());
  return directory;
}

/** Resolves once `done` holds, checking every 10 ms (a NOTIFY arrives within milliseconds). */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > 5000) throw new Error('not within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const phone = (i: number): string => `+1415555${String(i).padStart(4, '0')}`;

t.test('a key found is kept, a key not found is asked again; many keys are one query', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const store = await shardStore(t, cluster, 3);
  await commitPeople(store, [personRow('3-a', ['+14155550100'], [], 'crm-1')]);
  const directory = await open(t, cluster);

  t.equal(await directory.shardOf(contactKey('+1 415-555-0100')!), 3);
  t.equal(await directory.shardOf('+14155550100'), 3);
  t.equal(await directory.shardOf(externalIdKey('crm-1')), 3);
  t.same({ hits: directory.hits, misses: directory.misses, queries: directory.queries }, { hits: 1, misses: 2, queries: 2 }, 'the second lookup asked nothing');
  t.equal(await directory.shardOf('+14155550999'), undefined);
  t.equal(await directory.shardOf('+14155550999'), undefined);
  t.equal(directory.queries, 4, 'nobody has it: asked each time (a shard may give it to someone any moment)');

  const people = Array.from({ length: 1000 }, (_, i) => personRow(`3-p${i}`, [phone(i)]));
  await commitPeople(store, people);
  const keys = people.map((p) => p.phones[0]!);
  const found = await directory.shardsOf([...keys, '+14155550999']);
  t.equal(directory.queries, 5, 'a thousand and one keys, one query');
  t.equal(found.size, 1000);
  t.ok([...found.values()].every((shard) => shard === 3));
  await directory.shardsOf(keys);
  t.equal(directory.queries, 5, 'then all from the cache');

  const apart = await Promise.all(['+14165550001', '+14165550002', keys[0]!].map((key) => directory.shardOf(key)));
  t.same(apart, [undefined, undefined, 3]);
  t.equal(directory.queries, 6, 'lookups of one turn of the event loop (requests read together) share one query');
});

t.test('a removal committed by a shard is heard and dropped from the cache; one too long to list drops everything', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const store = await shardStore(t, cluster, 1);
  await commitPeople(store, [personRow('1-a', ['+14155550100']), personRow('1-b', ['+14155550200'])]);
  const directory = await open(t, cluster);
  await directory.shardsOf(['+14155550100', '+14155550200']);

  await commitPeople(store, [personRow('1-a', ['+14155550101'])]);
  await until(() => directory.heard === 1);
  const queries = directory.queries;
  t.equal(await directory.shardOf('+14155550200'), 1, "another's key is still kept");
  t.equal(directory.queries, queries);
  t.equal(await directory.shardOf('+14155550100'), undefined, 'the removed phone is asked again, and nobody has it');
  t.equal(directory.queries, queries + 1);

  const many = Array.from({ length: 1000 }, (_, i) => personRow(`1-p${i}`, [phone(1000 + i)]));
  await commitPeople(store, many);
  await commitPeople(store, many.map((p): [string, null] => [p.id, null]));
  await until(() => directory.heard === 2);
  t.equal(await directory.shardOf('+14155550200'), 1);
  t.equal(directory.queries, queries + 2, 'a thousand keys removed: the whole cache dropped');
});

t.test('the cache keeps the most recently used keys up to its size', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const store = await shardStore(t, cluster, 0);
  await commitPeople(store, [0, 1, 2].map((i) => personRow(`0-${i}`, [phone(i)])));
  const directory = await open(t, cluster, { cacheSize: 2 });
  await directory.shardOf(phone(0));
  await directory.shardOf(phone(1));
  await directory.shardOf(phone(0)); // now the most recently used
  await directory.shardOf(phone(2)); // phone(1) goes
  const queries = directory.queries;
  await directory.shardsOf([phone(0), phone(2)]);
  t.equal(directory.queries, queries, 'the two most recent are kept');
  await directory.shardOf(phone(1));
  t.equal(directory.queries, queries + 1, 'the least recent was let go');
});

t.test('a lost listening connection empties the cache; the next lookup listens again', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const store = await shardStore(t, cluster, 0);
  await commitPeople(store, [personRow('0-a', ['+14155550100']), personRow('0-b', ['+14155550200'])]);
  const applicationName = `${cluster}_lookup`;
  const directory = await open(t, cluster, { applicationName });
  await directory.shardsOf(['+14155550100', '+14155550200']);
  const queries = directory.queries;
  await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`, [applicationName]);
  await until(async () => {
    await directory.shardOf('+14155550200');
    return directory.queries > queries;
  });
  await commitPeople(store, [personRow('0-b', [])]);
  await until(() => directory.heard === 1);
  t.equal(await directory.shardOf('+14155550200'), undefined, 'a removal after is heard');
});
