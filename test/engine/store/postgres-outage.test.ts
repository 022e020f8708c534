// PostgreSQL lost while running: the pool's connections are ended by the server
// (pg_terminate_backend, as a failover or a restart does) while batches keep coming. The batch
// that meets a dead connection is written again on a new one; callers of a batch the store
// cannot take within waitMs are refused with JCT_STORE_UNAVAILABLE; nothing is lost. A commit
// that hangs (a table locked, a server gone silent) refuses its callers after waitMs too, not
// only once the statement times out.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { GroupCommit } from '../../../engine/store/journal.js';
import { PostgresBackend } from '../../../engine/store/postgres.js';
import { PG_URL, connection, sql, tempSchema, unlessPostgres } from './postgres-service.js';

t.test('connections ended under load: every batch written, nothing lost', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test('terminated', { skip }, async (t) => {
    const schema = tempSchema(t, 'jct_outage');
    const applicationName = `junction-outage-${randomBytes(4).toString('hex')}`;
    const backend = await PostgresBackend.open({ url: PG_URL, schema, applicationName });
    const changes: string[] = [];
    const journal = new GroupCommit(backend, { flushMs: 0, firstRetryMs: 10, longestRetryMs: 50, onStoreChange: (err) => changes.push(err === undefined ? 'back' : (err as { code: string }).code) });
    const acknowledged: string[] = [];
    const refused: string[] = [];
    const put = async (i: number): Promise<void> => {
      journal.put('person', `p${i}`, { n: i });
      await journal.durable().then(
        () => acknowledged.push(`p${i}`),
        (err: { code: string }) => refused.push(err.code),
      );
    };
    const load: Array<Promise<void>> = [];
    for (let i = 0; i < 3000; i++) {
      load.push(put(i));
      if (i % 500 === 250) {
        await sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      }
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(load);
    await journal.close();
    await backend.close();
    t.same([...new Set(refused)].filter((c) => c !== 'JCT_STORE_UNAVAILABLE'), [], 'a refusal is JCT_STORE_UNAVAILABLE');
    const reopened = await PostgresBackend.open({ url: PG_URL, schema });
    const stored = new Set([...reopened.load('person')].map(([k]) => k));
    await reopened.close();
    t.same(acknowledged.filter((k) => !stored.has(k)), [], `all ${acknowledged.length} acknowledged rows are stored`);
    t.equal(stored.size, 3000, 'refused ones too: their batch was written once the store was back');
    t.ok(changes.length === 0 || changes.at(-1) === 'back', `the store came back (${changes.join(', ') || 'no batch met a dead connection'})`);
  });
});

t.test('a commit that hangs: callers refused after waitMs, input refused, the batch written once it can be', async (t) => {
  const skip = await unlessPostgres(t);
  await t.test('locked', { skip }, async (t) => {
    const schema = tempSchema(t, 'jct_hang');
    const backend = await PostgresBackend.open({ url: PG_URL, schema, statementTimeoutMs: 20_000 });
    t.teardown(() => backend.close());
    const changes: string[] = [];
    const journal = new GroupCommit(backend, { flushMs: 0, waitMs: 200, onStoreChange: (err) => changes.push(err === undefined ? 'back' : (err as { code: string }).code) });
    const locker = await connection(t);
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${schema}".person IN ACCESS EXCLUSIVE MODE`);
    const started = performance.now();
    journal.put('person', 'p1', { n: 1 });
    const refusal = await journal.durable().then(
      () => 'written',
      (err: { code: string }) => err.code,
    );
    t.equal(refusal, 'JCT_STORE_UNAVAILABLE', 'the caller is refused');
    t.ok(performance.now() - started < 5_000, `within waitMs, not at the statement timeout (${Math.round(performance.now() - started)} ms)`);
    t.equal(journal.available, false, 'input is refused while the batch hangs');
    await locker.query('COMMIT');
    await journal.written();
    t.equal(journal.available, true, 'input is taken again once the batch is written');
    t.same(changes, ['JCT_STORE_UNAVAILABLE', 'back']);
    await journal.close();
    const rows = await sql(`SELECT count(*)::int AS n FROM "${schema}".person`);
    t.equal(rows[0]!.n, 1, 'the refused caller’s row was written');
  });
});
