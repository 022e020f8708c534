// The crash test, run on each store by crash.test.ts (embedded), crash-pg.test.ts,
// crash-redis.test.ts and crash-redis-pg.test.ts: `junction start`, people through a flow of
// Pause → Call webhook → Pause → Call webhook, the process SIGKILLed at 5 random moments and
// restarted each time. crashRunCluster (crash-cluster.test.ts) runs two processes in cluster
// mode instead, people sent to both: the owner is killed, the standby takes over, the killed one
// comes back as the standby. At the end every participant exited exactly once, the local sink
// saw exactly 2 × people distinct idempotency keys (a receiver drops the duplicates a crash
// between sending and recording causes; their number is reported), nothing is stuck, no timer
// lost.
import type { Test } from 'tap';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH, startJunction, type JunctionProcess } from './junction-process.js';

/** What every run's test is called. */
export const CRASH_TEST = 'SIGKILL at 5 random moments loses nothing and sends every effect once';
const KILLS = 5;
const CONCURRENCY = 64;

interface Sink {
  server: Server;
  url: string;
  keys: Map<string, number>;
  requests: number;
}

async function startSink(): Promise<Sink> {
  const sink = { keys: new Map<string, number>(), requests: 0 } as Sink;
  sink.server = createServer((req, res) => {
    sink.requests++;
    const key = String(req.headers['idempotency-key']);
    sink.keys.set(key, (sink.keys.get(key) ?? 0) + 1);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  sink.server.listen(0, '127.0.0.1');
  await once(sink.server, 'listening');
  const address = sink.server.address() as { port: number };
  sink.url = `http://127.0.0.1:${address.port}/hook`;
  return sink;
}

function crashFlow(url: string): object {
  const hook = (id: string, next?: string) => ({ id, type: 'callWebhook', config: { url, timeoutSeconds: 600 }, ...(next ? { branches: { next } } : {}) });
  const pause = (id: string, next: string) => ({ id, type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'seconds' } }, branches: { next } });
  return {
    schemaVersion: 1,
    id: 'crash',
    name: 'Crash test',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'p1' } }],
    elements: [pause('p1', 'h1'), hook('h1', 'p2'), pause('p2', 'h2'), hook('h2')],
    settings: { timeZone: 'UTC', reentry: { enabled: false } },
  };
}

class Junction {
  child: ChildProcess | undefined;
  address = '';
  starts = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(): Promise<void> {
    const started = startJunction(this.env);
    this.child = started.child;
    this.starts++;
    this.address = await started.address;
  }

  async kill(): Promise<void> {
    const child = this.child!;
    this.address = '';
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}

/** Person i: a phone; with `email`, an email too (in a sharded cluster most such people hold a key away from its home shard). */
function personOf(i: number, email: boolean): object {
  const phones = [`+38591${String(i).padStart(7, '0')}`];
  return email ? { phones, emails: [`person${i}@crash.example`] } : { phones };
}

/**
 * Posts one person until the answer is a 2xx: a carrier retries what was not acknowledged. A retry
 * of a request that did commit before the kill is refused by the flow's re-entry rule (200, not entered).
 */
async function addPerson(addressOf: () => string, i: number, email: boolean): Promise<void> {
  const body = JSON.stringify({ person: personOf(i, email) });
  for (;;) {
    const address = addressOf();
    if (address) {
      try {
        const res = await fetch(`${address}/flows/crash/participants`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body });
        await res.arrayBuffer();
        if (res.status < 300) return;
        if (res.status < 500) throw new Error(`person ${i}: ${res.status}`);
      } catch (err) {
        if ((err as Error).message.startsWith('person')) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

type FlowMetrics = { profilesInFlow: number; profilesExited: number; activeParticipants: number };

async function metrics(address: string): Promise<FlowMetrics | undefined> {
  if (!address) return undefined;
  try {
    const res = await fetch(`${address}/flows/crash`, { headers: AUTH });
    return ((await res.json()) as { metrics: { profilesInFlow: number; profilesExited: number; activeParticipants: number } }).metrics;
  } catch {
    return undefined;
  }
}

/** The sink and a flows folder holding the crash flow, both gone when `t` ends; the environment of a process using them. */
async function setUp(t: Test, storeEnv: NodeJS.ProcessEnv): Promise<{ sink: Sink; env: (data: string) => NodeJS.ProcessEnv }> {
  const sink = await startSink();
  const dir = mkdtempSync(join(tmpdir(), 'junction-crash-'));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'crash.json'), JSON.stringify(crashFlow(sink.url)));
  t.teardown(() => {
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (data: string): NodeJS.ProcessEnv => ({
    ...process.env,
    JUNCTION_PORT: '0',
    JUNCTION_HOST: '127.0.0.1',
    JUNCTION_LOG_LEVEL: 'info',
    JUNCTION_FLOWS: flows,
    JUNCTION_PEOPLE: '',
    JUNCTION_DATA_DIR: join(dir, data),
    JUNCTION_RATE_LIMIT_PER_SECOND: '1000000',
    ...storeEnv,
  });
  return { sink, env };
}

/** Feeds `people` people through whatever address `addressOf` gives at each attempt, while `killer` runs. */
async function feed(people: number, addressOf: () => string, killer: Promise<void>, email = false): Promise<void> {
  let next = 0;
  const feeders = Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < people; i = next++) await addPerson(addressOf, i, email);
  });
  await Promise.all([...feeders, killer]);
}

/** Waits for every participant to exit (4 min at most), then checks the flow's counts and the sink's keys. */
async function verify(t: Test, addressOf: () => string, people: number, sink: Sink): Promise<void> {
  let m = await metrics(addressOf());
  for (let waited = 0; (m?.profilesExited ?? 0) < people && waited < 240_000; waited += 200) {
    await new Promise((r) => setTimeout(r, 200));
    m = await metrics(addressOf());
  }
  t.comment(`metrics after the run: ${JSON.stringify(m && { in: m.profilesInFlow, exited: m.profilesExited, active: m.activeParticipants })}`);
  t.equal(m?.profilesInFlow, people, 'every person entered once');
  t.equal(m?.profilesExited, people, 'every participant exited exactly once');
  t.equal(m?.activeParticipants, 0, 'none stuck');
  t.equal(sink.keys.size, 2 * people, 'the sink saw exactly 2 × people distinct idempotency keys');
  const duplicates = sink.requests - sink.keys.size;
  t.comment(`requests ${sink.requests}, distinct keys ${sink.keys.size}, duplicates dropped by key ${duplicates}`);
  t.ok(duplicates <= KILLS * 1000, 'duplicates only from requests in flight at a kill');
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs the crash test on the store `storeEnv` selects, with `people` people. */
export async function crashRun(t: Test, storeEnv: NodeJS.ProcessEnv, people: number): Promise<void> {
  const { sink, env } = await setUp(t, storeEnv);
  const j = new Junction(env('data'));
  t.teardown(() => j.child?.kill('SIGKILL'));
  await j.start();
  const killer = (async () => {
    for (let k = 0; k < KILLS; k++) {
      await pause(300 + Math.random() * 1500);
      await j.kill();
      await j.start();
    }
  })();
  await feed(people, () => j.address, killer);
  t.equal(j.starts, KILLS + 1, 'killed 5 times, restarted each time');
  await verify(t, () => j.address, people, sink);
}

/** One process of a cluster: where it serves (standing by, it forwards to the owner), and whether it owns. */
class Member {
  process: JunctionProcess | undefined;
  origin = '';
  owns = false;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Starts it and waits until it stands by; `owning` resolves once it took the lease. */
  async start(): Promise<{ owning: Promise<void> }> {
    const p = (this.process = startJunction(this.env));
    this.origin = await p.standing;
    const owning = p.address.then(() => void (this.owns = true));
    owning.catch(() => {}); // a killed standby never owns
    return { owning };
  }

  async kill(): Promise<void> {
    const child = this.process!.child;
    this.origin = '';
    this.owns = false;
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}

/**
 * The crash test on two processes in cluster mode sharing the store `storeEnv` selects (with
 * leases of `leaseMs`): people sent to both; 5 times the owner is SIGKILLed, the standby takes
 * over, and the killed one starts again as the standby.
 */
export async function crashRunCluster(t: Test, storeEnv: NodeJS.ProcessEnv, people: number, leaseMs: number): Promise<void> {
  const { sink, env } = await setUp(t, { ...storeEnv, JUNCTION_CLUSTER: '1', JUNCTION_LEASE_MS: String(leaseMs) });
  const members = [new Member(env('a')), new Member(env('b'))];
  t.teardown(() => members.forEach((m) => m.process?.child.kill('SIGKILL')));
  const owning = await Promise.all(members.map((m) => m.start()));
  await Promise.race(owning.map((o) => o.owning));
  let takeovers = 0;
  const killer = (async () => {
    for (let k = 0; k < KILLS; k++) {
      await pause(300 + Math.random() * 1500);
      const owner = members.find((m) => m.owns)!;
      const standby = members.find((m) => m !== owner)!;
      const taken = standby.process!.address;
      await owner.kill();
      await taken;
      takeovers++;
      await owner.start();
    }
  })();
  let turn = 0;
  const anyOrigin = (): string => members[turn++ % 2]!.origin || members[turn % 2]!.origin;
  await feed(people, anyOrigin, killer);
  t.equal(takeovers, KILLS, 'the owner killed 5 times, the standby took over each time');
  await verify(t, () => members.find((m) => m.owns)?.origin ?? '', people, sink);
}

/**
 * The crash test on a sharded cluster (shards 4) of two processes sharing PostgreSQL: people (a
 * phone and an email each, so most hold a key away from its home shard: the directory) sent
 * to both, each serving its share and calling the other for people of its shards; 5 times one of
 * them (each in turn) is SIGKILLed: the other takes its shards once their leases (`leaseMs`) end,
 * and the killed one starts again and takes its share back.
 */
export async function crashRunSharded(t: Test, storeEnv: NodeJS.ProcessEnv, people: number, leaseMs: number): Promise<void> {
  const sharded = { ...storeEnv, JUNCTION_CLUSTER: '1', JUNCTION_SHARDS: '4', JUNCTION_CLUSTER_SECRET: 'a secret for the crash test', JUNCTION_LEASE_MS: String(leaseMs) };
  const { sink, env } = await setUp(t, sharded);
  const members = [new Junction(env('a')), new Junction(env('b'))];
  t.teardown(() => members.forEach((m) => m.child?.kill('SIGKILL')));
  for (const m of members) await m.start();
  const killer = (async () => {
    for (let k = 0; k < KILLS; k++) {
      await pause(300 + Math.random() * 1500);
      const victim = members[k % 2]!;
      await victim.kill();
      await victim.start();
    }
  })();
  let turn = 0;
  const anyAddress = (): string => members[turn++ % 2]!.address || members[turn % 2]!.address;
  await feed(people, anyAddress, killer, true);
  t.equal(members.reduce((n, m) => n + m.starts, 0), 2 + KILLS, 'killed 5 times, started again each time');
  await verify(t, anyAddress, people, sink);
}
