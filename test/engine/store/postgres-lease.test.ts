// Cluster mode's lease against the real Postgres (skipped loudly when it is not there, failed
// when JUNCTION_REQUIRE_SERVICES=1): what every lease does (lease-contract.ts), and a commit by
// an owner whose token is stale is refused (JCT_STORE_FENCED) and writes nothing, while the new
// owner's commits go through.
import t from 'tap';
import { PostgresBackend } from '../../../engine/store/postgres.js';
import { PostgresLease, clusterView } from '../../../engine/store/postgres-lease.js';
import { closedPort } from '../../gateway/services.js';
import { held, leaseContract, type LeaseUnderTest } from './lease-contract.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from './postgres-service.js';
import { batchOf } from '../../../engine/store/journal.js';

const postgres: LeaseUnderTest<PostgresLease> = {
  skip: await unlessPostgres(t),
  place: (t) => tempSchema(t, 'jct_lease'),
  acquire: (schema, options) => PostgresLease.acquire({ url: PG_URL, schema, ...options }),
  takeOver: (schema) => sql(`UPDATE "${schema}".leases SET token = token + 1, owner = 'someone else', expires_at = now() + interval '1 minute'`),
  unreachable: async (secret, options) => PostgresLease.acquire({ url: `postgres://postgres:${secret}@127.0.0.1:${await closedPort()}/test`, ...options }),
  view: (schema) => clusterView(PG_URL, schema),
};
const { skip } = postgres;

leaseContract(t, postgres);

t.test('a stale owner cannot commit: its batch is refused whole, the new owner writes', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_lease');
  const owner = await held(t, postgres, schema, { ttlMs: 60_000 });
  const backend = await PostgresBackend.open({ url: PG_URL, schema, fence: owner });
  t.teardown(() => backend.close());
  await backend.commit(batchOf([{ table: 'person', key: 'before', value: { id: 'before' } }]));
  await postgres.takeOver(schema);
  await t.rejects(backend.commit(batchOf([{ table: 'person', key: 'after', value: { id: 'after' } }, { table: 'meta', key: 'x', value: 1 }])), { code: 'JCT_STORE_FENCED' });
  t.same(owner.losses, ['fenced'], 'the loss is told once');
  t.same((await sql(`SELECT key FROM "${schema}".person ORDER BY key`)).map((r) => r['key']), ['before'], 'nothing of the refused batch was written');
  t.same(await sql(`SELECT key FROM "${schema}".meta`), []);
  await sql(`UPDATE "${schema}".leases SET expires_at = now() - interval '1 second'`);
  const next = await held(t, postgres, schema);
  const theirs = await PostgresBackend.open({ url: PG_URL, schema, fence: next });
  t.teardown(() => theirs.close());
  t.same([...theirs.load('person')].map(([k]) => k), ['before'], 'the new owner loads what the old one wrote');
  await theirs.commit(batchOf([{ table: 'person', key: 'after', value: { id: 'after' } }]));
  t.same((await sql(`SELECT key FROM "${schema}".person ORDER BY key`)).map((r) => r['key']), ['after', 'before']);
});

t.test('a PostgreSQL that says the database does not exist ends the wait at once, however long an unreachable store is waited for', { skip }, async (t) => {
  const started = Date.now();
  const url = PG_URL.replace(/\/[^/]*$/, '/jct_no_such_lease_database');
  await t.rejects(PostgresLease.acquire({ url, unreachableForMs: 60_000, pollMs: 100, onLost: () => {} }), { code: 'JCT_STORE_UNAVAILABLE', message: /database "jct_no_such_lease_database" does not exist/ });
  t.ok(Date.now() - started < 30_000, 'long before the 60 s a store out of reach is waited for');
});
