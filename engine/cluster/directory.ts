// Reading a sharded cluster's directory: the rows of contacts and external ids (their directory
// keys, shard-of.ts) held away from their home shard, which every shard writes in its commits
// (directory-rows.ts); profile-shards.ts makes of them the shard of a person. A person keeps
// their shard for life, so a row found is kept in a bounded cache (least recently used goes
// first) until it is removed: the commit that removes it NOTIFYs the key, which this LISTENs
// for. A key without a row is not kept: a shard may give it to someone any moment. While the
// listening connection is lost, nothing is kept (the cache is emptied; the next lookup listens
// again), so a removal is never missed. Lookups made in one turn of the event loop (the requests
// read together) share one query: a key without a row is never cached, and would cost each
// request a round trip of its own.
import { escapeIdentifier, type Notification, type Pool, type PoolClient } from 'pg';
import { connectionOf, storeError, type PostgresOptions } from '../store/postgres.js';
import type { Target } from '../store/shown-url.js';
import { engineKey } from '../store/stored-key.js';
import { DROP_ALL, directoryChannel } from './directory-rows.js';

export interface DirectoryOptions extends Pick<PostgresOptions, 'url' | 'poolSize' | 'statementTimeoutMs' | 'connectTimeoutMs' | 'applicationName'> {
  /** The cluster's schema (where the directory table is). */
  schema: string;
  /** Keys kept with their shard. Default 100,000. */
  cacheSize?: number;
}

const DEFAULT_CACHE_SIZE = 100_000;

export class Directory {
  /** Lookups answered from the cache, lookups that asked the database, and the queries they made. */
  hits = 0;
  misses = 0;
  queries = 0;
  /** Removals heard (NOTIFY), each a list of keys or everything. */
  heard = 0;

  /** Key → shard, least recently used first. */
  private readonly cache = new Map<string, number>();
  private listener: PoolClient | undefined;
  /** The keys the next query asks for, and what it will answer; sent once this turn of the event loop ends. */
  private next: { readonly keys: Set<string>; readonly answer: Promise<ReadonlyMap<string, number>> } | undefined;
  /** Bumped by every removal heard and every loss of the listener: a query that saw it change keeps nothing of what it read. */
  private generation = 0;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly lookup: string,
    /** Every row of one shard ($1). */
    private readonly ofShard: string,
    private readonly listen: string,
    private readonly cacheSize: number,
  ) {}

  /** Connects and listens for removals (the pool's first connection stays with the listener). */
  static async open(options: DirectoryOptions): Promise<Directory> {
    const { target, schema, pool } = connectionOf({ poolSize: 4, ...options });
    const table = `${escapeIdentifier(schema)}.directory`;
    const lookup = `SELECT key, shard FROM ${table} WHERE key = ANY($1::text[])`;
    const directory = new Directory(pool, target, lookup, `SELECT person, string_agg(key, E'\n' ORDER BY key COLLATE "C") AS keys FROM ${table} WHERE shard = $1 GROUP BY person`, `LISTEN ${escapeIdentifier(directoryChannel(schema))}`, options.cacheSize ?? DEFAULT_CACHE_SIZE);
    try {
      await directory.listening();
      return directory;
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  }

  /** The shard whose row `key` has, or undefined when it has none (held in its home shard, or by nobody). */
  async shardOf(key: string): Promise<number | undefined> {
    return (await this.shardsOf([key])).get(key);
  }

  /** The shards of those of `keys` that have a row, in one query for those not cached. */
  async shardsOf(keys: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const missing: string[] = [];
    for (const key of keys) {
      const shard = this.cached(key);
      if (shard === undefined) missing.push(key);
      else found.set(key, shard);
    }
    this.hits += keys.length - missing.length;
    this.misses += missing.length;
    if (missing.length > 0) await this.read(missing, found);
    return found;
  }

  /**
   * Every row of one shard, as its person ids (the engine's) and the keys each holds, in binary
   * order, one line each: what the shard's commits wrote (read at a take, directory-rows.ts). One
   * text per person is what the comparison needs, and the cheapest for the driver to read.
   */
  async rowsOfShard(shard: number): Promise<Map<string, string>> {
    const { rows } = await this.pool.query<{ person: string; keys: string }>(this.ofShard, [shard]).catch((err: unknown) => {
      throw storeError(err, this.target);
    });
    return new Map(rows.map(({ person, keys }) => [engineKey(person), keys]));
  }

  /** Stops listening and ends the pool. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener?.release(true);
    this.listener = undefined;
    await this.pool.end();
  }

  private async read(keys: readonly string[], found: Map<string, number>): Promise<void> {
    let next = this.next;
    if (next === undefined) {
      const asked = new Set<string>();
      const answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (this.next?.keys === asked) this.next = undefined;
        return this.query([...asked]);
      });
      this.next = next = { keys: asked, answer };
    }
    for (const key of keys) next.keys.add(key);
    const answered = await next.answer;
    for (const key of keys) {
      const shard = answered.get(key);
      if (shard !== undefined) found.set(key, shard);
    }
  }

  /** One query for `keys`: the shard of each somebody has, kept in the cache unless a removal was heard meanwhile. */
  private async query(keys: readonly string[]): Promise<ReadonlyMap<string, number>> {
    try {
      await this.listening();
      const generation = this.generation;
      this.queries++;
      const { rows } = await this.pool.query<{ key: string; shard: number }>({ name: 'directory.lookup', text: this.lookup, values: [keys] });
      const keep = generation === this.generation && this.listener !== undefined;
      const found = new Map<string, number>();
      for (const { key, shard } of rows) {
        found.set(key, shard);
        if (keep) this.remember(key, shard);
      }
      return found;
    } catch (err) {
      throw storeError(err, this.target);
    }
  }

  private cached(key: string): number | undefined {
    const shard = this.cache.get(key);
    if (shard !== undefined) {
      this.cache.delete(key); // now the most recently used
      this.cache.set(key, shard);
    }
    return shard;
  }

  private remember(key: string, shard: number): void {
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, shard);
  }

  /** Listens for removals unless it does already. */
  private async listening(): Promise<void> {
    if (this.listener !== undefined) return;
    const client = await this.pool.connect();
    try {
      await client.query(this.listen);
    } catch (err) {
      client.release(true);
      throw storeError(err, this.target);
    }
    client.on('notification', (message) => this.removed(message));
    client.on('error', () => this.deaf(client));
    client.on('end', () => this.deaf(client));
    this.listener = client;
  }

  /** Keys whose rows a shard removed (directory-rows.ts): their shard may change now. */
  private removed(message: Notification): void {
    this.heard++;
    this.generation++;
    const keys = keysOf(message.payload);
    if (keys === undefined) this.cache.clear();
    else for (const key of keys) this.cache.delete(key);
  }

  /** The listener's connection is lost: removals may go unheard until it listens again, so nothing kept can be trusted. */
  private deaf(client: PoolClient): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    this.generation++;
    this.cache.clear();
    client.release(true);
  }
}

/** The keys a removal names, or undefined for everything. */
function keysOf(payload: string | undefined): string[] | undefined {
  if (payload === undefined || payload === DROP_ALL) return undefined;
  try {
    const keys: unknown = JSON.parse(payload);
    return Array.isArray(keys) ? keys.map(String) : undefined;
  } catch {
    return undefined;
  }
}
