// The crash test (crash-run.ts) on Redis alone, under a key prefix of its own (deleted at the
// end), with 1,500 people.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CRASH_TEST, crashRun } from './crash-run.js';
import { unlessReachable } from '../gateway/services.js';

/** Kills, restarts and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(300_000);

const REDIS_URL = 'redis://127.0.0.1:6379';

t.test('Redis alone', async (t) => {
  const skip = await unlessReachable(t, 'Redis', '127.0.0.1', 6379);
  await t.test(CRASH_TEST, { skip }, async (t) => {
    const prefix = `jct-crash-${randomBytes(4).toString('hex')}:`;
    t.teardown(() => forgetKeys(prefix));
    await crashRun(t, { JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: prefix }, 1_500);
  });
});

async function forgetKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.unlink(...keys);
  redis.disconnect();
}
