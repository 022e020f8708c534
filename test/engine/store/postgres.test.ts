// The Postgres store against the real server at 127.0.0.1:5432 (database `test`; skipped
// loudly when it is not there, failed when JUNCTION_REQUIRE_SERVICES=1), each test in schemas
// of its own: every table round-trips, the last write of a key in a batch wins, keys load in
// the binary order of their UTF-8 bytes, a batch is all or nothing, migrations run once even
// when two processes start together and a newer schema is refused, an unreachable server fails
// fast without showing the password, and an engine recovers its participants from the store.
import t, { type Test } from 'tap';
import { batchOf, GroupCommit, MemoryBackend, TABLES, type JournalBackend, type Row, type Table } from '../../../engine/store/journal.js';
import { DEFAULT_SCHEMA, PostgresBackend, migrate, type PostgresOptions } from '../../../engine/store/postgres.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../engine/store/postgres-migrations.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { closedPort } from '../../gateway/services.js';
import { flow, pauseDays, registryWith, tag } from '../helpers.js';
import { PG_URL, connection, sql, tempSchema, unlessPostgres } from './postgres-service.js';

const skip = await unlessPostgres(t);
const DAY = 24 * 3600 * 1000;

/** Opens a backend on a schema of the test's own (or `schema`) that the test closes at its end. */
async function open(t: Test, schema = tempSchema(t, 'jct_store'), options: Partial<PostgresOptions> = {}): Promise<PostgresBackend> {
  const backend = await PostgresBackend.open({ url: PG_URL, schema, ...options });
  t.teardown(() => backend.close());
  return backend;
}

function dump(backend: JournalBackend): Record<string, [string, unknown][]> {
  return Object.fromEntries(TABLES.map((table) => [table, [...backend.load(table)]]));
}

function rowsOf(table: Table, entries: [string, unknown][]): Row[] {
  return entries.map(([key, value]) => ({ table, key, value }));
}

function binaryOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

t.test('every table round-trips; deletes; the last write of a key in a batch wins', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const memory = new MemoryBackend();
  const first = TABLES.flatMap((table) =>
    rowsOf(table, [
      ['b', { n: 1, nested: { list: [1, 'two', null, true], text: 'héllo "quoted" \\ \n line \u0000 nul' } }],
      ['a', 'plain string'],
      ['10', 42.5],
      ['9', [{ x: -1 }]],
      ['é', false],
      ['gone', 1],
    ]),
  );
  const second = TABLES.flatMap((table) =>
    rowsOf(table, [
      ['a', { replaced: true }],
      ['b', null],
      ['never-written', null],
      ['9', 'first in batch'],
      ['9', 'last in batch'],
      ['upsert-then-delete', 1],
      ['upsert-then-delete', null],
      ['delete-then-upsert', null],
      ['delete-then-upsert', { back: true }],
      ['gone', null],
      ['gone', 2],
      ['gone', null],
    ]),
  );
  const writer = await open(t, schema);
  for (const batch of [first, second]) {
    await writer.commit(batchOf(batch));
    memory.commit(batchOf(batch));
  }
  await writer.close();
  const reader = await open(t, schema);
  t.same(dump(reader), dump(memory));
  t.same([...memory.load('participant')], [
    ['10', 42.5],
    ['9', 'last in batch'],
    ['a', { replaced: true }],
    ['delete-then-upsert', { back: true }],
    ['é', false],
  ]);
  const stored = await sql(`SELECT count(*)::int AS n FROM "${schema}"."outbox"`);
  t.same(stored, [{ n: 5 }], 'one row per live key in the table');
});

t.test('keys load in the binary order of their UTF-8 bytes, across chunks, U+0000 and COPY\'s escapes included', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const tricky = ['', '\u0000', 'a', 'a\u0000', 'a\u0000b', 'a\u0001', 'a\u0001\u0002', 'a\u0002', 'ab', 'B', 'b', 'Z', 'z', 'é', 'e', 'ß', '～', '😀', 'flow\u0000person-1', 'flow\u0001', 'tab\there', 'new\nline', 'cr\r', '\\', 'back\\slash\\n', '\b\f\v\u0007', '\\\t'];
  const many = Array.from({ length: 25_000 }, (_, i) => `${['a', 'b', '\u0000', 'é', '~', '😀', 'Z'][i % 7]}${(i * 7919) % 25_000}${i % 3 === 0 ? '\u0000x' : ''}`);
  const keys = [...new Set([...tricky, ...many])];
  const writer = await open(t, schema);
  await writer.commit(batchOf(keys.map((key, i) => ({ table: 'history', key, value: i }))));
  await writer.close();
  const loaded = [...(await open(t, schema)).load('history')];
  const expected = [...keys].sort(binaryOrder);
  t.equal(loaded.length, keys.length, 'every key, more than one chunk of COPY text');
  t.ok(
    loaded.every(([key], i) => key === expected[i]),
    'in binary order',
  );
  t.same(loaded.map(([key]) => key).filter((key) => tricky.includes(key)), [...tricky].sort(binaryOrder));
  t.ok(binaryOrder('～', '😀') < 0 && '～' > '😀', 'the order is of UTF-8 bytes, not of UTF-16 code units');
  t.same(loaded.find(([key]) => key === 'a\u0001\u0002'), ['a\u0001\u0002', keys.indexOf('a\u0001\u0002')], 'the escape character itself round-trips');
});

t.test('a batch is all or nothing: a value with no JSON form or a failing server writes none of it', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_store');
  const backend = await open(t, schema, { statementTimeoutMs: 300 });
  await backend.commit(batchOf([{ table: 'person', key: 'p1', value: { name: 'Ann' } }]));
  const batch = (bad: Row): Row[] => [
    { table: 'person', key: 'p1', value: { name: 'changed' } },
    { table: 'person', key: 'p2', value: { name: 'Bob' } },
    ...rowsOf('outbox', Array.from({ length: 100 }, (_, i): [string, unknown] => [`o${i + 2}`, i])),
    bad,
    { table: 'meta', key: 'm', value: 1 },
  ];
  t.throws(() => batchOf(batch({ table: 'outbox', key: 'o1', value: { big: 1n } })), { code: 'JCT_STORE_VALUE', message: /outbox row 'o1'/ });
  t.throws(() => batchOf([{ table: 'meta', key: 'm', value: undefined }]), { code: 'JCT_STORE_VALUE' });
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  t.throws(() => batchOf(batch({ table: 'seen', key: 's', value: cycle })), { code: 'JCT_STORE_VALUE', message: /seen row 's'/ });

  // the server fails midway: another session holds a lock on outbox past the statement timeout
  const blocker = await connection(t);
  await blocker.query('BEGIN');
  await blocker.query(`LOCK TABLE "${schema}"."outbox" IN ACCESS EXCLUSIVE MODE`);
  const started = Date.now();
  await t.rejects(backend.commit(batchOf(batch({ table: 'outbox', key: 'o1', value: 1 }))), { code: 'JCT_STORE_UNAVAILABLE', details: { cause: '57014' } });
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
  t.same([...first.load('flow')], []);
  t.throws(() => first.load('flow'), { code: 'JCT_STORE_LOADED' });
  await first.commit(batchOf([{ table: 'flow', key: 'welcome', value: { v: 1 } }]));
  await first.commit(batchOf([{ table: 'seen', key: 'msg-1', value: 1 }]));
  t.throws(() => first.load('seen'), { code: 'JCT_STORE_LOADED' }, 'a commit lets go of the rows read at open');
  t.throws(() => first.load('nope' as Table), { code: 'JCT_STORE_TABLE_UNKNOWN' });
  await first.close();
  await first.close();
  const again = await open(t, schema);
  t.same([...again.load('flow')], [['welcome', { v: 1 }]]);
  t.same([...again.load('seen')], [['msg-1', 1]]);
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
  t.same(tables.map((r) => r['table_name']), [...TABLES, 'schema_migrations', 'leases', 'api_key'].sort(), 'one table per journal table, the migrations, the cluster lease and the API keys');
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
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const engineOn = (backend: PostgresBackend) => {
    const people = new MemoryPeopleStore(clock);
    return { people, engine: new Engine({ clock, people, registry: registryWith(), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 4 }) };
  };
  const first = await PostgresBackend.open({ url: PG_URL, schema });
  const a = engineOn(first);
  t.match(a.engine.recover(first), { participants: 0, people: 0 });
  a.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'woke')], { reentry: { enabled: false } }));
  a.engine.launch('f');
  const ids: string[] = [];
  for (const person of ['ana', 'bo', 'čedo']) ids.push((await a.engine.submit(person, { kind: 'flow.enter', flowId: 'f', person: { id: person } })).participantId!);
  await a.engine.close();
  await first.close();

  const second = await open(t, schema);
  const b = engineOn(second);
  t.match(b.engine.recover(second), { participants: 3, people: 3 });
  for (const id of ids) t.same(b.engine.participant(id), a.engine.participant(id), `${id} is back as it was`);
  t.equal(b.engine.metrics('f').profilesInFlow, 3);
  t.match(await b.engine.submit('ana', { kind: 'flow.enter', flowId: 'f' }), { entered: false, reason: 'JCT_PERSON_IN_FLOW' }, 'entry history came back (its keys hold U+0000)');
  clock.advance(DAY);
  await b.engine.idle();
  t.same(['ana', 'bo', 'čedo'].map((id) => b.people.get(id)!.tags), [['woke'], ['woke'], ['woke']]);
  t.equal(b.engine.metrics('f').profilesExited, 3);
  await b.engine.close();
  const rows = await sql(`SELECT count(*)::int AS n FROM "${schema}"."participant"`);
  t.same(rows, [{ n: 0 }], 'finished participants were deleted from the store');
});
