// Moving a store's state into PostgreSQL, while no process uses it (engine/cluster/move-store.ts):
// - `junction move-to-shards [--config CONFIG.json]`: the PostgreSQL store one engine kept
//   (shards 1) into the shards of a sharded cluster on the same schema, as many as the
//   configuration's `shards`;
// - `junction copy-embedded [--from DATA_DIR] [--config CONFIG.json]`: the embedded store of a
//   data directory (the configured one by default), with its API keys, into the configured
//   PostgreSQL store, which must hold nothing yet (its shards when `shards` > 1). The embedded
//   store is left as it was; a process running on it holds its lock, so it is refused meanwhile.
// - `junction copy-redis [--config CONFIG.json]`: the Redis-alone store at redisUrl under
//   redisPrefix, with its API keys, into the configured PostgreSQL store, likewise (sharing the
//   work over shards needs PostgreSQL). Refused while a process of its cluster holds its lease or
//   counts as a member; a process started without cluster mode holds neither: stop it first.
// With Redis in front each is refused while Redis holds batches of the store's not yet in
// PostgreSQL (a process stopped in good order drains them; one that died: start and stop it
// once), or a shard's stream or fence under the prefix (another cluster's).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type JunctionConfig } from '../../config/index.js';
import { JunctionError, aboutSetting } from '../../engine/errors.js';
import type { MoveReport, StoreRows } from '../../engine/cluster/move-store.js';
import { DB_FILE, SqliteBackend } from '../../engine/store/sqlite.js';
import type { Table } from '../../engine/store/journal.js';
import { storedKey } from '../../engine/store/stored-key.js';
import { KEYS_FILE, SqliteKeyTable } from '../../gateway/auth/key-table.js';
import { storeKind, storeName } from '../store.js';

export async function moveToShardsCommand(configFile: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env, configFile);
  if (config.shards < 2) throw new ConfigError('move-to-shards moves the store into the configured shards: set shards (JUNCTION_SHARDS) to 2 or more, with the cluster settings the processes will start with');
  if (storeKind(config) === 'redis+postgres') await refuseUndrained(config);
  const { moveToShards } = await import('../../engine/cluster/move-store.js'); // loaded only where a PostgreSQL store is configured
  out(`${storeName(config)}: moving into ${config.shards} shards`);
  out(`${storeName(config)}: ${described(await moveToShards({ url: config.databaseUrl, schema: config.databaseSchema, shards: config.shards, onTable: placed(out) }))}`);
  out(`start the processes with shards ${config.shards}`);
  return 0;
}

export async function copyEmbeddedCommand(from: string | undefined, configFile: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env, configFile);
  if (!storeKind(config).includes('postgres')) throw new ConfigError('copy-embedded copies into PostgreSQL: set databaseUrl (DATABASE_URL), with the settings Junction will start with');
  const dir = resolve(from ?? config.dataDir);
  if (!existsSync(join(dir, DB_FILE))) throw new JunctionError('JCT_MOVE_REFUSED', `no embedded store in ${dir} (no ${DB_FILE}): name its data directory with --from`);
  if (storeKind(config) === 'redis+postgres') await refuseUndrained(config);
  const backend = new SqliteBackend({ dir }); // its lock: refused while a process runs on it
  try {
    await copyInto(config, `embedded ${dir}`, { rows: (table) => asStored(backend.loadTexts(table)) }, apiKeysIn(dir), out);
    out(`start Junction with this configuration; ${dir} is left as it was`);
    return 0;
  } finally {
    backend.close();
  }
}

/** Copies a store's rows and API keys into the configured PostgreSQL store (its shards), saying so as it goes. */
async function copyInto(config: JunctionConfig, from: string, source: StoreRows, apiKeys: ReadonlyArray<[string, string]>, out: (line: string) => void): Promise<void> {
  const { copyIntoPostgres } = await import('../../engine/cluster/move-store.js'); // loaded only where a PostgreSQL store is configured
  out(`${from} → ${storeName(config)}: copying`);
  const copied = await copyIntoPostgres({ url: config.databaseUrl, schema: config.databaseSchema, shards: config.shards, source, apiKeys, onTable: placed(out) });
  out(`${from} → ${storeName(config)}: ${described(copied)}`);
}

/** A line per table read and placed, so a long move shows where it is (nothing is committed before the end). */
function placed(out: (line: string) => void): (table: Table, rows: number) => void {
  return (table, rows) => out(`  ${table}: ${rows} rows`);
}

export async function copyRedisCommand(configFile: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env, configFile);
  if (!config.redisUrl || !config.databaseUrl) throw new ConfigError('copy-redis copies the Redis store at redisUrl (REDIS_URL, under redisPrefix) into PostgreSQL at databaseUrl (DATABASE_URL): set both, with the settings Junction will start with');
  const from = { url: config.redisUrl, prefix: config.redisPrefix };
  await refuseRedisInUse(from);
  if (storeKind(config) === 'redis+postgres') await refuseUndrained(config);
  const [{ RedisBackend }, { redisKeyRows }] = await Promise.all([import('../../engine/store/redis.js'), import('../../gateway/auth/server-key-rows.js')]);
  const keys = await redisKeyRows(from.url, from.prefix);
  const apiKeys = await keys.all().finally(() => keys.close());
  const backend = await RedisBackend.open(from);
  try {
    await copyInto(config, storeName({ ...config, store: 'redis' }), { rows: (table) => asStored(backend.loadTexts(table)) }, apiKeys, out);
    out(`start Junction on PostgreSQL (store postgres, or redis+postgres under another redisPrefix); the Redis store is left as it was`);
    return 0;
  } finally {
    await backend.close();
  }
}

/** Refuses a Redis prefix holding no store, or whose store a process of its cluster still uses. */
async function refuseRedisInUse(from: { url: string; prefix: string }): Promise<void> {
  const [{ connectRedis }, { clusterView }] = await Promise.all([import('../../engine/store/redis.js'), import('../../engine/store/redis-lease.js')]);
  const { redis, prefix } = await connectRedis(from);
  const stored = await redis.exists(`${prefix}schema`).finally(() => redis.disconnect());
  if (stored === 0) throw new JunctionError('JCT_MOVE_REFUSED', `no Redis store under the prefix "${prefix}": name it with redisPrefix (JUNCTION_REDIS_PREFIX)`, aboutSetting('redisPrefix'));
  const view = await clusterView(from);
  const live = [...(view.holder && view.holder.endsInMs > 0 ? [view.holder.owner] : []), ...view.members.map((m) => m.name)];
  if (live.length > 0) throw new JunctionError('JCT_MOVE_REFUSED', `a process still uses the Redis store (${[...new Set(live)].join(', ')}): stop every process first, then copy`, aboutSetting('redisPrefix'));
}

function described(moved: MoveReport): string {
  const people = moved.people.reduce((a, b) => a + b, 0);
  const where = moved.shards === 1 ? '' : `, ${moved.people.join(' / ')} by shard`;
  return `${moved.shards === 1 ? 'copied' : `moved into ${moved.shards} shards`} (${people} people${where}; ${moved.participants} participants; ${moved.rows} rows; ${moved.directory} directory rows)`;
}

/** Rows of a store as PostgreSQL keeps them: a U+0000 in a key escaped (stored-key.ts). */
function* asStored(rows: Iterable<[string, string]>): Iterable<[string, string]> {
  for (const [key, text] of rows) yield [storedKey(key), text];
}

/** The API keys kept beside the embedded store, as [id, JSON text]. */
function apiKeysIn(dir: string): Array<[string, string]> {
  if (!existsSync(join(dir, KEYS_FILE))) return [];
  const keys = new SqliteKeyTable(dir);
  try {
    return keys.all().map((key) => [key.id, JSON.stringify(key)]);
  } finally {
    keys.close();
  }
}

/**
 * Refuses while the store's stream holds entries, or a shard under the same prefix has a stream
 * or a fence already (another cluster's: its batches would be laid over the moved state, its
 * fence's token is above the new leases' and would refuse their commits).
 */
async function refuseUndrained(config: JunctionConfig): Promise<void> {
  const { connectRedis } = await import('../../engine/store/redis.js');
  const { redis, prefix } = await connectRedis({ url: config.redisUrl, prefix: config.redisPrefix });
  try {
    const undrained = await redis.xlen(`${prefix}log`);
    if (undrained > 0) {
      const message = `Redis still holds batches that PostgreSQL does not have (${undrained} in ${prefix}log): start and stop Junction once with shards 1 (a stop writes them into PostgreSQL), then move`;
      throw new JunctionError('JCT_MOVE_REFUSED', message, aboutSetting('redisPrefix', { streams: [`${prefix}log`] }));
    }
    const shardKeys = Array.from({ length: config.shards > 1 ? config.shards : 0 }, (_, n) => [`${prefix}s${n}:log`, `${prefix}s${n}:fence`]).flat();
    const found = await Promise.all(shardKeys.map((key) => redis.exists(key)));
    const held = shardKeys.filter((_, i) => found[i]! > 0);
    if (held.length > 0) {
      throw new JunctionError('JCT_MOVE_REFUSED', `Redis holds shards' keys under the prefix "${prefix}" (${held.join(', ')}): they belong to another cluster; use another redisPrefix, or delete them`, aboutSetting('redisPrefix', { keys: held }));
    }
  } finally {
    redis.disconnect();
  }
}
