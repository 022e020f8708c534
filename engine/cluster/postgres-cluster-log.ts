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
import { createHash } from 'node:crypto';
import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import { connectionOf, migrate, storeError } from '../store/postgres.js';
import type { Target } from '../store/shown-url.js';
import type { ClusterOperation } from '../runtime/cluster-operations.js';

export interface ClusterLogOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The cluster's schema (not a shard's). Default `junction`. */
  schema?: string;
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

interface LogSql {
  readonly lock: string;
  readonly append: string;
  readonly after: string;
}

export class ClusterLog {
  private constructor(
    private readonly options: ClusterLogOptions,
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly sql: LogSql,
    /** The channel appends NOTIFY and listeners LISTEN on. */
    readonly channel: string,
  ) {}

  /** Connects and migrates the schema. */
  static async open(options: ClusterLogOptions): Promise<ClusterLog> {
    const { target, schema, pool } = connectionOf({ url: options.url, schema: options.schema, poolSize: 2 });
    try {
      await migrate(options.url, schema);
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeError(err, target);
    }
    return new ClusterLog({ ...options, schema }, pool, target, logSql(schema), channelOf(schema));
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

  /** The entries numbered after `seq`, in number order, at most `limit`. */
  async after(seq: number, limit = PAGE): Promise<ClusterLogEntry[]> {
    const result = await this.pool.query<{ seq: string; op: ClusterOperation }>(this.sql.after, [seq, limit]).catch((err: unknown) => {
      throw storeError(err, this.target);
    });
    return result.rows.map((row) => ({ seq: Number(row.seq), op: row.op }));
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

function logSql(schema: string): LogSql {
  const table = `${escapeIdentifier(schema)}.cluster_log`;
  return {
    lock: `LOCK TABLE ${table} IN EXCLUSIVE MODE`,
    append: `WITH appended AS (INSERT INTO ${table} (op) VALUES ($1::jsonb) RETURNING seq)
      SELECT seq::text, pg_notify($2, seq::text) FROM appended`,
    after: `SELECT l.seq::text AS seq, l.op FROM ${table} AS l WHERE l.seq > $1 ORDER BY l.seq LIMIT $2`, // by the number, not its text
  };
}
