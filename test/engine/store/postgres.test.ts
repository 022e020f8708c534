// The Postgres store against the real server at 127.0.0.1:5432 (database `test`; skipped
// loudly when it is not there, failed when JUNCTION_REQUIRE_SERVICES=1), each test in schemas
// of its own: every table round-trips, the last write of a key in a batch wins, keys load in
// the binary order of their UTF-8 bytes, a batch is all or nothing, migrations run once even
// when two processes start together and a newer schema is refused, an unreachable server fails
// fast without showing the password, and an engine recovers its participants from the store.
import t, { type Test } from 'tap';
import { batchOf, TABLES } from '../../../engine/store/journal.js';
import { batchAround, keysLoadInBinaryOrder, loadsEachTableOnce, recoversAcrossEngines, refusesValuesWithNoJsonForm, reopenedSeesCommits, roundTrips } from './backend-contract.js';
import { DEFAULT_SCHEMA, PostgresBackend, migrate, type PostgresOptions } from '../../../engine/store/postgres.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../engine/store/postgres-migrations.js';
import { closedPort } from '../../gateway/services.js';
import { PG_URL, connection, sql, tempSchema, unlessPostgres } from './postgres-service.js';

const skip = await unlessPostgres(t);

/** Opens a backend on a schema of the test's own (or `schema`) that the test closes at its end. */
async function open(t: Test, schema = tempSchema(t, 'jct_store'), options: Partial<PostgresOptions> = {}): Promise<PostgresBackend> {
  const backend = await PostgresBackend.open({ url: PG_URL, schema, ...options });
  t.teardown(() => backend.close());
  return backend;
}

t.test('every table round-trips; deletes; the last write of a key in a batch wins', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const writer = await open(t, schema);
  await roundTrips(t, writer, async () => {
    await writer.close();
    return open(t, schema);
  });
  const stored = await sql(`SELECT count(*)::int AS n FROM "${schema}"."outbox"`);
  t.same(stored, [{ n: 5 }], 'one row per live key in the table');
});

t.test('keys load in the binary order of their UTF-8 bytes, across chunks, U+0000 and COPY\'s escapes included', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  await keysLoadInBinaryOrder(t, await open(t, schema), () => open(t, schema), 25_000, 'chunk of COPY text');
});

t.test('a batch is all or nothing: a value with no JSON form or a failing server writes none of it', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const backend = await open(t, schema, { statementTimeoutMs: 300 });
  await backend.commit(batchOf([{ table: 'person', key: 'p1', value: { name: 'Ann' } }]));
  refusesValuesWithNoJsonForm(t);

  // the server fails midway: another session holds a lock on outbox past the statement timeout
  const blocker = await connection(t);
  await blocker.query('BEGIN');
  await blocker.query(`LOCK TABLE "${schema}"."outbox" IN ACCESS EXCLUSIVE MODE`);
  const started = Date.now();
  await t.rejects(backend.commit(batchOf(batchAround({ table: 'outbox', key: 'o1', value: 1 }))), { code: 'JCT_STORE_UNAVAILABLE', details: { cause: '57014' } });
  t.ok(Date.now() - started < 5000, 'a statement past its timeout is cancelled');
  await blocker.query('ROLLBACK');

  t.same(await sql(`SELECT key, value FROM "${schema}"."person" ORDER BY key`), [{ key: 'p1', value: '{"name":"Ann"}' }], 'nothing of the batches written');
  t.same(await sql(`SELECT count(*)::int AS n FROM "${schema}"."outbox"`), [{ n: 0 }]);
  t.same(await sql(`SELECT count(*)::int AS n FROM "${schema}"."meta"`), [{ n: 0 }]);
  await backend.commit(batchOf([{ table: 'person', key: 'p2', value: { name: 'Bob' } }]));
  t.same(await sql(`SELECT key FROM "${schema}"."person" ORDER BY key`), [{ key: 'p1' }, { key: 'p2' }], 'the store stays usable');
});

t.test('a table the open cannot read within the statement timeout fails the open, and leaves nothing behind', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const writer = await open(t, schema);
  await writer.commit(batchOf([{ table: 'participant', key: 'a', value: 1 }]));
  await writer.close();
  const blocker = await connection(t);
  await blocker.query('BEGIN');
  await blocker.query(`LOCK TABLE "${schema}"."participant" IN ACCESS EXCLUSIVE MODE`);
  await t.rejects(PostgresBackend.open({ url: PG_URL, schema, statementTimeoutMs: 300 }), { code: 'JCT_STORE_UNAVAILABLE', details: { cause: '57014' } });
  await blocker.query('ROLLBACK');
  t.same([...(await open(t, schema)).load('participant')], [['a', 1]]);
});

t.test('load() serves each table once, before the first commit; reopening sees every commit', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const first = await open(t, schema, { synchronousCommit: 'off', poolSize: 1 });
  await loadsEachTableOnce(t, first);
  await reopenedSeesCommits(t, first, () => open(t, schema));
});

t.test('migrations run once, in one transaction, also when several processes start together', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_migrate');
  const opened = await Promise.all([
    PostgresBackend.open({ url: PG_URL, schema }),
    PostgresBackend.open({ url: PG_URL, schema }),
    PostgresBackend.open({ url: PG_URL, schema }),
    migrate(PG_URL, schema),
  ]);
  const backends = opened.slice(0, 3) as PostgresBackend[];
  for (const backend of backends) t.teardown(() => backend.close());
  const recorded = await sql(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
  t.same(recorded, MIGRATIONS.map(({ version, name }) => ({ version, name })), 'each migration recorded once');
  const tables = await sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
  t.same(tables.map((r) => r['table_name']), [...TABLES, 'schema_migrations', 'leases', 'members', 'api_key', 'cluster_log', 'cluster_log_trimmed', 'directory'].sort(), 'one table per journal table, the migrations, the cluster lease and members, the API keys, the cluster log (and how far it was trimmed) and the directory');
  const collation = await sql(`SELECT DISTINCT collation_name FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'key'`, [schema]);
  t.same(collation, [{ collation_name: 'C' }], 'keys compare as bytes');
  t.same(await migrate(PG_URL, schema), { from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] }, 'nothing left to do');
});

t.test('migrate() reports what it applied; a schema newer than the code is refused', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_migrate');
  t.same(await migrate(PG_URL, schema), { from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.name) });
  await sql(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 1]);
  await t.rejects(PostgresBackend.open({ url: PG_URL, schema }), { code: 'JCT_STORE_SCHEMA', message: new RegExp(`version ${SCHEMA_VERSION + 1}, this Junction knows up to ${SCHEMA_VERSION}; upgrade Junction`) });
  await t.rejects(migrate(PG_URL, schema), { code: 'JCT_STORE_SCHEMA' });
  t.equal(DEFAULT_SCHEMA, 'junction');
});

t.test('an unreachable server fails fast with JCT_STORE_UNAVAILABLE and never shows the password', async (t) => {
  const port = await closedPort();
  const password = 'S3cret-p@ss';
  const inUser = `postgres://junction:${encodeURIComponent(password)}@127.0.0.1:${port}/test`;
  const inQuery = `postgres://junction@127.0.0.1:${port}/test?password=${encodeURIComponent(password)}&sslPassword=${encodeURIComponent(password)}`;
  for (const attempt of [inUser, inQuery].flatMap((url) => [() => PostgresBackend.open({ url }), () => migrate(url)])) {
    const started = Date.now();
    const err = await attempt().then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    t.ok(Date.now() - started < 3000, 'fails fast');
    t.match(err, { code: 'JCT_STORE_UNAVAILABLE', message: `the Postgres store at postgres://127.0.0.1:${port}/test is unavailable`, details: { cause: 'ECONNREFUSED' } });
    const shown = `${err?.message} ${err?.stack} ${JSON.stringify(err)}`;
    t.notOk(shown.includes(password) || shown.includes(encodeURIComponent(password)), 'no password in message, stack or JSON');
  }
});

t.test('options are checked before connecting; a URL that does not parse is not echoed', async (t) => {
  await t.rejects(PostgresBackend.open({ url: PG_URL, synchronousCommit: 'maybe' as 'on' }), { code: 'JCT_CONFIG_INVALID' });
  await t.rejects(PostgresBackend.open({ url: PG_URL, poolSize: 0 }), { code: 'JCT_CONFIG_INVALID' });
  await t.rejects(PostgresBackend.open({ url: PG_URL, schema: 'bad-name"; DROP' }), { code: 'JCT_CONFIG_INVALID' });
  await t.rejects(PostgresBackend.open({ url: PG_URL, schema: 'pg_mine' }), { code: 'JCT_CONFIG_INVALID' });
  const err = await PostgresBackend.open({ url: 'postgres://u:hidden@[::1' }).catch((e: Error) => e);
  t.match(err, { code: 'JCT_CONFIG_INVALID' });
  t.notMatch((err as Error).message, /hidden/);
});

t.test('an engine over GroupCommit + PostgresBackend: a new engine on a new connection recovers the same participants', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_engine');
  await recoversAcrossEngines(t, await PostgresBackend.open({ url: PG_URL, schema }), () => open(t, schema));
  const rows = await sql(`SELECT count(*)::int AS n FROM "${schema}"."participant"`);
  t.same(rows, [{ n: 0 }], 'finished participants were deleted from the store');
});
