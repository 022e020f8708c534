// What a Redis server's own settings risk for the state Junction keeps in it (the Redis store,
// and Redis in front of PostgreSQL), read with CONFIG GET: not persistent (`appendonly no`) and
// evicting keys (a `maxmemory-policy` other than `noeviction`). README's *Durability* and
// docs/operations.md say what each setting guarantees. A server that does not let CONFIG be
// asked (managed Redis) is taken as it is: no risk is reported.
import type { Redis } from 'ioredis';
import { connectRedis } from './redis.js';

/** A setting of the server that puts acknowledged input at risk, and what it risks. */
export interface RedisRisk {
  setting: 'appendonly' | 'maxmemory-policy';
  value: string;
  risk: string;
}

/** The risky settings of the Redis server at `url`; none when CONFIG is refused. Throws when the server cannot be reached. */
export async function redisRisks(url: string): Promise<RedisRisk[]> {
  const { redis } = await connectRedis({ url });
  try {
    const [appendonly, policy] = await Promise.all([setting(redis, 'appendonly'), setting(redis, 'maxmemory-policy')]);
    const risks: RedisRisk[] = [];
    if (appendonly === 'no') risks.push({ setting: 'appendonly', value: appendonly, risk: 'Redis is not persistent (appendonly no): a restart of Redis loses what Junction acknowledged since its last snapshot (everything, without snapshots); set appendonly yes' });
    if (policy !== undefined && policy !== 'noeviction') risks.push({ setting: 'maxmemory-policy', value: policy, risk: `Redis evicts keys when it reaches maxmemory (maxmemory-policy ${policy}): it would delete Junction's state; set maxmemory-policy noeviction` });
    return risks;
  } catch {
    return []; // CONFIG not permitted (a managed Redis): nothing to say
  } finally {
    redis.disconnect();
  }
}

/** A setting's value, undefined when the server does not have it. */
async function setting(redis: Redis, name: string): Promise<string | undefined> {
  const [, value] = (await redis.call('CONFIG', 'GET', name)) as string[];
  return value;
}
