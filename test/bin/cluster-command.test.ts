// `junction cluster`: with the embedded store it says there is no cluster; on PostgreSQL it reads
// a schema nobody has started (never taken, no members) and one where a process holds the lease
// (the holder with its token and address, each member with its role); on Redis alone, whose
// lease is deleted once it ends or is released, the last token rather than "never taken"; a
// store out of reach is an error that never shows the password.
import t, { type Test } from 'tap';
import { clusterCommand } from '../../bin/commands/cluster.js';
import { PostgresLease } from '../../engine/store/postgres-lease.js';
import { RedisLease } from '../../engine/store/redis-lease.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';
import { closedPort } from '../gateway/services.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

const skip = await unlessPostgres(t);

async function shown(t: Test, env: NodeJS.ProcessEnv, json = false): Promise<string[]> {
  const lines: string[] = [];
  t.equal(await clusterCommand(undefined, json, env, (l) => lines.push(l)), 0);
  return lines;
}

t.test('the embedded store has no cluster', async (t) => {
  const lines = await shown(t, { JUNCTION_DATA_DIR: t.testdir() });
  t.match(lines, [/^no cluster: the store is embedded .*, which one process uses alone$/]);
  t.match(JSON.parse((await shown(t, { JUNCTION_DATA_DIR: t.testdir() }, true))[0]!), { store: /^embedded /, members: [] });
});

t.test('a schema no process has started: the lease was never taken, no members', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_cluster_view');
  t.same((await shown(t, { DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema })).slice(1), ['lease: never taken', 'members: none (no process of this cluster is running)']);
});

t.test('a process holding the lease: the holder, its token and address; the member as owner', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_cluster_view');
  const lease = await PostgresLease.acquire({ url: PG_URL, schema, ttlMs: 60_000, address: 'http://10.0.0.7:8080', onLost: () => {} });
  t.teardown(() => lease.release());
  const env = { DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema };
  const lines = await shown(t, env);
  t.match(lines[0], new RegExp(`^cluster on postgres postgres://127\\.0\\.0\\.1:5432/test schema ${schema}$`));
  t.match(lines[1], new RegExp(`^lease: held by ${lease.owner} \\(token 1\\), ends in \\d+\\.\\d s unless renewed$`));
  t.equal(lines[2], 'members (1):');
  t.match(lines[3], new RegExp(`^  owner   ${lease.owner}  http://10\\.0\\.0\\.7:8080  since \\d{4}-\\d\\d-\\d\\dT`));
  await lease.release();
  t.match((await shown(t, env))[1], /^lease: ended \d+\.\d s ago \(last held by .*, token 1\): the next process to ask takes it$/);
});

t.test('Redis alone: a lease released (deleted) shows its last token, not "never taken"', { skip: await unlessRedis(t) }, async (t) => {
  const prefix = tempPrefix(t, 'jct-cluster-view');
  const env = { JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: prefix };
  t.equal((await shown(t, env))[1], 'lease: never taken');
  const lease = await RedisLease.acquire({ url: REDIS_URL, prefix, ttlMs: 60_000, onLost: () => {} });
  await lease.release();
  t.equal((await shown(t, env))[1], 'lease: not held (the last one, token 1, ended or was released): the next process to ask takes it');
  t.match(JSON.parse((await shown(t, env, true))[0]!), { lastToken: '1', members: [] });
});

t.test('a store out of reach is an error that never shows the password', async (t) => {
  const url = `postgres://postgres:view-secret@127.0.0.1:${await closedPort()}/test`;
  const err = await clusterCommand(undefined, false, { DATABASE_URL: url }, () => {}).catch((e: Error & { code?: string }) => e);
  t.match(err, { code: 'JCT_STORE_UNAVAILABLE' });
  t.notMatch((err as Error).message, 'view-secret');
});
