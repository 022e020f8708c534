// The Postgres store: the journal backend of a Junction whose system of record is a Postgres
// database. It owns the connection pool, the atomic write of a group-commit batch (one
// statement: per table one upsert of every key written and one delete of every key deleted, each
// a data-modifying WITH query, with the fence's check and the directory's rows when there are
// any, so a batch costs one round trip) and reading every table back at open
// (postgres-copy.ts), so that the synchronous load() serves
// it from memory. In a sharded cluster each commit also brings the directory rows of the batch's
// people up to date, by parts of the same statement (`alsoWrite`: engine/cluster/directory-rows.ts).
// Tables live in one schema (default `junction`), migrated at open (postgres-migrations.ts).
//
// Durability (synchronous_commit, set on every connection):
//   'on' (default): a batch is answered durable once its commit record is flushed to the
//     server's disk (and, where synchronous replication is configured, as that says): it
//     survives a crash of Junction, of the server and of its machine.
//   'off': the server answers before flushing; its WAL writer flushes within about three times
//     wal_writer_delay (600 ms by default). A crash of Junction loses nothing answered; a crash
//     of the server or its machine may lose the last batches answered, never part of one.
//
// Errors of the driver and the server (unreachable, refused, timed out, cut off) surface as a
// JunctionError JCT_STORE_UNAVAILABLE whose message names the server without the password.
import { Pool, escapeIdentifier, type PoolClient, type PoolConfig } from 'pg';
import { aboutSetting, JunctionError } from '../errors.js';
import { answeredForGood } from './mended-by-waiting.js';
import { fencedError } from './lease.js';
import { TABLES, type Batch, type JournalBackend, type Table } from './journal.js';
import { applyMigrations, type MigrationResult } from './postgres-migrations.js';
import { copiedRows, copyChunks, type Chunks } from './postgres-copy.js';
import { targetOf, type Target } from './shown-url.js';
import { engineKey, storedKey } from './stored-key.js';

export const DEFAULT_SCHEMA = 'junction';

export interface PostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The schema holding Junction's tables; created by the first migration. Default `junction`. */
  schema?: string;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** A statement running longer is cancelled by the server (ms); a server silent for a second more is given up on. Default 30,000. */
  statementTimeoutMs?: number;
  /** Giving up on opening a connection (ms). Default 10,000. */
  connectTimeoutMs?: number;
  /** 'on' (default): a batch is durable on the server's disk when answered. 'off': see the top of this module. */
  synchronousCommit?: 'on' | 'off';
  /** What the server's pg_stat_activity shows the connections as. Default `junction`. */
  applicationName?: string;
  /** In a cluster: the owner's proof, checked inside every commit, that it still holds the partitions (postgres-lease.ts). */
  fence?: Fence;
  /** What else every commit writes, in its statement, from the people of its batch (a sharded cluster's directory). */
  alsoWrite?: PeopleWriter;
}

/** Rows kept in step with the people a commit writes, by parts of the batch's statement. */
export interface PeopleWriter {
  /** A schema it writes in besides the store's, migrated when the store opens (the cluster's). */
  readonly schema: string;
  /**
   * Its parts of the statement of a batch whose people rows are `people` (id → JSON text, null:
   * deleted), their values numbered from `$first`, each writing only where the SQL condition
   * `held` holds; undefined when the batch calls for nothing. Their text depends on `first` and
   * `held` alone (the statement is prepared: its plan is generic).
   */
  parts(people: ReadonlyMap<string, string | null>, first: number, held: string): WriterParts | undefined;
  /** Told how the statement holding its last parts ended: its answer row when it committed, undefined when not (nothing it wrote stays). */
  settled(answer: Readonly<Record<string, unknown>> | undefined): void;
}

/** A PeopleWriter's parts of a batch's statement. */
export interface WriterParts {
  /** WITH queries, each `name AS (…)`; names of its own, not `fence` nor `w` and a number. */
  readonly queries: readonly string[];
  /** Columns it adds to the statement's answer, each `expression AS name`. */
  readonly answers: readonly string[];
  /** The values of its placeholders, `$first` onwards. */
  readonly values: readonly unknown[];
}

/**
 * What a cluster's owner checks as the first statement of every commit transaction: that its
 * lease is still its own. It throws (JCT_STORE_FENCED) when another process took it over: the
 * transaction then writes nothing.
 */
export interface Fence {
  /** The leases table, schema-qualified, and the row of this lease in it. */
  readonly leaseTable: string;
  readonly leaseName: string;
  /** The token the row must still carry for a commit to write. */
  readonly token: string;
  /** Told when a commit found the row carrying another token: the holder is fenced. */
  fenced(): void;
}

/** How much longer than the statement timeout a query waits for a server that stopped answering (ms). */
const SILENT_SERVER_SLACK_MS = 1000;
/** Schema names this store accepts: letters, digits and _, at most Postgres's 63 bytes, not pg_ (reserved by Postgres). */
const SCHEMA_NAME = /^(?!pg_)[A-Za-z_][A-Za-z0-9_]{0,62}$/i;

/** The SQL of one table, schema-qualified: its parts of a batch's statement, given their parameters' numbers. */
interface TableSql {
  readonly table: Table;
  /** Writes only where `held` (an SQL condition) holds. */
  upsert(keys: number, values: number, held: string): string;
  remove(keys: number, held: string): string;
  /** Every row in key order, as COPY text. */
  readonly copy: string;
}

/** Prepared batch statements kept per pool, by the tables they write: past this many, a new kind is sent unprepared. */
const PREPARED_KINDS = 64;

/**
 * A batch's writes as one statement: each table's upsert and delete a data-modifying WITH query
 * (a key is never both written and deleted in one batch, so no two of them touch one row). With a
 * fence, the statement first reads the lease's row FOR SHARE, and each part writes only if the
 * row still carries the holder's token (`held`, the statement's answer): a takeover committed
 * first is seen, one under way is waited for (and then seen), and one after waits for this
 * statement. A statement is prepared under a name of its own for each set of parts seen (a
 * PeopleWriter's parts one more), up to PREPARED_KINDS.
 */
class BatchStatements {
  private readonly names = new Map<string, string>();

  /** The statement; undefined when it would write nothing (no rows, and no parts of the PeopleWriter). */
  of(writes: readonly TableWrites[], fence: Fence | undefined, also?: AlsoWritten): { name?: string; text: string; values: unknown[] } | undefined {
    const parts: string[] = [];
    const kind: string[] = [];
    const values: unknown[] = [];
    if (fence !== undefined) {
      values.push(fence.leaseName, fence.token);
      parts.push(`fence AS MATERIALIZED (SELECT 1 FROM ${fence.leaseTable} WHERE name = $1 AND token = $2::bigint FOR SHARE)`);
    }
    const held = fence === undefined ? 'true' : 'EXISTS (SELECT 1 FROM fence)';
    for (const { sql, keys, values: texts, deleted } of writes) {
      if (keys.length > 0) {
        values.push(keys, texts);
        parts.push(`w${parts.length} AS (${sql.upsert(values.length - 1, values.length, held)})`);
        kind.push(`+${sql.table}`);
      }
      if (deleted.length > 0) {
        values.push(deleted);
        parts.push(`w${parts.length} AS (${sql.remove(values.length, held)})`);
        kind.push(`-${sql.table}`);
      }
    }
    const extra = also?.writer.parts(also.people, values.length + 1, held);
    if (extra === undefined && writes.length === 0) return undefined;
    if (extra !== undefined) {
      kind.push('+writer');
      parts.push(...extra.queries);
      values.push(...extra.values);
    }
    const text = `WITH ${parts.join(',\n')}\nSELECT ${[`${held} AS held`, ...(extra?.answers ?? [])].join(', ')}`;
    const name = this.nameOf(kind.join(' '));
    return name === undefined ? { text, values } : { name, text, values };
  }

  private nameOf(kind: string): string | undefined {
    let name = this.names.get(kind);
    if (name === undefined && this.names.size < PREPARED_KINDS) this.names.set(kind, (name = `batch.${this.names.size}`));
    return name;
  }
}

/** The batch's people rows and who writes more from them. */
interface AlsoWritten {
  readonly writer: PeopleWriter;
  readonly people: ReadonlyMap<string, string | null>;
}

/** One table's part of a batch, after the last write of each key won: keys and JSON texts to upsert, keys to delete. */
interface TableWrites {
  readonly sql: TableSql;
  readonly keys: string[];
  readonly values: string[];
  readonly deleted: string[];
}

/** The journal backend over Postgres. */
export class PostgresBackend implements JournalBackend {
  private closed = false;
  private readonly statements = new BatchStatements();

  private constructor(
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly tables: ReadonlyMap<Table, TableSql>,
    /** Each table's rows read at open, until load() hands them out or the first commit. */
    private readonly preloaded: Map<Table, Chunks>,
    private readonly fence: Fence | undefined,
    private readonly alsoWrite: PeopleWriter | undefined,
  ) {}

  /** Connects, migrates the schema and reads every table, then serves load() from memory. */
  static async open(options: PostgresOptions): Promise<PostgresBackend> {
    const { target, schema, pool } = connectionOf(options);
    const tables = new Map(TABLES.map((t) => [t, tableSql(schema, t)]));
    try {
      const client = await pool.connect();
      try {
        await applyMigrations(client, schema);
        if (options.alsoWrite) await applyMigrations(client, schemaOf(options.alsoWrite.schema));
        const preloaded = await preload(client, [...tables.values()]);
        return new PostgresBackend(pool, target, tables, preloaded, options.fence, options.alsoWrite);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeError(err, target);
    }
  }

  /**
   * Every row of a table in key order (binary order of the UTF-8 key), from the rows read at
   * open; values parsed as they are reached, and each chunk let go once passed. Serves each
   * table once, before any commit.
   */
  load(table: Table): Iterable<[key: string, value: unknown]> {
    const chunks = this.preloaded.get(table);
    if (chunks === undefined) {
      this.sqlOf(table); // an unknown table is JCT_STORE_TABLE_UNKNOWN
      throw new JunctionError('JCT_STORE_LOADED', `the ${table} rows read at open were handed out already: load() serves each table once, before the first commit`, { table });
    }
    this.preloaded.delete(table);
    return rowsOf(chunks);
  }

  /** Writes the batch in one transaction (all rows or none), with the PeopleWriter's parts for its people. */
  async commit(batch: Batch): Promise<void> {
    await this.write(this.writesOf(batch), batch.get('person') ?? new Map());
  }

  /** Writes the batch's rows alone, without the PeopleWriter (what Redis in front drains: its writer's parts were written as the batch was taken, redis-postgres.ts). */
  async commitRows(batch: Batch): Promise<void> {
    await this.write(this.writesOf(batch), undefined);
  }

  /** Writes the PeopleWriter's parts for these people rows alone, fenced (nothing when it has none). */
  async commitWriter(people: ReadonlyMap<string, string | null>): Promise<void> {
    await this.write([], people);
  }

  private writesOf(batch: Batch): TableWrites[] {
    this.preloaded.clear(); // load() is over: let go of tables nobody asked for
    const writes: TableWrites[] = [];
    for (const [table, values] of batch) if (values.size > 0) writes.push(tableWrites(this.sqlOf(table), values));
    return writes;
  }

  /** Ends the pool. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.preloaded.clear();
    await this.pool.end();
  }

  /**
   * The batch's statement, with the PeopleWriter's parts for `people` when given: its own
   * transaction (none when there is nothing to write). A fenced statement that found its
   * lease's row carrying another token wrote nothing: the holder is told, the batch refused.
   */
  private async write(writes: readonly TableWrites[], people: ReadonlyMap<string, string | null> | undefined): Promise<void> {
    const also = people !== undefined && this.alsoWrite !== undefined ? { writer: this.alsoWrite, people } : undefined;
    const statement = this.statements.of(writes, this.fence, also);
    let answer: Record<string, unknown> | undefined;
    try {
      if (statement === undefined) return;
      const result = await this.pool.query<{ held: boolean }>(statement).catch((err: unknown) => {
        throw storeError(err, this.target);
      });
      this.held(result.rows[0]!.held);
      answer = result.rows[0];
    } finally {
      also?.writer.settled(answer);
    }
  }

  /** Throws JCT_STORE_FENCED, the fence told, when the batch's statement found its lease taken. */
  private held(held: boolean): void {
    if (held || this.fence === undefined) return;
    this.fence.fenced();
    throw fencedError(this.fence.token);
  }

  private sqlOf(table: Table): TableSql {
    const sql = this.tables.get(table);
    if (sql === undefined) throw new JunctionError('JCT_STORE_TABLE_UNKNOWN', `the store has no table '${String(table)}'`);
    return sql;
  }
}

/** Brings the schema of the database at `url` to this code's version (for `junction migrate`); open() does the same. */
export function migrate(url: string, schema: string = DEFAULT_SCHEMA): Promise<MigrationResult> {
  return onConnection(url, schema, (client, name) => applyMigrations(client, name));
}

/** Runs `work` on one connection of a pool of its own (the schema's name checked), its errors as the store's; the pool ends after. */
export async function onConnection<T>(url: string, schema: string, work: (client: PoolClient, schema: string) => Promise<T>): Promise<T> {
  const { target, schema: name, pool } = connectionOf({ url, schema, poolSize: 1 });
  try {
    const client = await pool.connect();
    try {
      return await work(client, name);
    } finally {
      client.release();
    }
  } catch (err) {
    throw storeError(err, target);
  } finally {
    await pool.end().catch(() => {});
  }
}

/** A database of the store: where it is (for messages), the checked schema name and a pool of poolSize connections. */
export function connectionOf(options: PostgresOptions): { target: Target; schema: string; pool: Pool } {
  const target = postgresTarget(options.url);
  return { target, schema: schemaOf(options.schema), pool: heardPool(poolConfig(options)) };
}

function poolConfig(options: PostgresOptions): PoolConfig {
  const synchronousCommit = options.synchronousCommit ?? 'on';
  if (synchronousCommit !== 'on' && synchronousCommit !== 'off') {
    throw new JunctionError('JCT_CONFIG_INVALID', `synchronousCommit must be 'on' or 'off', not '${String(synchronousCommit)}'`);
  }
  const poolSize = options.poolSize ?? 4;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new JunctionError('JCT_CONFIG_INVALID', `poolSize must be a whole number ≥ 1, not ${String(poolSize)}`);
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  return {
    connectionString: options.url,
    max: poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + SILENT_SERVER_SLACK_MS,
    keepAlive: true,
    application_name: options.applicationName ?? 'junction',
    options: `-c synchronous_commit=${synchronousCommit}`,
  };
}

/**
 * A pool whose connections' errors are all heard. An idle connection that broke: the pool drops
 * it, the next commit opens another. A connection ended by the server while checked out (a
 * restart, pg_terminate_backend) also emits 'error' on its client: its query rejects, which the
 * caller handles, but the event must be heard too, or it would end the process; so every client
 * gets a listener as it is made, before anyone uses it.
 */
function heardPool(config: PoolConfig): Pool {
  const pool = new Pool(config);
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

function schemaOf(schema = DEFAULT_SCHEMA): string {
  if (SCHEMA_NAME.test(schema)) return schema;
  throw new JunctionError('JCT_CONFIG_INVALID', `the Postgres schema name '${schema}' must be letters, digits and _ (no digit first, not pg_…), at most 63`, aboutSetting('databaseSchema'));
}

/** The server's name for messages, and the secrets to keep out of them (shown-url.ts); refuses a URL that does not parse. */
function postgresTarget(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new JunctionError('JCT_CONFIG_INVALID', 'the Postgres URL is not a URL; expected postgres://user:password@host:port/database', aboutSetting('databaseUrl'));
  }
  return targetOf(parsed);
}

/** A JunctionError for anything the driver or the server threw (a JunctionError passes as it is). */
export function storeError(err: unknown, target: Target): JunctionError {
  if (err instanceof JunctionError) return err;
  const { message, code } = err as { message?: string; code?: string };
  const reason = target.redact(message || code || String(err)); // Node's AggregateError (every address refused) has no message
  const details = { store: 'postgres', at: target.where, ...(code === undefined ? {} : { cause: code }) };
  return new JunctionError('JCT_STORE_UNAVAILABLE', `the Postgres store at ${target.where} is unavailable: ${reason}`, answeredForGood(code) ? aboutSetting('databaseUrl', details) : details);
}

function tableSql(schema: string, table: Table): TableSql {
  const name = `${escapeIdentifier(schema)}.${escapeIdentifier(table)}`;
  return {
    table,
    upsert: (keys, values, held) => `INSERT INTO ${name} (key, value) SELECT * FROM unnest($${keys}::text[], $${values}::text[]) WHERE ${held} ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    remove: (keys, held) => `DELETE FROM ${name} WHERE key = ANY($${keys}::text[]) AND ${held}`,
    copy: `COPY (SELECT key, value FROM ${name} ORDER BY key COLLATE "C") TO STDOUT`,
  };
}

/** Every table's rows in key order, all from one snapshot of the database. */
async function preload(client: PoolClient, tables: readonly TableSql[]): Promise<Map<Table, Chunks>> {
  const preloaded = new Map<Table, Chunks>();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  for (const sql of tables) preloaded.set(sql.table, await copyChunks(client, sql.copy));
  await client.query('COMMIT');
  return preloaded;
}

/** The rows of a table read at open, each value parsed when reached. */
function* rowsOf(chunks: Chunks): Generator<[string, unknown]> {
  for (const [key, text] of copiedRows(chunks)) yield [engineKey(key), JSON.parse(text)];
}

function tableWrites(sql: TableSql, values: ReadonlyMap<string, string | null>): TableWrites {
  const writes: TableWrites = { sql, keys: [], values: [], deleted: [] };
  values.forEach((text, key) => {
    if (text === null) writes.deleted.push(storedKey(key));
    else {
      writes.keys.push(storedKey(key));
      writes.values.push(text);
    }
  });
  return writes;
}
