// ivr — call steps per second end to end: a signed Twilio voice webhook in, the next TwiML
// instructions out, the call session durable. A real `junction start` child process (this
// run's compiled build, dist-bench/bin/junction.js) on the embedded store, with the IVR menu
// example flow (examples/flows/ivr-menu.json, its number +1 415 555 0100), the example people
// file (it defines the flow's customerNumber attribute) and Twilio voice configured with an
// Auth Token and a public base URL (https://ivr.example.com, the URL requests are signed
// for; they go to 127.0.0.1). Each autocannon connection plays calls of two steps
// (bench/lib/ivr-load.ts, in its own process): the call's first webhook from a new caller with
// a new CallSid (verified, a new person, the flow entered, the greeting and the menu's collect
// run, answered with a <Gather> once durable), then the caller's 2 on that Gather's hook (the
// call moves to the customer-number collect: another <Gather>). So half the steps start a
// call and half continue one. First webhooks are signed with the official `twilio` library
// before the timed part; second ones as their Gather arrives, in the load process. Every
// answer must be 200 TwiML with the Gather of the expected element; anything else is counted,
// and a run with any failure does not pass. Baseline: a bare Fastify app with form parsing
// answering the same two routes with the documents Junction answered (captured in the
// warm-up, so the same size) in its own process (bench/lib/bare-webhook-server.ts).
// After a 3 s warm-up, peak: 50 connections, pipelining 1, 10 s (5 s with --quick), median of
// 3 rounds (1 with --quick) alternating ours and the baseline; then our p50/p99 at half our
// peak rate, paced over 10 connections (the caller is waiting), and bare Fastify's at that same
// rate (the floor the load generator and the machine set). At the end the flow's metrics
// must match the steps answered. Targets: ours/baseline ≥ 0.5 and p99 at half peak ≤ 10 ms.
// Only 127.0.0.1, free ports.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, round3, type BenchResult, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';
import { BENCH_KEY, ROOT, benchModule, junctionEnv, runJson, startServer, type Server } from './lib/processes.js';
import type { IvrLoadOptions, IvrLoadSummary } from './lib/ivr-load.js';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 10;
const MEASURED: Measured = {
  bench: 'ivr',
  metric: 'call_steps_per_second',
  unit: 'steps/s',
  baseline: 'bare Fastify routes, same requests, same TwiML',
  target: TARGET_RATIO,
};
const CONNECTIONS = 50;
/** Connections of the paced latency run (see bench/webhook.ts: 50 paced timers fire in bursts). */
const LATENCY_CONNECTIONS = 10;
const FLOW = 'ivr-menu';
/**
 * The Twilio account the requests come from: its Auth Token signs them, the number called is
 * the Inbound Call number of examples/flows/ivr-menu.json, and the public base URL is where
 * Twilio is told to send webhooks, as in docs/ivr.md (Junction behind a TLS proxy).
 */
const TWILIO = {
  accountSid: `AC${'0123456789abcdef'.repeat(2)}`,
  authToken: 'bench-twilio-voice-auth-token',
  to: '+14155550100',
  publicBaseUrl: 'https://ivr.example.com',
} as const;
/** Requests per second a first run is prepared for, at least (two requests a call); the baseline cycles through 20,000 calls. */
const FIRST_GUESS_RPS = 10_000;
const BASELINE_PREPARED = 20_000;
const WARM_UP_SECONDS = 3;

/** A server under load, keeping where its next run's callers start, its last peak and its totals over all runs. */
class Target {
  nextId = 0;
  lastRps = 0;
  runs = 0;
  readonly totals = { calls: 0, menuAnswers: 0, wrong: 0, non2xx: 0, errors: 0, timeouts: 0 };

  /** `cycle`: the baseline cycles through one set of prepared calls; Junction gets each call once. */
  constructor(
    readonly name: string,
    readonly server: Server,
    readonly cycle: boolean,
  ) {}

  /** Answers that were not the expected 200 TwiML: other documents, non-2xx, errors and timeouts. */
  get failures(): number {
    return this.totals.wrong + this.totals.non2xx + this.totals.errors + this.totals.timeouts;
  }

  add(s: IvrLoadSummary, paced: boolean): void {
    this.nextId = s.nextId;
    this.runs += 1;
    for (const k of Object.keys(this.totals) as Array<keyof Target['totals']>) this.totals[k] += s[k];
    if (!paced) this.lastRps = s.rps;
  }
}

interface FlowMetrics {
  profilesInFlow: number;
  activeParticipants: number;
  elements: Array<{ id: string; failures: number; totalEngagements: number }>;
}

type Log = (line: string) => void;

/** `baselineP99Ms`: bare Fastify's p99 paced at the same rate, what the load generator and the machine add to any server's. */
type IvrResult = BenchResult & { p50Ms: number; p99Ms: number; baselineP99Ms: number; failures: number; calls: number; menuAnswers: number };

/** One autocannon run against a target, in its own process; adds its answers to the target's totals. */
async function hit(t: Target, seconds: number, overallRate?: number): Promise<IvrLoadSummary> {
  // autocannon paces overallRate per connection, rounded up, so a paced run may send a little more than asked.
  const connections = overallRate !== undefined ? LATENCY_CONNECTIONS : CONNECTIONS;
  const expected = overallRate ?? Math.max(2 * t.lastRps, t.lastRps === 0 ? FIRST_GUESS_RPS : 5_000);
  // Half the requests are first webhooks, one prepared each; the other half answer them.
  const prepared = t.cycle ? BASELINE_PREPARED : Math.ceil(((expected + connections) / 2) * (seconds + 1) * 1.2);
  const options: IvrLoadOptions = {
    ...TWILIO,
    origin: t.server.url,
    connections,
    seconds,
    firstId: t.nextId,
    prepared,
    cycle: t.cycle,
    ...(overallRate === undefined ? {} : { overallRate }),
  };
  const s = await runJson<IvrLoadSummary>(benchModule('lib/ivr-load'), [JSON.stringify(options)]);
  t.add(s, overallRate !== undefined);
  if (s.steps === 0) throw new Error(`${t.name} answered no call step in ${seconds} s: ${JSON.stringify({ ...s, documents: undefined })}`);
  if (s.repeated > 0) throw new Error(`${t.name}: ${s.repeated} calls repeated, ${prepared} prepared were too few`);
  return s;
}

function describe(s: IvrLoadSummary): string {
  const failures = s.wrong + s.non2xx + s.errors + s.timeouts > 0 ? `, ${s.wrong} wrong, ${s.non2xx} non-2xx, ${s.errors} errors, ${s.timeouts} timeouts` : '';
  return `${round3(s.rps)} steps/s (${s.calls} calls, ${s.menuAnswers} menu answers; p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms${failures})`;
}

async function flowMetrics(junction: Server): Promise<FlowMetrics> {
  const res = await fetch(`${junction.url}/flows/${FLOW}`, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
  if (!res.ok) throw new Error(`GET /flows/${FLOW} answered ${res.status}`);
  return ((await res.json()) as { metrics: FlowMetrics }).metrics;
}

/**
 * The flow's own counts against the answers: every call answered with the menu is a participant
 * who reached the menu, every menu answer one who reached the customer-number collect, and no
 * element failed. Junction may count a few more: steps it made durable whose answers arrived
 * after autocannon stopped (at most one a connection a run) or failed on the way.
 */
function check(junction: Target, m: FlowMetrics, log: Log): boolean {
  const engaged = (id: string) => m.elements.find((e) => e.id === id)?.totalEngagements ?? 0;
  const failed = m.elements.reduce((sum, e) => sum + e.failures, 0);
  const slack = junction.runs * CONNECTIONS + junction.failures;
  const within = (count: number, answered: number) => count >= answered && count <= answered + slack;
  const t = junction.totals;
  log(
    `Junction over all runs: ${t.calls} calls and ${t.menuAnswers} menu answers answered with the expected Gather, ${t.wrong} other documents, ` +
      `${t.non2xx} non-2xx, ${t.errors} errors, ${t.timeouts} timeouts; the flow: ${m.profilesInFlow} participants (${m.activeParticipants} on a call), ` +
      `${engaged('menu')} reached the menu, ${engaged('customer-number')} the customer number, ${failed} element failures`,
  );
  return failed === 0 && within(m.profilesInFlow, t.calls) && within(engaged('menu'), t.calls) && within(engaged('customer-number'), t.menuAnswers);
}

async function measure(junction: Target, startBaseline: (documents: IvrLoadSummary['documents']) => Promise<Target>, quick: boolean, log: Log): Promise<IvrResult> {
  const seconds = quick ? 5 : 10;
  const rounds = quick ? 1 : 3;
  const warm = await hit(junction, WARM_UP_SECONDS);
  if (warm.documents.call === '' || warm.documents.menu === '') throw new Error('the warm-up got no answer of one of the two steps to give the baseline');
  const bare = await startBaseline(warm.documents);
  const warmBare = await hit(bare, WARM_UP_SECONDS);
  log(`warm-up: Junction ${describe(warm)}, bare Fastify ${describe(warmBare)}`);
  log(`first webhook ${warm.bodyBytes} B (signing ${warm.prepareMs} ms, not timed); answers ${warm.documents.call.length} B and ${warm.documents.menu.length} B`);
  const [value, baselineValue] = await alternate(rounds, () => hit(junction, seconds), () => hit(bare, seconds), (s) => s.rps, (r, o, x) =>
    log(`round ${r}: Junction ${describe(o)}, bare Fastify ${describe(x)}`),
  );
  const rate = Math.max(1, Math.round(value / 2));
  const half = await hit(junction, seconds, rate);
  const bareHalf = await hit(bare, seconds, rate);
  log(`latency at half peak (${rate} steps/s asked, ${round3(half.rps)} done): Junction p50 ${half.p50Ms} ms, p99 ${half.p99Ms} ms; bare Fastify at the same rate p50 ${bareHalf.p50Ms} ms, p99 ${bareHalf.p99Ms} ms`);

  const consistent = check(junction, await flowMetrics(junction.server), log);
  const failures = junction.failures + bare.failures;
  if (!consistent) log('the flow does not add up: its counts are not those of the steps answered');
  if (failures > 0) log(`${failures} answers were not the expected 200 TwiML (Junction ${junction.failures}, bare Fastify ${bare.failures})`);
  log(`${CONNECTIONS} connections at peak (${LATENCY_CONNECTIONS} paced at half peak), ${seconds} s a round, median of ${rounds}; targets ratio ≥ ${TARGET_RATIO} and p99 ≤ ${TARGET_P99_MS} ms`);
  const met = (ratio: number) => ratio >= TARGET_RATIO && half.p99Ms <= TARGET_P99_MS && failures === 0 && consistent;
  const { totals } = junction;
  return { ...benchResult(MEASURED, value, baselineValue, met), p50Ms: half.p50Ms, p99Ms: half.p99Ms, baselineP99Ms: bareHalf.p99Ms, failures, calls: totals.calls, menuAnswers: totals.menuAnswers };
}

const scenario: Scenario = {
  name: 'ivr',
  async run({ quick, log }) {
    const root = mkdtempSync(join(tmpdir(), 'junction-bench-ivr-'));
    const servers: Server[] = [];
    const started = (s: Server): Server => (servers.push(s), s);
    try {
      const flows = join(root, 'flows');
      const data = join(root, 'data');
      for (const dir of [flows, data]) mkdirSync(dir);
      copyFileSync(join(ROOT, 'examples', 'flows', `${FLOW}.json`), join(flows, `${FLOW}.json`));
      const env = {
        ...junctionEnv(flows, data),
        JUNCTION_PEOPLE: join(ROOT, 'examples', 'people.json'),
        JUNCTION_TWILIO_VOICE_AUTH_TOKEN: TWILIO.authToken,
        JUNCTION_TWILIO_VOICE_PUBLIC_BASE_URL: TWILIO.publicBaseUrl,
      };
      const junction = started(await startServer(benchModule('../bin/junction'), ['start'], env, 'Junction is listening'));
      // The baseline answers what Junction answered: the menu's TwiML to a first webhook, the customer number's to the hook.
      const startBaseline = async (documents: IvrLoadSummary['documents']): Promise<Target> => {
        const routes = JSON.stringify({ '/voice/twilio': documents.call, '/voice/twilio/hook': documents.menu });
        return new Target('bare Fastify', started(await startServer(benchModule('lib/bare-webhook-server'), [routes], {}, 'is listening')), true);
      };
      return await measure(new Target('Junction', junction, false), startBaseline, quick, log);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default scenario;
