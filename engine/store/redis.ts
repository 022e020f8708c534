// The Redis store: the journal backend of a Junction whose journal lives in Redis. It owns the
// keys under its prefix (default `junction:`): one hash per journal table, `<prefix>t:<table>`
// (field: the row's key, value: the row's JSON text), and `<prefix>schema`, the layout's version.
// It owns the connection, the atomic write of a group-commit batch (one MULTI … EXEC: per table
// one HSET of every key written and one HDEL of every key deleted, and EXISTS of the schema key,
// whose absence means the server lost the state; in cluster mode the same commands in one script
// that first checks the fence, redis-fence.ts) and reading every table back at open, so that the
// synchronous load() serves it from memory.
//
// Durability: commit() resolves once EXEC is answered, that is once the batch is in the
// server's memory (and in its AOF buffer). What survives a crash then depends on the server:
//   appendonly no: only RDB snapshots: a crash of Redis loses everything since the last save.
//   appendonly yes, appendfsync always: the AOF is fsynced before EXEC is answered: a batch
//     answered survives a crash of Redis and of its machine.
//   appendonly yes, appendfsync everysec (Redis's default): a crash of Redis alone loses nothing
//     answered (it is in the OS); a crash of the machine loses up to about the last second.
//   appendonly yes, appendfsync no: the OS flushes when it likes (typically within 30 s).
// See docs/decisions/0013-redis-store.md. A batch is never half applied, with one exception that
// Redis itself makes: EXEC does not roll back when a command fails at run time, which here only
// happens when something else wrote a key of another type under the prefix (WRONGTYPE).
//
// Errors of the connection and the server (unreachable, refused, timed out, cut off, EXEC
// failed) surface as a JunctionError JCT_STORE_UNAVAILABLE whose message names the server
// without the password. A lost connection fails a commit at once: no offline queue, no retry.
import { Command, Redis, ReplyError, type RedisOptions as ClientOptions } from 'ioredis';
import { aboutSetting, JunctionError } from '../errors.js';
import { parsedRows, TABLES, type Batch, type JournalBackend, type Table } from './journal.js';
import { fencedWrite, raise, type RedisWrite, type RedisFence } from './redis-fence.js';
import { targetOf, type Target } from './shown-url.js';
import { binaryOrder } from './stored-key.js';

/** The layout this code writes; a store with a higher version was written by a newer Junction. */
export const SCHEMA_VERSION = 1;
export const DEFAULT_PREFIX = 'junction:';

export interface RedisOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  url: string;
  /** Starts every key this store writes, so that several deployments can share one Redis. Default `junction:`. */
  prefix?: string;
  /** Giving up on connecting, or on a command the server does not answer (ms). Default 5,000. */
  commandTimeoutMs?: number;
  /** In cluster mode, the lease: every commit writes only while `<prefix>fence` holds its token (redis-fence.ts). */
  fence?: RedisFence;
}

/** Fields asked for per HSCAN call at open (measured: a quarter faster than 1,000; each call holds the server about a millisecond). */
const PAGE = 5000;
/** Longest wait between two attempts to reconnect once open (ms); commits fail meanwhile. */
const MAX_RECONNECT_DELAY_MS = 2000;

/** A table's rows read at open: [key, JSON text], in descending key order, so they are handed out by pop(). */
type Rows = Array<[key: string, value: string]>;

/** The journal backend over Redis. */
export class RedisBackend implements JournalBackend {
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly target: Target,
    private readonly prefix: string,
    /** Each table's rows read at open, until load() hands them out or the first commit. */
    private readonly preloaded: Map<Table, Rows>,
    private readonly fence: RedisFence | undefined,
  ) {}

  /** Connects, checks the layout's version (setting it in a new store), raises the fence in a cluster and reads every table, then serves load() from memory. */
  static async open(options: RedisOptions): Promise<RedisBackend> {
    const { redis, target, prefix, failure } = await connectRedis(options);
    try {
      await checkSchema(redis, prefix, target);
      if (options.fence) await raise(redis, prefix, options.fence);
      const preloaded = new Map(await Promise.all(TABLES.map(async (t) => [t, await readTable(redis, hashOf(prefix, t))] as const)));
      return new RedisBackend(redis, target, prefix, preloaded, options.fence);
    } catch (err) {
      redis.disconnect();
      throw failure(err);
    }
  }

  /**
   * Every row of a table in key order (binary order of the UTF-8 key), from the rows read at
   * open; values parsed as they are reached, and each row let go once passed. Serves each table
   * once, before any commit.
   */
  load(table: Table): Iterable<[key: string, value: unknown]> {
    return parsedRows(this.loadTexts(table));
  }

  /** A table's rows in key order as their JSON text, unparsed (a store copied elsewhere: cluster/move-store.ts); once, as load(). */
  loadTexts(table: Table): Iterable<[key: string, text: string]> {
    const rows = this.preloaded.get(table);
    if (rows === undefined) throw this.notLoadable(table);
    this.preloaded.delete(table);
    return handOut(rows);
  }

  /** Writes the batch in one MULTI … EXEC (all rows or none), or in a cluster one fenced script. Resolves when Redis answered. */
  async commit(batch: Batch): Promise<void> {
    this.preloaded.clear(); // load() is over: let go of tables nobody asked for
    const writes = this.writesOf(batch);
    if (writes.length === 0) return;
    if (!this.fence) return this.exec(writes);
    try {
      await fencedWrite(this.redis, this.prefix, this.fence, writes);
    } catch (err) {
      throw storeError(err, this.target);
    }
  }

  /** Whether the connection is up and ready; while it is down (the client reconnecting) a commit would fail at once. */
  connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Quits the connection (dropping it if the server does not answer). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.preloaded.clear();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** The batch's commands: per table one HSET of every key written and one HDEL of every key deleted. */
  private writesOf(batch: Batch): RedisWrite[] {
    const writes: RedisWrite[] = [];
    for (const [table, values] of batch) {
      const key = this.hashOf(table);
      const { set, deleted } = tableWrites(values);
      if (set.length > 0) writes.push({ command: 'HSET', key, args: set });
      if (deleted.length > 0) writes.push({ command: 'HDEL', key, args: deleted });
    }
    return writes;
  }

  /**
   * Sends the commands as one transaction (MULTI, EXISTS of the schema key, the writes, EXEC,
   * written to the socket one after another in this turn); fails if EXEC failed, or any command
   * in it did (Redis does not roll those back), or EXEC did not answer every write. The last
   * happens while the client reconnects: until it is ready it sends the commands a handshake may
   * need (MULTI and EXEC among them) and refuses the others, so EXEC would commit an empty
   * transaction. A schema key gone means the server lost the state (lostError).
   */
  private async exec(writes: readonly RedisWrite[]): Promise<void> {
    const sent = [new Command('multi'), new Command('exists', [schemaKey(this.prefix)]), ...writes.map(({ command, key, args }) => new TextCommand(command, [key, ...args]))];
    const exec = new Command('exec', [], { replyEncoding: 'utf8' });
    for (const command of sent) {
      this.redis.sendCommand(command);
      command.promise.catch(() => {}); // a command refused while queuing makes EXEC fail (EXECABORT), which is what is reported
    }
    this.redis.sendCommand(exec);
    let results: unknown;
    try {
      results = await exec.promise;
    } catch (err) {
      throw storeError(err, this.target);
    }
    if (!Array.isArray(results) || results.length !== writes.length + 1) {
      const held = Array.isArray(results) ? Math.max(results.length - 1, 0) : 'none';
      throw storeError(new Error(`not connected (the transaction held ${held} of its ${writes.length} writes)`), this.target);
    }
    const failed = results.find((result) => result instanceof Error);
    if (failed) throw storeError(failed, this.target);
    if (results[0] === 0) throw lostError(this.prefix, this.target);
  }

  private hashOf(table: Table): string {
    if (!TABLES.includes(table)) throw new JunctionError('JCT_STORE_TABLE_UNKNOWN', `the store has no table '${String(table)}'`);
    return hashOf(this.prefix, table);
  }

  private notLoadable(table: Table): JunctionError {
    this.hashOf(table);
    return new JunctionError('JCT_STORE_LOADED', `the ${table} rows read at open were handed out already: load() serves each table once, before the first commit`, { table });
  }
}

/**
 * A write whose text (RESP) is put straight into one Buffer. ioredis builds a command's text by
 * joining strings, argument by argument, then flattens it for the socket: about a kilobyte of
 * garbage per timer wake-up at a batch's sizes (docs/performance.md, timers). Here each
 * argument is written once into a Buffer sized for all of them.
 */
export class TextCommand extends Command {
  constructor(name: string, args: string[]) {
    super(name, args, { replyEncoding: 'utf8' });
  }

  override toWritable(): Buffer {
    const args = this.args as string[];
    const sizes = new Array<number>(args.length);
    const head = `*${args.length + 1}\r\n$${this.name.length}\r\n${this.name}\r\n`;
    let size = head.length;
    for (let i = 0; i < args.length; i++) {
      const bytes = Buffer.byteLength(args[i]!);
      sizes[i] = bytes;
      size += bytes + digits(bytes) + 5; // $<bytes>\r\n<argument>\r\n
    }
    const out = Buffer.allocUnsafe(size);
    let at = out.write(head, 0, 'latin1');
    for (let i = 0; i < args.length; i++) {
      out[at++] = DOLLAR;
      at = writeNumber(out, at, sizes[i]!);
      out[at++] = CR;
      out[at++] = LF;
      at += out.write(args[i]!, at, 'utf8');
      out[at++] = CR;
      out[at++] = LF;
    }
    return out;
  }
}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

/** How many decimal digits a whole number ≥ 0 has. */
function digits(n: number): number {
  let count = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}

/** Writes a whole number ≥ 0 in decimal at `at`; returns where it ends. */
function writeNumber(out: Buffer, at: number, n: number): number {
  const end = at + digits(n);
  let rest = n;
  for (let i = end - 1; i >= at; i--) {
    out[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return end;
}

/** A connected client, where it is (for messages), the checked key prefix, and how to turn what it threw into a JunctionError. */
export interface RedisConnection {
  readonly redis: Redis;
  readonly target: Target;
  readonly prefix: string;
  failure(err: unknown): JunctionError;
}

/** Connects (see clientOptions); a failure to connect is a JunctionError JCT_STORE_UNAVAILABLE without the password. */
export async function connectRedis(options: RedisOptions): Promise<RedisConnection> {
  const target = redisTarget(options.url);
  const prefix = prefixOf(options);
  const timeoutMs = timeoutOf(options);
  const redis = new Redis(options.url, clientOptions(timeoutMs));
  let lastError: unknown;
  redis.on('error', (err: unknown) => (lastError = err)); // reported through the command that fails; keeps ioredis quiet
  const failure = (err: unknown): JunctionError => storeError(lastError !== undefined && isConnectionClosed(err) ? lastError : err, target);
  try {
    await withTimeout(redis.connect(), timeoutMs, 'connecting');
    await checkDatabase(redis, target);
    return { redis, target, prefix, failure };
  } catch (err) {
    redis.disconnect();
    throw failure(err);
  }
}

/**
 * No offline queue and no retry of a command: while the connection is down a commit fails at
 * once instead of waiting for it to come back. Once open, the client reconnects in the background.
 */
function clientOptions(timeoutMs: number): ClientOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
    connectionName: 'junction',
  };
}

/**
 * ioredis selects the URL's database while connecting, but when the server refuses it (a number
 * past the server's `databases`) it goes on in database 0, where another deployment's state may
 * be: selected again here, and a refusal ends the open (no retry mends it).
 */
async function checkDatabase(redis: Redis, target: Target): Promise<void> {
  const database = redis.options.db ?? 0;
  if (database === 0) return;
  try {
    await redis.select(database);
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
    throw new JunctionError(
      'JCT_CONFIG_INVALID',
      `the Redis server at ${target.where} has no database ${database} (${(err as Error).message}): name one it has in the URL's path`,
      aboutSetting('redisUrl', { store: 'redis', at: target.where, database }),
    );
  }
}

function hashOf(prefix: string, table: Table): string {
  return `${prefix}t:${table}`;
}

/** The key holding the layout's version: set at the first open, there as long as the state is. */
function schemaKey(prefix: string): string {
  return `${prefix}schema`;
}

/**
 * The server no longer has the state this process wrote (its schema key is gone: a Redis
 * restarted without persistence, flushed, or replaced by an empty one). Not retried: the working
 * state is ahead of the store, and what the server holds now is not Junction's state.
 */
function lostError(prefix: string, target: Target): JunctionError {
  return new JunctionError(
    'JCT_STORE_LOST',
    `the Redis server at ${target.where} lost the state Junction kept in it (the key ${schemaKey(prefix)} is gone: Redis restarted without appendonly, or was flushed); restart Junction`,
    { store: 'redis', at: target.where },
  );
}

/** Sets the layout's version in a new store; refuses a store of another version. */
async function checkSchema(redis: Redis, prefix: string, target: Target): Promise<void> {
  const key = schemaKey(prefix);
  await redis.set(key, String(SCHEMA_VERSION), 'NX');
  const stored = await redis.get(key);
  if (stored === String(SCHEMA_VERSION)) return;
  const version = Number(stored);
  const reason = Number.isInteger(version) && version > SCHEMA_VERSION ? 'upgrade Junction' : 'it was not written by Junction';
  throw new JunctionError(
    'JCT_STORE_SCHEMA',
    `the Redis store at ${target.where} (prefix '${prefix}') has schema version ${String(stored)}, this Junction knows up to ${SCHEMA_VERSION}; ${reason}`,
    { version: stored, supported: SCHEMA_VERSION },
  );
}

/** A table's rows, PAGE fields per HSCAN, in descending binary order of their keys. */
async function readTable(redis: Redis, hash: string): Promise<Rows> {
  const rows: Rows = [];
  let cursor = '0';
  do {
    const [next, fields] = await redis.hscan(hash, cursor, 'COUNT', PAGE);
    for (let i = 0; i < fields.length; i += 2) rows.push([fields[i]!, fields[i + 1]!]);
    cursor = next;
  } while (cursor !== '0');
  return rows.sort(([a], [b]) => binaryOrder(b, a));
}

/**
 * Rows in ascending key order, popped off the end of the descending list so each is let go once
 * passed; a value parsed when reached. A key HSCAN returned twice is handed out once.
 */
function* handOut(rows: Rows): Generator<[string, string]> {
  let last: string | undefined;
  for (let row = rows.pop(); row !== undefined; row = rows.pop()) {
    if (row[0] === last) continue;
    last = row[0];
    yield row;
  }
}

/** The arguments of one table's HSET (key, JSON, key, JSON, …) and HDEL (key, …), after the hash's name; each array made at its size. */
function tableWrites(values: ReadonlyMap<string, string | null>): { set: string[]; deleted: string[] } {
  let deletes = 0;
  values.forEach((text) => {
    if (text === null) deletes++;
  });
  const set = new Array<string>(2 * (values.size - deletes));
  const deleted = new Array<string>(deletes);
  let s = 0;
  let d = 0;
  values.forEach((text, key) => {
    if (text === null) deleted[d++] = key;
    else {
      set[s++] = key;
      set[s++] = text;
    }
  });
  return { set, deleted };
}


function prefixOf(options: RedisOptions): string {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix === 'string' && prefix !== '') return prefix;
  throw new JunctionError('JCT_CONFIG_INVALID', 'the Redis key prefix must be a non-empty string');
}

function timeoutOf(options: RedisOptions): number {
  const ms = options.commandTimeoutMs ?? 5000;
  if (Number.isFinite(ms) && ms > 0) return ms;
  throw new JunctionError('JCT_CONFIG_INVALID', `commandTimeoutMs must be a positive number of milliseconds, not ${String(ms)}`);
}

/** The server's name for messages, and the secrets to keep out of them (shown-url.ts); refuses a URL that does not parse. */
function redisTarget(url: string): Target {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below, without echoing the URL
  }
  if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
    throw new JunctionError('JCT_CONFIG_INVALID', 'the Redis URL is not a redis:// or rediss:// URL; expected redis://[user:password@]host:port[/db]', aboutSetting('redisUrl'));
  }
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) { // ioredis would take any other path as database 0
    throw new JunctionError('JCT_CONFIG_INVALID', `the Redis URL's path must be a database number (redis://host:port/2), not '${parsed.pathname}'`, aboutSetting('redisUrl'));
  }
  return targetOf(parsed);
}

/** Rejects with a timeout error when `promise` has not settled within `ms` (its own later failure is then ignored). */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** ioredis's "Connection is closed." hides why: the error event before it says. */
function isConnectionClosed(err: unknown): boolean {
  return err instanceof Error && err.message === 'Connection is closed.';
}

/** ioredis's words for a connection lost, not there or silent: in plain words, with a code for details. */
const CLIENT_ERRORS: ReadonlyArray<[wording: RegExp, reason: string, cause: string]> = [
  [/^Reached the max retries per request limit/, 'the connection was lost before the server answered', 'CONNECTION_LOST'],
  [/^Stream isn't writeable/, 'not connected (the connection was lost; reconnecting)', 'NOT_CONNECTED'],
  [/^Connection is closed\.$/, 'the connection is closed', 'CONNECTION_CLOSED'],
  [/^Command timed out$/, 'the server did not answer in time (command timed out)', 'ETIMEDOUT'],
];

/** Why a command failed, and its code: the client's own or the first word of the server's error reply (EXECABORT, WRONGTYPE, OOM…). */
function reasonOf(err: unknown): { reason: string; cause: string | undefined } {
  const { message, code } = err as { message?: string; code?: string };
  const known = CLIENT_ERRORS.find(([wording]) => wording.test(message ?? ''));
  if (known) return { reason: known[1], cause: known[2] };
  return { reason: message || code || String(err), cause: code ?? /^[A-Z]+(?= )/.exec(message ?? '')?.[0] }; // Node's AggregateError (every address refused) has no message
}

/** A JunctionError for anything the client or the server threw (a JunctionError passes as it is). */
function storeError(err: unknown, target: Target): JunctionError {
  if (err instanceof JunctionError) return err;
  const { reason, cause } = reasonOf(err);
  return new JunctionError('JCT_STORE_UNAVAILABLE', `the Redis store at ${target.where} is unavailable: ${target.redact(reason)}`, {
    store: 'redis',
    at: target.where,
    ...(cause === undefined ? {} : { cause }),
  });
}
