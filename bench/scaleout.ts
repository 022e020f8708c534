// scaleout — what running several Junction processes on one PostgreSQL costs, measured on one
// 2-core machine where two processes cannot show growth honestly (PostgreSQL and the load
// generator share the cores). Flow API requests per second durable on PostgreSQL (api.ts's
// flow, request and load generator), five real `junction start` processes of this build:
//   - shard a, shard b: a sharded cluster (JUNCTION_SHARDS=2), each process holding one shard;
//   - owner, standby: an active/standby cluster (shards = 1) on another schema;
//   - single: no cluster mode, a schema of its own.
// Forwarding (the target, ≥ 0.7×): people of shard 0 sent to the process not holding it, so
// every request is carried out by the other process (a shard call), beside the same people sent
// to shard 0's holder. Cluster mode (≥ 0.8×): shard 0's holder beside the single process. Also
// logged: the standby forwarding whole requests to the owner, and the owner beside the single
// process. Rounds go through the five in turn: 50 connections, 10 s (3 s with --quick), median
// of 3 rounds (1 with --quick), after a 2 s warm-up of each. Only 127.0.0.1; schemas dropped at the end.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { median, round3, type BenchResult, type Scenario } from './harness.js';
import { benchModule, junctionEnv, startServer, type Server } from './lib/processes.js';
import { describe, hit, workDir, type Target } from './api.js';
import { shardView } from '../engine/store/postgres-shard-leases.js';

const PG_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const FORWARD_TARGET = 0.7;
const CLUSTER_TARGET = 0.8;
/** Long enough that the standby never takes over during a run (the owner renews every third of it). */
const LEASE_MS = '10000';
/** How long the standby needs to learn the owner's address (it asks for the lease every 0.5 s). */
const LEARN_OWNER_MS = 1500;

type ScaleoutResult = BenchResult & { clusterRatio: number; singleValue: number; standbyRatio: number; ownerRatio: number };
/** Shards of the sharded cluster: one per process. */
const SHARDS = 2;

function start(module: string, env: NodeJS.ProcessEnv, ready: string): Promise<Server> {
  return startServer(module, ['start'], env, ready);
}

/** Phone counters far apart, so the processes sharing a schema never meet the same person. */
function target(name: string, server: Server, firstId: number): Target {
  return { name, server, nextId: firstId, non2xx: 0, refused: 0 };
}

async function dropSchemas(schemas: string[]): Promise<void> {
  const client = new Client(PG_URL);
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

/** Who holds shard 0 of the sharded cluster on `schema`: the server at that address. */
async function holderOfShardZero(schema: string, servers: readonly Server[]): Promise<{ holder: Server; other: Server }> {
  const view = await shardView(PG_URL, schema, SHARDS);
  const address = view.get(0)?.address;
  const holder = servers.find((s) => s.url === address);
  if (!holder) throw new Error(`scaleout: shard 0 is held at ${String(address)}, none of ours`);
  return { holder, other: servers.find((s) => s !== holder)! };
}

async function measure(targets: readonly Target[], quick: boolean, log: (line: string) => void): Promise<ScaleoutResult> {
  const seconds = quick ? 3 : 10;
  const rounds = quick ? 1 : 3;
  for (const t of targets) log(`warm-up ${t.name}: ${describe(await hit(t, 2))}`);
  const figures = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const t of targets) {
      const s = await hit(t, seconds);
      figures.get(t.name)!.push(s.rps);
      line.push(`${t.name} ${describe(s)}`);
    }
    log(`round ${r + 1}: ${line.join(', ')}`);
  }
  const rate = (name: string) => median(figures.get(name)!);
  const [direct, forwarded, alone, owner, standby] = ['shard direct', 'shard forwarded', 'single', 'owner', 'standby'].map(rate) as [number, number, number, number, number];
  const ratio = forwarded / direct;
  const clusterRatio = direct / alone;
  const failures = targets.reduce((n, t) => n + t.non2xx, 0);
  log(`sharded: forwarded / direct ${round3(ratio)} (target ≥ ${FORWARD_TARGET}); sharded direct / single ${round3(clusterRatio)} (target ≥ ${CLUSTER_TARGET})`);
  log(`active/standby (shards = 1): standby forwarding / owner ${round3(standby / owner)}; owner / single ${round3(owner / alone)}; non-2xx answers ${failures}`);
  return {
    bench: 'scaleout',
    metric: 'forwarded_flow_api_requests_per_second',
    unit: 'req/s',
    value: Math.round(forwarded),
    baseline: "the same requests sent to the process holding the person's shard",
    baselineValue: Math.round(direct),
    ratio: round3(ratio),
    target: FORWARD_TARGET,
    pass: ratio >= FORWARD_TARGET && clusterRatio >= CLUSTER_TARGET && failures === 0,
    clusterRatio: round3(clusterRatio),
    singleValue: Math.round(alone),
    standbyRatio: round3(standby / owner),
    ownerRatio: round3(owner / alone),
  };
}

const scenario: Scenario = {
  name: 'scaleout',
  async run({ quick, log }) {
    const dir = workDir();
    const suffix = randomBytes(4).toString('hex');
    const [shared, own, sharded] = [`bench_cluster_${suffix}`, `bench_single_${suffix}`, `bench_sharded_${suffix}`];
    const servers: Server[] = [];
    const env = (name: string, schema: string, cluster: boolean, shards = 1): NodeJS.ProcessEnv => {
      const data = join(dir.root, name);
      mkdirSync(data);
      const sharding = shards > 1 ? { JUNCTION_SHARDS: String(shards), JUNCTION_CLUSTER_SECRET: 'a secret for the scaleout bench' } : {};
      return { ...junctionEnv(dir.flows, data), DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_CLUSTER: cluster ? '1' : '0', JUNCTION_LEASE_MS: LEASE_MS, ...sharding };
    };
    const junction = benchModule('../bin/junction');
    try {
      servers.push(await start(junction, env('owner', shared, true), 'Junction is listening'));
      servers.push(await start(junction, env('standby', shared, true), 'Junction is standing by'));
      servers.push(await start(junction, env('single', own, false), 'Junction is listening'));
      servers.push(await start(junction, env('shard-a', sharded, true, SHARDS), 'Junction is listening'));
      servers.push(await start(junction, env('shard-b', sharded, true, SHARDS), 'Junction is listening'));
      await new Promise((resolve) => setTimeout(resolve, LEARN_OWNER_MS));
      const [a, b, c, d, e] = servers as [Server, Server, Server, Server, Server];
      const { holder, other } = await holderOfShardZero(sharded, [d, e]);
      const zero = { index: 0, of: SHARDS };
      return await measure(
        [
          { ...target('shard direct', holder, 0), shard: zero },
          { ...target('shard forwarded', other, 2_000_000), shard: zero },
          target('owner', a, 0),
          target('standby', b, 5_000_000),
          target('single', c, 0),
        ],
        quick,
        log,
      );
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir.root, { recursive: true, force: true });
      await dropSchemas([shared, own, sharded, ...Array.from({ length: SHARDS }, (_, n) => `${sharded}_s${n}`)]);
    }
  },
};

export default scenario;
