// Where API keys are kept: a Map when the server keeps everything in memory, or `keys.db`, a
// small SQLite file in the data directory beside the embedded store (with a server store they
// are kept in it instead: shared-key-table.ts). Not junction.db itself:
// the server holds that file's lock for its whole life, and `junction keys` must write keys
// while it runs. Same row pattern as the store (key TEXT, value JSON TEXT); WAL mode with a busy
// timeout, so the CLI and the server take turns instead of failing.
import path from 'node:path';
import Database from 'better-sqlite3';
import { JunctionError } from '../../engine/errors.js';
import { diskError, openInDataDir } from '../../engine/store/sqlite.js';
import type { Scope } from '../../engine/module.js';

/** A key as stored: the SHA-256 of its secret, never the secret. */
export interface StoredKey {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Epoch ms. */
  readonly createdAt: number;
  readonly revokedAt?: number;
  /** Hex SHA-256 of the secret. */
  readonly hash: string;
}

export const KEYS_FILE = 'keys.db';
/** The schema this code writes (PRAGMA user_version). */
const KEYS_SCHEMA_VERSION = 1;
const BUSY_TIMEOUT_MS = 5_000;

export interface KeyTable {
  all(): StoredKey[];
  get(id: string): StoredKey | undefined;
  /** Inserts or replaces the key with this id. */
  put(key: StoredKey): void;
  /** For a table whose get() answers from a copy (a shared one): the key read from the store itself. */
  fetch?(id: string): Promise<StoredKey | undefined>;
  /** Resolves once every key put is stored, for a table that writes in the background; throws if a write failed. */
  written?(): Promise<void>;
  /** Releases the table; a table that writes in the background (shared-key-table.ts) waits for its writes and fails if one failed. */
  close(): void | Promise<void>;
}

export class MemoryKeyTable implements KeyTable {
  private readonly keys = new Map<string, StoredKey>();

  all(): StoredKey[] {
    return [...this.keys.values()];
  }

  get(id: string): StoredKey | undefined {
    return this.keys.get(id);
  }

  put(key: StoredKey): void {
    this.keys.set(key.id, key);
  }

  close(): void {}
}

export class SqliteKeyTable implements KeyTable {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[], [string]>;
  private readonly selectOne: Database.Statement<[string], [string]>;
  private readonly upsert: Database.Statement<[string, string], void>;
  /** The data directory, resolved. */
  private readonly dir: string;

  /** Opens (creating if needed) `keys.db` in the data directory; a full disk or an unwritable folder is said so (diskError). */
  constructor(dataDir: string) {
    this.dir = path.resolve(dataDir);
    this.db = openKeysFile(this.dir);
    try {
      this.select = this.db.prepare<[], [string]>('SELECT value FROM "api_key"').raw(true);
      this.selectOne = this.db.prepare<[string], [string]>('SELECT value FROM "api_key" WHERE key = ?').raw(true);
      this.upsert = this.db.prepare<[string, string], void>('INSERT INTO "api_key" (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  all(): StoredKey[] {
    return this.select.all().map(([value]) => JSON.parse(value) as StoredKey);
  }

  get(id: string): StoredKey | undefined {
    const row = this.selectOne.get(id);
    return row ? (JSON.parse(row[0]) as StoredKey) : undefined;
  }

  put(key: StoredKey): void {
    try {
      this.upsert.run(key.id, JSON.stringify(key));
    } catch (err) {
      throw diskError(err, this.dir);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The data directory's keys.db, created if missing, in WAL mode at the current schema. */
function openKeysFile(dir: string): Database.Database {
  return openInDataDir(dir, KEYS_FILE, (db) => {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    migrate(db);
  });
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > KEYS_SCHEMA_VERSION) {
    throw new JunctionError('JCT_STORE_SCHEMA', `${KEYS_FILE} has schema version ${String(version)}, this Junction knows up to ${KEYS_SCHEMA_VERSION}; upgrade Junction`);
  }
  db.exec('CREATE TABLE IF NOT EXISTS "api_key" (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  db.pragma(`user_version = ${KEYS_SCHEMA_VERSION}`);
}
