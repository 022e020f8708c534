// The journal: the one write path to durable storage. The engine applies a transition to its
// working state in memory and appends the rows it changed here; the group commit gathers the
// rows of many transitions and writes them to the backend in one atomic batch, every few
// milliseconds or every N rows, then resolves the promises of everyone waiting on that batch.
// A transition's rows are always appended synchronously, so no batch ever splits one.
//
// Rows are (table, key, value); value null deletes the row. Within one batch the last write
// of a (table, key) wins, so a participant that moves five times between flushes is written
// once. Rows the engine keeps in memory and changes on every step (participants, people,
// metrics, entry history) are only marked changed, by a number or an existing string, in a
// RowGroup (a set of marks, or bits for densely numbered members); their keys and values are
// built once per batch, when it is written. Every value becomes its JSON text as the batch is
// taken (one pass, no row objects), so a backend receives a Batch of texts: nothing the engine
// built for a row outlives that moment while the batch is being written.
// Backends: MemoryBackend (tests), SqliteBackend (embedded default, store/sqlite.ts).

import { JunctionError } from '../errors.js';

/** The tables the engine keeps. Each row's value is a JSON-serialisable object. */
export const TABLES = ['meta', 'flow', 'person', 'dnc', 'participant', 'history', 'outbox', 'metrics', 'seen', 'dedup', 'ref', 'event', 'template', 'operation', 'engaged', 'definition', 'held'] as const;
export type Table = (typeof TABLES)[number];

export interface Row {
  readonly table: Table;
  readonly key: string;
  /** The row's new value; null deletes it. */
  readonly value: unknown;
}

/** What a backend writes: per table, each key's JSON text, or null to delete the row; every key once. */
export type Batch = ReadonlyMap<Table, ReadonlyMap<string, string | null>>;

/** One table of a batch being built: key → JSON text (null: delete). */
export type TableTexts = Map<string, string | null>;

/**
 * Rows of one table whose truth is in memory: a batch holds only which members changed, and
 * each one's key and value are read when the batch is written. A table's rows go either all
 * through groups (disjoint ones) or all through put, never both.
 */
export abstract class RowGroup<M extends string | number> {
  constructor(
    readonly table: Table,
    /** The row's key. */
    readonly key: (member: M) => string,
    /** The row's value as memory holds it now; null deletes the row. */
    readonly value: (member: M) => unknown,
  ) {}

  /** Members marked since the last batch was written. */
  abstract get marked(): number;

  /** Marks a member changed; false when it already was. */
  abstract mark(member: M): boolean;

  /** Writes the marked members' rows, built now as text, into their table of the batch, and forgets the marks. */
  abstract takeTexts(into: TableTexts): void;

  /** Member's row as text into the batch's table. */
  protected write(into: TableTexts, member: M): void {
    const key = this.key(member);
    const value = this.value(member);
    into.set(key, value === null ? null : serialise(this.table, key, value));
  }
}

/** Members of any kind (ids, sequences), marked in a set. */
export class KeyedRows<M extends string | number = string> extends RowGroup<M> {
  private readonly changed = new Set<M>();

  get marked(): number {
    return this.changed.size;
  }

  mark(member: M): boolean {
    const before = this.changed.size;
    this.changed.add(member);
    return this.changed.size > before;
  }

  takeTexts(into: TableTexts): void {
    for (const member of this.changed) this.write(into, member);
    this.changed.clear();
  }
}

/**
 * Members that are small whole numbers given densely (a person's number in its partition),
 * marked as bits: no set entry per member.
 */
export class NumberedRows extends RowGroup<number> {
  private bits = new Uint32Array(32);
  private readonly changed: number[] = [];

  get marked(): number {
    return this.changed.length;
  }

  mark(member: number): boolean {
    const word = member >>> 5;
    if (word >= this.bits.length) this.grow(word);
    const mask = 1 << (member & 31);
    if ((this.bits[word]! & mask) !== 0) return false;
    this.bits[word] = this.bits[word]! | mask;
    this.changed.push(member);
    return true;
  }

  takeTexts(into: TableTexts): void {
    for (const member of this.changed) {
      this.bits[member >>> 5] = this.bits[member >>> 5]! & ~(1 << (member & 31));
      this.write(into, member);
    }
    this.changed.length = 0;
  }

  private grow(word: number): void {
    const bits = new Uint32Array(Math.max(word + 1, 2 * this.bits.length));
    bits.set(this.bits);
    this.bits = bits;
  }
}

/** Where rows end up. commit() writes one batch atomically: all rows or none. */
export interface JournalBackend {
  /** Every row of a table, in key order. Called at start, before any commit. */
  load(table: Table): Iterable<[key: string, value: unknown]>;
  /** Writes the batch atomically and durably (per the backend's sync policy). */
  commit(batch: Batch): void | Promise<void>;
  close(): void | Promise<void>;
  /** False while the backend knows its server is out of reach (its connection is down), even with nothing to write; absent: not known. */
  connected?(): boolean;
}

export interface GroupCommitOptions {
  /** Longest a row waits before its batch is written (ms). Default 2. */
  flushMs?: number;
  /** A batch is written as soon as it holds this many distinct rows. Default 2,000. */
  maxRows?: number;
  /**
   * While the store is out of reach or its disk full (a commit failed with JCT_STORE_UNAVAILABLE
   * or JCT_DISK_FULL, having written none of the batch), the batch is
   * written again with backoff, from `firstRetryMs` (default 100) up to `longestRetryMs`
   * (default 5,000) between attempts. Its callers wait up to `waitMs` (default 5,000) from the
   * batch's first attempt, failing or hanging, and are then refused (the store taken as out of
   * reach), though their rows are still written once the store is back.
   */
  firstRetryMs?: number;
  longestRetryMs?: number;
  waitMs?: number;
  /** Told when the store is lost (with the error) and when it is back (undefined). */
  onStoreChange?: (err: unknown) => void;
  /** Told once, with the error, when a batch fails for good: from then on every new row is refused. */
  onFailed?: (err: unknown) => void;
}

/** Commit errors the store may recover from (out of reach, a disk full until space is freed): the batch is tried again. */
const RETRYABLE: ReadonlySet<unknown> = new Set(['JCT_STORE_UNAVAILABLE', 'JCT_DISK_FULL']);

function retryable(err: unknown): boolean {
  return RETRYABLE.has((err as { code?: unknown } | null)?.code);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Learns of a batch written: its rows and the backend's commit time (ms). */
export type CommitObserver = (rows: number, ms: number) => void;

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

/** Gathers rows into batches and writes them; tells callers when their rows are durable. */
export class GroupCommit {
  /** The open batch: per table, key → value (a later put of the same key replaces it). */
  private batch = openBatch();
  /** Groups with members marked in the open batch. */
  private groups: Array<RowGroup<never>> = [];
  private size = 0;
  /** Everyone waiting on the open batch shares one promise (refused after waitMs while the store is out of reach). */
  private waiting: Deferred | undefined;
  /** Resolved when the open batch is written, however long that takes (see written()). */
  private writtenWaiting: Deferred | undefined;
  private timer: { cancel(): void } | undefined;
  /** The armed timer is the immediate one of a full batch. */
  private now = false;
  private writing: Promise<void> = Promise.resolve();
  /** A write of the open batch is chained after the one in progress. */
  private queued = false;
  private failure: unknown;
  /** The store is out of reach: the batch in progress is being tried again. */
  private down = false;
  /** Closing: a batch that cannot be written is not tried again. */
  private closing = false;
  private readonly flushMs: number;
  private readonly maxRows: number;
  private readonly retry: { first: number; longest: number; waitMs: number };
  private readonly onStoreChange: ((err: unknown) => void) | undefined;
  private readonly onFailed: ((err: unknown) => void) | undefined;
  /** Batches and rows written so far (for metrics and benchmarks). */
  batches = 0;
  rows = 0;
  /** Told of every batch written: its rows and how long the backend took (see observeCommits). */
  private readonly observers = new Set<CommitObserver>();

  constructor(
    private readonly backend: JournalBackend,
    options: GroupCommitOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 2;
    this.maxRows = options.maxRows ?? 2000;
    this.retry = { first: options.firstRetryMs ?? 100, longest: options.longestRetryMs ?? 5000, waitMs: options.waitMs ?? 5000 };
    this.onStoreChange = options.onStoreChange;
    this.onFailed = options.onFailed;
  }

  /** Adds a row to the open batch. Synchronous: call it for every row of a transition in one go. */
  put(table: Table, key: string, value: unknown): void {
    const rows = this.batch.get(table)!;
    const before = rows.size;
    rows.set(key, value);
    this.grew(rows.size - before);
  }

  /** Marks a group's member changed: its row is built from memory when the batch is written. */
  mark<M extends string | number>(group: RowGroup<M>, member: M): void {
    if (!group.mark(member)) return;
    if (group.marked === 1) this.groups.push(group as RowGroup<never>);
    this.grew(1);
  }

  /** Resolves when every row put so far is durable; rejects if their batch failed. */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.size === 0) return this.writing;
    return (this.waiting ??= deferred()).promise;
  }

  /**
   * Resolves when every row put so far is written, however long the store is out of reach;
   * rejects only if their batch failed for good (what must happen after a write, e.g. performing
   * the outbox entries it holds, waits on this).
   */
  written(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.size === 0) return this.writing;
    return (this.writtenWaiting ??= deferred()).promise;
  }

  /** Writes the open batch now and waits for it (used at shutdown and by tests). */
  async flush(): Promise<void> {
    this.disarm();
    while (this.size > 0 || this.queued) await this.write();
    await this.writing; // the batch being written, if any
  }

  /** Calls `observer` after every batch written (for metrics); returns the function that stops it. */
  observeCommits(observer: CommitObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** True once a batch failed for good: the working state is ahead of the store and must not be trusted. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Whether new rows can be made durable now: no batch failed for good and the store is in reach. */
  get available(): boolean {
    return this.failure === undefined && !this.down;
  }

  /** Readiness: available, and the backend's connection is up, even when no batch has tried it since it went down. */
  get ready(): boolean {
    return this.available && this.backend.connected?.() !== false;
  }

  /** Writes what is open; a batch the store cannot take is then not tried again (close rejects with its error; out of reach, onFailed is not told). */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
  }

  private grew(rows: number): void {
    this.size += rows;
    if (this.size >= this.maxRows) this.arm(0);
    else if (this.timer === undefined) this.arm(this.flushMs);
  }

  /** A delay of 0 writes once the event loop has handled what is ready now (every request read in this turn joins the batch). */
  private arm(delay: number): void {
    if (this.timer !== undefined && (delay > 0 || this.now)) return;
    this.disarm();
    this.now = delay === 0;
    const fire = () => {
      this.timer = undefined;
      void this.write();
    };
    if (delay === 0) {
      const immediate = setImmediate(fire);
      this.timer = { cancel: () => clearImmediate(immediate) };
    } else {
      const timeout = setTimeout(fire, delay);
      this.timer = { cancel: () => clearTimeout(timeout) };
    }
  }

  private disarm(): void {
    if (this.timer !== undefined) this.timer.cancel();
    this.timer = undefined;
    this.now = false;
  }

  /**
   * Batches are written one after another. The open batch is taken only when the write before
   * it is done, so everything that arrived meanwhile (while the store synced) goes in one batch.
   */
  private write(): Promise<void> {
    if (this.size === 0 || this.queued) return this.writing;
    this.queued = true;
    const next = () => this.writeOpenBatch();
    this.writing = this.writing.then(next, next); // after a failed batch too: its failure refuses this one's callers
    this.writing.catch(() => {}); // callers learn of a failure through their own promise
    return this.writing;
  }

  private async writeOpenBatch(): Promise<void> {
    this.queued = false;
    if (this.failure !== undefined) this.refuseOpenBatch(this.failure);
    if (this.size === 0) return;
    const { batch: open, groups, size, waiting, writtenWaiting } = this;
    this.batch = openBatch();
    this.groups = [];
    this.size = 0;
    this.waiting = undefined;
    this.writtenWaiting = undefined;
    try {
      await this.commitUntilWritten(textsOf(open, groups), size, waiting);
      writtenWaiting?.resolve(); // first: what must follow the write (the outbox) goes before the callers go on
      waiting?.resolve();
    } catch (err) {
      this.failure = err;
      if (!(this.closing && retryable(err))) this.onFailed?.(err); // closing with the store out of reach: close() throws it, nothing failed for good
      waiting?.reject(err);
      writtenWaiting?.reject(err);
      throw err;
    }
  }

  /** After a batch failed for good the open one is never written: the callers waiting on it are refused with that failure. */
  private refuseOpenBatch(failure: unknown): never {
    this.waiting?.reject(failure);
    this.writtenWaiting?.reject(failure);
    this.waiting = undefined;
    this.writtenWaiting = undefined;
    throw failure;
  }

  /**
   * Commits the batch, trying again while the store is out of reach (see GroupCommitOptions). A
   * batch not written within waitMs, whether its commits fail or hang (a table locked, a server
   * gone silent until the statement timeout), has its callers refused and input refused until
   * it is written.
   */
  private async commitUntilWritten(batch: Batch, rows: number, waiting: Deferred | undefined): Promise<void> {
    let lastError: unknown;
    const late = setTimeout(() => this.late(waiting, lastError), this.retry.waitMs);
    late.unref();
    try {
      for (let delay = this.retry.first; ; delay = Math.min(2 * delay, this.retry.longest)) {
        try {
          const started = performance.now();
          await this.backend.commit(batch);
          this.batches++;
          this.rows += rows;
          for (const observe of this.observers) observe(rows, performance.now() - started);
          if (this.down) this.storeChanged(false, undefined);
          return;
        } catch (err) {
          if (!retryable(err) || this.closing) throw err;
          lastError = err;
          if (!this.down) this.storeChanged(true, err);
          await sleep(delay);
        }
      }
    } finally {
      clearTimeout(late);
    }
  }

  /** The batch in progress is still not written after waitMs: its callers are refused, though its rows are written once the store takes them. */
  private late(waiting: Deferred | undefined, lastError: unknown): void {
    const err = lastError ?? new JunctionError('JCT_STORE_UNAVAILABLE', `the store has not finished writing a batch in ${this.retry.waitMs} ms`);
    if (!this.down) this.storeChanged(true, err);
    waiting?.reject(err);
  }

  private storeChanged(down: boolean, err: unknown): void {
    this.down = down;
    this.onStoreChange?.(err);
  }
}

function openBatch(): Map<Table, Map<string, unknown>> {
  return new Map(TABLES.map((t) => [t, new Map()]));
}

/**
 * The open batch as texts, in place: each value put becomes its JSON text in its own map, then
 * each group writes its marked rows, built now, into its table (the groups are cleared).
 */
function textsOf(open: Map<Table, Map<string, unknown>>, groups: ReadonlyArray<RowGroup<never>>): Batch {
  for (const [table, values] of open) {
    values.forEach((value, key) => {
      if (value !== null) values.set(key, serialise(table, key, value));
    });
  }
  const texts = open as Map<Table, TableTexts>;
  for (const group of groups) group.takeTexts(texts.get(group.table)!);
  return texts;
}

/** Keeps rows in maps: the backend of unit tests and of `junction simulate`. */
export class MemoryBackend implements JournalBackend {
  readonly tables = new Map<Table, Map<string, unknown>>(TABLES.map((t) => [t, new Map()]));
  commits = 0;

  load(table: Table): Iterable<[string, unknown]> {
    return [...this.tables.get(table)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  commit(batch: Batch): void {
    this.commits++;
    for (const [name, texts] of batch) {
      const table = this.tables.get(name)!;
      for (const [key, text] of texts) {
        if (text === null) table.delete(key);
        else table.set(key, JSON.parse(text));
      }
    }
  }

  close(): void {}
}

/** Rows of [key, JSON text] as [key, value], each parsed as it is reached. */
export function* parsedRows(rows: Iterable<[string, string]>): Generator<[string, unknown]> {
  for (const [key, text] of rows) yield [key, JSON.parse(text)];
}

/** Rows as a batch: per table, each key's last write as JSON text (null: delete); a value with no JSON form fails it (see serialise). */
export function batchOf(rows: readonly Row[]): Batch {
  const tables = new Map<Table, Map<string, unknown>>();
  for (const row of rows) {
    let values = tables.get(row.table);
    if (values === undefined) tables.set(row.table, (values = new Map()));
    values.set(row.key, row.value);
  }
  return textsOf(tables, []);
}

/** The value as JSON text; a value with no JSON form (BigInt, undefined, a cycle) fails the batch. */
export function serialise(table: Table, key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw valueError(table, key, err instanceof Error ? err.message : String(err));
  }
  if (typeof text !== 'string') throw valueError(table, key, `a ${typeof value} has no JSON form`);
  return text;
}

function valueError(table: Table, key: string, reason: string): JunctionError {
  return new JunctionError('JCT_STORE_VALUE', `cannot store ${table} row '${key}': ${reason}`, { table, key });
}
