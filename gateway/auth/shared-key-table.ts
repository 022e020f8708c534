// API keys kept in the server store that every process of a cluster shares (PostgreSQL's
// `api_key` table, or a hash in Redis; server-key-rows.ts), so that a key created on one
// process works on all of them and after a takeover. Requests are checked against a copy in
// memory, read whole at open and again every `refreshMs`: a key revoked by another process is
// refused within that time; a key created by another process works at once, since an unknown
// id is read from the store (KeyStore.verifyUnseen, after the caller's rate limit). Writes go to the store one after another; close()
// waits for them and fails if one failed. While the store is out of reach the last copy is kept.
import type { KeyTable, StoredKey } from './key-table.js';

/** The store's rows: a key's id and the key as JSON text. */
export interface KeyRows {
  all(): Promise<Array<[id: string, json: string]>>;
  get(id: string): Promise<string | undefined>;
  put(id: string, json: string): Promise<void>;
  close(): Promise<void>;
}

export class SharedKeyTable implements KeyTable {
  private keys = new Map<string, StoredKey>();
  /** Keys put here whose write has not reached the store yet: a refresh must not drop them. */
  private readonly unwritten = new Map<string, StoredKey>();
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown;
  private refreshing = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly rows: KeyRows,
    refreshMs: number,
  ) {
    this.timer = setInterval(() => void this.refresh(), refreshMs).unref();
  }

  /** Reads every key once, then again every `refreshMs`. */
  static async open(rows: KeyRows, refreshMs: number): Promise<SharedKeyTable> {
    const table = new SharedKeyTable(rows, refreshMs);
    try {
      table.keys = await readAll(rows);
    } catch (err) {
      await table.close().catch(() => {});
      throw err;
    }
    return table;
  }

  all(): StoredKey[] {
    return [...this.keys.values()];
  }

  get(id: string): StoredKey | undefined {
    return this.keys.get(id);
  }

  /** The key as the store has it now (kept in the copy); undefined when it has none or cannot be reached. */
  async fetch(id: string): Promise<StoredKey | undefined> {
    const json = await this.rows.get(id).catch(() => undefined);
    if (json === undefined) return this.keys.get(id);
    const key = JSON.parse(json) as StoredKey;
    if (!this.unwritten.has(id)) this.keys.set(id, key);
    return this.keys.get(id);
  }

  put(key: StoredKey): void {
    this.keys.set(key.id, key);
    this.unwritten.set(key.id, key);
    this.writes = this.writes.then(async () => {
      try {
        await this.rows.put(key.id, JSON.stringify(key));
        if (this.unwritten.get(key.id) === key) this.unwritten.delete(key.id);
      } catch (err) {
        this.failure ??= err;
      }
    });
  }

  /** Resolves once every key put so far is in the store; throws the first write that failed. */
  async written(): Promise<void> {
    await this.writes;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for the writes, then lets go of the store; throws the first write that failed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.writes;
    await this.rows.close();
    if (this.failure !== undefined) throw this.failure;
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const keys = await readAll(this.rows);
      for (const [id, key] of this.unwritten) keys.set(id, key);
      this.keys = keys;
    } catch {
      // out of reach: the last copy stays in use until the next refresh
    } finally {
      this.refreshing = false;
    }
  }
}

async function readAll(rows: KeyRows): Promise<Map<string, StoredKey>> {
  return new Map((await rows.all()).map(([id, json]) => [id, JSON.parse(json) as StoredKey]));
}
