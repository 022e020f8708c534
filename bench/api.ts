// api — Flow API requests per second end to end: a real `junction start` child process (this
// run's compiled build, dist-bench/bin/junction.js) takes POST /flows/bench/participants, each
// with a new person, from autocannon in a separate process (bench/lib/load.ts). Baseline: a
// bare Fastify route answering the same request in its own process (bench/lib/bare-server.ts).
// Peak: 50 connections, pipelining 1, 10 s (3 s with --quick), median of 3 rounds (1 with
// --quick) alternating ours and the baseline; then our p99 latency at half our peak rate, paced
// over 10 connections, and bare Fastify's paced at that same rate (the floor the load generator and machine set).
// Targets: ours/baseline ≥ 0.5 and p99 at half peak ≤ 20 ms. Only 127.0.0.1, free ports.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, round3, type BenchResult, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';
import { benchModule, junctionEnv, runJson, startServer, type Server } from './lib/processes.js';
import type { LoadOptions, LoadSummary } from './lib/load.js';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 20;
const MEASURED: Measured = { bench: 'api', metric: 'flow_api_requests_per_second', unit: 'req/s', baseline: 'bare Fastify route, same body', target: TARGET_RATIO };
const CONNECTIONS = 50;
/** Connections of the paced latency run (see bench/webhook.ts: 50 paced timers fire in bursts). */
const LATENCY_CONNECTIONS = 10;
const ROUTE = '/flows/bench/participants';

/** A Flow API entry, then a pause of a day: every participant stays waiting. */
const FLOW = {
  schemaVersion: 1,
  id: 'bench',
  name: 'Flow API benchmark',
  entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'wait' } }],
  elements: [
    { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } }, branches: { next: 'end' } },
    { id: 'end', type: 'exit', config: {} },
  ],
  settings: { variables: [{ name: 'source', type: 'text', default: 'web' }] },
};

/** One server under load, with the phone counter its next run starts from. */
export interface Target {
  readonly name: string;
  readonly server: Server;
  nextId: number;
  non2xx: number;
  refused: number;
  /** Only people of this shard of a sharded cluster. */
  readonly shard?: { index: number; of: number };
}

/** `baselineP99Ms`: bare Fastify's p99 paced at the same rate, what the load generator and the machine add to any server's. */
type ApiResult = BenchResult & { p99Ms: number; baselineP99Ms: number; non2xx: number };

/** A temporary folder holding the bench flow and an empty data directory. */
export function workDir(): { root: string; flows: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'junction-bench-api-'));
  const flows = join(root, 'flows');
  const data = join(root, 'data');
  mkdirSync(flows);
  mkdirSync(data);
  writeFileSync(join(flows, 'bench.json'), JSON.stringify(FLOW));
  return { root, flows, data };
}

function startJunction(flows: string, data: string): Promise<Server> {
  return startServer(benchModule('../bin/junction'), ['start'], junctionEnv(flows, data), 'Junction is listening');
}

/** One autocannon run against a target, in its own process; counts its failures on the target. */
export async function hit(target: Target, seconds: number, overallRate?: number): Promise<LoadSummary> {
  const connections = overallRate === undefined ? CONNECTIONS : LATENCY_CONNECTIONS;
  const options: LoadOptions = { url: target.server.url + ROUTE, connections, seconds, firstId: target.nextId, ...(target.shard ? { shard: target.shard } : {}) };
  if (overallRate !== undefined) options.overallRate = overallRate;
  const summary = await runJson<LoadSummary>(benchModule('lib/load'), [JSON.stringify(options)]);
  target.nextId = summary.nextId;
  target.non2xx += summary.non2xx;
  target.refused += summary.answered - summary.created - summary.non2xx;
  if (summary.created === 0) throw new Error(`${target.name} created nobody in ${seconds} s: ${JSON.stringify(summary)}`);
  return summary;
}

export function describe(s: LoadSummary): string {
  const failures = s.non2xx + s.errors + s.timeouts > 0 ? `, ${s.non2xx} non-2xx, ${s.errors} errors, ${s.timeouts} timeouts` : '';
  return `${round3(s.rps)} req/s (p99 ${s.p99Ms} ms${failures})`;
}

async function measure(ours: Target, bare: Target, quick: boolean, log: (line: string) => void): Promise<ApiResult> {
  const seconds = quick ? 3 : 10;
  const rounds = quick ? 1 : 3;
  log(`warm-up: Junction ${describe(await hit(ours, 2))}, bare Fastify ${describe(await hit(bare, 2))}`);
  const [value, baselineValue] = await alternate(rounds, () => hit(ours, seconds), () => hit(bare, seconds), (s) => s.rps, (r, o, x) =>
    log(`round ${r}: Junction ${describe(o)}, bare Fastify ${describe(x)}`),
  );
  const rate = Math.max(1, Math.round(value / 2));
  const half = await hit(ours, seconds, rate);
  const bareHalf = await hit(bare, seconds, rate);
  log(`latency at half peak (${rate} req/s asked, ${round3(half.rps)} req/s done): Junction p99 ${half.p99Ms} ms; bare Fastify at the same rate p99 ${bareHalf.p99Ms} ms`);
  log(`Junction answers over all runs: ${ours.non2xx} non-2xx, ${ours.refused} 2xx other than 201 (entry refused)`);
  log(`${CONNECTIONS} connections at peak (${LATENCY_CONNECTIONS} paced at half peak), ${seconds} s a round, median of ${rounds}; targets ratio ≥ ${TARGET_RATIO} and p99 ≤ ${TARGET_P99_MS} ms`);
  const met = (ratio: number) => ratio >= TARGET_RATIO && half.p99Ms <= TARGET_P99_MS;
  return { ...benchResult(MEASURED, value, baselineValue, met), p99Ms: half.p99Ms, baselineP99Ms: bareHalf.p99Ms, non2xx: ours.non2xx };
}

const scenario: Scenario = {
  name: 'api',
  async run({ quick, log }) {
    const dir = workDir();
    const servers: Server[] = [];
    try {
      servers.push(await startJunction(dir.flows, dir.data));
      servers.push(await startServer(benchModule('lib/bare-server'), [], {}, 'is listening'));
      const [junction, fastify] = servers as [Server, Server];
      const target = (name: string, server: Server): Target => ({ name, server, nextId: 0, non2xx: 0, refused: 0 });
      return await measure(target('Junction', junction), target('bare Fastify', fastify), quick, log);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir.root, { recursive: true, force: true });
    }
  },
};

export default scenario;
