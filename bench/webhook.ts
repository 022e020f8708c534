// webhook — signed Twilio SMS webhooks per second end to end: a real `junction start` child
// process (this run's compiled build, dist-bench/bin/junction.js) on the embedded store, with
// the SMS keywords example flow and Twilio configured against a local stand-in for Twilio's
// Messages API (bench/lib/fake-twilio.ts, in this process). Each webhook comes from a new
// sender with its own MessageSid and a JOIN/START keyword, so each one is verified
// (X-Twilio-Signature), normalized, routed to the flow's entry, makes a new person and
// participant, which sends the welcome SMS: the webhook is answered once that is durable, and
// the reply then reaches the stand-in. Requests are signed with the official `twilio` library
// before the timed part (bench/lib/webhook-load.ts, autocannon in its own process). Baseline:
// a bare Fastify route answering the same request (same headers and body, form parsed) in its
// own process (bench/lib/bare-webhook-server.ts).
// After a 3 s warm-up, peak: 50 connections, pipelining 1, 10 s (5 s with --quick), median of
// 3 rounds (1 with --quick) alternating ours and the baseline, the replies drained before the
// baseline's turn; then our p99 latency at half our peak rate, paced over 10 connections. At the end every participant
// must have had its reply accepted exactly once. Targets: ours/baseline ≥ 0.5 and p99 at half
// peak ≤ 15 ms. Only 127.0.0.1, free ports.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, round3, type BenchResult, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';
import { BENCH_KEY, ROOT, benchModule, junctionEnv, runJson, startServer, type Server } from './lib/processes.js';
import { startFakeTwilio, type FakeTwilio } from './lib/fake-twilio.js';
import type { WebhookLoadOptions, WebhookLoadSummary } from './lib/webhook-load.js';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 15;
const MEASURED: Measured = { bench: 'webhook', metric: 'signed_sms_webhooks_per_second', unit: 'req/s', baseline: 'bare Fastify route, same request', target: TARGET_RATIO };
const CONNECTIONS = 50;
/**
 * Connections of the paced latency run. autocannon paces each connection on its own timer and
 * the timers fire together, so 50 connections at half the peak send bursts of 50 requests at
 * once, and the p99 measures the burst, not the server; 10 are enough to carry half the peak.
 */
const LATENCY_CONNECTIONS = 10;
const ROUTE = '/webhooks/twilio';
const FLOW = 'sms-keywords';
const ACCOUNT = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'bench-twilio-auth-token';
/** The club number of examples/flows/sms-keywords.json. */
const NUMBER = '+15550100';
/** Where Twilio is told to send webhooks, as in docs/channels.md: Junction behind a TLS proxy. */
const PUBLIC_BASE_URL = 'https://junction.example.com';
/** Signed webhooks prepared for a run at full throughput: this many per second expected, at least. */
const FIRST_GUESS_RPS = 15_000;
/** Distinct webhooks the baseline cycles through (it keeps nothing, so repeats cost it nothing). */
const BASELINE_PREPARED = 20_000;
const DRAIN_TIMEOUT_MS = 60_000;
const WARM_UP_SECONDS = 3;

/** One server under load, with the sender counter its next run starts from. */
interface Target {
  readonly name: string;
  readonly server: Server;
  /** The baseline cycles through one set of prepared webhooks; Junction gets each once. */
  readonly cycle: boolean;
  nextId: number;
  lastRps: number;
  accepted: number;
  non2xx: number;
  failures: number;
}

interface FlowMetrics {
  profilesInFlow: number;
  activeParticipants: number;
  messagesSent: number;
  elements: Array<{ id: string; failures: number; totalEngagements: number }>;
}

/** Participants past the welcome (its send accepted and recorded), now waiting for YES or NO. */
function replied(m: FlowMetrics): number {
  return m.elements.find((e) => e.id === 'answer')?.totalEngagements ?? 0;
}

type Log = (line: string) => void;

type WebhookResult = BenchResult & { p99Ms: number; non2xx: number; participants: number; replies: number };

/** A temporary folder holding the example flow and an empty data directory. */
function workDir(): { root: string; flows: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'junction-bench-webhook-'));
  const flows = join(root, 'flows');
  const data = join(root, 'data');
  mkdirSync(flows);
  mkdirSync(data);
  copyFileSync(join(ROOT, 'examples', 'flows', `${FLOW}.json`), join(flows, `${FLOW}.json`));
  return { root, flows, data };
}

function startJunction(flows: string, data: string, twilioApi: string): Promise<Server> {
  const env = {
    ...junctionEnv(flows, data),
    JUNCTION_TWILIO_ACCOUNT_SID: ACCOUNT,
    JUNCTION_TWILIO_AUTH_TOKEN: TOKEN,
    JUNCTION_TWILIO_API_BASE_URL: twilioApi,
    JUNCTION_TWILIO_NUMBERS: JSON.stringify([NUMBER]),
    JUNCTION_TWILIO_PUBLIC_BASE_URL: PUBLIC_BASE_URL,
  };
  return startServer(benchModule('../bin/junction'), ['start'], env, 'Junction is listening');
}

/** One autocannon run against a target, in its own process; counts its answers on the target. */
async function hit(target: Target, seconds: number, overallRate?: number): Promise<WebhookLoadSummary> {
  // autocannon paces overallRate per connection, rounded up, so a paced run may send a little more than asked.
  const connections = overallRate !== undefined ? LATENCY_CONNECTIONS : CONNECTIONS;
  const expected = overallRate !== undefined ? overallRate + connections : Math.max(2 * target.lastRps, target.lastRps === 0 ? FIRST_GUESS_RPS : 5_000);
  const prepared = target.cycle ? BASELINE_PREPARED : Math.ceil(expected * (seconds + 1) * 1.2);
  const options: WebhookLoadOptions = {
    url: target.server.url + ROUTE,
    signedUrl: PUBLIC_BASE_URL + ROUTE,
    authToken: TOKEN,
    accountSid: ACCOUNT,
    to: NUMBER,
    connections,
    seconds,
    firstId: target.nextId,
    prepared,
    cycle: target.cycle,
  };
  if (overallRate !== undefined) options.overallRate = overallRate;
  const summary = await runJson<WebhookLoadSummary>(benchModule('lib/webhook-load'), [JSON.stringify(options)]);
  target.nextId = summary.nextId;
  target.accepted += summary.accepted;
  target.non2xx += summary.non2xx;
  target.failures += summary.errors + summary.timeouts;
  if (overallRate === undefined) target.lastRps = summary.rps;
  if (summary.accepted === 0) throw new Error(`${target.name} accepted no webhook in ${seconds} s: ${JSON.stringify(summary)}`);
  if (summary.repeated > 0) throw new Error(`${target.name}: ${summary.repeated} webhooks repeated, ${prepared} prepared were too few`);
  return summary;
}

function describe(s: WebhookLoadSummary): string {
  const failures = s.non2xx + s.errors + s.timeouts > 0 ? `, ${s.non2xx} non-2xx, ${s.errors} errors, ${s.timeouts} timeouts` : '';
  return `${round3(s.rps)} req/s (p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms${failures})`;
}

async function flowMetrics(junction: Server): Promise<FlowMetrics> {
  const res = await fetch(`${junction.url}/flows/${FLOW}`, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
  if (!res.ok) throw new Error(`GET /flows/${FLOW} answered ${res.status}`);
  return ((await res.json()) as { metrics: FlowMetrics }).metrics;
}

/** Waits until every participant's reply is accepted by the stand-in and recorded; returns the ms it took. */
async function drain(junction: Server, twilio: FakeTwilio): Promise<{ ms: number; metrics: FlowMetrics; backlog: number }> {
  const started = Date.now();
  let metrics = await flowMetrics(junction);
  const backlog = metrics.profilesInFlow - twilio.sent();
  while (twilio.sent() < metrics.profilesInFlow || replied(metrics) < metrics.profilesInFlow) {
    if (Date.now() - started > DRAIN_TIMEOUT_MS) {
      const where = `${metrics.profilesInFlow} participants, ${twilio.sent()} sends received, ${replied(metrics)} recorded`;
      throw new Error(`replies did not drain in ${DRAIN_TIMEOUT_MS} ms: ${where}`);
    }
    await new Promise((r) => setTimeout(r, 50));
    metrics = await flowMetrics(junction);
  }
  return { ms: Date.now() - started, metrics, backlog };
}

/** One of our runs, then its replies drained, so none of them is still sending in the baseline's turn. */
async function ours(junction: Target, twilio: FakeTwilio, seconds: number, log: Log, overallRate?: number): Promise<WebhookLoadSummary> {
  const s = await hit(junction, seconds, overallRate);
  const d = await drain(junction.server, twilio);
  if (d.backlog > 0) log(`  replies still queued when the load stopped: ${d.backlog}, drained in ${d.ms} ms`);
  return s;
}

async function measure(junction: Target, bare: Target, twilio: FakeTwilio, quick: boolean, log: Log): Promise<WebhookResult> {
  const seconds = quick ? 5 : 10;
  const rounds = quick ? 1 : 3;
  // The webhook path takes a few seconds of load to warm up (JIT), longer than a Flow API request.
  const warm = await ours(junction, twilio, WARM_UP_SECONDS, log);
  const warmBare = await hit(bare, WARM_UP_SECONDS);
  log(`warm-up: Junction ${describe(warm)}, bare Fastify ${describe(warmBare)}; body ${warm.bodyBytes} B, signing ${warm.prepareMs} ms (not timed)`);
  const [value, baselineValue] = await alternate(rounds, () => ours(junction, twilio, seconds, log), () => hit(bare, seconds), (s) => s.rps, (r, o, x) =>
    log(`round ${r}: Junction ${describe(o)}, bare Fastify ${describe(x)}`),
  );
  const rate = Math.max(1, Math.round(value / 2));
  const half = await ours(junction, twilio, seconds, log, rate);
  log(`latency at half peak (${rate} req/s asked, ${round3(half.rps)} req/s done): Junction p50 ${half.p50Ms} ms, p99 ${half.p99Ms} ms`);

  const { metrics } = await drain(junction.server, twilio);
  check(junction, twilio, metrics, log);
  log(`${CONNECTIONS} connections at peak (${LATENCY_CONNECTIONS} paced at half peak), ${seconds} s a round, median of ${rounds}; targets ratio ≥ ${TARGET_RATIO} and p99 ≤ ${TARGET_P99_MS} ms`);
  const met = (ratio: number) => ratio >= TARGET_RATIO && half.p99Ms <= TARGET_P99_MS;
  return { ...benchResult(MEASURED, value, baselineValue, met), p99Ms: half.p99Ms, non2xx: junction.non2xx, participants: metrics.profilesInFlow, replies: twilio.sent() };
}

/** Every webhook answered 200 gave a participant, and every participant one reply, accepted once and recorded. */
function check(junction: Target, twilio: FakeTwilio, m: FlowMetrics, log: Log): void {
  const failed = m.elements.reduce((sum, e) => sum + e.failures, 0);
  const wrong = twilio.duplicates() + twilio.malformed() + failed;
  log(
    `Junction over all runs: ${junction.accepted} webhooks answered 200, ${junction.non2xx} non-2xx, ${junction.failures} errors/timeouts; ` +
      `${m.profilesInFlow} participants, ${m.activeParticipants} waiting for YES/NO; replies: ${twilio.sent()} accepted by the stand-in, ` +
      `${replied(m)} recorded (messagesSent ${m.messagesSent}), ${twilio.duplicates()} duplicates, ${twilio.malformed()} malformed, ${failed} element failures`,
  );
  log(`a reply: ${JSON.stringify(twilio.sample())}`);
  if (junction.non2xx > 0 || m.profilesInFlow < junction.accepted || twilio.sent() !== m.profilesInFlow || replied(m) !== m.profilesInFlow || wrong > 0) {
    throw new Error('webhooks and replies do not add up: every accepted webhook must give one participant and one reply, sent once');
  }
}

const scenario: Scenario = {
  name: 'webhook',
  async run({ quick, log }) {
    const dir = workDir();
    const servers: Server[] = [];
    const twilio = await startFakeTwilio(ACCOUNT, TOKEN);
    try {
      servers.push(await startJunction(dir.flows, dir.data, twilio.url));
      servers.push(await startServer(benchModule('lib/bare-webhook-server'), [], {}, 'is listening'));
      const [junction, fastify] = servers as [Server, Server];
      const target = (name: string, server: Server, cycle: boolean): Target => ({
        name,
        server,
        cycle,
        nextId: 0,
        lastRps: 0,
        accepted: 0,
        non2xx: 0,
        failures: 0,
      });
      return await measure(target('Junction', junction, false), target('bare Fastify', fastify, true), twilio, quick, log);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await twilio.close();
      rmSync(dir.root, { recursive: true, force: true });
    }
  },
};

export default scenario;
