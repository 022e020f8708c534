// Two `junction start` processes (the built command) of one sharded cluster (shards 4) on one
// PostgreSQL schema: each serves two shards (as `junction cluster --json` shows); the flows
// folder both launch makes one version, active through either; a person added through one is
// read through the other. SIGTERM one: it gives its shards up and the other serves all four
// within 5 s, the person still there. A restart with shards 8 is refused (JCT_SHARDS_CHANGED),
// and shards 4 without a cluster secret at configuration. A process paused (SIGSTOP) past its
// leases loses its shards to the other; continued, it drops them (JCT_LEASE_LOST), writes nothing
// stale and takes its share again. A third process over two shards is a spare: it warns
// JCT_NO_SHARD, serves the API through the others, and once one stops it takes its shard and
// launches the flows folder (no new version).
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH, startMember, type JunctionProcess } from './junction-process.js';
import { clusterCommand } from '../../bin/commands/cluster.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

const SHARDS = 4;
const TAKEOVER_LIMIT_MS = 5000;
const CLUSTER_SECRET = 'a cluster secret for the sharded start test';

const skip = await unlessPostgres(t);

/** The cluster's settings: its own schema (its shards' schemas dropped at the end too), a flows folder of one flow. */
function clusterEnv(t: Test, shards = SHARDS): NodeJS.ProcessEnv {
  const schema = tempSchema(t, 'sharded_start');
  t.teardown(() => Promise.all(Array.from({ length: shards }, (_, n) => sql(`DROP SCHEMA IF EXISTS "${schema}_s${n}" CASCADE`))));
  const flows = mkdtempSync(join(tmpdir(), 'sharded-start-flows-')); // not in t.testdir(): startMember makes that afresh
  t.teardown(() => rmSync(flows, { recursive: true, force: true }));
  copyFileSync('examples/flows/order-shipped.json', join(flows, 'order-shipped.json'));
  return {
    JUNCTION_CLUSTER: '1',
    JUNCTION_STORE: 'postgres',
    DATABASE_URL: PG_URL,
    JUNCTION_DATABASE_SCHEMA: schema,
    JUNCTION_SHARDS: String(shards),
    JUNCTION_CLUSTER_SECRET: CLUSTER_SECRET,
    JUNCTION_FLOWS: flows,
    JUNCTION_LEASE_MS: '1000',
  };
}

/** Who holds each shard, by address, as `junction cluster --json` says. */
async function holders(env: NodeJS.ProcessEnv): Promise<Array<string | undefined>> {
  const shown: string[] = [];
  await clusterCommand(undefined, true, env, (l) => shown.push(l));
  const view = JSON.parse(shown[0]!) as { shards: Array<{ address?: string; endsInMs?: number }> };
  return view.shards.map((s) => ((s.endsInMs ?? 0) > 0 ? s.address : undefined));
}

/** Polls `junction cluster` until `ok` holds of the holders, up to `withinMs`; returns them as last read. */
async function holdersUntil(env: NodeJS.ProcessEnv, ok: (held: Array<string | undefined>) => boolean, withinMs: number): Promise<Array<string | undefined>> {
  const until = Date.now() + withinMs;
  for (;;) {
    const held = await holders(env);
    if (ok(held) || Date.now() > until) return held;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const count = (held: Array<string | undefined>, address: string): number => held.filter((a) => a === address).length;

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const answer = await fetch(url, { ...init, headers: { ...AUTH, 'content-type': 'application/json', ...init.headers } });
  return { status: answer.status, body: await answer.json() };
}

/** The process's exit code and what it said on stderr, once it ends. */
async function ended(p: JunctionProcess): Promise<{ code: number | null; said: string }> {
  p.address.catch(() => {}); // a refused start never listens
  const [code] = (await once(p.child, 'exit')) as [number | null];
  return { code, said: p.printed.join('\n') };
}

/** Two processes of a new cluster, `a` started first, once each serves two of the four shards (`shared`: who holds each). */
async function twoSharing(t: Test): Promise<{ env: NodeJS.ProcessEnv; a: JunctionProcess; addressA: string; b: JunctionProcess; addressB: string; shared: Array<string | undefined> }> {
  const env = clusterEnv(t);
  const a = startMember(t, 'a', env);
  const addressA = await a.address;
  const b = startMember(t, 'b', env);
  const addressB = await b.address;
  const shared = await holdersUntil(env, (held) => count(held, addressA) === 2 && count(held, addressB) === 2, 10_000);
  return { env, a, addressA, b, addressB, shared };
}

t.test('two processes share four shards; one stopped, the other serves them all', { skip }, async (t) => {
  const { env, a, addressA, b, addressB, shared } = await twoSharing(t);
  t.same([count(shared, addressA), count(shared, addressB)], [2, 2], `each process serves two shards: ${JSON.stringify(shared)}`);
  t.ok(a.logs.some((l) => l['msg'] === 'flow launched' && l['flow'] === 'order-shipped'), 'the first process launched the flows folder');
  t.ok(b.logs.some((l) => l['msg'] === 'flow recovered' && l['flow'] === 'order-shipped'), 'the second found it launched: no second version');
  const flows = await json(`${addressB}/flows`);
  t.same(flows.body.flows, [{ id: 'order-shipped', version: 1, name: 'Order shipped', status: 'active' }], 'one version, active, read through the other process');

  const added = await json(`${addressA}/api/v1/people`, { method: 'POST', body: JSON.stringify({ phones: ['+385911234567'] }) });
  t.equal(added.status, 201);
  const found = await json(`${addressB}/api/v1/people?phone=%2B385911234567`);
  t.equal(found.body.id, added.body.id, 'the person added through one process is read through the other');
  for (const address of [addressA, addressB]) {
    const grace = await json(`${address}/api/v1/people?phone=%2B12125550142`);
    t.match(grace.body, { id: 'grace', standard: { firstName: 'Grace' } }, 'a person of the example people file, read through either process');
  }
  t.equal((await fetch(`${addressB}/readyz`)).status, 200);
  t.match(a.logs[0], { msg: 'configuration', config: { shards: 4, clusterSecret: '[redacted]' } }, 'the cluster secret is not logged');

  a.child.kill('SIGTERM');
  const stopped = performance.now();
  t.equal((await ended(a)).code, 0, 'the stopped process ends with 0');
  const all = await holdersUntil(env, (held) => count(held, addressB) === SHARDS, TAKEOVER_LIMIT_MS);
  const tookMs = performance.now() - stopped;
  t.equal(count(all, addressB), SHARDS, `the other process serves every shard, in ${Math.round(tookMs)} ms`);
  t.ok(tookMs < TAKEOVER_LIMIT_MS);
  t.ok(a.logs.filter((l) => l['msg'] === 'shard given up').length >= 2, 'the stopped process gave its shards up');
  const still = await json(`${addressB}/api/v1/people/${added.body.id as string}`);
  t.equal(still.status, 200, 'the person is still there');

  b.child.kill('SIGTERM');
  await ended(b);
  const again = startMember(t, 'c', { ...env, JUNCTION_SHARDS: '8' });
  const refused = await ended(again);
  t.equal(refused.code, 2);
  t.match(refused.said, /^error JCT_SHARDS_CHANGED: the cluster was started with 4 shards, not 8: start it with shards 4.*\(JUNCTION_SHARDS\)$/m, 'a restart with another shard count is refused, naming both');
});

t.test('a people file with a problem stops the start before it joins, naming the file and its setting', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sharded-start-people-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'people.json'), JSON.stringify({ people: [{ id: 'ana', custom: { nope: 1 } }] }));
  const { code, said } = await ended(startMember(t, 'a', { ...clusterEnv(t), JUNCTION_PEOPLE: join(dir, 'people.json') }));
  t.equal(code, 2);
  t.match(said, /^error JCT_ATTRIBUTE_UNKNOWN: the people file .*people\.json \(JUNCTION_PEOPLE\): \$\.people\[0\]: unknown attribute "nope"/m);
});

t.test('shards 4 without a cluster secret is refused at configuration', async (t) => {
  const p = startMember(t, 'a', { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_SHARDS: '4', JUNCTION_PEOPLE: '', JUNCTION_CLUSTER_SECRET: '' });
  const { code, said } = await ended(p);
  t.equal(code, 2);
  t.match(said, /JCT_CONFIG_INVALID/);
  t.match(said, /\$\.clusterSecret .*shards 4 needs a clusterSecret/);
});

t.test('a process paused past its leases loses its shards to the other; back, it writes nothing stale and takes its share again', { skip }, async (t) => {
  const { env, a, addressA, b, addressB } = await twoSharing(t);
  const added = await json(`${addressA}/api/v1/people`, { method: 'POST', body: JSON.stringify({ phones: ['+385917654321'] }) });
  const id = added.body.id as string;
  const shard = Number(/^(\d+)-/.exec(id)![1]);
  const held = await holders(env);
  const paused = held[shard] === addressA ? a : b;
  const [pausedAddress, otherAddress] = paused === a ? [addressA, addressB] : [addressB, addressA];

  paused.child.kill('SIGSTOP');
  const all = await holdersUntil(env, (h) => count(h, otherAddress) === SHARDS, TAKEOVER_LIMIT_MS + 1000);
  t.equal(count(all, otherAddress), SHARDS, 'the other process took the paused one’s shards');
  const tagged = await untilServed(() => json(`${otherAddress}/api/v1/people/${id}/tags`, { method: 'POST', body: JSON.stringify({ tags: ['after'] }) }));
  t.equal(tagged.status, 200, `the person changed through the process that holds their shard now: ${JSON.stringify(tagged.body)}`);

  paused.child.kill('SIGCONT');
  const until = Date.now() + TAKEOVER_LIMIT_MS;
  while (paused.logs.filter((l) => l['code'] === 'JCT_LEASE_LOST').length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(paused.logs.filter((l) => l['code'] === 'JCT_LEASE_LOST').length, 2, 'back, it finds both its shards taken and drops them');
  const shared = await holdersUntil(env, (h) => count(h, pausedAddress) === 2 && count(h, otherAddress) === 2, 10_000);
  t.same([count(shared, pausedAddress), count(shared, otherAddress)], [2, 2], 'then takes its share again');
  const read = await untilServed(() => json(`${pausedAddress}/api/v1/people/${id}`));
  t.same(read.body.tags, ['after'], 'read through it, the person is as the other process left them: nothing stale was written');
});

/** Calls again while the answer is 503 (a shard just taken is still being opened: a client tries again), up to 5 s. */
async function untilServed<T extends { status: number }>(ask: () => Promise<T>): Promise<T> {
  let answer = await ask();
  for (let tries = 0; answer.status === 503 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await ask();
  }
  return answer;
}

t.test('a process beyond the shards is a spare: it serves through the others, then takes a shard freed and launches the flows folder', { skip }, async (t) => {
  const env = clusterEnv(t, 2);
  const a = startMember(t, 'a', env);
  const addressA = await a.address;
  const b = startMember(t, 'b', env);
  const addressB = await b.address;
  await holdersUntil(env, (held) => count(held, addressA) === 1 && count(held, addressB) === 1, 10_000);
  const c = startMember(t, 'c', { ...env, JUNCTION_STORE_START_TIMEOUT_S: '1' });
  const addressC = await c.address;
  t.match(c.logs.find((l) => l['code'] === 'JCT_NO_SHARD'), { level: 40, shards: 2 }, 'it warns that it serves no shard');
  t.match(c.logs.at(-1), { msg: 'Junction is listening', shards: [] }, 'and listens all the same');
  t.equal((await fetch(`${addressC}/readyz`)).status, 503, 'not ready while it serves no shard');
  const added = await json(`${addressC}/api/v1/people`, { method: 'POST', body: JSON.stringify({ phones: ['+385915550123'] }) });
  t.equal(added.status, 201, 'a person added through it: made in their shard elsewhere');

  a.child.kill('SIGTERM');
  t.equal((await ended(a)).code, 0);
  const held = await holdersUntil(env, (h) => count(h, addressC) === 1, TAKEOVER_LIMIT_MS);
  t.equal(count(held, addressC), 1, 'the spare took the shard given up');
  const until = Date.now() + TAKEOVER_LIMIT_MS;
  while (!c.logs.some((l) => l['msg'] === 'flow recovered') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  t.match(c.logs.find((l) => l['msg'] === 'flow recovered'), { flow: 'order-shipped' }, 'it launched the flows folder: the flow already running, no new version');
  t.equal((await fetch(`${addressC}/readyz`)).status, 200, 'ready now');
  const flows = await json(`${addressC}/flows`);
  t.same(flows.body.flows, [{ id: 'order-shipped', version: 1, name: 'Order shipped', status: 'active' }]);
  const person = await json(`${addressC}/api/v1/people/${added.body.id as string}`);
  t.equal(person.status, 200, 'the person is there');
});
