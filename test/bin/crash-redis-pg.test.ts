// The crash test (crash-run.ts) on Redis in front of PostgreSQL (JUNCTION_STORE=redis+postgres):
// batches durable in Redis, written behind into a PostgreSQL schema of the test's own, with
// 800 people; kills land wherever they land, before or after a drain.
import t from 'tap';
import { CRASH_TEST, crashRun } from './crash-run.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

/** Kills, restarts and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(300_000);

t.test('Redis in front of PostgreSQL', async (t) => {
  const skip = (await unlessRedis(t)) || (await unlessPostgres(t));
  await t.test(CRASH_TEST, { skip }, (t) =>
    crashRun(
      t,
      { JUNCTION_STORE: 'redis+postgres', REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'jct-crash'), DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_crash') },
      800,
    ),
  );
});
