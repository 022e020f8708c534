// callapi — Call webhook requests completed per second: participants go through a flow whose
// Call webhook element POSTs a JSON body with placeholders (flow variables and person
// attributes, a quote to escape) and two headers (one with a placeholder) to a local service,
// then saves three answer variables (two JSON paths and a header) and exits. A request counts
// once the participant that made it has its answer saved, has moved on to the exit and that
// step is durable. Ours: an Engine on the real clock, its journal GroupCommit over
// SqliteBackend (synchronous=full, the embedded store as `junction start` opens it, in a fresh
// temporary folder each round); people exist before the timed part; 50 loops each enter a
// person through the Flow API entry (engine.enter) and wait for that participant to be done,
// so 50 requests are in flight at most. Baseline: the same requests (same URL, headers and
// body, byte for byte) made with undici's `request` from 50 plain loops, the answer's JSON
// parsed and the same three values read. The called service is a plain node:http server in
// its own process (bench/lib/json-answer-server.ts), the same for both; it counts the bytes
// each side sent, and a round whose bodies differ in size is an error. Latency: ours from
// due (the step that made the participant wait at the Call webhook, its request emitted) to
// answered (the step that saved the answer and moved it on), and from the entry to that step
// durable; the baseline's from the request to its answer read; nearest rank over every request.
// After a warm-up of both, N requests (20,000; 5,000 with --quick), median of 3 rounds (1 with
// --quick) alternating ours and the baseline. Target: ours / baseline ≥ 0.7 (the integrations
// issue's). The service listens on 127.0.0.1, on BENCH_CALLAPI_PORT (default: a free port).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { Engine, type StepEvent } from '../engine/runtime/engine.js';
import { Registry } from '../engine/module.js';
import { coreModule } from '../engine/elements/index.js';
import { SystemClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { GroupCommit } from '../engine/store/journal.js';
import { SqliteBackend } from '../engine/store/sqlite.js';
import { ParticipantStatus } from '../engine/vocabulary.js';
import { median, round3, type BenchResult, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';
import { benchModule, startServer } from './lib/processes.js';
import type { AnswerServerStats } from './lib/json-answer-server.js';

const TARGET_RATIO = 0.7;
const MEASURED: Measured = {
  bench: 'callapi',
  metric: 'Call webhook requests completed per second: answer saved, participant moved on, durable (ratio: ours / undici from plain loops, higher is better)',
  unit: 'req/s',
  baseline: 'undici request() from plain loops, same requests, same service, same concurrency',
  target: TARGET_RATIO,
};
/** Requests in flight at most, on both sides. */
const CONCURRENCY = 50;
const WARM_UP = 2_000;
const FLOW_ID = 'callapi';
const TOKEN = 'Bearer bench-crm-token-0123456789';
const NOTE = 'Gift wrap, "fragile" — leave at the door';

/** The body the element renders; the baseline builds the same bytes with JSON.stringify. */
const BODY =
  '{"order":"{{orderId}}","amountCents":{{amountCents}},"currency":"EUR","note":"{{note}}",' +
  '"customer":{"firstName":"{{person.firstName}}","lastName":"{{person.lastName}}","city":"{{person.city}}","phone":"{{person.phone}}"}}';

/** Flow API entry → Call webhook (POST, JSON body, headers, three answer variables) → exit, or the failed exit. */
function flowOf(origin: string): Record<string, unknown> {
  const call = {
    id: 'call',
    type: 'callWebhook',
    config: {
      url: `${origin}/orders/{{orderId}}`,
      headers: { Authorization: TOKEN, 'X-Order-Id': '{{orderId}}' },
      body: BODY,
      answer: [
        { variable: 'points', path: '$.customer.points' },
        { variable: 'tier', path: '$.customer.tier' },
        { variable: 'requestId', header: 'X-Request-Id' },
      ],
    },
    branches: { next: 'done', failed: 'failed' },
  };
  const variables = [
    ['orderId', 'text'],
    ['amountCents', 'whole'],
    ['note', 'text'],
    ['points', 'whole'],
    ['tier', 'text'],
    ['requestId', 'text'],
  ].map(([name, type]) => ({ name, type }));
  return {
    schemaVersion: 1,
    id: FLOW_ID,
    name: 'Call webhook benchmark',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'call' } }],
    elements: [call, { id: 'done', type: 'exit', config: {} }, { id: 'failed', type: 'exit', config: {} }],
    settings: { variables },
  };
}

/** Person i's phone: +385 91 000 0000 onwards. */
const phoneOf = (i: number): string => `+38591${String(i).padStart(7, '0')}`;
const orderOf = (i: number): string => `o${i}`;
const amountOf = (i: number): number => 1000 + (i % 9000);

/** What one side measured in one round. */
interface Round {
  perSecond: number;
  /** ms per request: ours due → answered; the baseline's request → answer read. */
  latency: Float64Array;
  /** Ours: ms from the entry to the answer's step durable. */
  untilDurable?: Float64Array;
  sent: AnswerServerStats;
}

/** Nearest-rank percentile of ms values, to 0.1 ms. */
function percentile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]! * 10) / 10;
}

async function serverStats(origin: string): Promise<AnswerServerStats> {
  const res = await fetch(`${origin}/stats`);
  return (await res.json()) as AnswerServerStats;
}

/** What the service received between two readings of its counters. */
function difference(after: AnswerServerStats, before: AnswerServerStats): AnswerServerStats {
  return {
    requests: after.requests - before.requests,
    bodyBytes: after.bodyBytes - before.bodyBytes,
    headerBytes: after.headerBytes - before.headerBytes,
    malformed: after.malformed - before.malformed,
  };
}

/** Runs `loop` CONCURRENCY times at once over the indexes 0 … n−1; seconds it took. */
async function inLoops(n: number, loop: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) await loop(i);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (performance.now() - t0) / 1000;
}

/** An engine on the real clock, journaled durably to a fresh embedded store in `dir`, with people p0 … p(n−1) and the flow launched. */
async function openEngine(dir: string, origin: string, n: number): Promise<Engine> {
  const clock = new SystemClock();
  const people = new MemoryPeopleStore(clock);
  for (let i = 0; i < n; i++) people.upsert({ id: `p${i}`, standard: { firstName: 'Ana', lastName: 'Horvat', city: 'Zagreb' }, phones: [phoneOf(i)] });
  const journal = new GroupCommit(new SqliteBackend({ dir, synchronous: 'full' }));
  const engine = new Engine({ clock, people, registry: new Registry([coreModule]), journal });
  engine.save(flowOf(origin));
  engine.launch(FLOW_ID);
  await engine.durable();
  return engine;
}

/** When each participant's request was due and answered, and a way to await the answer's step being durable. */
class Completions {
  readonly due: Float64Array;
  readonly answered: Float64Array;
  wrong = 0;
  private readonly waiting = new Map<number, () => void>();

  constructor(
    private readonly engine: Engine,
    n: number,
  ) {
    this.due = new Float64Array(n).fill(NaN);
    this.answered = new Float64Array(n).fill(NaN);
  }

  /** Resolves once participant i has exited and that step is durable. */
  expect(i: number): Promise<void> {
    return new Promise((resolve) => this.waiting.set(i, resolve));
  }

  /** A step watcher: notes due and answered times and checks the saved answer. */
  readonly watch = (e: StepEvent): void => {
    if (e.flow.id !== FLOW_ID) return;
    const i = Number(e.participant.personId.slice(1));
    if (e.participant.status === ParticipantStatus.Waiting) {
      if (Number.isNaN(this.due[i]!)) this.due[i] = performance.now();
      return;
    }
    if (e.participant.status !== ParticipantStatus.Exited) return;
    this.answered[i] = performance.now();
    const { points, tier, requestId } = e.participant.vars;
    if (e.participant.exitReason !== 'done' || points !== i || tier !== 'gold' || typeof requestId !== 'string') this.wrong++;
    const resolve = this.waiting.get(i);
    this.waiting.delete(i);
    void this.engine.durable().then(resolve);
  };
}

/** Ours: n participants through the Call webhook flow, CONCURRENCY at a time, each counted once its answer's step is durable. */
async function ours(origin: string, n: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-bench-callapi-'));
  const engine = await openEngine(dir, origin, n);
  const done = new Completions(engine, n);
  const unwatch = engine.watchSteps(done.watch);
  const untilDurable = new Float64Array(n);
  try {
    const before = await serverStats(origin);
    const seconds = await inLoops(n, async (i) => {
      const t0 = performance.now();
      const finished = done.expect(i);
      const receipt = await engine.enter(FLOW_ID, `p${i}`, { entry: 'api', vars: { orderId: orderOf(i), amountCents: amountOf(i), note: NOTE } });
      if (!receipt.entered) throw new Error(`p${i} not entered: ${receipt.reason}`);
      await finished;
      untilDurable[i] = performance.now() - t0;
    });
    if (done.wrong > 0) throw new Error(`${done.wrong} of ${n} participants did not save the expected answer`);
    const latency = done.answered.map((at, i) => at - done.due[i]!);
    return { perSecond: n / seconds, latency, untilDurable, sent: difference(await serverStats(origin), before) };
  } finally {
    unwatch();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The headers the element sends for request i: the flow's two, the body's type and an idempotency key of the same shape (participant id, step, index, deadline). */
function baselineHeaders(i: number): Record<string, string> {
  const key = `${i % 8}.${(i + 1).toString(36)}:1:0.${(Date.now() + 60_000).toString(36)}`;
  return { authorization: TOKEN, 'x-order-id': orderOf(i), 'content-type': 'application/json', 'idempotency-key': key };
}

/** The baseline: the same n requests with undici from CONCURRENCY plain loops, each answer's JSON parsed and its values read. */
async function baseline(origin: string, n: number): Promise<Round> {
  const agent = new Agent();
  const latency = new Float64Array(n);
  let wrong = 0;
  try {
    const before = await serverStats(origin);
    const seconds = await inLoops(n, async (i) => {
      const t0 = performance.now();
      const { statusCode, headers, body } = await request(`${origin}/orders/${encodeURIComponent(orderOf(i))}`, {
        method: 'POST',
        headers: baselineHeaders(i),
        body: JSON.stringify({
          order: orderOf(i),
          amountCents: amountOf(i),
          currency: 'EUR',
          note: NOTE,
          customer: { firstName: 'Ana', lastName: 'Horvat', city: 'Zagreb', phone: phoneOf(i) },
        }),
        dispatcher: agent,
      });
      const answer = (await body.json()) as { customer?: { points?: unknown; tier?: unknown } };
      if (statusCode !== 200 || answer.customer?.points !== i || answer.customer.tier !== 'gold' || typeof headers['x-request-id'] !== 'string') wrong++;
      latency[i] = performance.now() - t0;
    });
    if (wrong > 0) throw new Error(`baseline: ${wrong} of ${n} answers not as expected`);
    return { perSecond: n / seconds, latency, sent: difference(await serverStats(origin), before) };
  } finally {
    await agent.close();
  }
}

/** Both sides must have sent n well-formed requests with the same bodies. */
function checkSent(n: number, a: Round, b: Round): void {
  for (const [side, s] of [['ours', a.sent], ['baseline', b.sent]] as const) {
    if (s.requests !== n || s.malformed > 0) throw new Error(`${side}: the service took ${s.requests} requests for ${n} (${s.malformed} bodies not JSON)`);
  }
  if (a.sent.bodyBytes !== b.sent.bodyBytes) throw new Error(`the bodies differ: ours ${a.sent.bodyBytes} B, the baseline's ${b.sent.bodyBytes} B for ${n} requests`);
}

function describe(r: Round): string {
  const durable = r.untilDurable ? `; entry → durable p50 ${percentile(r.untilDurable, 0.5)} ms, p99 ${percentile(r.untilDurable, 0.99)} ms` : '';
  return `${round3(r.perSecond)} req/s (p50 ${percentile(r.latency, 0.5)} ms, p99 ${percentile(r.latency, 0.99)} ms${durable})`;
}

type CallApiResult = BenchResult & { p50Ms: number; p99Ms: number; baselineP50Ms: number; baselineP99Ms: number };

const scenario: Scenario = {
  name: 'callapi',
  async run({ quick, log }) {
    const n = quick ? 5_000 : 20_000;
    const rounds = quick ? 1 : 3;
    const service = await startServer(benchModule('lib/json-answer-server'), [process.env['BENCH_CALLAPI_PORT'] ?? '0'], {}, 'is listening');
    try {
      const origin = service.url;
      const warm = [await ours(origin, WARM_UP), await baseline(origin, WARM_UP)] as const;
      log(`warm-up (${WARM_UP} requests): ours ${describe(warm[0])}, undici ${describe(warm[1])}`);
      const a: Round[] = [];
      const b: Round[] = [];
      for (let r = 0; r < rounds; r++) {
        a.push(await ours(origin, n));
        b.push(await baseline(origin, n));
        checkSent(n, a[r]!, b[r]!);
        log(`round ${r + 1}: ours ${describe(a[r]!)}, undici ${describe(b[r]!)}`);
      }
      const value = median(a.map((r) => r.perSecond));
      const baselineValue = median(b.map((r) => r.perSecond));
      const mid = (list: Round[], perSecond: number) => list.find((r) => r.perSecond === perSecond) ?? list[0]!;
      const [ourMid, baseMid] = [mid(a, value), mid(b, baselineValue)];
      const sent = a[0]!.sent;
      log(`${n} requests a round, ${CONCURRENCY} in flight, median of ${rounds}; body ${round3(sent.bodyBytes / n)} B, headers ${round3(sent.headerBytes / n)} B (ours) and ${round3(b[0]!.sent.headerBytes / n)} B (undici) a request; target ratio ≥ ${TARGET_RATIO}`);
      const result: CallApiResult = {
        ...benchResult(MEASURED, value, baselineValue, (ratio) => ratio >= TARGET_RATIO),
        p50Ms: percentile(ourMid.latency, 0.5),
        p99Ms: percentile(ourMid.latency, 0.99),
        baselineP50Ms: percentile(baseMid.latency, 0.5),
        baselineP99Ms: percentile(baseMid.latency, 0.99),
      };
      return result;
    } finally {
      await service.stop();
    }
  },
};

export default scenario;
