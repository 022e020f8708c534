// The store's errors about a setting (partitions changed, a URL or schema name it refuses, a data
// directory it cannot use, a database PostgreSQL does not have) end naming the setting the way
// the user set it: the variable that set it, or its place in the configuration file. The built command.
import '../child-processes.js';
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SqliteBackend } from '../../engine/store/sqlite.js';
import { PG_URL, unlessPostgres } from '../engine/store/postgres-service.js';

const run = promisify(execFile);

/** The `error …` line a command ends with (exit 2), run with only `env` besides PATH. */
async function failure(t: Test, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const options = { env: { PATH: process.env['PATH'], JUNCTION_PORT: '0', ...env }, timeout: 30_000 }; // a start that serves is a failure of the test, not a hang
  const ran = await run(process.execPath, ['dist/bin/junction.js', ...args], options).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  t.equal(ran.code, 2, 'exit 2');
  return ran.stderr.split('\n').find((l) => l.startsWith('error ')) ?? ran.stderr;
}

/** A data directory whose store was written with 8 partitions. */
function storeOfEightPartitions(dir: string): string {
  const store = new SqliteBackend({ dir });
  store.commit(new Map([['meta', new Map([['partitions', '8']])]]));
  store.close();
  return dir;
}

/** A configuration file of `settings` in `folder`; returns its path. */
function configFile(folder: string, settings: object): string {
  const file = join(folder, 'junction.json');
  writeFileSync(file, JSON.stringify({ flows: '', people: '', ...settings }));
  return file;
}

const PARTITIONS = 'error JCT_PARTITIONS_CHANGED: the store was written with 8 partitions, not 4: start with 8 partitions';

t.test('partitions changed: named by its variable, or in the configuration file', async (t) => {
  const folder = t.testdir();
  const dataDir = storeOfEightPartitions(join(folder, 'data'));
  const env = { JUNCTION_DATA_DIR: dataDir, JUNCTION_FLOWS: '', JUNCTION_PEOPLE: '' };
  t.equal(await failure(t, ['start'], { ...env, JUNCTION_PARTITIONS: '4' }), `${PARTITIONS} (JUNCTION_PARTITIONS)`);
  const file = configFile(folder, { partitions: 4, dataDir });
  t.equal(await failure(t, ['start', '--config', file], {}), `${PARTITIONS} ("partitions" in ${file})`);
  t.equal(await failure(t, ['start'], { JUNCTION_CONFIG: file }), `${PARTITIONS} ("partitions" in ${file})`, 'a file named by JUNCTION_CONFIG too');
});

t.test('a data directory that is a file: named by the file, or its variable', async (t) => {
  const file = configFile(t.testdir(), { dataDir: 'junction.json' }); // the configuration file itself
  t.match(await failure(t, ['start', '--config', file], {}), /^error JCT_DATA_DIR_UNWRITABLE: the data directory .* cannot be written .*\("dataDir" in .*junction\.json\)$/);
  t.match(await failure(t, ['keys', 'create', '--name', 'x', '--scopes', 'admin'], { JUNCTION_DATA_DIR: file }), /^error JCT_DATA_DIR_UNWRITABLE: .*\(JUNCTION_DATA_DIR\)$/, 'another command too');
});

t.test('a Redis URL whose path is no database number: REDIS_URL, or JUNCTION_REDIS_URL', async (t) => {
  const said = "error JCT_CONFIG_INVALID: the Redis URL's path must be a database number (redis://host:port/2), not '/state'";
  t.equal(await failure(t, ['start'], { JUNCTION_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379/state' }), `${said} (REDIS_URL)`);
  t.equal(await failure(t, ['start'], { JUNCTION_STORE: 'redis', JUNCTION_REDIS_URL: 'redis://127.0.0.1:6379/state' }), `${said} (JUNCTION_REDIS_URL)`);
});

t.test('a Postgres schema name the store refuses, set in the configuration file', async (t) => {
  const file = configFile(t.testdir(), { databaseUrl: PG_URL, databaseSchema: 'pg_junction' });
  t.equal(
    await failure(t, ['migrate', '--config', file], {}),
    `error JCT_CONFIG_INVALID: the Postgres schema name 'pg_junction' must be letters, digits and _ (no digit first, not pg_…), at most 63 ("databaseSchema" in ${file})`,
  );
});

t.test('a database PostgreSQL does not have: DATABASE_URL', { skip: await unlessPostgres(t) }, async (t) => {
  const url = PG_URL.replace(/\/[^/]*$/, '/jct_no_such_database');
  t.match(await failure(t, ['migrate'], { DATABASE_URL: url }), /^error JCT_STORE_UNAVAILABLE: .*database "jct_no_such_database" does not exist \(DATABASE_URL\)$/);
  t.match(await failure(t, ['migrate'], { JUNCTION_DATABASE_URL: url }), /\(JUNCTION_DATABASE_URL\)$/);
});
