// The embedded store: one SQLite file (junction.db) in WAL mode inside the data directory.
// It owns that file's schema (one key/value table per journal table, values as JSON text,
// the schema version in PRAGMA user_version), the atomic write of a group-commit batch,
// reading tables back at start, and the data-directory lock: the connection runs in
// exclusive locking mode and takes the write lock at open, so it holds an OS file lock for
// its whole life, which the kernel drops when the process ends, however it ends.
// Durability ('full', the default): a batch is answered durable once the WAL file holding it is
// synced to disk. SQLite itself runs at synchronous=NORMAL (it writes the WAL without syncing it
// and syncs around checkpoints), and commit() syncs the WAL file with fdatasync on libuv's thread
// pool: the same guarantee as synchronous=FULL, without the main thread waiting on the disk, so
// requests keep arriving into the next batch while the last one is synced. 'normal' skips that
// sync: a batch survives a crash of the process, not of the machine.
// The WAL is checkpointed every 64 MiB and its file cut back to 4 MiB at the next commit.
// A failure of the data directory's disk or files (full, read-only, not this user's, failing,
// damaged) is said in words naming the folder, with its own code (diskError).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { aboutSetting, JunctionError } from '../errors.js';
import { parsedRows, TABLES, type Batch, type JournalBackend, type Table } from './journal.js';

/** The schema this code writes; a file with a higher version was written by a newer Junction. */
/**
 * 2: the `ref` table (references of sent messages); 3: `event` (people's events); 4: `template`
 * (saved flow templates); 5: `operation` (Flow API batches and their reports), `engaged` (engaged
 * persons per month) and `definition` (attributes, events and segments defined through the API);
 * 6: `held` (inputs held for the participants of a paused flow).
 */
export const SCHEMA_VERSION = 6;
/** The database file's name inside the data directory. */
export const DB_FILE = 'junction.db';

export interface SqliteBackendOptions {
  /** The data directory; created if missing. */
  dir: string;
  /**
   * 'full' (default): a committed batch survives a power loss. 'normal': it survives a
   * process crash, but the last batches before a power loss or kernel crash may be lost.
   */
  synchronous?: 'full' | 'normal';
}

type Db = Database.Database;

/** The cached statements of one table. */
interface TableStatements {
  readonly upsert: Database.Statement<[key: string, value: string], void>;
  /** CHUNK rows in one statement: parameters key, value, key, value, … */
  readonly upsertChunk: Database.Statement<[params: string[]], void>;
  readonly remove: Database.Statement<[key: string], void>;
  /** The first PAGE rows in key order, and the PAGE rows after a key. */
  readonly first: Database.Statement<[], [key: string, value: string]>;
  readonly after: Database.Statement<[key: string], [key: string, value: string]>;
}

const SYNCHRONOUS = { full: 'FULL', normal: 'NORMAL' } as const;
/** Page cache per connection, in KiB (negative): 64 MiB keeps the upper B-tree levels and hot leaves in memory. */
const CACHE_SIZE = -65_536;
/**
 * Checkpoint the WAL into the database once it holds this many pages (64 MiB at 4 KiB pages)
 * rather than SQLite's 1,000: batches of random keys dirty many pages each, and a larger WAL
 * lets a checkpoint write each page once for many batches (measured: about 2× the throughput).
 */
const WAL_AUTOCHECKPOINT = 16_000;
/**
 * The size (bytes) the -wal file is cut back to at the first commit after a checkpoint: SQLite
 * otherwise reuses the file from its start and never shrinks it, so it would stay at the
 * checkpoint size (64 MiB) for the connection's whole life.
 */
export const WAL_SIZE_LIMIT = 4 * 1024 * 1024;
/** Upserts per multi-row statement: one native call per 64 rows, not per row (measured: +30% write throughput). */
const CHUNK = 64;
/** Rows per native call when loading (measured: a fifth faster than a row-by-row iterator). */
const PAGE = 1000;

/** The journal backend over SQLite; holds the data-directory lock until close(). */
export class SqliteBackend implements JournalBackend {
  /** The data directory, resolved to an absolute path. */
  readonly dir: string;
  /** The database file inside it. */
  readonly file: string;
  private readonly db: Db;
  private readonly tables: ReadonlyMap<Table, TableStatements>;
  private readonly writeBatch: (batch: Batch) => void;
  /** Whether commit() syncs the WAL file itself ('full'). */
  private readonly syncWal: boolean;
  /** The WAL file, opened at the first commit (SQLite creates it with the first write). */
  private walFd: number | undefined;
  /** Syncs under way: the WAL file is closed after the last one. */
  private syncing = 0;
  private closed = false;

  constructor(options: SqliteBackendOptions) {
    this.db = openDatabase(options);
    this.syncWal = (options.synchronous ?? 'full') === 'full';
    if (this.syncWal) this.db.pragma('synchronous = NORMAL');
    this.file = this.db.name;
    this.dir = path.dirname(this.file);
    try {
      this.tables = new Map(TABLES.map((t) => [t, prepareTable(this.db, t)]));
      const statementsOf = (table: Table) => this.statements(table);
      this.writeBatch = this.db.transaction((batch: Batch) => writeBatch(batch, statementsOf));
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Every row of a table in key order (binary order of the UTF-8 key); values parsed as they are read. */
  load(table: Table): Iterable<[key: string, value: unknown]> {
    return parsedRows(this.loadTexts(table));
  }

  /** Every row of a table in key order as its JSON text, unparsed (a store copied elsewhere: cluster/move-store.ts). */
  loadTexts(table: Table): Iterable<[key: string, text: string]> {
    return scan(this.statements(table));
  }

  /** Writes the batch in one transaction (all rows or, if any row fails, none); resolves once it is on disk. */
  commit(batch: Batch): void | Promise<void> {
    if (isEmpty(batch)) return;
    try {
      this.writeBatch(batch);
      if (this.syncWal) return this.sync().catch((err: unknown) => Promise.reject(diskError(err, this.dir)));
    } catch (err) {
      throw diskError(err, this.dir);
    }
  }

  /** Closes the database (checkpointing the WAL) and releases the lock. Safe to call twice. */
  close(): void {
    this.closed = true;
    if (this.syncing === 0) this.closeWal();
    if (this.db.open) this.db.close();
  }

  /** fdatasync of the WAL file on libuv's thread pool. */
  private sync(): Promise<void> {
    const fd = (this.walFd ??= fs.openSync(`${this.file}-wal`, 'r+'));
    this.syncing++;
    return new Promise((resolve, reject) =>
      fs.fdatasync(fd, (err) => {
        if (--this.syncing === 0 && this.closed) this.closeWal();
        if (err) reject(err);
        else resolve();
      }),
    );
  }

  private closeWal(): void {
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    this.walFd = undefined;
  }

  private statements(table: Table): TableStatements {
    const statements = this.tables.get(table);
    if (statements === undefined) throw new JunctionError('JCT_STORE_TABLE_UNKNOWN', `the store has no table '${String(table)}'`);
    return statements;
  }
}

/**
 * Opens (creating if needed) the data directory's database: locked, tuned and at the current
 * schema. SqliteBackend's connection; the checkpoint benchmark also uses it raw as its floor.
 */
export function openDatabase(options: SqliteBackendOptions): Db {
  const synchronous = SYNCHRONOUS[options.synchronous ?? 'full'];
  if (synchronous === undefined) {
    throw new JunctionError('JCT_CONFIG_INVALID', `synchronous must be 'full' or 'normal', not '${String(options.synchronous)}'`);
  }
  const dir = path.resolve(options.dir);
  const ready = (db: Db): void => {
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`cache_size = ${CACHE_SIZE}`);
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    migrate(db);
  };
  return openInDataDir(dir, DB_FILE, ready, (file) => openLocked(file, dir));
}

/**
 * Opens the database file `name` in the data directory (created if missing) with `open`, then
 * readies it (closed again if that fails); a failure of the folder or its disk is said in words.
 */
export function openInDataDir(dir: string, name: string, ready: (db: Db) => void, open = (file: string): Db => new Database(file)): Db {
  try {
    makeFolder(dir);
    const db = open(path.join(dir, name));
    try {
      ready(db);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  } catch (err) {
    throw diskError(err, dir);
  }
}

/**
 * Makes the folder and the folders above it. Node's recursive mkdir answers ENOENT when a folder
 * on the way cannot be made for another reason (EROFS: a read-only file system); the first
 * missing folder is then made on its own, which throws that reason.
 */
function makeFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = dir;
    while (!fs.existsSync(path.dirname(missing))) missing = path.dirname(missing);
    fs.mkdirSync(missing);
    throw err;
  }
}

/** A failure of the data directory an operator can act on: its code and what to say. */
interface DiskFailure {
  readonly code: string;
  readonly says: (dir: string) => string;
  /** Fixed by choosing another data directory: the error is about that setting. */
  readonly aboutDataDir?: true;
}

const FULL: DiskFailure = { code: 'JCT_DISK_FULL', says: (dir) => `the disk holding the data directory ${dir} is full: free space on it` };
const UNWRITABLE: DiskFailure = {
  code: 'JCT_DATA_DIR_UNWRITABLE',
  says: (dir) => `the data directory ${dir} cannot be written by this process (read-only, or not a folder this user may write): fix it or choose another data directory`,
  aboutDataDir: true,
};
const FAILING: DiskFailure = { code: 'JCT_DISK_IO', says: (dir) => `reading or writing the data directory ${dir} failed: check its disk, then restart Junction` };
const DAMAGED: DiskFailure = { code: 'JCT_STORE_CORRUPT', says: (dir) => `a database file in the data directory ${dir} is damaged or not Junction's` };

/** By SQLite's primary result code (SQLITE_IOERR_WRITE counts as SQLITE_IOERR) or Node's errno. */
const DISK_FAILURES: Readonly<Record<string, DiskFailure>> = {
  SQLITE_FULL: FULL,
  ENOSPC: FULL,
  SQLITE_READONLY: UNWRITABLE,
  SQLITE_CANTOPEN: UNWRITABLE,
  SQLITE_PERM: UNWRITABLE,
  EACCES: UNWRITABLE,
  EPERM: UNWRITABLE,
  EROFS: UNWRITABLE,
  ENOTDIR: UNWRITABLE,
  EEXIST: UNWRITABLE,
  SQLITE_IOERR: FAILING,
  EIO: FAILING,
  SQLITE_CORRUPT: DAMAGED,
  SQLITE_NOTADB: DAMAGED,
};

/** The error in words naming the data directory when it is one of DISK_FAILURES; any other error as it is. */
export function diskError(err: unknown, dir: string): unknown {
  const raw = (err as { code?: unknown } | null)?.code;
  const failure = typeof raw === 'string' ? DISK_FAILURES[raw.split('_').slice(0, 2).join('_')] : undefined;
  if (failure === undefined) return err;
  const message = (err as Error).message;
  const cause = message.startsWith(`${raw as string}:`) ? message : `${raw as string}: ${message}`; // Node's messages start with their code, SQLite's do not
  const details = { dir, cause: raw as string };
  return new JunctionError(failure.code, `${failure.says(dir)} (${cause})`, failure.aboutDataDir ? aboutSetting('dataDir', details) : details);
}

/**
 * Opens the file and takes the data-directory lock: exclusive locking mode (set before WAL,
 * so no shared-memory index is used and the lock covers every reader and writer) and an
 * exclusive transaction, after which the connection never releases its lock. busy_timeout 0
 * makes a second opener fail at once with SQLITE_BUSY instead of waiting.
 */
function openLocked(file: string, dir: string): Db {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new JunctionError('JCT_STORE_OPEN', `the database ${file} cannot use WAL mode (journal_mode is ${String(mode)})`);
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return db;
  } catch (err) {
    db.close();
    if (!isBusy(err)) throw err;
    throw new JunctionError(
      'JCT_DATA_DIR_LOCKED',
      `the data directory ${dir} is in use by another Junction process; stop it or choose another data directory`,
      aboutSetting('dataDir', { dir }),
    );
  }
}

function isBusy(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY');
}

/**
 * Creates the tables of a new file, and the tables an older schema lacked (every version so far
 * only added tables); refuses a file written by a newer schema.
 */
function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) {
    throw new JunctionError(
      'JCT_STORE_SCHEMA',
      `the database has schema version ${String(version)}, this Junction knows up to ${SCHEMA_VERSION}; upgrade Junction`,
      { version, supported: SCHEMA_VERSION },
    );
  }
  db.transaction(() => {
    for (const table of TABLES) {
      db.exec(`CREATE TABLE IF NOT EXISTS "${table}" (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function prepareTable(db: Db, table: Table): TableStatements {
  const upsert = (rows: number) =>
    `INSERT INTO "${table}" (key, value) VALUES ${Array(rows).fill('(?, ?)').join(', ')} ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
  const select = `SELECT key, value FROM "${table}"`;
  return {
    upsert: db.prepare<[string, string], void>(upsert(1)),
    upsertChunk: db.prepare<[string[]], void>(upsert(CHUNK)),
    remove: db.prepare<[string], void>(`DELETE FROM "${table}" WHERE key = ?`),
    first: db.prepare<[], [string, string]>(`${select} ORDER BY key LIMIT ${PAGE}`).raw(true),
    after: db.prepare<[string], [string, string]>(`${select} WHERE key > ? ORDER BY key LIMIT ${PAGE}`).raw(true),
  };
}

/**
 * A table's rows in key order, read PAGE at a time (keyset paging: one native call per page
 * and no statement left open between pages), each value parsed only when reached.
 */
function* scan(table: TableStatements): Generator<[string, string]> {
  let page = table.first.all();
  while (page.length > 0) {
    yield* page;
    if (page.length < PAGE) return;
    page = table.after.all(page[page.length - 1]![0]);
  }
}

function isEmpty(batch: Batch): boolean {
  for (const values of batch.values()) if (values.size > 0) return false;
  return true;
}

/** Writes a batch (each key once); a table's upserts go CHUNK at a time. */
function writeBatch(batch: Batch, statementsOf: (table: Table) => TableStatements): void {
  const pending = new PendingUpserts();
  for (const [name, values] of batch) {
    if (values.size === 0) continue;
    const table = statementsOf(name);
    values.forEach((text, key) => {
      if (text === null) table.remove.run(key);
      else pending.add(table, key, text);
    });
  }
  pending.flush();
}

/** Upserts gathered for one table, in order, written by the chunk as they fill up. */
class PendingUpserts {
  private table: TableStatements | undefined;
  private readonly params: string[] = [];

  add(table: TableStatements, key: string, value: string): void {
    if (table !== this.table) {
      this.flush();
      this.table = table;
    }
    this.params.push(key, value);
    if (this.params.length < 2 * CHUNK) return;
    table.upsertChunk.run(this.params);
    this.params.length = 0;
  }

  /** Writes the rest (fewer than CHUNK rows) one row at a time. */
  flush(): void {
    const { table, params } = this;
    for (let i = 0; i < params.length; i += 2) table!.upsert.run(params[i]!, params[i + 1]!);
    params.length = 0;
  }
}

