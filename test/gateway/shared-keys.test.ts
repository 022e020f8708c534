// API keys in a server store (gateway/auth/shared-key-table.ts, server-key-rows.ts), on the real
// PostgreSQL and Redis: two key stores on one store stand for two processes of a cluster. A key
// created by one works on the other at once (its id read from the store), a revocation once the
// other read the table again; what was
// created is in the store when written() resolves, and survives reopening; `junction keys`
// with the store's configuration writes there, and a data directory's keys.db is copied in.
import t, { type Test } from 'tap';
import { keysCommand } from '../../bin/commands/keys.js';
import { openKeys, openKeysEarly } from '../../bin/store.js';
import { loadConfig } from '../../config/index.js';
import { KeyStore } from '../../gateway/auth/keys.js';
import { SharedKeyTable, type KeyRows } from '../../gateway/auth/shared-key-table.js';
import { postgresKeyRows, redisKeyRows } from '../../gateway/auth/server-key-rows.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';
import { closedPort } from './services.js';

const REFRESH_MS = 50;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds or 5 s passed (a loaded machine's store answers late); returns whether it held. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (const until = Date.now() + 5_000; !check(); await wait(REFRESH_MS)) if (Date.now() > until) return false;
  return true;
}

/** Two key stores on one store (two processes), closed when `t` ends; the second reads the whole table only every minute. */
async function pair(t: Test, rows: () => Promise<KeyRows>): Promise<[KeyStore, KeyStore]> {
  const open = async (refreshMs: number) => new KeyStore(await SharedKeyTable.open(await rows(), refreshMs), { refreshMs });
  const stores = [await open(REFRESH_MS), await open(60_000)] as [KeyStore, KeyStore];
  t.teardown(() => Promise.all(stores.map((s) => s.close().catch(() => {}))));
  return stores;
}

const STORES: Array<[name: string, skip: (t: Test) => Promise<false | string>, env: (t: Test) => NodeJS.ProcessEnv]> = [
  ['PostgreSQL', unlessPostgres, (t) => ({ DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_keys') })],
  ['Redis', unlessRedis, (t) => ({ JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'jct-keys') })],
];

for (const [name, unless, envOf] of STORES) {
  t.test(name, { skip: await unless(t) }, async (t) => {
    t.test('a key created or revoked by one process is known to the other within the refresh', async (t) => {
      const config = loadConfig(envOf(t));
      const rows = () => (config.store === 'redis' ? redisKeyRows(config.redisUrl, config.redisPrefix) : postgresKeyRows(config.databaseUrl, config.databaseSchema));
      const [a, b] = await pair(t, rows);
      const { key, info } = a.create('ci', ['reports']);
      t.same(a.verify(key), { id: info.id, scopes: ['reports'] }, 'at once where it was created');
      await a.written();
      t.equal(b.verify(key), undefined, 'the other process has not read the table since');
      t.same(await b.verifyUnseen(key), { id: info.id, scopes: ['reports'] }, 'but an unseen id is read from the store: it works at once');
      t.same(b.verify(key), { id: info.id, scopes: ['reports'] }, 'and is known from then on');
      t.same(await b.verifyUnseen(key), { id: info.id, scopes: ['reports'] }, 'a key seen meanwhile (a refresh while the request waited for its rate limit) is checked as verify() does');
      t.equal(await b.verifyUnseen(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')), undefined, 'a wrong secret of a known id');
      t.equal(await b.verifyUnseen('jk_00000000000000aa_' + 'A'.repeat(43)), undefined, 'an id the store does not have');
      b.revoke(info.id);
      await b.written();
      t.ok(await eventually(() => a.verify(key) === undefined), 'the revocation reached the first with its refresh');
      const reopened = new KeyStore(await SharedKeyTable.open(await rows(), REFRESH_MS));
      t.teardown(() => reopened.close());
      t.match(reopened.list(), [{ id: info.id, name: 'ci', revokedAt: Number }], 'stored: a new process reads it');
    });

    t.test('a store gone out of reach: the last copy stays in use, nothing throws', async (t) => {
      const config = loadConfig(envOf(t));
      const rows = config.store === 'redis' ? await redisKeyRows(config.redisUrl, config.redisPrefix) : await postgresKeyRows(config.databaseUrl, config.databaseSchema);
      const keys = new KeyStore(await SharedKeyTable.open(rows, REFRESH_MS), { refreshMs: REFRESH_MS });
      const { key } = keys.create('ops', ['people']);
      await keys.written();
      await rows.close(); // the connection is gone: refreshes and reads fail from now on
      await wait(3 * REFRESH_MS);
      t.ok(keys.verify(key), 'the key read before still works');
      t.equal(await keys.verifyUnseen('jk_00000000000000bb_' + 'B'.repeat(43)), undefined, 'an unseen id is refused, not an error');
      keys.create('later', ['people']);
      await t.rejects(keys.written(), 'a key that cannot be stored is said so (junction keys then prints nothing)');
      await keys.close().catch(() => {});
    });

    t.test('keys opened early (while a process stands by and loads): as openKeys, given up on a failed start, tried again while out of reach', async (t) => {
      const config = loadConfig(envOf(t));
      const { keys } = await openKeysEarly(config).opened();
      const { key } = keys.create('early', ['people']);
      await keys.written();
      t.ok(keys.verify(key), 'opened as openKeys opens them');
      await keys.close();
      await openKeysEarly(config).close(); // a start that failed first: closed once open, nothing left running

      const port = await closedPort();
      const url = config.store === 'redis' ? { REDIS_URL: `redis://127.0.0.1:${port}` } : { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` };
      const waits: number[] = [];
      const gone = openKeysEarly(loadConfig({ ...envOf(t), ...url, JUNCTION_STORE_START_TIMEOUT_S: '1' }), async (ms) => void waits.push(ms));
      await t.rejects(gone.opened(), { code: 'JCT_STORE_UNAVAILABLE' });
      t.same(waits, [500], 'tried again within storeStartTimeoutS, like the store');
    });

    t.test('`junction keys` writes to the store; keys.db of a data directory is copied in once', async (t) => {
      const dataDir = t.testdir();
      const env = { ...envOf(t), JUNCTION_DATA_DIR: dataDir };
      const local = KeyStore.open(dataDir); // a key made before keys were shared
      const old = local.create('before', ['people']);
      await local.close();
      const lines: string[] = [];
      t.equal(await keysCommand(['create'], { name: 'shared', scopes: 'flows', json: true }, env, (l) => lines.push(l)), 0);
      const created = JSON.parse(lines[0]!) as { key: string; id: string };
      const { keys, copied } = await openKeys(loadConfig(env));
      t.teardown(() => keys.close());
      t.equal(copied, 0, 'the command copied the old key already');
      t.ok(keys.verify(created.key), 'the created key is in the store');
      t.ok(keys.verify(old.key), "the data directory's key was copied into the store");
      t.equal((await openKeys(loadConfig(env)).then(async (o) => (await o.keys.close(), o.copied))), 0, 'and not again');
    });
  });
}
