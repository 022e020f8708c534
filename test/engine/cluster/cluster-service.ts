// Test helper for sharded clusters: processes of one cluster run here, each a ShardedProcess with
// its app (buildApp over its Core, the internal route on it) listening on a loopback port, over
// the test database; a process stopping or joining moves shards at once (they are given up), and
// leases are long enough that none ends under a loaded machine. Schemas (the cluster's and its
// shards') are dropped when the test ends.
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { ShardedProcess } from '../../../engine/cluster/sharded-process.js';
import { SystemClock, type Clock } from '../../../engine/clock.js';
import type { Module, Settings } from '../../../engine/module.js';
import { buildApp } from '../../../gateway/app.js';
import { commitMetrics } from '../../../gateway/metrics.js';
import { shardCallRoutes } from '../../../gateway/cluster/shard-calls.js';
import { registryWith } from '../helpers.js';
import type { PeopleFile } from '../../../engine/people-file.js';
import type { Engine } from '../../../engine/runtime/engine.js';
import { PG_URL, sql, tempSchema } from '../store/postgres-service.js';
import { REDIS_URL } from '../store/redis-service.js';

export const SECRET = 'a cluster secret for tests';
export const ADMIN_KEY = 'admin-key-for-cluster-tests-0123456789';
export const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

export interface TestProcess {
  readonly process: ShardedProcess;
  readonly app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  readonly address: string;
  /** The shard calls its internal route carried out for other processes, in order. */
  readonly served: Array<{ readonly call: string; readonly shard: number }>;
  /** What its process logged, in order (nothing is printed). */
  readonly logs: Array<{ readonly msg: string } & Record<string, unknown>>;
  /** Stops it in good order (its shards given up); once only. */
  stop(): Promise<void>;
  /** Whether stop() was called. */
  readonly stopping: boolean;
}

/**
 * The processes' lease: long enough that a loaded machine (a CI run's parallel jobs) is never
 * late renewing it. Shards still move at once when a process stops (it gives its shards up) or
 * joins (the others give theirs up).
 */
const LEASE_MS = 5000;

export interface ClusterOptions {
  readonly processes?: number;
  readonly shards?: number;
  /** The modules of each process: one list for all, or made for each (a module that keeps state per process, as a provider's sends in flight). */
  readonly modules?: Module[] | (() => Module[]);
  readonly settings?: Record<string, Settings>;
  /** The engines' clock, shared by every process (default: the system's). */
  readonly clock?: Clock;
  /** The people file every process loads (checked as `junction start` checks it). */
  readonly peopleFile?: PeopleFile;
  /** Redis in front of the shards, under this prefix, on `redisUrl` (default: the test's Redis). */
  readonly redisPrefix?: string;
  readonly redisUrl?: string;
  /** A schema of the test's own already holding state (a moved store); default a fresh one. */
  readonly schema?: string;
}

export interface TestCluster {
  readonly schema: string;
  readonly shards: number;
  readonly processes: TestProcess[];
  /** Starts one more process of the cluster. */
  start(): Promise<TestProcess>;
  /** Resolves once every shard is served by one of the running processes and advertised. */
  settled(): Promise<void>;
}

/** An API answer: status, JSON body (undefined when empty) and headers. */
export interface Answer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** Calls the app's API with the admin key (and `headers`). */
export async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const r = await app.inject({ method, url, headers: { ...AUTH, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.body === '' ? undefined : r.json(), headers: r.headers };
}

/** Polls `read` until `ok` holds of it (a change reaches the other process's shards through the log's NOTIFY), up to 5 s. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const until = Date.now() + 5000;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A cluster of `processes` processes over `shards` shards, settled; stopped and dropped when `t` ends. */
export async function clusterOf(t: Test, options: ClusterOptions = {}): Promise<TestCluster> {
  const shards = options.shards ?? 4;
  const schema = options.schema ?? tempSchema(t, 'sharded');
  t.teardown(() => Promise.all(Array.from({ length: shards }, (_, n) => sql(`DROP SCHEMA IF EXISTS "${schema}_s${n}" CASCADE`))));
  const processes: TestProcess[] = [];
  const cluster: TestCluster = {
    schema,
    shards,
    processes,
    start: async () => {
      const p = await startProcess(schema, shards, options);
      processes.push(p);
      return p;
    },
    settled: () => settled(processes, shards),
  };
  t.teardown(() => Promise.all(processes.map((p) => p.stop())));
  for (let i = 0; i < (options.processes ?? 2); i++) await cluster.start();
  await cluster.settled();
  return cluster;
}

async function startProcess(schema: string, shards: number, options: ClusterOptions): Promise<TestProcess> {
  const clock = options.clock ?? new SystemClock();
  const logs: TestProcess['logs'] = [];
  const kept = (obj: object, msg: string) => void logs.push({ ...obj, msg });
  const logger = { info: kept, warn: kept, error: kept };
  const commits = commitMetrics();
  const process = await ShardedProcess.start({
    onJournal: (journal) => commits.observe(journal),
    url: PG_URL,
    schema,
    shards,
    secret: SECRET,
    leaseMs: LEASE_MS,
    pollMs: 50,
    flushMs: 1,
    registry: registryWith(typeof options.modules === 'function' ? options.modules() : options.modules, options.settings),
    clock,
    logger,
    ...(options.peopleFile === undefined ? {} : { peopleFile: options.peopleFile }),
    ...(options.redisPrefix === undefined ? {} : { redis: { url: options.redisUrl ?? REDIS_URL, prefix: options.redisPrefix } }),
  });
  const app = buildApp(process.core, { adminKey: ADMIN_KEY, commitMetrics: commits, rateLimitPerSecond: 1_000_000 }); // no rate limit: tests under load
  const served: TestProcess['served'] = [];
  const engineOf = (shard: number) => process.engineOf(shard);
  const calls = Object.fromEntries(
    Object.entries(process.calls).map(([name, run]) => [name, (engine: Engine, args: never) => (served.push({ call: name, shard: shardOf(engine, shards, engineOf) }), run(engine, args))]),
  );
  shardCallRoutes(app, { secret: SECRET, calls, engineOf });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  await process.advertise(address);
  let stopped: Promise<void> | undefined;
  return {
    process,
    app,
    address,
    served,
    logs,
    stop: () => (stopped ??= process.stop().then(() => app.close())),
    get stopping() {
      return stopped !== undefined;
    },
  };
}

/** The shard an engine served here is the engine of (-1: none now). */
function shardOf(engine: Engine, shards: number, engineOf: (shard: number) => Engine | undefined): number {
  return Array.from({ length: shards }, (_, shard) => shard).find((shard) => engineOf(shard) === engine) ?? -1;
}

/**
 * Waits (up to 10 s) until the running processes serve every shard between them, each its fair
 * share: a process that joined takes shards the others give up one at a time, and a call made
 * while one moves may be answered 503 (it is moving), which a test should not meet.
 */
async function settled(processes: readonly TestProcess[], shards: number): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const held = processes.filter((p) => !p.stopping).map((p) => p.process.shards().length);
    const served = processes.flatMap((p) => p.process.shards());
    const fair = Math.max(...held) - Math.min(...held) <= 1;
    if (served.length === shards && new Set(served).size === shards && fair) return;
    if (Date.now() > until) throw new Error(`shards not settled: served ${JSON.stringify(processes.map((p) => p.process.shards()))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
