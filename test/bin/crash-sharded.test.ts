// The crash test (crash-run.ts) on a sharded cluster: two processes over four shards on
// PostgreSQL, and on Redis in front of PostgreSQL, 600 people sent to both, each process
// SIGKILLed in turn 5 times, the other taking its shards each time.
import t, { type Test } from 'tap';
import { crashRunSharded } from './crash-run.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';

/** Kills, takeovers and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(420_000);

const KILLED = 'each SIGKILLed in turn at 5 random moments: the other takes its shards, nothing lost, every effect once';

/** A cluster schema of the test's own, its shards' schemas dropped at its end too. */
function clusterSchema(t: Test): string {
  const schema = tempSchema(t, 'jct_crash_sharded');
  t.teardown(() => Promise.all([0, 1, 2, 3].map((n) => sql(`DROP SCHEMA IF EXISTS "${schema}_s${n}" CASCADE`))));
  return schema;
}

t.test('two processes sharing four shards on PostgreSQL', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test(KILLED, { skip }, (t) => crashRunSharded(t, { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: clusterSchema(t) }, 600, 1_000));
});

t.test('two processes sharing four shards on Redis in front of PostgreSQL', async (t) => {
  const skip = (await unlessRedis(t)) || (await unlessPostgres(t));
  await t.test(KILLED, { skip }, (t) =>
    crashRunSharded(t, { JUNCTION_STORE: 'redis+postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: clusterSchema(t), REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'jct-crash-sharded') }, 600, 1_000),
  );
});
