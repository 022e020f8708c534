// API keys: their text form `jk_<id>_<secret>`, the hash that is stored instead of the secret,
// and the key store (create, list, revoke, find) over a key table: in memory, the sqlite
// file beside the embedded store (key-table.ts) that `junction keys` writes while a server
// runs, or the server store a cluster shares (shared-key-table.ts). The store notices what
// another process did: an unknown id is looked up in the table at once, and the whole table is
// read again at most every `refreshMs` so a revocation takes effect within that time
// (docs/decisions/api-keys.md).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { JunctionError } from '../../engine/errors.js';
import { SCOPES, type Scope } from '../../engine/module.js';
import { MemoryKeyTable, SqliteKeyTable, type KeyTable, type StoredKey } from './key-table.js';

/** What is shown of a key: everything but its hash. */
export type KeyInfo = Omit<StoredKey, 'hash'>;

/** Whose key a request carries. */
export interface Caller {
  readonly id: string;
  readonly scopes: readonly Scope[];
}

/** How often the whole table is read again for revocations made by another process. */
export const REFRESH_MS = 2_000;

const PREFIX = 'jk_';
/** 8 random bytes as hex (no `_` in it), then 32 random bytes as base64url. */
const KEY_FORMAT = /^jk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface KeyStoreOptions {
  /** Longest a revocation made by another process goes unnoticed; default REFRESH_MS. */
  refreshMs?: number;
  /** The clock (epoch ms); default Date.now. */
  now?: () => number;
}

export class KeyStore {
  private readonly cache = new Map<string, StoredKey>();
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readAt = -Infinity;

  constructor(
    private readonly table: KeyTable,
    options: KeyStoreOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? REFRESH_MS;
    this.now = options.now ?? Date.now;
  }

  /** A new key with these scopes; its text is returned only here. */
  create(name: string, scopes: readonly string[]): { key: string; info: KeyInfo } {
    if (name.trim() === '') throw new JunctionError('JCT_KEY_NAME_MISSING', 'a key needs a name (--name)');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const stored: StoredKey = { id, name, scopes: checkScopes(scopes), createdAt: this.now(), hash: hashOf(secret) };
    this.table.put(stored);
    this.cache.set(id, stored);
    return { key: `${PREFIX}${id}_${secret}`, info: infoOf(stored) };
  }

  /** Every key, revoked ones too, oldest first. */
  list(): KeyInfo[] {
    return this.table
      .all()
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(infoOf);
  }

  /** Revokes a key (again: no change); it stops working within `refreshMs` in every process. */
  revoke(id: string): KeyInfo {
    const stored = this.table.get(id);
    if (!stored) throw new JunctionError('JCT_KEY_UNKNOWN', `no key with id "${id}"`);
    const revoked = stored.revokedAt === undefined ? { ...stored, revokedAt: this.now() } : stored;
    this.table.put(revoked);
    this.cache.set(id, revoked);
    return infoOf(revoked);
  }

  /** The caller a key's text belongs to; undefined when malformed, unknown, wrong or revoked. */
  verify(text: string): Caller | undefined {
    const match = KEY_FORMAT.exec(text);
    if (!match) return undefined;
    return callerOf(this.find(match[1]!), match[2]!);
  }

  /**
   * verify(), except that an id this process has not seen is first read from the store, with a
   * table whose get() answers from a copy (a shared one): a key made by another process moments ago.
   */
  async verifyUnseen(text: string): Promise<Caller | undefined> {
    const match = KEY_FORMAT.exec(text);
    if (!match) return undefined;
    let stored = this.find(match[1]!); // seen meanwhile (a refresh while the caller waited)?
    if (!stored && this.table.fetch) {
      stored = await this.table.fetch(match[1]!);
      if (stored) this.cache.set(stored.id, stored);
    }
    return callerOf(stored, match[2]!);
  }

  /** Whether the key with this id is known and not revoked, read as verify() reads it (a revocation by another process within `refreshMs`). */
  isActive(id: string): boolean {
    const stored = this.find(id);
    return stored !== undefined && stored.revokedAt === undefined;
  }

  /** Resolves once what was created or revoked is stored (at once but with a shared table); fails if it could not be. */
  async written(): Promise<void> {
    await this.table.written?.();
  }

  /** Releases the table once what was created or revoked is stored; fails if it could not be. */
  async close(): Promise<void> {
    await this.table.close();
  }

  /** The data directory's key store (`keys.db`); "" (no data directory): keys in memory only. */
  static open(dataDir: string, options: KeyStoreOptions = {}): KeyStore {
    return new KeyStore(dataDir === '' ? new MemoryKeyTable() : new SqliteKeyTable(dataDir), options);
  }

  /** The key by id: from the cache (read again when older than refreshMs), else from the table. */
  private find(id: string): StoredKey | undefined {
    if (this.now() - this.readAt >= this.refreshMs) this.readAll();
    const cached = this.cache.get(id);
    if (cached) return cached;
    const stored = this.table.get(id);
    if (stored) this.cache.set(id, stored);
    return stored;
  }

  private readAll(): void {
    this.cache.clear();
    for (const stored of this.table.all()) this.cache.set(stored.id, stored);
    this.readAt = this.now();
  }
}

function callerOf(stored: StoredKey | undefined, secret: string): Caller | undefined {
  if (!stored || stored.revokedAt !== undefined || !sameHash(stored.hash, hashOf(secret))) return undefined;
  return { id: stored.id, scopes: stored.scopes };
}

/** Hex SHA-256 of a secret (or of a configured admin key). */
export function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function checkScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length === 0) throw new JunctionError('JCT_SCOPE_UNKNOWN', `a key needs at least one scope (--scopes), of: ${SCOPES.join(', ')}`);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new JunctionError('JCT_SCOPE_UNKNOWN', `unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; scopes are ${SCOPES.join(', ')}`);
  return [...new Set(scopes as Scope[])];
}

function infoOf({ hash: _hash, ...info }: StoredKey): KeyInfo {
  return info;
}
