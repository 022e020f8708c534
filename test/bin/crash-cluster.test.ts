// The crash test (crash-run.ts) on two processes in cluster mode sharing one store, PostgreSQL
// and Redis in front of PostgreSQL: 600 people sent to both, the owner SIGKILLed 5 times, the
// standby taking over each time.
import t from 'tap';
import { crashRunCluster } from './crash-run.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';

/** Kills, takeovers and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(420_000);

const KILLED = 'the owner SIGKILLed at 5 random moments: the standby takes over, nothing lost, every effect once';

t.test('two processes in cluster mode on PostgreSQL', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test(KILLED, { skip }, (t) => crashRunCluster(t, { DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_crash_cluster') }, 600, 1_000));
});

t.test('two processes in cluster mode on Redis in front of PostgreSQL', async (t) => {
  const skip = (await unlessRedis(t)) || (await unlessPostgres(t));
  await t.test(KILLED, { skip }, (t) =>
    crashRunCluster(
      t,
      { JUNCTION_STORE: 'redis+postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_crash_cluster'), REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'jct-crash-cluster') },
      600,
      1_000,
    ),
  );
});
