// The journal: the one write path to durable storage. The engine applies a transition to its
// working state in memory and appends the rows it changed here; the group commit gathers the
// rows of many transitions and writes them to the backend in one atomic batch, every few
// milliseconds or every N rows, then resolves the promises of everyone waiting on that batch.
// A transition's rows are always appended synchronously, so no batch ever splits one.
//
// Rows are (table, key, value); value null deletes the row. Within one batch the last write
// of a (table, key) wins, so a participant that moves five times between flushes is written
// once. Backends: MemoryBackend (tests), SqliteBackend (embedded default, store/sqlite.ts).

/** The tables the engine keeps. Each row's value is a JSON-serialisable object. */
export const TABLES = ['meta', 'flow', 'person', 'dnc', 'participant', 'history', 'outbox', 'metrics', 'seen', 'dedup'] as const;
export type Table = (typeof TABLES)[number];

export interface Row {
  readonly table: Table;
  readonly key: string;
  /** The row's new value; null deletes it. */
  readonly value: unknown;
}

/** Where rows end up. commit() writes one batch atomically: all rows or none. */
export interface JournalBackend {
  /** Every row of a table, in key order. Called at start, before any commit. */
  load(table: Table): Iterable<[key: string, value: unknown]>;
  /** Writes the batch atomically and durably (per the backend's sync policy). */
  commit(rows: readonly Row[]): void | Promise<void>;
  close(): void | Promise<void>;
}

export interface GroupCommitOptions {
  /** Longest a row waits before its batch is written (ms). Default 2. */
  flushMs?: number;
  /** A batch is written as soon as it holds this many distinct rows. Default 2,000. */
  maxRows?: number;
}

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
  private size = 0;
  /** Everyone waiting on the open batch shares one promise. */
  private waiting: Deferred | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The armed timer is the immediate one of a full batch. */
  private now = false;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly flushMs: number;
  private readonly maxRows: number;
  /** Batches and rows written so far (for metrics and benchmarks). */
  batches = 0;
  rows = 0;

  constructor(
    private readonly backend: JournalBackend,
    options: GroupCommitOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 2;
    this.maxRows = options.maxRows ?? 2000;
  }

  /**
   * Adds a row to the open batch. Synchronous: call it for every row of a transition in one go.
   * `value` may be a function, called once when the batch is written: a row that changes on
   * every step (metrics totals) is then built once per batch, not once per step.
   */
  put(table: Table, key: string, value: unknown): void {
    const rows = this.batch.get(table)!;
    const before = rows.size;
    rows.set(key, value);
    this.size += rows.size - before;
    if (this.size >= this.maxRows) this.arm(0);
    else if (this.timer === undefined) this.arm(this.flushMs);
  }

  /** Resolves when every row put so far is durable; rejects if their batch failed. */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.size === 0) return this.writing;
    return (this.waiting ??= deferred()).promise;
  }

  /** Writes the open batch now and waits for it (used at shutdown and by tests). */
  async flush(): Promise<void> {
    this.disarm();
    await this.write();
  }

  /** True once a batch failed: the working state is ahead of the store and must not be trusted. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  private arm(delay: number): void {
    if (this.timer !== undefined && (delay > 0 || this.now)) return;
    this.disarm();
    this.now = delay === 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.now = false;
  }

  /** Batches are written one after another, in the order they were closed. */
  private write(): Promise<void> {
    if (this.size === 0) return this.writing;
    const rows = batchRows(this.batch);
    const waiting = this.waiting;
    this.batch = openBatch();
    this.size = 0;
    this.waiting = undefined;
    this.writing = this.writing.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        await this.backend.commit(rows);
        this.batches++;
        this.rows += rows.length;
        waiting?.resolve();
      } catch (err) {
        this.failure = err;
        waiting?.reject(err);
        throw err;
      }
    });
    this.writing.catch(() => {}); // callers learn of a failure through their own promise
    return this.writing;
  }
}

function openBatch(): Map<Table, Map<string, unknown>> {
  return new Map(TABLES.map((t) => [t, new Map()]));
}

/** The batch as rows, each lazy value built now. */
function batchRows(batch: Map<Table, Map<string, unknown>>): Row[] {
  const rows: Row[] = [];
  for (const [table, values] of batch) {
    for (const [key, value] of values) rows.push({ table, key, value: typeof value === 'function' ? (value as () => unknown)() : value });
  }
  return rows;
}

/** Keeps rows in maps: the backend of unit tests and of `junction simulate`. */
export class MemoryBackend implements JournalBackend {
  readonly tables = new Map<Table, Map<string, unknown>>(TABLES.map((t) => [t, new Map()]));
  commits = 0;

  load(table: Table): Iterable<[string, unknown]> {
    return [...this.tables.get(table)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  commit(rows: readonly Row[]): void {
    this.commits++;
    for (const row of rows) {
      const table = this.tables.get(row.table)!;
      if (row.value === null) table.delete(row.key);
      else table.set(row.key, structuredClone(row.value));
    }
  }

  close(): void {}
}
