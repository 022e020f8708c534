// `junction keys create|list|revoke`: the API keys `junction start` uses with the same
// configuration (the data directory's keys.db with the embedded store, else the server store's,
// shared by a cluster: bin/store.ts openKeys), changed while servers may be running: a server
// accepts a new key and refuses a revoked one within a few seconds. A key's text is printed
// once, by `create`; only its hash is kept. Each command says which store it used (storeName:
// no password), so a forgotten schema or prefix setting shows.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, settingName, type JunctionConfig } from '../../config/index.js';
import { JunctionError } from '../../engine/errors.js';
import type { KeyStore, KeyInfo } from '../../gateway/auth/keys.js';
import { KEYS_FILE } from '../../gateway/auth/key-table.js';
import { openKeys, storeKind, storeName } from '../store.js';

export interface KeysOptions {
  readonly name?: string | undefined;
  /** Comma-separated. */
  readonly scopes?: string | undefined;
  readonly json?: boolean | undefined;
  readonly config?: string | undefined;
}

export async function keysCommand(args: readonly string[], options: KeysOptions, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [action, id, ...extra] = args;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new JunctionError('JCT_USAGE', 'usage: junction keys create --name NAME --scopes SCOPE,… | list [--json] | revoke ID');
  }
  if (action === 'revoke' && !id) throw new JunctionError('JCT_USAGE', 'usage: junction keys revoke ID (the id `junction keys list` shows)');
  const unexpected = action === 'revoke' ? extra[0] : id;
  if (unexpected !== undefined) throw new JunctionError('JCT_USAGE', `unexpected argument "${unexpected}": keys ${action} takes ${action === 'revoke' ? 'one key id (revoke each on its own)' : 'no arguments besides its options'}`);
  const config = loadConfig(env, options.config);
  const keys = await keyStoreOf(config, action, settingName('dataDir', env, options.config));
  const where = storeName(config);
  const lines: string[] = []; // printed once the change is stored
  try {
    if (action === 'create') create(keys, options, where, (line) => lines.push(line));
    else if (action === 'list') list(keys, options.json ?? false, where, (line) => lines.push(line));
    else lines.push(revoke(keys, id!, where));
    await keys.written();
  } finally {
    await keys.close().catch(() => {}); // a failed write was thrown by written()
  }
  for (const line of lines) out(line);
  return 0;
}

/**
 * The keys `junction start` would use with this configuration: the data directory's, or the
 * server store's. Only `create` makes a data directory's keys.db: listing or revoking in a folder
 * without one is a mistyped data directory, not an empty store; `dataDirSetting` names its setting.
 */
async function keyStoreOf(config: JunctionConfig, action: 'create' | 'list' | 'revoke', dataDirSetting: string): Promise<KeyStore> {
  if (storeKind(config) === 'memory') {
    throw new JunctionError(
      'JCT_KEYS_NO_STORE',
      `keys are kept with the state and ${dataDirSetting} is "" (memory only): such a server accepts the admin key it printed at start, or its configured adminKey`,
    );
  }
  if (action !== 'create' && storeKind(config) === 'embedded' && !existsSync(join(config.dataDir, KEYS_FILE))) {
    throw new JunctionError('JCT_KEYS_NOT_FOUND', `the data directory ${resolve(config.dataDir)} has no ${KEYS_FILE}: Junction never started there; check ${dataDirSetting}`);
  }
  return (await openKeys(config)).keys;
}

function create(keys: KeyStore, options: KeysOptions, where: string, out: (line: string) => void): void {
  const scopes = (options.scopes ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const { key, info } = keys.create(options.name ?? '', scopes);
  if (options.json) {
    out(JSON.stringify({ key, ...shown(info) }));
    return;
  }
  out(`created ${describe(info)} in ${where}`);
  out(key);
  out('shown once: Junction keeps only its hash');
}

function list(keys: KeyStore, json: boolean, where: string, out: (line: string) => void): void {
  const all = keys.list();
  if (json) {
    out(JSON.stringify(all.map(shown), null, 2));
    return;
  }
  out(`keys in ${where}:`);
  if (all.length === 0) out('no keys');
  for (const info of all) out(`${describe(info)}, created ${iso(info.createdAt)}${info.revokedAt === undefined ? '' : `, revoked ${iso(info.revokedAt)}`}`);
}

/** Revokes the key; one revoked before is left as it was, and said so with when. */
function revoke(keys: KeyStore, id: string, where: string): string {
  const before = keys.list().find((k) => k.id === id)?.revokedAt;
  const info = keys.revoke(id);
  return before === undefined ? `revoked ${describe(info)} in ${where}` : `${describe(info)} in ${where} was already revoked (${iso(before)}): nothing changed`;
}

/** A key as --json prints it: times as ISO 8601 in UTC, as the API writes them. */
function shown(info: KeyInfo): Record<string, unknown> {
  return { ...info, createdAt: iso(info.createdAt), ...(info.revokedAt === undefined ? {} : { revokedAt: iso(info.revokedAt) }) };
}

function describe(info: KeyInfo): string {
  return `key ${info.id} "${info.name}" (${info.scopes.join(', ')})`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
