// A standby (cluster mode) stopped with SIGTERM or SIGINT stops gracefully like an owner: it logs
// `stopping`, closes its server and its wait for the lease, logs `stopped` and exits 0 — whether another
// process owns the partitions or the store cannot be reached yet, and at the moment it wins the
// lease too (the lease is then released: the next standby takes it at once).
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMember, type JunctionProcess } from './junction-process.js';
import { connection, PG_URL, sql, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { migrate } from '../../engine/store/postgres.js';
import { closedPort } from '../gateway/services.js';

/** Sends `signal` to a standing-by process; checks it logged `stopping`, exited 0 and closed its port. */
async function stopsGracefully(t: Test, p: JunctionProcess, signal: NodeJS.Signals): Promise<void> {
  const origin = await p.standing;
  p.address.catch(() => {}); // it never listens as an owner
  p.child.kill(signal);
  const [code, killedBy] = (await once(p.child, 'exit')) as [number | null, string | null];
  t.same([code, killedBy], [0, null], 'exit 0, not killed by the signal');
  t.match(p.logs.find((l) => l['msg'] === 'stopping'), { signal }, 'stopping is logged');
  t.match(p.logs.at(-1), { msg: 'stopped', ms: Number }, 'and stopped, last');
  await t.rejects(fetch(`${origin}/healthz`), 'its server is closed');
}

t.test('standing by while the store is out of reach: SIGTERM stops it, exit 0', async (t) => {
  const store = { DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, JUNCTION_STORE_START_TIMEOUT_S: '60' };
  await stopsGracefully(t, startMember(t, 'a', store), 'SIGTERM');
});

t.test('standing by behind an owner: SIGINT stops it, exit 0; the owner goes on', { skip: await unlessPostgres(t) }, async (t) => {
  const store = { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_standby_stop') };
  const owner = startMember(t, 'a', store);
  const address = await owner.address;
  const standby = startMember(t, 'b', store);
  await stopsGracefully(t, standby, 'SIGINT');
  t.equal((await fetch(`${address}/healthz`)).status, 200, 'the owner still serves');
});

/** A schema of the test's own, migrated, whose lease a process that is gone holds (token 5) for an hour; its store settings. */
async function leaseHeldByTheGone(t: Test): Promise<{ schema: string; store: NodeJS.ProcessEnv }> {
  const schema = tempSchema(t, 'jct_standby_win');
  await migrate(PG_URL, schema);
  await sql(`INSERT INTO "${schema}".leases (name, owner, token, expires_at) VALUES ('partitions', 'gone:1:000000', 5, now() + interval '1 hour')`);
  return { schema, store: { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_LEASE_MS: '10000' } };
}

/** Resolves once `p` logged `msg`. */
async function logged(p: JunctionProcess, msg: string): Promise<Record<string, unknown>> {
  for (;;) {
    const line = p.logs.find((l) => l['msg'] === msg);
    if (line !== undefined) return line;
    if (p.child.exitCode !== null) throw new Error(`exited before logging ${msg}`);
    await sleep(5);
  }
}

/** Checks that `p` stopped gracefully without serving and left the lease released (token 6, ended). */
async function stoppedWithTheLeaseReleased(t: Test, p: JunctionProcess, schema: string): Promise<void> {
  const exit = once(p.child, 'exit') as Promise<[number | null, string | null]>;
  const outcome = await Promise.race([exit, sleep(20_000, 'still running' as const, { ref: false })]);
  t.same(outcome, [0, null], 'exit 0, not killed by the signal nor carrying on');
  t.notOk(p.logs.some((l) => l['msg'] === 'Junction is listening' || l['code'] === 'JCT_STOP_FORCED'), 'it neither served nor forced its stop');
  t.match(p.logs.at(-1), { msg: 'stopped', ms: Number }, 'stopped, last');
  const [lease] = await sql(`SELECT token::text, expires_at <= now() AS ended FROM "${schema}".leases`);
  t.same(lease, { token: '6', ended: true }, 'the lease it won is released');
}

t.test('a signal while the standby is winning the lease (its take in flight) stops it gracefully, the lease released', { skip: await unlessPostgres(t) }, async (t) => {
  const { schema, store } = await leaseHeldByTheGone(t);
  const standby = startMember(t, 'b', store);
  standby.address.catch(() => {});
  await logged(standby, 'standing by: another process owns the partitions');
  const holding = await connection(t);
  await holding.query('BEGIN');
  await holding.query(`UPDATE "${schema}".leases SET expires_at = now() - interval '1 millisecond'`); // ended, its row locked: the next take waits
  while ((await sql(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%"${schema}".leases%'`)).length === 0) await sleep(5);
  standby.child.kill('SIGTERM');
  await logged(standby, 'stopping');
  await holding.query('COMMIT'); // the take goes through: the standby wins the lease after the signal
  await stoppedWithTheLeaseReleased(t, standby, schema);
});

t.test('a signal as the standby logs `took the lease` stops it gracefully, the lease released', { skip: await unlessPostgres(t) }, async (t) => {
  const { schema, store } = await leaseHeldByTheGone(t);
  const standby = startMember(t, 'b', store);
  standby.address.catch(() => {});
  await logged(standby, 'standing by: another process owns the partitions');
  await sql(`UPDATE "${schema}".leases SET expires_at = now() - interval '1 millisecond'`);
  await logged(standby, 'took the lease: this process owns the partitions');
  standby.child.kill('SIGTERM');
  await stoppedWithTheLeaseReleased(t, standby, schema);
  t.match(standby.logs.find((l) => l['msg'] === 'stopping'), { signal: 'SIGTERM' }, 'stopping is logged');
});
