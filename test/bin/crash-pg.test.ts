// The crash test (crash-run.ts) on PostgreSQL, in a schema of its own, with 800 people (each
// commit is a round trip to the server: fewer people keep the run short).
import t from 'tap';
import { CRASH_TEST, crashRun } from './crash-run.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

/** Kills, restarts and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(300_000);

t.test('PostgreSQL', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test(CRASH_TEST, { skip }, (t) => crashRun(t, { DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_crash') }, 800));
});
