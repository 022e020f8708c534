// The cluster log: the table `cluster_log` in the cluster's own schema, where the changes every
// shard applies (flows, templates, definitions, segments, do-not-contact; cluster-operations.ts)
// are appended, each numbered, and read back in number order. It owns the append (durable once
// answered), the reading after a number, and the wake-up of the shards: an append NOTIFYs the
// schema's channel in its own transaction, and listen() keeps a LISTEN on a connection of its
// own, listening again after a lost connection.
//
// Order: a reader asks for the entries after the last number it applied, so an entry must never
// become visible after one with a higher number (it would be skipped for ever). A bigserial alone
// does not promise that: two appends take 7 and 8, and 8 may commit first. So an append takes
// the table's EXCLUSIVE lock (readers are not blocked) before it takes its number, and holds it
// until its commit: numbers are taken in commit order. Appends are rare (API writes to global
// things); gaps (a rolled-back append) are harmless, since readers never count on contiguity.
//
// Trimming: given the shard count, the log deletes now and then (TRIM_EVERY_MS) the entries every
// shard has applied, as each shard's store says (its meta row, written in the batch that applied
// the entry), and notes how far it trimmed (`cluster_log_trimmed`). A shard whose store is older
// than that (a schema restored from an old backup) is refused when it reads the log
// (JCT_CLUSTER_LOG_TRIMMED), rather than serving without the changes it missed.
import { createHash } from 'node:crypto';
import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { JunctionError } from '../errors.js';
import { connectionOf, migrate, storeError } from '../store/postgres.js';
import type { Target } from '../store/shown-url.js';
import type { ClusterOperation } from '../runtime/cluster-operations.js';
import { CLUSTER_LOG } from '../runtime/engine.js';
import { shardSchema } from './shard-of.js';
import { shardLeaseName } from '../store/postgres-shard-leases.js';

export interface ClusterLogOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The cluster's schema (not a shard's). Default `junction`. */
  schema?: string;
  /** The cluster's shard count: given, the log trims what every shard applied, every `trimEveryMs`. */
  shards?: number;
  /** Default TRIM_EVERY_MS. */
  trimEveryMs?: number;
}

/** One entry of the log. */
export interface ClusterLogEntry {
  readonly seq: number;
  readonly op: ClusterOperation;
}

/** Entries read at once by after() unless told. */
const PAGE = 1000;
/** Waits between attempts to listen again after a lost connection (ms): doubling up to the longest. */
const FIRST_RETRY_MS = 50;
const LONGEST_RETRY_MS = 2000;
/** PostgreSQL's longest channel name (NAMEDATALEN - 1). */
const MAX_CHANNEL = 63;
/** How often a process trims the log (ms): a statement reading one row of each shard's schema. */
const TRIM_EVERY_MS = 10 * 60_000;
/** PostgreSQL's error for a table that is not there: a shard never opened yet has no schema. */
const UNDEFINED_TABLE = '42P01';

interface LogSql {
  readonly lock: string;
  readonly append: string;
  readonly after: string;
  readonly trim: string | undefined;
  /** ($1 meta key, $2 entry): whether the store of every shard held now says it applied the entry. */
  readonly everywhere: string | undefined;
}

/** How often appliedEverywhere() asks (ms). */
const EVERYWHERE_POLL_MS = 10;

export class ClusterLog {
  private readonly trimming: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly options: ClusterLogOptions,
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly sql: LogSql,
    /** The channel appends NOTIFY and listeners LISTEN on. */
    readonly channel: string,
  ) {
    if (sql.trim === undefined) return;
    // A trim that fails (the store out of reach) is tried again at the next one: nothing waits for it.
    this.trimming = setInterval(() => void this.trim().catch(() => {}), options.trimEveryMs ?? TRIM_EVERY_MS);
    this.trimming.unref();
  }

  /** Connects and migrates the schema. */
  static async open(options: ClusterLogOptions): Promise<ClusterLog> {
    const { target, schema, pool } = connectionOf({ url: options.url, schema: options.schema, poolSize: 2 });
    try {
      await migrate(options.url, schema);
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeError(err, target);
    }
    return new ClusterLog({ ...options, schema }, pool, target, logSql(schema, options.shards), channelOf(schema));
  }

  /** Appends an operation; resolves with its number once it is durable (the listeners are told in the same transaction). */
  async append(op: ClusterOperation): Promise<number> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      await client.query(this.sql.lock);
      const result = await client.query<{ seq: string }>(this.sql.append, [JSON.stringify(op), this.channel]);
      await client.query('COMMIT');
      client.release();
      return Number(result.rows[0]!.seq);
    } catch (err) {
      client?.release(true); // closing the connection rolls back its open transaction
      throw storeError(err, this.target);
    }
  }

  /** The entries numbered after `seq`, in number order, at most `limit`; refused when entries after `seq` were trimmed. */
  async after(seq: number, limit = PAGE): Promise<ClusterLogEntry[]> {
    const result = await this.pool.query<{ through: string; seq: string | null; op: ClusterOperation }>(this.sql.after, [seq, limit]).catch((err: unknown) => {
      throw storeError(err, this.target);
    });
    const through = Number(result.rows[0]!.through);
    if (seq < through) {
      throw new JunctionError(
        'JCT_CLUSTER_LOG_TRIMMED',
        `a shard has applied the cluster log up to entry ${seq}, but every shard had applied up to ${through} and the log no longer keeps those entries: this shard's schema is older than the others' (restored from an older backup?); restore it from a backup as recent as theirs`,
        { seq, through },
      );
    }
    return result.rows.filter((row) => row.seq !== null).map((row) => ({ seq: Number(row.seq), op: row.op }));
  }

  /**
   * Resolves true once the store of every shard held now says it applied entry `seq` (asked
   * every few milliseconds; a shard held by nobody, or by a process gone whose lease has not
   * ended yet, applies it when it is taken), false after `withinMs` or without the shard count.
   */
  async appliedEverywhere(seq: number, withinMs: number): Promise<boolean> {
    if (this.sql.everywhere === undefined) return false;
    for (const until = performance.now() + withinMs; ; await new Promise((resolve) => setTimeout(resolve, EVERYWHERE_POLL_MS))) {
      const { rows } = await this.pool.query<{ everywhere: boolean }>(this.sql.everywhere, [CLUSTER_LOG, seq]).catch((err: unknown) => {
        // a shard never opened yet has no schema: it applies every entry when it first opens
        if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return { rows: [{ everywhere: true }] };
        throw storeError(err, this.target);
      });
      if (rows[0]!.everywhere) return true;
      if (performance.now() >= until) return false;
    }
  }

  /**
   * Deletes the entries every shard has applied (their stores say), noting how far; resolves with
   * that number, or undefined when nothing may go yet (a shard not opened, or that applied none).
   */
  async trim(): Promise<number | undefined> {
    if (this.sql.trim === undefined) return undefined;
    try {
      const { rows } = await this.pool.query<{ through: string }>(this.sql.trim, [CLUSTER_LOG]);
      return rows.length === 0 ? undefined : Number(rows[0]!.through);
    } catch (err) {
      if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return undefined;
      throw storeError(err, this.target);
    }
  }

  /**
   * Calls `onAppended` after every append (by any process) from now on, on a connection of its
   * own; a lost connection is replaced, and `onAppended` called once when it listens again, since
   * appends meanwhile were not heard. Resolves once listening; the function it returns stops it.
   */
  async listen(onAppended: () => void): Promise<() => Promise<void>> {
    const listener = new Listener(connectionOf({ url: this.options.url, schema: this.options.schema, poolSize: 1, statementTimeoutMs: 10_000 }).pool, this.channel, onAppended);
    try {
      await listener.start();
    } catch (err) {
      await listener.stop();
      throw storeError(err, this.target);
    }
    return () => listener.stop();
  }

  async close(): Promise<void> {
    clearInterval(this.trimming);
    await this.pool.end().catch(() => {});
  }
}

/** A LISTEN kept on one connection of its pool, taken again when the connection ends. */
class Listener {
  private client: PoolClient | undefined;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
    private readonly onAppended: () => void,
  ) {}

  /** Listens now; throws when it cannot. */
  async start(): Promise<void> {
    const client = await this.pool.connect();
    try {
      client.on('notification', (n) => {
        if (n.channel === this.channel && !this.stopped) this.onAppended();
      });
      client.once('end', () => this.lost(client));
      await client.query(`LISTEN ${escapeIdentifier(this.channel)}`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    if (this.stopped) client.release(true);
    else this.client = client;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.client?.release(true);
    this.client = undefined;
    await this.pool.end().catch(() => {});
  }

  /** The connection ended: listen again on a new one, with backoff, then tell of what may have been missed. */
  private lost(client: PoolClient): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.release(true);
    this.again(FIRST_RETRY_MS);
  }

  private again(delay: number): void {
    this.retry = setTimeout(() => {
      if (this.stopped) return;
      this.start().then(
        () => {
          if (!this.stopped) this.onAppended();
        },
        () => this.again(Math.min(2 * delay, LONGEST_RETRY_MS)),
      );
    }, delay);
  }
}

/** The schema's channel: `junction_log_<schema>`, or a digest of the schema when that is too long a name. */
function channelOf(schema: string): string {
  const named = `junction_log_${schema}`;
  return named.length <= MAX_CHANNEL ? named : `junction_log_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

function logSql(schema: string, shards: number | undefined): LogSql {
  const table = `${escapeIdentifier(schema)}.cluster_log`;
  const trimmed = `${escapeIdentifier(schema)}.cluster_log_trimmed`;
  return {
    lock: `LOCK TABLE ${table} IN EXCLUSIVE MODE`,
    append: `WITH appended AS (INSERT INTO ${table} (op) VALUES ($1::jsonb) RETURNING seq)
      SELECT seq::text, pg_notify($2, seq::text) FROM appended`,
    // one row at least (how far the log was trimmed), with the entries after $1 if any
    after: `SELECT t.through::text AS through, l.seq::text AS seq, l.op FROM ${trimmed} AS t
      LEFT JOIN LATERAL (SELECT seq, op FROM ${table} WHERE seq > $1 ORDER BY seq LIMIT $2) AS l ON true
      ORDER BY l.seq`, // by the number, not its text
    trim: shards === undefined ? undefined : trimSql(schema, shards, table, trimmed),
    everywhere: shards === undefined ? undefined : everywhereSql(schema, shards),
  };
}

/** The last entry each shard applied, as its store's meta row (key $1) says: a row per shard that applied any (`shard`, `seq`). */
function appliedSql(schema: string, shards: number): string {
  return Array.from({ length: shards }, (_, n) => `SELECT ${n} AS shard, (value::jsonb ->> 'seq')::bigint AS seq FROM ${escapeIdentifier(shardSchema(schema, n))}.meta WHERE key = $1`).join(' UNION ALL ');
}

/** Whether every shard held now (its lease not ended) has applied entry $2: one whose holder is gone applies it when it is taken over. */
function everywhereSql(schema: string, shards: number): string {
  const names = Array.from({ length: shards }, (_, n) => `('${shardLeaseName(n)}', ${n})`).join(', ');
  return `WITH applied AS (${appliedSql(schema, shards)}),
held AS (SELECT s.shard FROM ${escapeIdentifier(schema)}.leases AS l JOIN (VALUES ${names}) AS s(name, shard) ON s.name = l.name WHERE l.expires_at > now())
SELECT NOT EXISTS (SELECT 1 FROM held WHERE NOT EXISTS (SELECT 1 FROM applied WHERE applied.shard = held.shard AND applied.seq >= $2)) AS everywhere`;
}

/** The lowest entry every shard applied (none unless each has a meta row for it, $1), the log trimmed up to it. */
function trimSql(schema: string, shards: number, table: string, trimmed: string): string {
  return `WITH applied AS (${appliedSql(schema, shards)}),
lowest AS (SELECT min(seq) AS through FROM applied HAVING count(*) = ${shards}),
gone AS (DELETE FROM ${table} WHERE seq <= (SELECT through FROM lowest))
UPDATE ${trimmed} SET through = greatest(through, (SELECT through FROM lowest)) WHERE EXISTS (SELECT 1 FROM lowest) RETURNING through::text`;
}
