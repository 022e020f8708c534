// The Redis store against the real server at 127.0.0.1:6379 (skipped loudly when it is not
// there, failed when JUNCTION_REQUIRE_SERVICES=1), under a key prefix of this file's own that its
// end deletes (never FLUSHDB: other tests share the server): every table round-trips, the last
// write of a key in a batch wins, keys load in the binary order of their UTF-8 bytes, a batch is
// all or nothing, a newer schema is refused, an unreachable or lost server fails fast without
// showing the password (the lost one: a private redis-server this file starts and kills), and an
// engine recovers its participants from the store.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Command, Redis } from 'ioredis';
import { batchOf, GroupCommit, TABLES, type Table } from '../../../engine/store/journal.js';
import { dump, keysLoadInBinaryOrder, loadsEachTableOnce, recoversAcrossEngines, refusesValuesWithNoJsonForm, reopenedSeesCommits, roundTrips } from './backend-contract.js';
import { DEFAULT_PREFIX, RedisBackend, SCHEMA_VERSION, TextCommand, type RedisOptions } from '../../../engine/store/redis.js';
import { closedPort, reachable, unlessReachable } from '../../gateway/services.js';
import { deleteKeys } from './redis-service.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const skip = await unlessReachable(t, 'Redis', '127.0.0.1', 6379);
/** Every key this file writes starts with it; deleted at the end. */
const FILE_PREFIX = `jct-test:${randomBytes(4).toString('hex')}:`;
let prefixes = 0;

/** The shared server, raw, for looking beside the backend (opened only when it answers). */
const admin = skip ? undefined : new Redis(REDIS_URL);
if (admin) t.teardown(() => deleteKeys(admin, FILE_PREFIX).finally(() => admin.quit()));

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await admin!.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...page);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** A prefix of one test's own, under the file's. */
function newPrefix(): string {
  return `${FILE_PREFIX}${++prefixes}:`;
}

/** Opens a backend on `prefix` that the test closes at its end. */
async function open(t: Test, prefix: string, options: Partial<RedisOptions> = {}): Promise<RedisBackend> {
  const backend = await RedisBackend.open({ url: REDIS_URL, prefix, ...options });
  t.teardown(() => backend.close());
  return backend;
}

/** What fn rejects with; fails the test if it resolves. */
async function failure(t: Test, fn: () => Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  t.fail('expected a rejection');
  return new Error('resolved');
}

t.test('every table round-trips; deletes; the last write of a key in a batch wins', { skip }, async (t) => {
  const prefix = newPrefix();
  const writer = await open(t, prefix);
  await roundTrips(t, writer, async () => {
    await writer.close();
    return open(t, prefix);
  });
  t.equal(await admin!.hlen(`${prefix}t:outbox`), 5, 'one field per live key in the table');
  t.equal(await admin!.hget(`${prefix}t:outbox`, '9'), '"last in batch"', 'values are JSON text');
  t.same(await keysUnder(prefix), [`${prefix}schema`, ...TABLES.map((table) => `${prefix}t:${table}`)].sort(), 'one hash per table and the schema key, all under the prefix');
});

t.test('a batch larger than one call takes (300,000 arguments) is written whole', { skip }, async (t) => {
  const prefix = newPrefix();
  const writer = await open(t, prefix);
  await writer.commit(batchOf(Array.from({ length: 150_000 }, (_, i) => ({ table: 'person' as const, key: `p${i}`, value: i }))));
  const reader = await open(t, prefix);
  t.equal([...reader.load('person')].length, 150_000);
});

t.test('keys load in the binary order of their UTF-8 bytes, across HSCAN pages, U+0000 included', { skip }, async (t) => {
  const prefix = newPrefix();
  await keysLoadInBinaryOrder(t, await open(t, prefix), () => open(t, prefix), 5000, 'HSCAN page');
});

t.test('a batch is all or nothing: a value with no JSON form sends nothing; a failed EXEC is reported', { skip }, async (t) => {
  const prefix = newPrefix();
  const backend = await open(t, prefix);
  await backend.commit(batchOf([{ table: 'person', key: 'p1', value: { name: 'Ann' } }]));
  refusesValuesWithNoJsonForm(t);
  t.same(await admin!.hgetall(`${prefix}t:person`), { p1: '{"name":"Ann"}' }, 'nothing of the batches written');
  t.equal(await admin!.exists(`${prefix}t:outbox`, `${prefix}t:meta`, `${prefix}t:seen`), 0);

  await admin!.set(`${prefix}t:dedup`, 'not a hash'); // someone else wrote under the prefix
  const err = await failure(t, () => backend.commit(batchOf([{ table: 'dedup', key: 'd', value: 1 }])));
  t.match(err, { code: 'JCT_STORE_UNAVAILABLE', message: /WRONGTYPE/, details: { store: 'redis', cause: 'WRONGTYPE' } }, 'an error inside EXEC fails the commit');
  await admin!.del(`${prefix}t:dedup`);
  await backend.commit(batchOf([{ table: 'person', key: 'p2', value: { name: 'Bob' } }]));
  t.same(Object.keys(await admin!.hgetall(`${prefix}t:person`)).sort(), ['p1', 'p2'], 'the store stays usable');
});

t.test('a commit while the connection is back but not ready (MULTI and EXEC get through, the writes do not) fails, and writes once ready', { skip }, async (t) => {
  const prefix = newPrefix();
  const backend = await open(t, prefix);
  const client = (backend as unknown as { redis: Redis }).redis;
  const attempt = new Promise<unknown>((resolve) => {
    client.once('connect', () => resolve(backend.commit(batchOf([{ table: 'person', key: 'p1', value: { name: 'Ann' } }])).catch((err: unknown) => err)));
  });
  client.disconnect(true); // reconnects at once; 'connect' comes before the client is ready
  t.match(await attempt, { code: 'JCT_STORE_UNAVAILABLE', message: /not connected \(the transaction held 0 of its 1 writes\)/ }, 'not an empty transaction taken for the batch');
  t.same(await admin!.hgetall(`${prefix}t:person`), {});
  if (client.status !== 'ready') await once(client, 'ready'); // the ready check's answer may have come before EXEC's
  await backend.commit(batchOf([{ table: 'person', key: 'p1', value: { name: 'Ann' } }]));
  t.same(await admin!.hgetall(`${prefix}t:person`), { p1: '{"name":"Ann"}' }, 'the same batch, tried again once ready, is written');
});

t.test('load() serves each table once, before the first commit; reopening sees every commit', { skip }, async (t) => {
  const prefix = newPrefix();
  const first = await open(t, prefix);
  await loadsEachTableOnce(t, first);
  await t.rejects(first.commit(batchOf([{ table: 'nope' as Table, key: 'k', value: 1 }])), { code: 'JCT_STORE_TABLE_UNKNOWN' });
  await reopenedSeesCommits(t, first, () => open(t, prefix));
  const other = await open(t, newPrefix());
  t.same(dump(other), Object.fromEntries(TABLES.map((table) => [table, []])), 'another prefix is another store');
});

t.test('the schema version is set at first open; a newer or foreign one is refused', { skip }, async (t) => {
  const prefix = newPrefix();
  await (await open(t, prefix)).close();
  t.equal(await admin!.get(`${prefix}schema`), String(SCHEMA_VERSION));
  await admin!.set(`${prefix}schema`, String(SCHEMA_VERSION + 1));
  await t.rejects(RedisBackend.open({ url: REDIS_URL, prefix }), {
    code: 'JCT_STORE_SCHEMA',
    message: new RegExp(`schema version ${SCHEMA_VERSION + 1}, this Junction knows up to ${SCHEMA_VERSION}; upgrade Junction`),
  });
  await admin!.set(`${prefix}schema`, 'something else');
  await t.rejects(RedisBackend.open({ url: REDIS_URL, prefix }), { code: 'JCT_STORE_SCHEMA', message: /not written by Junction/ });
  t.equal(DEFAULT_PREFIX, 'junction:');
});

t.test('an unreachable server fails fast with JCT_STORE_UNAVAILABLE and never shows the password', async (t) => {
  const port = await closedPort();
  const password = 'S3cret-p@ss';
  for (const url of [`redis://127.0.0.1:${port}`, `redis://junction:${encodeURIComponent(password)}@127.0.0.1:${port}/2`, `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`]) {
    const started = Date.now();
    const err = await failure(t, () => RedisBackend.open({ url, prefix: newPrefix() }));
    t.ok(Date.now() - started < 3000, 'fails fast');
    t.match(err, { code: 'JCT_STORE_UNAVAILABLE', message: `127.0.0.1:${port}`, details: { store: 'redis', cause: 'ECONNREFUSED' } });
    const shown = `${err.message} ${err.stack} ${JSON.stringify(err)}`;
    t.notOk(shown.includes(password) || shown.includes(encodeURIComponent(password)), `no password in message, stack or JSON: ${err.message}`);
  }
});

t.test('options are checked before connecting; a URL that does not parse is not echoed', async (t) => {
  await t.rejects(RedisBackend.open({ url: REDIS_URL, prefix: '' }), { code: 'JCT_CONFIG_INVALID' });
  await t.rejects(RedisBackend.open({ url: REDIS_URL, commandTimeoutMs: 0 }), { code: 'JCT_CONFIG_INVALID' });
  await t.rejects(RedisBackend.open({ url: 'postgres://u:hidden@127.0.0.1/x' }), { code: 'JCT_CONFIG_INVALID' });
  const err = await failure(t, () => RedisBackend.open({ url: 'redis://u:hidden@[::1' }));
  t.match(err, { code: 'JCT_CONFIG_INVALID' });
  t.notMatch(err.message, /hidden/);
});

t.test('a database the server does not have, or a path that is no database number, is refused: never database 0 instead', { skip }, async (t) => {
  const prefix = newPrefix();
  const zero = await open(t, prefix);
  await zero.commit(batchOf([{ table: 'meta', key: 'm', value: 'database 0' }]));
  const err = await failure(t, () => RedisBackend.open({ url: `${REDIS_URL}/99`, prefix }));
  t.match(err, { code: 'JCT_CONFIG_INVALID', message: /has no database 99 \(ERR DB index is out of range\)/, details: { store: 'redis', database: 99 } });
  for (const path of ['/two', '/2/x', '/-1']) {
    await t.rejects(RedisBackend.open({ url: `${REDIS_URL}${path}`, prefix }), { code: 'JCT_CONFIG_INVALID', message: /path must be a database number/ }, path);
  }
  const five = new Redis(`${REDIS_URL}/5`);
  t.teardown(() => deleteKeys(five, prefix).finally(() => five.quit()));
  const other = await open(t, prefix, { url: `${REDIS_URL}/5` });
  t.same(dump(other)['meta'], [], 'database 5 is not database 0');
});

t.test('an engine over GroupCommit + RedisBackend: a new engine on a new connection recovers the same participants', { skip }, async (t) => {
  const prefix = newPrefix();
  await recoversAcrossEngines(t, await RedisBackend.open({ url: REDIS_URL, prefix }), () => open(t, prefix));
  t.equal(await admin!.hlen(`${prefix}t:participant`), 0, 'finished participants were deleted from the store');
});

// ── a private redis-server, killed or frozen under the backend ──────────────────────────────

const serverMissing = redisServerMissing();

/** Why the private-server tests cannot run (failing `t` under JUNCTION_REQUIRE_SERVICES=1), or false. */
function redisServerMissing(): false | string {
  if (!spawnSync('redis-server', ['--version']).error) return false;
  const reason = 'redis-server is not on PATH: the tests of a Redis lost under the backend are SKIPPED (JUNCTION_REQUIRE_SERVICES=1 makes this a failure)';
  if (process.env['JUNCTION_REQUIRE_SERVICES'] === '1') t.fail('redis-server is required (JUNCTION_REQUIRE_SERVICES=1) but not on PATH');
  else console.error(`\n!!!!!!!! ${reason} !!!!!!!!\n`);
  return reason;
}

/** A redis-server on a free loopback port, nothing persisted, in a temporary directory; killed when `t` ends. */
/** A redis-server of the test's own on a free port (killed and removed at teardown); `restart` starts it again on the same port and folder. */
async function privateServer(t: Test, ...args: string[]): Promise<{ url: string; server: ChildProcess; restart(): Promise<ChildProcess> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-redis-'));
  const port = await closedPort();
  const servers: ChildProcess[] = [];
  const start = async (): Promise<ChildProcess> => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: 'ignore' });
    servers.push(server);
    for (let tries = 0; !(await reachable('127.0.0.1', port, 100)); tries++) {
      if (tries > 100) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  };
  t.teardown(async () => {
    for (const server of servers) {
      if (server.exitCode !== null || server.signalCode !== null) continue;
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { url: `redis://127.0.0.1:${port}`, server: await start(), restart: start };
}

t.test('Redis lost while running: callers refused fast, the batch written once it is back, input taken again', { skip: serverMissing }, async (t) => {
  const { url, server, restart } = await privateServer(t, '--appendonly', 'yes', '--appendfsync', 'always');
  const backend = await RedisBackend.open({ url, prefix: 'lost:' });
  const changes: unknown[] = [];
  const journal = new GroupCommit(backend, { flushMs: 0, firstRetryMs: 20, longestRetryMs: 100, waitMs: 200, onStoreChange: (err) => changes.push(err === undefined ? 'back' : (err as { code: string }).code) });
  journal.put('person', 'p1', { name: 'Ann' });
  await journal.durable();
  server.kill('SIGKILL');
  await once(server, 'exit');
  const started = Date.now();
  journal.put('person', 'p2', { name: 'Bob' });
  const written = journal.written();
  await t.rejects(journal.durable(), { code: 'JCT_STORE_UNAVAILABLE', details: { store: 'redis', cause: /^(CONNECTION_LOST|NOT_CONNECTED)$/ } });
  t.ok(Date.now() - started < 1000, `the caller is refused within waitMs (${Date.now() - started} ms)`);
  t.same([journal.available, journal.failed], [false, false], 'out of reach, not failed for good');
  await restart();
  await written;
  t.same([journal.available, changes], [true, ['JCT_STORE_UNAVAILABLE', 'back']]);
  journal.put('person', 'p3', { name: 'Cy' });
  await journal.durable();
  await journal.close();
  await backend.close();
  const reopened = await RedisBackend.open({ url, prefix: 'lost:' });
  t.same([...reopened.load('person')].map(([k]) => k), ['p1', 'p2', 'p3'], 'nothing lost, the refused batch included');
  await reopened.close();
});

t.test('Redis lost while nothing is written: the journal is not ready (readiness), and is again once Redis is back', { skip: serverMissing }, async (t) => {
  const { url, server, restart } = await privateServer(t, '--appendonly', 'yes');
  const backend = await RedisBackend.open({ url, prefix: 'idle:' });
  t.teardown(() => backend.close());
  const journal = new GroupCommit(backend, { flushMs: 0 });
  t.same([backend.connected(), journal.ready], [true, true]);
  server.kill('SIGKILL');
  await once(server, 'exit');
  await waitFor(() => !journal.ready);
  t.same([backend.connected(), journal.ready, journal.failed], [false, false, false], 'out of reach, though no batch was tried');
  await restart();
  await waitFor(() => journal.ready);
  journal.put('person', 'p1', { name: 'Ann' });
  await journal.durable();
  await journal.close();
});

/** Resolves once `condition` holds (checked every 20 ms); fails after 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - started > 5000) throw new Error('condition not met within 5 s');
  }
}

t.test('a Redis that comes back without the state (not persistent, restarted): the next batch fails for good, not acknowledged', { skip: serverMissing }, async (t) => {
  const { url, server, restart } = await privateServer(t); // appendonly no, no snapshots
  const backend = await RedisBackend.open({ url, prefix: 'emptied:' });
  t.teardown(() => backend.close());
  const failures: unknown[] = [];
  const journal = new GroupCommit(backend, { flushMs: 0, firstRetryMs: 20, longestRetryMs: 100, waitMs: 2000, onFailed: (err) => failures.push(err) });
  journal.put('person', 'p1', { name: 'Ann' });
  await journal.durable();
  server.kill('SIGKILL');
  await once(server, 'exit');
  await restart();
  journal.put('person', 'p2', { name: 'Bob' });
  await t.rejects(journal.durable(), { code: 'JCT_STORE_LOST', message: /lost the state Junction kept in it \(the key emptied:schema is gone: Redis restarted without appendonly, or was flushed\); restart Junction/, details: { store: 'redis' } });
  t.same([journal.failed, failures.length], [true, 1], 'failed for good: the working state is ahead of the store');
  await journal.close().catch(() => {});
});

t.test('closing while Redis is gone ends: the batch is given up', { skip: serverMissing }, async (t) => {
  const { url, server } = await privateServer(t);
  const backend = await RedisBackend.open({ url, prefix: 'gone:' });
  const journal = new GroupCommit(backend, { flushMs: 0, firstRetryMs: 20, waitMs: 100 });
  server.kill('SIGKILL');
  await once(server, 'exit');
  journal.put('person', 'p1', { name: 'Ann' });
  await t.rejects(journal.durable(), { code: 'JCT_STORE_UNAVAILABLE' });
  await t.rejects(journal.close(), { code: 'JCT_STORE_UNAVAILABLE' });
  t.ok(journal.failed);
  await backend.close();
});

t.test('a server that stops answering fails a commit, and an open, after commandTimeoutMs', { skip: serverMissing }, async (t) => {
  const { url, server } = await privateServer(t);
  const backend = await RedisBackend.open({ url, prefix: 'frozen:', commandTimeoutMs: 300 });
  await backend.commit(batchOf([{ table: 'person', key: 'p1', value: 1 }]));
  server.kill('SIGSTOP');
  t.teardown(() => server.kill('SIGCONT'));
  let started = Date.now();
  const err = await failure(t, () => backend.commit(batchOf([{ table: 'person', key: 'p2', value: 2 }])));
  t.match(err, { code: 'JCT_STORE_UNAVAILABLE', message: /timed out/ });
  t.ok(Date.now() - started < 2000, `gives up after the timeout (${Date.now() - started} ms)`);
  started = Date.now();
  await t.rejects(RedisBackend.open({ url, commandTimeoutMs: 300 }), { code: 'JCT_STORE_UNAVAILABLE', message: /timed out/ });
  t.ok(Date.now() - started < 2000, `open gives up too (${Date.now() - started} ms)`);
  server.kill('SIGCONT');
  await backend.close();
});

t.test('a server that refuses the password: JCT_STORE_UNAVAILABLE with the code of the reply, never the password', { skip: serverMissing }, async (t) => {
  const password = 'S3cret-p@ss';
  const { url } = await privateServer(t, '--requirepass', password);
  const port = new URL(url).port;
  for (const [wrong, cause] of [[`redis://:not-${encodeURIComponent(password)}@127.0.0.1:${port}`, 'WRONGPASS'], [url, 'NOAUTH']] as const) {
    const err = await failure(t, () => RedisBackend.open({ url: wrong }));
    t.match(err, { code: 'JCT_STORE_UNAVAILABLE', message: `redis://127.0.0.1:${port}`, details: { cause } });
    const shown = `${err.message} ${err.stack} ${JSON.stringify(err)}`;
    t.notOk(shown.includes(password) || shown.includes(encodeURIComponent(password)), `no password shown: ${err.message}`);
  }
  const backend = await RedisBackend.open({ url: `redis://default:${encodeURIComponent(password)}@127.0.0.1:${port}` });
  await backend.commit(batchOf([{ table: 'meta', key: 'm', value: 1 }]));
  await backend.close();
});

t.test('a batch command is sent as the very bytes ioredis would send for it', async (t) => {
  const texts = ['', 'a', 'key\u0000with a NUL', 'é€😀 multi-byte', '{"json":[1,2,3]}', 'x'.repeat(9), 'y'.repeat(10), 'z'.repeat(99_999), 'w'.repeat(100_000)];
  for (const name of ['HSET', 'HDEL']) {
    const args = ['junction:t:person', ...texts];
    const ours = new TextCommand(name, [...args]).toWritable();
    const theirs = new Command(name, [...args]).toWritable({});
    t.ok(Buffer.isBuffer(ours), `${name}: one Buffer`);
    t.ok(ours.equals(Buffer.from(theirs as string, 'utf8')), `${name}: the same RESP text`);
  }
});
