// Redis in front of PostgreSQL: the journal backend whose batches are made durable in Redis
// (fast, one command) and written behind into PostgreSQL, the system of record. It owns the
// stream `<prefix>log` in Redis: each committed batch is one entry (fields: `<table>\0<key>`
// and the row's JSON text, "" for a delete), appended with one XADD. A drain reads the entries
// in order every drainMs, writes them to PostgreSQL in one transaction (the last write of a key
// wins) and then trims them from the stream. At open it loads PostgreSQL and lays the entries
// still in the stream over it, in order. Laying entries again that PostgreSQL already holds
// (a crash between its commit and the trim) is harmless: they are a suffix of the history, so
// every key they touch ends at its newest value.
//
// In cluster mode (the lease in PostgreSQL) both sides are fenced: the XADD is a script that
// checks the Redis fence (redis-fence.ts, raised to the owner's token at open before the stream
// is read), and the drain's transactions check the lease like any PostgreSQL commit. A stale
// owner's drain cannot write once another took over; the trims it may still make remove only
// entries it had written to PostgreSQL before, which the new owner read after taking over.
//
// In a sharded cluster PostgreSQL's options carry the shard's directory writer (`alsoWrite`,
// engine/cluster/directory-rows.ts): a batch that changes where its people's keys lead is
// answered only once those rows are in PostgreSQL too, written by a fenced statement of their
// own after the XADD (another process must find a key away from home as soon as its input is
// acknowledged); the drain writes the rows without them. A batch of people whose keys stay as
// they were (most) costs Redis alone; but batches are written in order, so while PostgreSQL is
// out of reach the first batch that changes such rows holds up the shard's batches after it
// until PostgreSQL is back. A process that dies between the XADD and the rows leaves them out
// of step until the shard's next holder mends them at its take (directory-rows.ts).
//
// Durability: a batch is answered once XADD is answered: what survives is what Redis's
// appendonly/appendfsync keep (see redis.ts), until the drain has it in PostgreSQL (within
// drainMs while PostgreSQL answers). While PostgreSQL is out of reach batches are still taken
// (they wait in Redis, which grows); while Redis is out of reach commits fail with
// JCT_STORE_UNAVAILABLE like the Redis store's. onServer tells which of the two the drain lost
// and when it is back.
import { connectRedis, type RedisConnection, type RedisOptions } from './redis.js';
import { binaryOrder } from './stored-key.js';
import { PostgresBackend, type PostgresOptions } from './postgres.js';
import { type Batch, type JournalBackend, type Table, type TableTexts } from './journal.js';
import { fencedWrite, raise } from './redis-fence.js';

export interface RedisPostgresOptions {
  redis: RedisOptions;
  postgres: PostgresOptions;
  /** How often the drain writes what is in Redis to PostgreSQL (ms). Default 100. */
  drainMs?: number;
  /** Told when the drain loses one of the two servers (with the error) and when it is back (undefined). */
  onServer?(server: Server, err: unknown): void;
}

export type Server = 'redis' | 'postgres';

/** A failure of PostgreSQL's commit in the drain (anything else the drain meets is Redis's). */
class ColdFailure {
  constructor(readonly err: unknown) {}
}

/** Entries the drain writes to PostgreSQL in one transaction, at most; also the page read at open. */
const DRAIN_ENTRIES = 500;
const ROW_KEY_SEPARATOR = '\u0000';

/** A stream entry as ioredis returns it: its id and its fields, name and value alternating. */
type Entry = [id: string, fields: string[]];
/** Per table, each key's newest JSON text (null: deleted). */
type Texts = Map<Table, TableTexts>;

export class RedisPostgresBackend implements JournalBackend {
  /** Set by the first commit: draining starts once load() is over (it ends PostgreSQL's preloaded rows). */
  private timer: ReturnType<typeof setInterval> | undefined;
  private draining: Promise<void> | undefined;
  /** The servers the drain lost, told once each until back. */
  private readonly down = new Set<Server>();
  private closed = false;

  private constructor(
    private readonly hot: RedisConnection,
    private readonly cold: PostgresBackend,
    private readonly log: string,
    /** The entries in Redis at open, laid over PostgreSQL's rows by load(). */
    private readonly overlay: Texts,
    private readonly options: RedisPostgresOptions,
  ) {}

  /** Opens PostgreSQL (migrated, read) and Redis, and reads the entries not yet drained. */
  static async open(options: RedisPostgresOptions): Promise<RedisPostgresBackend> {
    const cold = await PostgresBackend.open(options.postgres);
    let hot: RedisConnection | undefined;
    try {
      hot = await connectRedis(options.redis);
      if (options.redis.fence) await raise(hot.redis, hot.prefix, options.redis.fence);
      const log = `${hot.prefix}log`;
      const overlay: Texts = new Map();
      for await (const entries of pages(hot, log)) for (const entry of entries) lay(overlay, entry);
      return new RedisPostgresBackend(hot, cold, log, overlay, options);
    } catch (err) {
      hot?.redis.disconnect();
      await cold.close();
      throw hot ? hot.failure(err) : err;
    }
  }

  /** PostgreSQL's rows with the entries of Redis laid over them, in key order. Serves each table once, before any commit. */
  load(table: Table): Iterable<[key: string, value: unknown]> {
    const over = this.overlay.get(table) ?? new Map<string, string | null>();
    this.overlay.delete(table);
    return merged(this.cold.load(table), over);
  }

  /** Appends the batch to the stream in one XADD; resolves once Redis answered. */
  async commit(batch: Batch): Promise<void> {
    this.overlay.clear();
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.drain(), this.options.drainMs ?? 100);
      this.timer.unref();
    }
    const fields: string[] = [];
    for (const [table, values] of batch) for (const [key, text] of values) fields.push(`${table}${ROW_KEY_SEPARATOR}${key}`, text ?? '');
    if (fields.length > 0) await this.append(fields);
    await this.cold.commitWriter(batch.get('person') ?? new Map());
  }

  /** One XADD of the batch's fields (fenced in a cluster). */
  private async append(fields: string[]): Promise<void> {
    const { redis, prefix } = this.hot;
    const fence = this.options.redis.fence;
    await (fence ? fencedWrite(redis, prefix, fence, [{ command: 'XADD', key: this.log, args: fields }]) : redis.call('XADD', [this.log, '*', ...fields])).catch((err: unknown) => {
      throw this.hot.failure(err);
    });
  }

  /** Whether Redis's connection is up and ready (PostgreSQL out of reach does not stop input). */
  connected(): boolean {
    return this.hot.redis.status === 'ready';
  }

  /** Drains what Redis holds into PostgreSQL (as far as it answers), then closes both. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer); // no tick after this: the drains left are the one running and this last one
    await this.draining;
    await this.drain();
    await this.hot.redis.quit().catch(() => this.hot.redis.disconnect());
    await this.cold.close();
  }

  /** One drain at a time: pages of entries into PostgreSQL, each trimmed once written. */
  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = this.drainPages().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drainPages(): Promise<void> {
    try {
      for await (const entries of pages(this.hot, this.log)) {
        const texts: Texts = new Map();
        for (const entry of entries) lay(texts, entry);
        await this.cold.commitRows(texts).catch((err: unknown) => {
          throw new ColdFailure(err);
        });
        await this.hot.redis.xtrim(this.log, 'MINID', after(entries[entries.length - 1]![0]));
      }
      for (const server of this.down) this.serverChanged(server, undefined);
    } catch (err) {
      if (err instanceof ColdFailure) this.serverChanged('postgres', err.err);
      else this.serverChanged('redis', this.hot.failure(err));
    }
  }

  /** Tells a server lost (err) or back (undefined), once per change. */
  private serverChanged(server: Server, err: unknown): void {
    const lost = err !== undefined;
    if (lost === this.down.has(server)) return;
    if (lost) this.down.add(server);
    else this.down.delete(server);
    this.options.onServer?.(server, err);
  }
}

/** The stream's entries from the oldest, DRAIN_ENTRIES at a time. */
async function* pages(hot: RedisConnection, log: string): AsyncGenerator<Entry[]> {
  let start = '-';
  for (;;) {
    const entries = (await hot.redis.xrange(log, start, '+', 'COUNT', DRAIN_ENTRIES)) as Entry[];
    if (entries.length > 0) yield entries;
    if (entries.length < DRAIN_ENTRIES) return;
    start = `(${entries[entries.length - 1]![0]}`;
  }
}

/** Lays one entry's rows over `texts` (a later entry's write of a key replaces an earlier one's). */
function lay(texts: Texts, [, fields]: Entry): void {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const cut = name.indexOf(ROW_KEY_SEPARATOR);
    const table = name.slice(0, cut) as Table;
    let values = texts.get(table);
    if (values === undefined) texts.set(table, (values = new Map()));
    values.set(name.slice(cut + 1), fields[i + 1] || null);
  }
}

/** The smallest stream id after `id` (MINID keeps ids from it on). */
function after(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${Number(seq) + 1}`;
}

/** Two key-ordered sources merged: where both hold a key the overlay wins; a null there removes it. */
function* merged(base: Iterable<[string, unknown]>, overlay: Map<string, string | null>): Generator<[string, unknown]> {
  const keys = [...overlay.keys()].sort(binaryOrder);
  let i = 0;
  const laid = function* (upTo: string | undefined): Generator<[string, unknown]> {
    for (; i < keys.length && (upTo === undefined || binaryOrder(keys[i]!, upTo) <= 0); i++) {
      const text = overlay.get(keys[i]!)!;
      if (text !== null) yield [keys[i]!, JSON.parse(text)];
    }
  };
  for (const [key, value] of base) {
    const replaced = overlay.has(key);
    yield* laid(key);
    if (!replaced) yield [key, value];
  }
  yield* laid(undefined);
}
