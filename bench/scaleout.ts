// scaleout — what running several Junction processes on one PostgreSQL costs, measured on one
// 2-core machine where two processes cannot show growth honestly (PostgreSQL and the load
// generator share the cores). Flow API requests per second durable on PostgreSQL (api.ts's
// flow, request and load generator), three real `junction start` processes of this build:
//   - owner: cluster mode (JUNCTION_CLUSTER=1), holding the lease, every commit fenced;
//   - standby: cluster mode on the same schema, forwarding every request to the owner;
//   - single: no cluster mode, a schema of its own.
// Forwarding: every request sent to the standby (so every one is forwarded) beside every
// request sent to the owner, target ≥ 0.7×. Cluster mode: the owner beside the single process,
// target ≥ 0.8×. Rounds alternate owner, standby, single: 50 connections, 10 s (3 s with
// --quick), median of 3 rounds (1 with --quick), after a 2 s warm-up of each. Today one process
// owns every partition (the others stand by), so "forwarded" means standby → owner, the path
// any input not arriving at the owner takes. Only 127.0.0.1; schemas dropped at the end.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { median, round3, type BenchResult, type Scenario } from './harness.js';
import { benchModule, junctionEnv, startServer, type Server } from './lib/processes.js';
import { describe, hit, workDir, type Target } from './api.js';

const PG_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const FORWARD_TARGET = 0.7;
const CLUSTER_TARGET = 0.8;
/** Long enough that the standby never takes over during a run (the owner renews every third of it). */
const LEASE_MS = '10000';
/** How long the standby needs to learn the owner's address (it asks for the lease every 0.5 s). */
const LEARN_OWNER_MS = 1500;

type ScaleoutResult = BenchResult & { clusterRatio: number; singleValue: number };

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

async function measure(owner: Target, standby: Target, single: Target, quick: boolean, log: (line: string) => void): Promise<ScaleoutResult> {
  const seconds = quick ? 3 : 10;
  const rounds = quick ? 1 : 3;
  for (const t of [owner, standby, single]) log(`warm-up ${t.name}: ${describe(await hit(t, 2))}`);
  const figures: Record<string, number[]> = { owner: [], standby: [], single: [] };
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const t of [owner, standby, single]) {
      const s = await hit(t, seconds);
      figures[t.name]!.push(s.rps);
      line.push(`${t.name} ${describe(s)}`);
    }
    log(`round ${r + 1}: ${line.join(', ')}`);
  }
  const [direct, forwarded, alone] = [median(figures['owner']!), median(figures['standby']!), median(figures['single']!)];
  const ratio = forwarded / direct;
  const clusterRatio = direct / alone;
  const failures = owner.non2xx + standby.non2xx + single.non2xx;
  log(`forwarded / direct ${round3(ratio)} (target ≥ ${FORWARD_TARGET}); cluster owner / single ${round3(clusterRatio)} (target ≥ ${CLUSTER_TARGET}); non-2xx answers ${failures}`);
  return {
    bench: 'scaleout',
    metric: 'forwarded_flow_api_requests_per_second',
    unit: 'req/s',
    value: Math.round(forwarded),
    baseline: 'the same requests sent to the owner of the partitions',
    baselineValue: Math.round(direct),
    ratio: round3(ratio),
    target: FORWARD_TARGET,
    pass: ratio >= FORWARD_TARGET && clusterRatio >= CLUSTER_TARGET && failures === 0,
    clusterRatio: round3(clusterRatio),
    singleValue: Math.round(alone),
  };
}

const scenario: Scenario = {
  name: 'scaleout',
  async run({ quick, log }) {
    const dir = workDir();
    const suffix = randomBytes(4).toString('hex');
    const [shared, own] = [`bench_cluster_${suffix}`, `bench_single_${suffix}`];
    const servers: Server[] = [];
    const env = (name: string, schema: string, cluster: boolean): NodeJS.ProcessEnv => {
      const data = join(dir.root, name);
      mkdirSync(data);
      return { ...junctionEnv(dir.flows, data), DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_CLUSTER: cluster ? '1' : '0', JUNCTION_LEASE_MS: LEASE_MS };
    };
    const junction = benchModule('../bin/junction');
    try {
      servers.push(await start(junction, env('owner', shared, true), 'Junction is listening'));
      servers.push(await start(junction, env('standby', shared, true), 'Junction is standing by'));
      servers.push(await start(junction, env('single', own, false), 'Junction is listening'));
      await new Promise((resolve) => setTimeout(resolve, LEARN_OWNER_MS));
      const [a, b, c] = servers as [Server, Server, Server];
      return await measure(target('owner', a, 0), target('standby', b, 5_000_000), target('single', c, 0), quick, log);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir.root, { recursive: true, force: true });
      await dropSchemas([shared, own]);
    }
  },
};

export default scenario;
