// Cluster mode on PostgreSQL: a process that takes the lease but then cannot open the store
// (here a table of the state is missing, so reading it back fails until the start timeout) does
// not linger holding the partitions: it releases the lease, closes the server it stood by on
// and ends with the store's error, exit 2, so that another process can take over.
import t from 'tap';
import { once } from 'node:events';
import { startMember } from './junction-process.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { migrate } from '../../engine/store/postgres.js';

t.test('the store failing to open after the lease is taken: lease released, server closed, exit 2', { skip: await unlessPostgres(t) }, async (t) => {
  const schema = tempSchema(t, 'jct_open_fails');
  await migrate(PG_URL, schema);
  await sql(`DROP TABLE "${schema}"."participant"`);
  const p = startMember(t, 'a', { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_STORE_START_TIMEOUT_S: '1' });
  p.address.catch(() => {}); // it never serves
  const exited = once(p.child, 'exit') as Promise<[number | null, string | null]>;
  const origin = await p.standing;
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref());
  const ended = await Promise.race([exited, timeout]);
  t.same(ended, [2, null], 'the process ended by itself with exit 2');
  t.match(p.printed.join('\n'), /^error JCT_STORE_UNAVAILABLE: the Postgres store at .* is unavailable: .*participant/m, 'with the store’s error');
  t.ok(p.logs.some((l) => l['msg'] === 'took the lease: this process owns the partitions'), 'it had taken the lease');
  const [lease] = await sql(`SELECT expires_at < now() AS ended FROM "${schema}".leases`);
  t.same(lease, { ended: true }, 'the lease was released: another process may take it at once');
  await t.rejects(fetch(`${origin}/healthz`), 'its server is closed');
});
