// Where a cluster's API keys are kept in its server store (see shared-key-table.ts): PostgreSQL's
// `api_key` table (migration 3), brought up to date on open, or the Redis hash
// `<prefix>api_key`. A store out of reach fails open() and put() with JCT_STORE_UNAVAILABLE,
// without the password. Reads give up after TIMEOUT_MS: a request with a key this process has
// not seen waits at most that long for the store.
import { escapeIdentifier } from 'pg';
import { connectionOf, migrate, storeError } from '../../engine/store/postgres.js';
import { connectRedis } from '../../engine/store/redis.js';
import type { KeyRows } from './shared-key-table.js';

const TIMEOUT_MS = 2000;

/** The keys in PostgreSQL (the schema migrated first); one connection. */
export async function postgresKeyRows(url: string, schema: string): Promise<KeyRows> {
  await migrate(url, schema);
  const { target, schema: name, pool } = connectionOf({ url, schema, poolSize: 1, connectTimeoutMs: TIMEOUT_MS, statementTimeoutMs: TIMEOUT_MS });
  const table = `${escapeIdentifier(name)}."api_key"`;
  const query = async (text: string, values: string[] = []): Promise<string[][]> => {
    try {
      return (await pool.query<string[]>({ text, values, rowMode: 'array' })).rows;
    } catch (err) {
      throw storeError(err, target);
    }
  };
  return {
    all: async () => (await query(`SELECT key, value FROM ${table}`)) as Array<[string, string]>,
    get: async (id) => (await query(`SELECT value FROM ${table} WHERE key = $1`, [id]))[0]?.[0],
    put: async (id, json) => void (await query(`INSERT INTO ${table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [id, json])),
    close: () => pool.end(),
  };
}

/** The keys in the Redis hash `<prefix>api_key`. */
export async function redisKeyRows(url: string, prefix: string): Promise<KeyRows> {
  const { redis, prefix: checked, failure } = await connectRedis({ url, prefix, commandTimeoutMs: TIMEOUT_MS });
  const hash = `${checked}api_key`;
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (err) {
      throw failure(err);
    }
  };
  return {
    all: async () => Object.entries(await run(() => redis.hgetall(hash))),
    get: async (id) => (await run(() => redis.hget(hash, id))) ?? undefined,
    put: async (id, json) => void (await run(() => redis.hset(hash, id, json))),
    close: async () => void (await redis.quit().catch(() => redis.disconnect())),
  };
}
