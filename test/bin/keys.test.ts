// `junction keys` and the first admin key, as an operator uses them: `junction start` on an
// empty store prints one admin key once (never in a log) and not again after a restart, where
// the key still works; `junction keys create|list|revoke` (the built command) changes the keys
// of a running server's data directory, saying which store it used: a new key works at once, a revoked one is refused within
// 5 s. A configured admin key is redacted in the logged configuration.
import '../child-processes.js';
import t, { type Test as Tap } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { once } from 'node:events';
import { main } from '../../bin/junction.js';
import { keysCommand } from '../../bin/commands/keys.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { startJunction, type JunctionProcess } from './junction-process.js';

function start(t: Tap, dataDir: string, env: NodeJS.ProcessEnv = {}): JunctionProcess {
  const junction = startJunction({ ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_PEOPLE: '', JUNCTION_DATA_DIR: dataDir, JUNCTION_ADMIN_KEY: '', ...env });
  t.teardown(() => junction.child.kill('SIGKILL'));
  return junction;
}


async function stop(junction: JunctionProcess): Promise<void> {
  junction.child.kill('SIGTERM');
  await once(junction.child, 'exit');
}

/** `junction keys …` as a separate process (the built command). */
function keys(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['dist/bin/junction.js', 'keys', ...args], { env: { ...process.env, JUNCTION_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 20_000 });
}

const flows = (address: string, key: string) => fetch(`${address}/flows`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

t.test('the first start prints an admin key once; it survives a restart and is never logged', async (t) => {
  const dataDir = t.testdir();
  const first = start(t, dataDir);
  const address = await first.address;
  t.equal(first.printed.length, 1, 'one line on stderr');
  t.same(first.unlogged, [], 'stdout holds only the JSON log');
  const [, key] = /^admin key \(shown once\): (jk_\S+)$/.exec(first.printed[0] ?? '') ?? [];
  t.ok(key, 'the key is printed');
  t.equal(await flows(address, key!), 200);
  t.equal((await fetch(`${address}/flows`)).status, 401, 'no key: refused');
  t.notMatch(JSON.stringify(first.logs), key!.slice(20), 'the key is in no log line');
  await stop(first);

  const again = start(t, dataDir);
  const address2 = await again.address;
  t.same(again.printed, [], 'no new key once one exists');
  t.equal(await flows(address2, key!), 200, 'the key survived the restart');
  await stop(again);
});

t.test('`junction keys` creates, lists and revokes keys of a running server', async (t) => {
  const dataDir = t.testdir();
  const junction = start(t, dataDir, { JUNCTION_ADMIN_KEY: 'configured-admin-key-0123456789' });
  const address = await junction.address;
  t.same(junction.printed, [], 'a configured admin key: no key is created');
  const config = junction.logs.find((l) => l['msg'] === 'configuration')!['config'] as Record<string, unknown>;
  t.equal(config['adminKey'], '[redacted]');
  t.notMatch(JSON.stringify(junction.logs), 'configured-admin-key-0123456789');
  t.equal(await flows(address, 'configured-admin-key-0123456789'), 200);

  const created = keys(dataDir, 'create', '--name', 'reporting', '--scopes', 'reports,people');
  t.equal(created.status, 0, created.stderr);
  const [about, key, note] = created.stdout.trim().split('\n');
  t.equal(about, `created key ${/[0-9a-f]{16}/.exec(about!)?.[0]} "reporting" (reports, people) in embedded ${dataDir}`, 'says where it wrote');
  t.match(key, /^jk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  t.equal(note, 'shown once: Junction keeps only its hash');
  t.equal(await flows(address, key!), 200, 'the running server accepts the new key at once');
  const id = /key ([0-9a-f]{16})/.exec(about!)![1]!;

  const listed = keys(dataDir, 'list', '--json');
  t.match(JSON.parse(listed.stdout), [{ id, name: 'reporting', scopes: ['reports', 'people'], createdAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ }], 'times as ISO 8601, as the API writes them');
  t.notMatch(listed.stdout, key!.slice(20), 'the list never shows a key');
  const [heading, line] = keys(dataDir, 'list').stdout.split('\n');
  t.equal(heading, `keys in embedded ${dataDir}:`);
  t.match(line, new RegExp(`^key ${id} "reporting" \\(reports, people\\), created \\d{4}-`));

  const revoked = keys(dataDir, 'revoke', id);
  t.equal(revoked.status, 0, revoked.stderr);
  t.match(revoked.stdout, `revoked key ${id} "reporting" (reports, people) in embedded ${dataDir}`);
  const at = Date.now();
  let status = await flows(address, key!);
  while (status !== 401 && Date.now() - at < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = await flows(address, key!);
  }
  t.equal(status, 401, `refused within 5 s (after ${Date.now() - at} ms)`);
  t.match(keys(dataDir, 'list').stdout, /, revoked \d{4}-/);
  const revokedAt = /, revoked (\S+)/.exec(keys(dataDir, 'list').stdout)![1]!;
  const again = keys(dataDir, 'revoke', id);
  t.equal(again.status, 0, again.stderr);
  t.equal(again.stdout, `key ${id} "reporting" (reports, people) in embedded ${dataDir} was already revoked (${revokedAt}): nothing changed\n`, 'a second revoke says so, with when');
});

t.test('`junction keys` refuses what it cannot do, with a code', async (t) => {
  const dataDir = t.testdir();
  const run = async (...args: string[]) => {
    const err: string[] = [];
    const code = await main(['keys', ...args, '--config', `${dataDir}/junction.json`], () => {}, (l) => err.push(l));
    return { code, err: err.join('\n') };
  };
  writeFileSync(`${dataDir}/junction.json`, JSON.stringify({ dataDir: 'mistyped' }));
  t.match(await run('list'), { code: 2, err: `error JCT_KEYS_NOT_FOUND: the data directory ${dataDir}/mistyped has no keys.db: Junction never started there; check "dataDir" in ${dataDir}/junction.json` });
  t.match(await run('revoke', '0123456789abcdef'), { code: 2, err: /^error JCT_KEYS_NOT_FOUND/ });
  t.notOk(existsSync(`${dataDir}/mistyped`), 'and nothing was created there');
  writeFileSync(`${dataDir}/junction.json`, JSON.stringify({ dataDir }));
  t.match(await run('create', '--name', 'x', '--scopes', 'admin,root'), { code: 2, err: /^error JCT_SCOPE_UNKNOWN: unknown scope "root"/ });
  t.match(await run('create', '--scopes', 'admin'), { code: 2, err: /^error JCT_KEY_NAME_MISSING/ });
  t.match(await run('create', '--name', 'x'), { code: 2, err: /^error JCT_SCOPE_UNKNOWN: a key needs at least one scope/ });
  t.match(await run('revoke', '0123456789abcdef'), { code: 2, err: /^error JCT_KEY_UNKNOWN/ });
  t.match(await run('revoke'), { code: 2, err: /^error JCT_USAGE/ });
  t.match(await run('revoke', '0123456789abcdef', 'fedcba9876543210'), { code: 2, err: 'error JCT_USAGE: unexpected argument "fedcba9876543210": keys revoke takes one key id (revoke each on its own)' }, 'a second id is refused, not left unrevoked in silence');
  t.match(await run('create', 'ci', '--name', 'ci', '--scopes', 'admin'), { code: 2, err: /^error JCT_USAGE: unexpected argument "ci": keys create takes no arguments besides its options/ });
  t.match(await run('rotate'), { code: 2, err: /^error JCT_USAGE/ });
  writeFileSync(`${dataDir}/junction.json`, JSON.stringify({ dataDir: '' }));
  t.match(await run('list'), { code: 2, err: /^error JCT_KEYS_NO_STORE/ });
});

t.test('`junction keys` names the data directory it used by its full path, so a relative one run from the wrong folder shows', async (t) => {
  const dataDir = t.testdir();
  const out: string[] = [];
  t.equal(await keysCommand(['create'], { name: 'ci', scopes: 'reports' }, { JUNCTION_DATA_DIR: relative(process.cwd(), dataDir) }, (l) => out.push(l)), 0);
  t.equal(out[0]?.replace(/key [0-9a-f]{16}/, 'key ID'), `created key ID "ci" (reports) in embedded ${dataDir}`);
});

t.test('with a server store, `junction keys` says which store and schema it used, without the password', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test('PostgreSQL', { skip }, async (t) => {
    const schema = tempSchema(t, 'jct_keys');
    const env = { DATABASE_URL: `${PG_URL}?password=keys-secret-pw`, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_DATA_DIR: t.testdir() };
    const lines: string[] = [];
    t.equal(await keysCommand(['create'], { name: 'ops', scopes: 'reports' }, env, (l) => lines.push(l)), 0);
    t.match(lines[0], new RegExp(`^created key [0-9a-f]{16} "ops" \\(reports\\) in postgres postgres://127\\.0\\.0\\.1:5432/test schema ${schema}$`));
    await keysCommand(['list'], {}, env, (l) => lines.push(l));
    t.equal(lines[3], `keys in postgres postgres://127.0.0.1:5432/test schema ${schema}:`);
    t.notMatch(lines.join('\n'), 'keys-secret-pw');
  });
});
