// Cluster mode's lease against the real Postgres (skipped loudly when it is not there, failed
// when JUNCTION_REQUIRE_SERVICES=1): the first process takes it with token 1; another waits,
// is told who holds it, and takes it (token 2) once released; an owner whose lease another
// process took learns it at its next renewal; and a commit by an owner whose token is stale is
// refused (JCT_STORE_FENCED) and writes nothing, while the new owner's commits go through.
import t, { type Test } from 'tap';
import { PostgresBackend } from '../../../engine/store/postgres.js';
import { PostgresLease, type LeaseHolder, type LeaseOptions } from '../../../engine/store/postgres-lease.js';
import { closedPort } from '../../gateway/services.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from './postgres-service.js';

const skip = await unlessPostgres(t);

/** A lease on `schema`, released when `t` ends; what it lost, if anything, in `losses`. */
async function lease(t: Test, schema: string, options: Partial<LeaseOptions> = {}): Promise<PostgresLease & { losses: string[] }> {
  const lost: string[] = [];
  const held = await PostgresLease.acquire({ url: PG_URL, schema, pollMs: 20, onLost: (reason) => lost.push(reason), ...options });
  t.teardown(() => held.release());
  return Object.assign(held, { losses: lost });
}

/** Another process takes the lease over, as if this one had been paused past its end. */
async function takeOver(schema: string): Promise<void> {
  await sql(`UPDATE "${schema}".leases SET token = token + 1, owner = 'someone else', expires_at = now() + interval '1 minute'`);
}

t.test('one owner at a time: a second process waits, told who holds it, and takes over with the next token once released', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_lease');
  const first = await lease(t, schema);
  t.equal(first.token, '1', 'the first owner has token 1');
  await first.advertise('http://127.0.0.1:8080');
  const told: LeaseHolder[] = [];
  let second: PostgresLease | undefined;
  const waiting = lease(t, schema, { onWait: (h) => told.push(h) }).then((l) => (second = l));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(second, undefined, 'still standing by while the owner renews');
  t.match(told[0], { owner: first.owner, address: 'http://127.0.0.1:8080', token: '1' }, 'told who owns the partitions and where');
  await first.release();
  const taken = await waiting;
  t.equal(taken.token, '2', 'the next owner has the next token');
  t.same(first.losses, [], 'a release is not a loss');
});

t.test('an owner learns at its next renewal that another process took its lease', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_lease');
  const owner = await lease(t, schema, { ttlMs: 600 });
  await takeOver(schema);
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.same(owner.losses, ['taken']);
});

t.test('a stale owner cannot commit: its batch is refused whole, the new owner writes', { skip }, async (t) => {
  const schema = tempSchema(t, 'jct_lease');
  const owner = await lease(t, schema, { ttlMs: 60_000 });
  const backend = await PostgresBackend.open({ url: PG_URL, schema, fence: owner });
  t.teardown(() => backend.close());
  await backend.commit([{ table: 'person', key: 'before', value: { id: 'before' } }]);
  await takeOver(schema);
  await t.rejects(backend.commit([{ table: 'person', key: 'after', value: { id: 'after' } }, { table: 'meta', key: 'x', value: 1 }]), { code: 'JCT_STORE_FENCED' });
  t.same(owner.losses, ['fenced'], 'the loss is told once');
  t.same((await sql(`SELECT key FROM "${schema}".person ORDER BY key`)).map((r) => r['key']), ['before'], 'nothing of the refused batch was written');
  t.same(await sql(`SELECT key FROM "${schema}".meta`), []);
  await sql(`UPDATE "${schema}".leases SET expires_at = now() - interval '1 second'`);
  const next = await lease(t, schema);
  const theirs = await PostgresBackend.open({ url: PG_URL, schema, fence: next });
  t.teardown(() => theirs.close());
  t.same([...theirs.load('person')].map(([k]) => k), ['before'], 'the new owner loads what the old one wrote');
  await theirs.commit([{ table: 'person', key: 'after', value: { id: 'after' } }]);
  t.same((await sql(`SELECT key FROM "${schema}".person ORDER BY key`)).map((r) => r['key']), ['after', 'before']);
});

t.test('a store out of reach: told while standing by, given up after unreachableForMs', { skip }, async (t) => {
  const port = await closedPort();
  const errors: string[] = [];
  await t.rejects(
    PostgresLease.acquire({ url: `postgres://postgres:lease-secret@127.0.0.1:${port}/test`, pollMs: 20, unreachableForMs: 300, onStoreError: (e) => errors.push(e.message), onLost: () => {} }),
    { code: 'JCT_STORE_UNAVAILABLE' },
  );
  t.equal(errors.length, 1, 'the same error is told once');
  t.notMatch(errors.join(' '), 'lease-secret', 'without the password');
});
