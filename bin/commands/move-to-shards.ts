// `junction move-to-shards [--config CONFIG.json]`: moves the state a store on PostgreSQL kept for
// one engine (shards 1) into the shards of a sharded cluster on the same schema, as many as the
// configuration's `shards` (engine/cluster/move-to-shards.ts), while no process uses the store.
// With Redis in front it is refused while Redis still holds batches PostgreSQL has not (a
// process stopped in good order drains them; one that died: start and stop it once), or while
// a shard's stream under the prefix holds any (they would be laid over the moved state).
import { ConfigError, loadConfig, type JunctionConfig } from '../../config/index.js';
import { JunctionError, aboutSetting } from '../../engine/errors.js';
import { storeKind, storeName } from '../store.js';

export async function moveToShardsCommand(configFile: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env, configFile);
  if (config.shards < 2) throw new ConfigError('move-to-shards moves the store into the configured shards: set shards (JUNCTION_SHARDS) to 2 or more, with the cluster settings the processes will start with');
  if (storeKind(config) === 'redis+postgres') await refuseUndrained(config);
  const { moveToShards } = await import('../../engine/cluster/move-to-shards.js'); // loaded only where a PostgreSQL store is configured
  const moved = await moveToShards({ url: config.databaseUrl, schema: config.databaseSchema, shards: config.shards });
  const people = moved.people.reduce((a, b) => a + b, 0);
  out(`${storeName(config)}: moved into ${moved.shards} shards (${people} people, ${moved.people.join(' / ')} by shard; ${moved.participants} participants; ${moved.rows} rows; ${moved.directory} directory rows)`);
  out(`start the processes with shards ${moved.shards}`);
  return 0;
}

/** Refuses while the store's stream, or a shard's under the same prefix, holds entries. */
async function refuseUndrained(config: JunctionConfig): Promise<void> {
  const { connectRedis } = await import('../../engine/store/redis.js');
  const { redis, prefix } = await connectRedis({ url: config.redisUrl, prefix: config.redisPrefix });
  try {
    const streams = [`${prefix}log`, ...Array.from({ length: config.shards }, (_, n) => `${prefix}s${n}:log`)];
    const lengths = await Promise.all(streams.map((stream) => redis.xlen(stream)));
    const held = streams.filter((_, i) => lengths[i]! > 0);
    if (held.length === 0) return;
    const message = held[0] === streams[0]
      ? `Redis still holds batches that PostgreSQL does not have (${lengths[0]} in ${streams[0]}): start and stop Junction once with shards 1 (a stop writes them into PostgreSQL), then move`
      : `Redis holds a shard's batches under the prefix "${prefix}" (${held.join(', ')}): they belong to another cluster; use another redisPrefix, or delete them`;
    throw new JunctionError('JCT_MOVE_REFUSED', message, aboutSetting('redisPrefix', { streams: held }));
  } finally {
    redis.disconnect();
  }
}
