// `junction keys create|list|revoke`: the API keys of the data directory `junction start` uses
// (its keys.db, gateway/auth), changed while a server may be running on it: the server accepts
// a new key at once and refuses a revoked one within a few seconds. A key's text is printed
// once, by `create`; only its hash is kept.
import { loadConfig } from '../../config/index.js';
import { JunctionError } from '../../engine/errors.js';
import { KeyStore, type KeyInfo } from '../../gateway/auth/keys.js';

export interface KeysOptions {
  readonly name?: string | undefined;
  /** Comma-separated. */
  readonly scopes?: string | undefined;
  readonly json?: boolean | undefined;
  readonly config?: string | undefined;
}

export function keysCommand(args: readonly string[], options: KeysOptions, env: NodeJS.ProcessEnv, out: (line: string) => void): number {
  const [action, id] = args;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new JunctionError('JCT_USAGE', 'usage: junction keys create --name NAME --scopes SCOPE,… | list [--json] | revoke ID');
  }
  if (action === 'revoke' && !id) throw new JunctionError('JCT_USAGE', 'usage: junction keys revoke ID (the id `junction keys list` shows)');
  const keys = openKeys(options.config, env);
  try {
    if (action === 'create') create(keys, options, out);
    else if (action === 'list') list(keys, options.json ?? false, out);
    else out(`revoked ${describe(keys.revoke(id!))}`);
    return 0;
  } finally {
    keys.close();
  }
}

function openKeys(configFile: string | undefined, env: NodeJS.ProcessEnv): KeyStore {
  const { dataDir } = loadConfig(env, configFile);
  if (dataDir === '') {
    throw new JunctionError(
      'JCT_KEYS_NO_STORE',
      'keys are kept in the data directory and JUNCTION_DATA_DIR is "" (memory only): such a server accepts the admin key it printed at start, or JUNCTION_ADMIN_KEY',
    );
  }
  return KeyStore.open(dataDir);
}

function create(keys: KeyStore, options: KeysOptions, out: (line: string) => void): void {
  const scopes = (options.scopes ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const { key, info } = keys.create(options.name ?? '', scopes);
  if (options.json) {
    out(JSON.stringify({ key, ...info }));
    return;
  }
  out(`created ${describe(info)}`);
  out(key);
  out('shown once: Junction keeps only its hash');
}

function list(keys: KeyStore, json: boolean, out: (line: string) => void): void {
  const all = keys.list();
  if (json) {
    out(JSON.stringify(all, null, 2));
    return;
  }
  if (all.length === 0) out('no keys');
  for (const info of all) out(`${describe(info)}, created ${iso(info.createdAt)}${info.revokedAt === undefined ? '' : `, revoked ${iso(info.revokedAt)}`}`);
}

function describe(info: KeyInfo): string {
  return `key ${info.id} "${info.name}" (${info.scopes.join(', ')})`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
