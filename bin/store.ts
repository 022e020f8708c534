// Which store `junction start` keeps its state in, opened: the embedded SQLite file in the data
// directory (or memory when dataDir is ""), PostgreSQL (databaseUrl), Redis alone (redisUrl) or
// Redis in front of PostgreSQL (both).
// In cluster mode (any server store) the store is opened once this process holds the lease,
// which is kept in PostgreSQL when the store has it, else in Redis (acquireLease). The server
// stores' modules (and their clients, pg and ioredis) are imported only when configured.
// A server store that cannot be reached at start is tried again with backoff (one line logged
// per attempt, no stack trace) for storeStartTimeoutS, then start gives up with its error; a
// PostgreSQL that answers that the database does not exist or refuses the role or password is
// not tried again: no wait mends that.
// Once a store with Redis is open, a Redis that is not persistent or evicts keys is warned of,
// once (engine/store/redis-settings.ts).
// API keys are kept with the state: in keys.db beside the embedded store, in the server store
// otherwise (openKeys), so that every process of a cluster accepts the same keys. A server
// store's keys start opening before the state does (openKeysEarly): they are the cluster's, not
// the owner's, so a takeover does not wait for their connection and first read.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type JunctionConfig } from '../config/index.js';
import { MemoryBackend, type JournalBackend } from '../engine/store/journal.js';
import { SqliteBackend } from '../engine/store/sqlite.js';
import type { PostgresLease } from '../engine/store/postgres-lease.js';
import type { RedisLease } from '../engine/store/redis-lease.js';
import type { ClusterView, LeaseOptions } from '../engine/store/lease.js';
import { toJunctionError } from '../engine/errors.js';
import { shownUrl } from '../engine/store/shown-url.js';
import { mendedByWaiting } from '../engine/store/mended-by-waiting.js';
import { KeyStore, REFRESH_MS } from '../gateway/auth/keys.js';
import { KEYS_FILE, SqliteKeyTable } from '../gateway/auth/key-table.js';
import type { KeyRows } from '../gateway/auth/shared-key-table.js';

export type StoreKind = 'memory' | 'embedded' | 'postgres' | 'redis' | 'redis+postgres';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 10_000;

/** The store the configuration chooses. */
export function storeKind(config: JunctionConfig): StoreKind {
  const kind = config.store === 'auto' ? (config.databaseUrl ? 'postgres' : 'embedded') : config.store;
  if (kind.includes('postgres') && !config.databaseUrl) throw new ConfigError(`store "${kind}" needs databaseUrl (JUNCTION_DATABASE_URL or DATABASE_URL)`);
  if (kind.includes('redis') && !config.redisUrl) throw new ConfigError(`store "${kind}" needs redisUrl (JUNCTION_REDIS_URL or REDIS_URL)`);
  if (config.cluster && kind === 'embedded') throw new ConfigError('cluster needs a server store (databaseUrl or redisUrl): the embedded store cannot be shared by several processes');
  return kind === 'embedded' && config.dataDir === '' ? 'memory' : kind;
}

/** Where the state is, for the log: never a user, password or password-like query parameter (shownUrl). */
export function storeName(config: JunctionConfig): string {
  const kind = storeKind(config);
  if (kind === 'postgres') return `postgres ${shownUrl(config.databaseUrl)} schema ${config.databaseSchema}`;
  if (kind === 'redis') return `redis ${shownUrl(config.redisUrl)} prefix "${config.redisPrefix}"`;
  if (kind === 'redis+postgres') return `redis ${shownUrl(config.redisUrl)} prefix "${config.redisPrefix}" in front of postgres ${shownUrl(config.databaseUrl)} schema ${config.databaseSchema}`;
  return kind === 'memory' ? 'memory' : `embedded ${resolve(config.dataDir)}`; // the full path: a relative one run from the wrong folder shows
}

/** The lease of a cluster: in PostgreSQL when the store has it (alone or behind Redis), else in Redis. */
export type ClusterLease = PostgresLease | RedisLease;

/** Waits for the cluster's lease in the configured store and takes it. */
export async function acquireLease(config: JunctionConfig, options: LeaseOptions): Promise<ClusterLease> {
  if (storeKind(config) === 'redis') {
    const { RedisLease } = await import('../engine/store/redis-lease.js');
    return RedisLease.acquire({ ...options, url: config.redisUrl, prefix: config.redisPrefix });
  }
  const { PostgresLease } = await import('../engine/store/postgres-lease.js');
  return PostgresLease.acquire({ ...options, url: config.databaseUrl, schema: config.databaseSchema });
}

/** What the configured server store knows of its cluster (where acquireLease keeps the lease): read only. */
export async function clusterViewOf(config: JunctionConfig): Promise<ClusterView> {
  if (storeKind(config) === 'redis') {
    const { clusterView } = await import('../engine/store/redis-lease.js');
    return clusterView({ url: config.redisUrl, prefix: config.redisPrefix });
  }
  const { clusterView } = await import('../engine/store/postgres-lease.js');
  return clusterView(config.databaseUrl, config.databaseSchema);
}

/** Opens the configured store; in a cluster, the lease is checked by every commit (PostgreSQL's through its lease row, Redis's through the fence key). */
export async function openStore(config: JunctionConfig, logger: Logger, lease?: ClusterLease, wait = sleep): Promise<JournalBackend> {
  const kind = storeKind(config);
  if (kind === 'memory') return new MemoryBackend();
  if (kind === 'embedded') return new SqliteBackend({ dir: config.dataDir, synchronous: config.sync });
  const backend = await retried(await opener(kind, config, logger, lease), config.storeStartTimeoutS * 1000, wait, { name: storeName(config), logger });
  if (kind !== 'postgres') await warnOfRedisRisks(config.redisUrl, logger);
  return backend;
}

/** One warning per setting of the Redis server that puts acknowledged input at risk (JCT_REDIS_AT_RISK); none when they cannot be read. */
async function warnOfRedisRisks(url: string, logger: Logger): Promise<void> {
  const { redisRisks } = await import('../engine/store/redis-settings.js');
  const risks = await redisRisks(url).catch(() => []); // the store just answered: a failure here is not worth a word
  for (const { setting, value, risk } of risks) logger.warn({ code: 'JCT_REDIS_AT_RISK', store: `redis ${shownUrl(url)}`, setting, value }, risk);
}

/** How to open the server store of `kind`, with only that store's modules imported. */
async function opener(kind: StoreKind, config: JunctionConfig, logger: Logger, lease: ClusterLease | undefined): Promise<() => Promise<JournalBackend>> {
  const redis = { url: config.redisUrl, prefix: config.redisPrefix, fence: lease };
  if (kind === 'redis') {
    const { RedisBackend } = await import('../engine/store/redis.js');
    return () => RedisBackend.open(redis);
  }
  // A store with PostgreSQL keeps the cluster's lease there (acquireLease): the lease is PostgreSQL's.
  const fence = lease as PostgresLease | undefined;
  const postgres = { url: config.databaseUrl, schema: config.databaseSchema, synchronousCommit: config.sync === 'full' ? 'on' : 'off', fence } as const;
  if (kind === 'postgres') {
    const { PostgresBackend } = await import('../engine/store/postgres.js');
    return () => PostgresBackend.open(postgres);
  }
  const { RedisPostgresBackend } = await import('../engine/store/redis-postgres.js');
  return () => RedisPostgresBackend.open({ redis, postgres, onServer: (server, err) => serverChanged(logger, server, err) });
}

/** Redis in front of a sharded cluster's shards (store redis+postgres), else undefined: where, and each shard's drain losing or finding a server logged as one store's is; a risky Redis setting warned of once. */
export async function redisInFrontOfShards(config: JunctionConfig, logger: Logger): Promise<{ redis: { url: string; prefix: string }; onServer: (server: 'redis' | 'postgres', err: unknown) => void } | undefined> {
  if (storeKind(config) !== 'redis+postgres') return undefined;
  await warnOfRedisRisks(config.redisUrl, logger);
  return { redis: { url: config.redisUrl, prefix: config.redisPrefix }, onServer: (server, err) => serverChanged(logger, server, err) };
}

/** Whether keys are kept in the data directory (or memory) rather than in a server store. */
function keysInDataDir(kind: StoreKind): boolean {
  return kind === 'memory' || kind === 'embedded';
}

/**
 * The configuration's API keys: keys.db in the data directory with the embedded store (memory
 * when dataDir is ""), else the server store's (a revocation counts within REFRESH_MS). Keys a data
 * directory's keys.db holds that the server store does not are copied into it (keys made
 * before they were shared); returns how many.
 */
export async function openKeys(config: JunctionConfig): Promise<{ keys: KeyStore; copied: number }> {
  const kind = storeKind(config);
  if (keysInDataDir(kind)) return { keys: KeyStore.open(config.dataDir), copied: 0 };
  const [{ SharedKeyTable }, rows] = await Promise.all([import('../gateway/auth/shared-key-table.js'), serverKeyRows(kind, config)]);
  const table = await SharedKeyTable.open(rows, REFRESH_MS / 2); // and the key store's copy every half: a revocation counts within REFRESH_MS
  const keys = new KeyStore(table, { refreshMs: REFRESH_MS / 2 });
  try {
    const copied = config.dataDir === '' ? [] : keysOfDataDir(config.dataDir).filter((key) => table.get(key.id) === undefined);
    for (const key of copied) table.put(key);
    await keys.written();
    return { keys, copied: copied.length };
  } catch (err) {
    await keys.close().catch(() => {});
    throw err;
  }
}

/** API keys on their way: awaited once the state is loaded; closed when Junction stops or its start fails. */
export interface OpeningKeys {
  opened(): Promise<{ keys: KeyStore; copied: number }>;
  /** Closes the keys once they are open (none opened: nothing to do; a failure to open is the start's). */
  close(): Promise<void>;
}

/**
 * Starts opening a server store's API keys now, so that their connection and first read overlap
 * the standing by and the store's load (tried again like the store while it cannot be reached,
 * silently: the store's own tries say so, and it is the same server); a data directory's keys
 * are opened when awaited, after the store, as before.
 */
export function openKeysEarly(config: JunctionConfig, wait = sleep): OpeningKeys {
  let opening: Promise<{ keys: KeyStore; copied: number }> | undefined;
  const open = () => (opening ??= openKeys(config));
  if (!keysInDataDir(storeKind(config))) {
    opening = retried(() => openKeys(config), config.storeStartTimeoutS * 1000, wait);
    opening.catch(() => {}); // its failure is the start's, when awaited
  }
  return { opened: open, close: async () => opening?.then(({ keys }) => keys.close(), () => {}) };
}

async function serverKeyRows(kind: StoreKind, config: JunctionConfig): Promise<KeyRows> {
  const { postgresKeyRows, redisKeyRows } = await import('../gateway/auth/server-key-rows.js');
  return kind === 'redis' ? redisKeyRows(config.redisUrl, config.redisPrefix) : postgresKeyRows(config.databaseUrl, config.databaseSchema);
}

/** The keys of a data directory's keys.db, if it has one (none is created). */
function keysOfDataDir(dataDir: string): ReturnType<SqliteKeyTable['all']> {
  if (!existsSync(join(dataDir, KEYS_FILE))) return [];
  const table = new SqliteKeyTable(dataDir);
  try {
    return table.all();
  } finally {
    table.close();
  }
}

/** Opens, trying again with backoff within `withinMs` while the store is out of reach; each try told to `told`, if given. */
async function retried<T>(
  open: () => Promise<T>,
  withinMs: number,
  wait: (ms: number) => Promise<void>,
  told?: { name: string; logger: Logger },
): Promise<T> {
  const until = Date.now() + withinMs;
  for (let delay = FIRST_RETRY_MS; ; delay = Math.min(2 * delay, LONGEST_RETRY_MS)) {
    try {
      return await open();
    } catch (err) {
      const e = toJunctionError(err, 'JCT_STORE_UNAVAILABLE');
      if (!mendedByWaiting(e) || Date.now() + delay > until) throw e;
      told?.logger.warn({ code: e.code, store: told.name, retryInMs: delay }, `the store cannot be reached yet: ${e.message}`);
      await wait(delay);
    }
  }
}

/** With Redis in front of PostgreSQL, what the drain tells of each server, named. */
const SERVER_CHANGES: Record<'redis' | 'postgres', { lost: string; back: string }> = {
  postgres: {
    lost: 'PostgreSQL is out of reach: changes are kept in Redis until it is back (input is still taken)',
    back: 'PostgreSQL is back: the changes kept in Redis are written to it',
  },
  redis: {
    lost: 'Redis is out of reach: input is refused (503) until it is back',
    back: 'Redis is back: the changes it holds are written to PostgreSQL',
  },
};

/** With Redis in front of PostgreSQL: a server lost by the drain and back, each logged once, naming the server. */
function serverChanged(logger: Logger, server: 'redis' | 'postgres', err: unknown): void {
  if (err === undefined) logger.info({ code: 'JCT_STORE_BACK', store: server }, SERVER_CHANGES[server].back);
  else logger.warn({ code: 'JCT_STORE_UNAVAILABLE', store: server, err: String((err as Error).message ?? err) }, SERVER_CHANGES[server].lost);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
