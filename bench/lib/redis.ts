// The Redis the benchmarks use (BENCH_REDIS_URL, default the local server): key prefixes of a
// run's own whose keys are deleted afterwards (SCAN + UNLINK, never FLUSHDB: the server may be
// shared). The tests' Redis helper deletes its keys with deleteKeys() too.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** SCAN + UNLINK of every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Runs fn under a fresh key prefix and deletes its keys afterwards. */
export async function underPrefix<T>(fn: (prefix: string) => Promise<T>): Promise<T> {
  const prefix = `jct-bench:${randomBytes(4).toString('hex')}:`;
  try {
    return await fn(prefix);
  } finally {
    const client = new Redis(REDIS_URL);
    await deleteKeys(client, prefix);
    await client.quit();
  }
}
