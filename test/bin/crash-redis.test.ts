// The crash test (crash-run.ts) on Redis alone, under a key prefix of its own (deleted at the
// end), with 800 people.
import t from 'tap';
import { CRASH_TEST, crashRun } from './crash-run.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';

/** Kills, restarts and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(300_000);

t.test('Redis alone', async (t) => {
  const skip = await unlessRedis(t);
  await t.test(CRASH_TEST, { skip }, (t) => crashRun(t, { JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'jct-crash') }, 800));
});
