// Test helper for the tests on Redis: the shared server at 127.0.0.1:6379 (tests skipped loudly
// when it does not answer, failed when JUNCTION_REQUIRE_SERVICES=1) and key prefixes of a
// test's own whose keys its end deletes (SCAN + UNLINK, never FLUSHDB: other tests share it).
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { unlessReachable } from '../../gateway/services.js';
import { deleteKeys } from '../../../bench/lib/redis.js';

export { deleteKeys };

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** tap's `skip` option for tests needing Redis (see unlessReachable). */
export function unlessRedis(t: Test): Promise<false | string> {
  return unlessReachable(t, 'Redis', '127.0.0.1', 6379);
}

/** A fresh key prefix, `name`, a random part and a colon, whose keys are deleted when `t` ends. */
export function tempPrefix(t: Test, name: string): string {
  const prefix = `${name}-${randomBytes(4).toString('hex')}:`;
  t.teardown(async () => {
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  return prefix;
}
