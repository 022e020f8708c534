// Two `junction start` processes in cluster mode (JUNCTION_CLUSTER=1) on one server store, run
// on PostgreSQL, on Redis alone and on Redis in front of PostgreSQL: the first
// owns the partitions, the second stands by (healthz "standby", readyz 503 JCT_STANDBY) and
// forwards requests to the owner. The owner SIGKILLed: the standby takes over within 5 s and
// every participant either process acknowledged is there, once. A stale owner (SIGSTOPped past
// its lease while the other took over, then SIGCONTed) writes nothing and stops with exit 3.
// An owner stopped with SIGTERM hands over at once: it releases its lease after its last batch.
// `junction cluster` shows the owner and the standby with their addresses.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { join } from 'node:path';
import { AUTH, startMember, type JunctionProcess } from './junction-process.js';
import { keysCommand } from '../../bin/commands/keys.js';
import { clusterCommand } from '../../bin/commands/cluster.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';

/** Nine tests of two processes each, on a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(360_000);

const LEASE_MS = 1500;
const TAKEOVER_LIMIT_MS = 5000;

/** The environment of a cluster's store, a schema and prefix of the test's own. */
type Store = NodeJS.ProcessEnv;

const postgres = (t: Test): Store => ({ JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_cluster') });
const redis = (t: Test): Store => ({ JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'jct-cluster') });

/** Starts one process of the test's cluster (a data folder of its own, for its API keys). */
function member(t: Test, store: Store, name: string, leaseMs = LEASE_MS): JunctionProcess {
  return startMember(t, name, {
    ...store,
    JUNCTION_RATE_LIMIT_PER_SECOND: '100000', // with Redis the limit is shared by the processes: not what this test is about
    JUNCTION_LEASE_MS: String(leaseMs),
  });
}

/** Waits until a log line of `p` passes `test`. */
async function logged(p: JunctionProcess, test: (line: Record<string, unknown>) => boolean): Promise<void> {
  while (!p.logs.some(test)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A second process standing by once the owner's address is known to it (it forwards from then on). */
async function standby(t: Test, store: Store, owner: string, leaseMs = LEASE_MS): Promise<{ p: JunctionProcess; origin: string }> {
  const p = member(t, store, 'b', leaseMs);
  const origin = await p.standing;
  await logged(p, (l) => l['msg'] === 'standing by: another process owns the partitions' && l['address'] === owner);
  return { p, origin };
}

/**
 * An owner `a`, a standby `b` behind it, and a reports key made with `junction keys` in the
 * owner's data folder, which works at once through the standby.
 */
async function ownerAndStandby(t: Test, store: Store): Promise<{ a: JunctionProcess; owner: string; b: { p: JunctionProcess; origin: string }; key: string }> {
  const a = member(t, store, 'a');
  const owner = await a.address;
  const b = await standby(t, store, owner);
  const created: string[] = [];
  t.equal(await keysCommand(['create'], { name: 'reports', scopes: 'reports', json: true }, { ...store, JUNCTION_DATA_DIR: join(t.testdir(), 'a') }, (l) => created.push(l)), 0);
  const { key } = JSON.parse(created[0]!) as { key: string };
  t.equal((await fetch(`${b.origin}/flows`, { headers: { authorization: `Bearer ${key}` } })).status, 200, 'a key just created works at once, through the standby');
  return { a, owner, b, key };
}

function add(origin: string, id: string): Promise<Response> {
  return fetch(`${origin}/flows/welcome/participants`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ person: { id } }) });
}

async function journeys(origin: string, id: string): Promise<string[]> {
  const answer = await fetch(`${origin}/api/v1/people/${id}/journeys`, { headers: AUTH });
  if (answer.status === 404) return [];
  if (answer.status !== 200) throw new Error(`journeys of ${id}: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { journeys: Array<{ flowId: string }> }).journeys.map((j) => j.flowId);
}

const CLUSTERS: Array<[name: string, storeOf: (t: Test) => Store, needs: Array<(t: Test) => Promise<false | string>>]> = [
  ['PostgreSQL', postgres, [unlessPostgres]],
  ['Redis', redis, [unlessRedis]],
  ['Redis in front of PostgreSQL', (t) => ({ ...postgres(t), ...redis(t), JUNCTION_STORE: 'redis+postgres' }), [unlessRedis, unlessPostgres]],
];

for (const [name, storeOf, needs] of CLUSTERS) {
  t.test(name, async (t) => {
    let skip: false | string = false;
    for (const need of needs) skip ||= await need(t);
    t.test('the standby forwards, takes over within 5 s of the owner being killed, and every acknowledged participant is there once', { skip }, async (t) => {
      const store = storeOf(t);
      const { a, owner, b, key } = await ownerAndStandby(t, store);
      t.match(await (await fetch(`${b.origin}/healthz`)).json(), { status: 'standby' }, 'the standby is alive');
      const notReady = await fetch(`${b.origin}/readyz`);
      t.equal(notReady.status, 503);
      t.match(await notReady.json(), { error: { code: 'JCT_STANDBY', message: 'this process stands by: another process owns the partitions' } }, 'and says it stands by');
      t.equal(notReady.headers.get('retry-after'), '1');
      const again = await fetch(`${b.origin}/flows/welcome/participants`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', 'x-junction-forwarded': '1' }, body: '{"person":{"id":"looped"}}' });
      t.equal(again.status, 503, 'a request forwarded once is not forwarded again (no loop through a standby)');
      const shown: string[] = [];
      t.equal(await clusterCommand(undefined, true, { ...store, JUNCTION_LEASE_MS: String(LEASE_MS) }, (l) => shown.push(l)), 0);
      const view = JSON.parse(shown[0]!) as { holder: { address: string; token: string }; members: Array<{ role: string; address: string }> };
      t.match(view.holder, { address: owner, token: '1' }, '`junction cluster` names the holder of the lease');
      t.same(view.members.map((m) => [m.role, m.address]), [['owner', owner], ['standby', b.origin]], 'and both processes with their roles and addresses');

      const acknowledged: string[] = [];
      for (let i = 0; i < 60; i++) {
        const id = `cluster-${i}`;
        const answer = await add(i % 2 === 0 ? owner : b.origin, id);
        if (answer.status === 201) acknowledged.push(id);
      }
      t.equal(acknowledged.length, 60, 'both processes take input: the standby forwards it to the owner');

      a.child.kill('SIGKILL');
      const killed = performance.now();
      await once(a.child, 'exit');
      const served = await b.p.address;
      const tookMs = performance.now() - killed;
      t.ok(tookMs < TAKEOVER_LIMIT_MS, `the standby took over in ${Math.round(tookMs)} ms (limit ${TAKEOVER_LIMIT_MS})`);
      t.equal(served, b.origin, 'on the address it stood by on');
      t.match(b.p.logs.find((l) => l['msg'] === 'took the lease: this process owns the partitions'), { token: '2' }, 'with the next fencing token');
      t.equal((await fetch(`${served}/readyz`)).status, 200);
      const found = await Promise.all(acknowledged.map((id) => journeys(served, id)));
      t.same(
        found.filter((flows) => flows.length !== 1 || flows[0] !== 'welcome'),
        [],
        'every acknowledged person is in the welcome flow, once',
      );
      t.equal((await add(served, 'after-takeover')).status, 201, 'the new owner takes input');
      const scoped = await fetch(`${served}/flows`, { headers: { authorization: `Bearer ${key}` } });
      t.equal(scoped.status, 200, 'a key created with `junction keys` before the takeover works on the new owner');
    });

    t.test('a stale owner (paused past its lease while the standby took over) writes nothing and stops', { skip }, async (t) => {
      const { a, owner, b } = await ownerAndStandby(t, storeOf(t));
      a.child.kill('SIGSTOP');
      const served = await b.p.address;
      const late = add(owner, 'written-while-stale').then(
        (r) => r.status,
        () => 'connection closed',
      );
      a.child.kill('SIGCONT');
      const [code] = (await once(a.child, 'exit')) as [number];
      t.equal(code, 3, 'the stale owner stops with exit code 3');
      t.ok(a.logs.some((l) => l['code'] === 'JCT_LEASE_LOST'), 'saying it lost its lease');
      t.match(String(await late), /^(503|connection closed)$/, 'its late request was not acknowledged');
      t.same(await journeys(served, 'written-while-stale'), [], 'and nothing of it was written');
      t.equal((await add(served, 'after-stale')).status, 201, 'the new owner goes on');
    });

    t.test('an owner stopped with SIGTERM releases its lease: the standby takes over at once, nothing lost', { skip }, async (t) => {
      const store = storeOf(t);
      const leaseMs = 20_000; // a takeover that waited for the lease to end would take this long
      const a = member(t, store, 'a', leaseMs);
      const owner = await a.address;
      const b = await standby(t, store, owner, leaseMs);
      t.equal((await add(b.origin, 'before-handover')).status, 201);
      a.child.kill('SIGTERM');
      const stopped = performance.now();
      const [code] = (await once(a.child, 'exit')) as [number];
      t.equal(code, 0, 'the owner stops cleanly');
      const served = await b.p.address;
      const tookMs = performance.now() - stopped;
      t.ok(tookMs < TAKEOVER_LIMIT_MS, `the standby took over in ${Math.round(tookMs)} ms, not at the end of the ${leaseMs} ms lease`);
      t.same(await journeys(served, 'before-handover'), ['welcome'], 'what the old owner acknowledged is there');
    });
  });
}
