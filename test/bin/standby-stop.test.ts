// A standby (cluster mode) stopped with SIGTERM or SIGINT stops gracefully like an owner: it logs
// `stopping`, closes its server and its wait for the lease, logs `stopped` and exits 0 — whether another
// process owns the partitions or the store cannot be reached yet.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { startMember, type JunctionProcess } from './junction-process.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
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
