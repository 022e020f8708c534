// `junction start` on the server stores, chosen by configuration: PostgreSQL (DATABASE_URL) and
// Redis alone (JUNCTION_STORE=redis, REDIS_URL). A participant added through the Flow API is
// there after a SIGKILL and a restart; a Redis that is not persistent is warned of once at start; `junction migrate` brings a schema up to date; a store
// that cannot be reached at start is tried again, said in one line without its password, and
// start gives up with exit code 2 after JUNCTION_STORE_START_TIMEOUT_S, or at once when
// PostgreSQL answers that the database does not exist.
import '../child-processes.js';
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { AUTH, startJunction } from './junction-process.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { closedPort, unlessReachable } from '../gateway/services.js';
import { hasRedisServer, redisServer } from '../engine/store/redis-server.js';

const run = promisify(execFile);
const REDIS_URL = 'redis://127.0.0.1:6379';

/** Adds a person to the welcome example (it pauses them), kills the process, starts it again and finds their journey. */
async function survivesKill(t: Test, env: NodeJS.ProcessEnv): Promise<void> {
  const first = startJunction(env);
  const origin = await first.address;
  const added = await fetch(`${origin}/flows/welcome/participants`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ person: { id: 'ana-store' } }) });
  t.equal(added.status, 201);
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const second = startJunction(env);
  t.teardown(() => second.child.kill('SIGKILL'));
  const again = await second.address;
  const journeys = (await (await fetch(`${again}/api/v1/people/ana-store/journeys`, { headers: AUTH })).json()) as { journeys: Array<{ flowId: string }> };
  t.match(journeys.journeys, [{ flowId: 'welcome' }], 'the participant survived the kill');
  t.ok(second.logs.some((l) => l['msg'] === 'state recovered' && String(l['store']).includes(env['JUNCTION_STORE'] === 'redis' ? 'redis' : 'postgres')), 'the log names the store');
}

const base = (t: Test): NodeJS.ProcessEnv => ({ ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_DATA_DIR: t.testdir() });

t.test('PostgreSQL', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test('state survives a SIGKILL; migrate says it is current', { skip }, async (t) => {
    const schema = tempSchema(t, 'jct_start');
    const env = { ...base(t), DATABASE_URL: `${PG_URL}?password=migrate-secret-pw`, JUNCTION_DATABASE_SCHEMA: schema };
    const migrated = await run(process.execPath, ['dist/bin/junction.js', 'migrate'], { env });
    t.match(migrated.stdout, new RegExp(`schema ${schema}: schema version 0 → \\d+`));
    t.notMatch(migrated.stdout, 'migrate-secret-pw', 'no password given as a query parameter in the output');
    await survivesKill(t, env);
    t.match((await run(process.execPath, ['dist/bin/junction.js', 'migrate'], { env })).stdout, /nothing to do/);
  });
});

t.test('Redis alone', async (t) => {
  const skip = await unlessReachable(t, 'Redis', '127.0.0.1', 6379);
  await t.test('state survives a SIGKILL', { skip }, async (t) => {
    const prefix = `jct-start-${randomBytes(4).toString('hex')}:`;
    t.teardown(async () => {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.unlink(...keys);
      redis.disconnect();
    });
    await survivesKill(t, { ...base(t), JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: prefix });
  });
});

t.test('a Redis that is not persistent: one warning at start, naming the setting and what it risks', { skip: hasRedisServer() ? false : 'redis-server is not installed' }, async (t) => {
  const port = await closedPort();
  await redisServer(t, port, ['--appendonly', 'no', '--save', '', '--dir', t.testdir()]);
  const p = startJunction({ ...base(t), JUNCTION_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` });
  t.teardown(() => p.child.kill('SIGKILL'));
  await p.address;
  const warnings = p.logs.filter((l) => l['code'] === 'JCT_REDIS_AT_RISK');
  t.match(warnings, [{ level: 40, setting: 'appendonly', value: 'no', store: `redis redis://127.0.0.1:${port}`, msg: /a restart of Redis loses what Junction acknowledged/ }]);
  t.equal(warnings.length, 1, 'once, and nothing of maxmemory-policy (noeviction by default)');
});

t.test('a store out of reach at start: retried, said plainly, then exit 2 (an error, like every failed command)', async (t) => {
  const port = await closedPort();
  const env = { ...base(t), DATABASE_URL: `postgres://postgres:very-secret-pw@127.0.0.1:${port}/test`, JUNCTION_STORE_START_TIMEOUT_S: '1' };
  await outOfReach(t, env, 'very-secret-pw');
});

t.test('a PostgreSQL that says the database does not exist is not tried again: exit 2 at once, saying so', { skip: await unlessPostgres(t) }, async (t) => {
  const p = startJunction({ ...base(t), DATABASE_URL: PG_URL.replace(/\/[^/]*$/, '/jct_no_such_database'), JUNCTION_STORE_START_TIMEOUT_S: '60' });
  const started = Date.now();
  await t.rejects(p.address, /JCT_STORE_UNAVAILABLE.*database "jct_no_such_database" does not exist/);
  t.equal(p.child.exitCode ?? ((await once(p.child, 'exit')) as [number])[0], 2);
  t.ok(Date.now() - started < 30_000, 'long before the 60 s a server out of reach is waited for');
  t.same(p.logs.filter((l) => l['level'] === 40 && l['code'] === 'JCT_STORE_UNAVAILABLE'), [], 'no retry');
});

t.test('a password given as a query parameter is shown nowhere either: configuration line, retries, error', async (t) => {
  const port = await closedPort();
  const env = { ...base(t), DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test?password=query-secret-pw`, JUNCTION_STORE_START_TIMEOUT_S: '1' };
  const logs = await outOfReach(t, env, 'query-secret-pw');
  t.match(logs.find((l) => l['msg'] === 'configuration'), { config: { databaseUrl: `postgres://127.0.0.1:${port}/test` } });
});

/** Starts on a store out of reach; checks the retries, the exit and that `secret` is in no log line nor the error; returns the log. */
async function outOfReach(t: Test, env: NodeJS.ProcessEnv, secret: string): Promise<Array<Record<string, unknown>>> {
  const p = startJunction(env);
  await t.rejects(p.address, /JCT_STORE_UNAVAILABLE/);
  t.equal(p.child.exitCode ?? ((await once(p.child, 'exit')) as [number])[0], 2);
  const retries = p.logs.filter((l) => l['code'] === 'JCT_STORE_UNAVAILABLE' && l['level'] === 40);
  t.ok(retries.length >= 1, 'each attempt is one warning line');
  t.same(retries.map((l) => l['retryInMs']), [500], 'the store once per attempt (its API keys, on the same server, say nothing)');
  t.notMatch(JSON.stringify(p.logs), secret, 'no password in the log');
  t.notMatch(await p.address.catch((e: Error) => e.message), secret, 'nor in the error');
  return p.logs;
}

t.test('migrate on the embedded store changes nothing', async (t) => {
  const r = await run(process.execPath, ['dist/bin/junction.js', 'migrate'], { env: base(t) });
  t.match(r.stdout, /nothing to migrate: the store is embedded/);
});
