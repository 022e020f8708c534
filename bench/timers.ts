// timers — timers fired per second and their lateness on the real clock: N participants
// (1,000,000; 100,000 with --quick) each paused until a time of their own, drawn uniformly at
// random (seeded, whole ms) in a window of 60 s (20 s with --quick, so the quick run is not
// 10× lighter a load per second than the full one), beside BullMQ delayed jobs with the same due
// times on the same Redis. Targets: ours / BullMQ ≥ 10 in timers fired per second, and our
// lateness p99 ≤ 20 ms.
// Ours: an Engine on SystemClock whose journal is GroupCommit over RedisBackend (a prefix of its
// own). The flow is Flow API entry → Wait for a date (engine/events/wait-for-date.ts, the pause
// that takes a per-person time: "was 0 hours" after the person's datetime attribute dueAt, so
// each participant wakes at its own instant to the ms; Pause's untilDateTime is one instant per
// flow) → Exit. People are created with dueAt = windowStart + offset and entered with
// engine.enter(), 5,000 at a time (created, entered, awaited until durable), and so wait at the
// element until their own due time. A participant fired when the engine moved it on: the step
// that took it from the wait to the exit, heard through engine.watchSteps() (the live feed; no
// engine code is changed); its time is the step's `at`, the engine clock's now when it ran. Also
// logged: the lateness until that step's group-commit batch was written to Redis (durable()).
// Ours runs with a heap headroom of 300 % (bin/heap.ts, configuration heapHeadroomPercent), as
// docs/operations.md advises for a million waiting participants; BENCH_TIMERS_HEADROOM sets
// another (0: V8's own choice).
// Baseline: BullMQ (docs/decisions/0014-bullmq-timers-baseline.md), a Queue under a prefix of
// its own, the same number of jobs added with addBulk (5,000 a call) with delay = due − now and
// timestamp = now (BullMQ schedules a delayed job at timestamp + delay: exactly the due time),
// removeOnComplete/removeOnFail; a Worker in its own process (bench/lib/bullmq-worker.ts,
// concurrency 100, or BENCH_TIMERS_CONCURRENCY) notes when its processor is called.
// Both: lateness = fire time − due time (ms, epoch clock, integer ms on both sides); p50/p99 are
// nearest-rank over all N; a timer still unfired when the run gives up (2 min after its window,
// 5 min in the full run) counts with lateness end − due and is reported. Fired per second =
// timers fired / (last fire − first due): at best N / window, the rate they fall due, when every
// timer fires on time; so when both sides keep up, both figures are that rate and the ratio is
// about 1 (the ≥ 10 target can then only be met if BullMQ falls ten times behind the due rate),
// and the lateness figures say more. The window starts only after all participants or jobs are in and waiting:
// a small warm-up run of each side (10,000, 2 s window) measures its insertion rate, and the main
// run's window starts at twice the insertion time that rate predicts (+ 3 s) after insertion
// begins; a run whose insertion overran its window's start is an error, not a figure. One round
// each, ours first. BENCH_TIMERS_WINDOW_MS sets another window: a short one (100 ms) makes both
// fire as fast as they can, so fired per second is each side's capacity. Redis: BENCH_REDIS_URL, default redis://127.0.0.1:6379; every key under the
// run's prefixes is deleted afterwards (SCAN + UNLINK, never FLUSHDB).
import { Queue } from 'bullmq';
import { Engine } from '../engine/runtime/engine.js';
import { Registry } from '../engine/module.js';
import { coreModule } from '../engine/elements/index.js';
import { eventsModule } from '../engine/events/index.js';
import { SystemClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { GroupCommit } from '../engine/store/journal.js';
import { RedisBackend } from '../engine/store/redis.js';
import { ParticipantStatus } from '../engine/vocabulary.js';
import { round3, type Scenario } from './harness.js';
import { REDIS_URL, underPrefix } from './lib/redis.js';
import { benchResult, type Measured } from './lib/result.js';
import { benchModule, runJson } from './lib/processes.js';
import { dueOffsets, summarise, type TimerSummary } from './lib/timers-stats.js';
import { connectionOf, type TimerJob, type WorkerReport } from './lib/bullmq-timers.js';
import { setHeapHeadroom } from '../bin/heap.js';

const TARGET_RATIO = 10;
const TARGET_P99_MS = 20;
const MEASURED: Measured = {
  bench: 'timers',
  metric: 'timers fired per second, fired / (last fire − first due), with lateness p99 ≤ 20 ms (ratio: ours / BullMQ, higher is better)',
  unit: 'timers/s',
  baseline: 'bullmq',
  target: TARGET_RATIO,
};
const SEED = 0x7131e5;
/** Participants entered (jobs added) per batch. */
const CHUNK = 5_000;
/** The BullMQ worker's concurrency: BENCH_TIMERS_CONCURRENCY, default 100. */
const WORKER_CONCURRENCY = Number(process.env['BENCH_TIMERS_CONCURRENCY'] ?? 100);
/** Our side runs with the heap headroom docs/operations.md advises for a million waiting participants (BENCH_TIMERS_HEADROOM=0: V8's own choice). */
const HEADROOM_PERCENT = Number(process.env['BENCH_TIMERS_HEADROOM'] ?? 300);
const WARM_UP = { n: 10_000, windowMs: 2_000, marginMs: 5_000 };
const FLOW_ID = 'timers';

const FLOW = {
  schemaVersion: 1,
  id: FLOW_ID,
  name: 'Timers',
  entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'wait' } }],
  elements: [
    {
      id: 'wait',
      type: 'waitForDate',
      config: { attribute: 'dueAt', when: 'was', offset: { amount: 0, unit: 'hours' } },
      branches: { next: 'done', missed: 'missed' },
    },
    { id: 'done', type: 'exit', config: {} },
    { id: 'missed', type: 'exit', config: {} },
  ],
};

interface Run {
  readonly summary: TimerSummary;
  /** Ours: the same with each participant's time the moment its wake-up was durable in Redis. */
  readonly durable?: TimerSummary;
  /** Seconds the insertion took, and when it ended relative to the window's start (negative: before). */
  readonly insertSeconds: number;
  readonly slackMs: number;
  /** Ours: participants that took `missed` (woken over an hour late); BullMQ: jobs whose due time did not match. */
  readonly odd: number;
}

interface Plan {
  readonly n: number;
  readonly windowMs: number;
  /** From the start of insertion to the start of the window. */
  readonly marginMs: number;
  /** How long after the window's end the run waits for stragglers. */
  readonly graceMs: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Junction: people paused at Wait for a date until their own dueAt, through GroupCommit on Redis. */
async function ours(plan: Plan, prefix: string): Promise<Run> {
  const { n, windowMs } = plan;
  const backend = await RedisBackend.open({ url: REDIS_URL, prefix });
  const clock = new SystemClock();
  const people = new MemoryPeopleStore(clock);
  people.defineAttribute({ name: 'dueAt', type: 'datetime' });
  const engine = new Engine({ clock, people, registry: new Registry([coreModule, eventsModule]), journal: new GroupCommit(backend) });
  setHeapHeadroom(HEADROOM_PERCENT); // as `junction start` does with heapHeadroomPercent; this process also runs other scenarios, so it is undone below
  try {
    engine.save(FLOW);
    engine.launch(FLOW_ID);
    await engine.durable();
    const flow = engine.compiled(FLOW_ID)!;
    const missedNode = flow.indexOf.get('missed');
    const offsets = dueOffsets(n, windowMs, SEED);
    const fired = new Float64Array(n).fill(NaN);
    let count = 0;
    let missed = 0;
    // When each wake-up's rows were durable too: the participants moved on in one synchronous
    // run of the engine share the group-commit batch open then, so one durable() covers them.
    const durableAt = new Float64Array(n).fill(NaN);
    let sameRun: number[] | undefined;
    const unwatch = engine.watchSteps((e) => {
      if (e.participant.status !== ParticipantStatus.Exited || e.flow.id !== FLOW_ID) return;
      const i = Number(e.participant.personId.slice(1));
      if (Number.isNaN(fired[i]!)) count++;
      fired[i] = e.at;
      if (e.participant.node === missedNode) missed++;
      if (sameRun === undefined) {
        const run: number[] = (sameRun = []);
        queueMicrotask(() => (sameRun = undefined));
        void engine.durable().then(() => {
          const at = Date.now();
          for (const k of run) durableAt[k] = at;
        }, () => {});
      }
      sameRun.push(i);
    });

    const t0 = Date.now();
    const windowStart = t0 + plan.marginMs;
    const dues = offsets.map((o) => windowStart + o);
    let refused = 0;
    for (let from = 0; from < n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK);
      // Each chunk's people are created just before they enter, so that no group-commit batch holds more than a chunk's profiles.
      for (let i = from; i < to; i++) people.upsert({ id: `p${i}`, custom: { dueAt: new Date(dues[i]!).toISOString() } });
      const receipts = [];
      for (let i = from; i < to; i++) receipts.push(engine.enter(FLOW_ID, `p${i}`));
      for (const r of await Promise.all(receipts)) if (!r.entered) refused++;
    }
    const inserted = Date.now();
    if (refused > 0) throw new Error(`timers: ${refused} of ${n} people were not entered`);
    if (count > 0) throw new Error(`timers: ${count} participants went on before the window started (insertion took ${inserted - t0} ms, the window started after ${plan.marginMs} ms)`);

    const giveUp = windowStart + windowMs + plan.graceMs;
    while (count < n && Date.now() < giveUp) await sleep(50);
    const end = Date.now();
    unwatch();
    await engine.idle();
    return { summary: summarise(dues, fired, end), durable: summarise(dues, durableAt, end), insertSeconds: (inserted - t0) / 1000, slackMs: inserted - windowStart, odd: missed };
  } finally {
    setHeapHeadroom(0);
    await engine.close();
    await backend.close();
  }
}

/** BullMQ: the same due times as delayed jobs, a Worker in its own process. */
async function bullmq(plan: Plan, prefix: string): Promise<Run> {
  const { n, windowMs } = plan;
  const name = 'timers';
  const queue = new Queue<TimerJob>(name, { connection: connectionOf(REDIS_URL), prefix });
  try {
    await queue.waitUntilReady();
    const offsets = dueOffsets(n, windowMs, SEED);
    const t0 = Date.now();
    const windowStart = t0 + plan.marginMs;
    const giveUp = windowStart + windowMs + plan.graceMs;
    const args = [REDIS_URL, prefix, name, n, windowStart, windowMs, SEED, WORKER_CONCURRENCY, giveUp].map(String);
    const worker = runJson<WorkerReport>(benchModule('lib/bullmq-worker'), args);
    worker.catch(() => {}); // awaited below; this keeps an early failure from being unhandled meanwhile
    for (let from = 0; from < n; from += CHUNK) {
      const now = Date.now();
      const jobs = [];
      for (let i = from; i < Math.min(n, from + CHUNK); i++) {
        const due = windowStart + offsets[i]!;
        jobs.push({ name, data: { i, due }, opts: { timestamp: now, delay: Math.max(0, due - now), removeOnComplete: true, removeOnFail: true } });
      }
      await queue.addBulk(jobs);
    }
    const inserted = Date.now();
    const report = await worker;
    if (report.readyAt >= windowStart) throw new Error(`timers: the BullMQ worker was ready ${report.readyAt - windowStart} ms after the window started`);
    if (inserted >= windowStart) throw new Error(`timers: adding the jobs took ${inserted - t0} ms, past the window's start after ${plan.marginMs} ms`);
    return { summary: report.summary, insertSeconds: (inserted - t0) / 1000, slackMs: inserted - windowStart, odd: report.mismatched };
  } finally {
    await queue.close();
  }
}

function describe(run: Run, n: number): string {
  const s = run.summary;
  const unfired = s.unfired > 0 ? `, ${s.unfired} NOT fired (counted as late as the end of the run)` : '';
  return `${s.fired} of ${n} fired${unfired}; lateness p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms; ${round3(s.perSecond)} fired/s over ${round3((s.lastFire - s.firstDue) / 1000)} s`;
}

const scenario: Scenario = {
  name: 'timers',
  async run({ quick, log }) {
    const n = quick ? 100_000 : 1_000_000;
    const windowMs = Number(process.env['BENCH_TIMERS_WINDOW_MS'] ?? (quick ? 20_000 : 60_000));
    const graceMs = quick ? 120_000 : 300_000;
    const warmPlan: Plan = { ...WARM_UP, graceMs: 30_000 };
    // Warm-ups: the JIT, the server, and each side's insertion rate, from which the window's start is set.
    const warmOurs = await underPrefix((prefix) => ours(warmPlan, prefix));
    gc();
    const warmBull = await underPrefix((prefix) => bullmq(warmPlan, prefix));
    gc();
    log(`warm-up (${WARM_UP.n}, ${WARM_UP.windowMs / 1000} s window): Junction entered ${round3(WARM_UP.n / warmOurs.insertSeconds)}/s, ${describe(warmOurs, WARM_UP.n)}`);
    log(`warm-up: BullMQ added ${round3(WARM_UP.n / warmBull.insertSeconds)}/s, ${describe(warmBull, WARM_UP.n)}`);
    const marginOf = (warm: Run): number => Math.ceil(2 * (n / WARM_UP.n) * warm.insertSeconds * 1000 + 3_000);

    const a = await underPrefix((prefix) => ours({ n, windowMs, marginMs: marginOf(warmOurs), graceMs }, prefix));
    gc();
    log(`Junction: ${n} participants entered in ${round3(a.insertSeconds)} s (${round3(n / a.insertSeconds)}/s), ${round3(-a.slackMs / 1000)} s before the window; ${a.odd} took "missed"`);
    log(`Junction: ${describe(a, n)}`);
    if (a.durable) log(`Junction, until durable in Redis: lateness p50 ${a.durable.p50} ms, p99 ${a.durable.p99} ms, max ${a.durable.max} ms`);
    const b = await underPrefix((prefix) => bullmq({ n, windowMs, marginMs: marginOf(warmBull), graceMs }, prefix));
    gc();
    log(`BullMQ: ${n} delayed jobs added in ${round3(b.insertSeconds)} s (${round3(n / b.insertSeconds)}/s), ${round3(-b.slackMs / 1000)} s before the window; worker concurrency ${WORKER_CONCURRENCY}${b.odd > 0 ? `; ${b.odd} jobs' due times did not match` : ''}`);
    log(`BullMQ: ${describe(b, n)}`);
    log(`lateness p50/p99: Junction ${a.summary.p50}/${a.summary.p99} ms, BullMQ ${b.summary.p50}/${b.summary.p99} ms`);
    log(`${n} timers due uniformly over ${windowMs / 1000} s (at most ${round3(n / (windowMs / 1000))} due/s); one round each; targets ratio ≥ ${TARGET_RATIO} and Junction p99 ≤ ${TARGET_P99_MS} ms`);
    log(`Junction's heap headroom: ${HEADROOM_PERCENT} % (heapHeadroomPercent; 0 is V8's own choice)`);
    const complete = a.summary.unfired === 0 && a.odd === 0;
    const met = (ratio: number): boolean => ratio >= TARGET_RATIO && a.summary.p99 <= TARGET_P99_MS && complete;
    return {
      ...benchResult(MEASURED, a.summary.perSecond, b.summary.perSecond, met),
      p50Ms: a.summary.p50,
      p99Ms: a.summary.p99,
      baselineP50Ms: b.summary.p50,
      baselineP99Ms: b.summary.p99,
      headroomPercent: HEADROOM_PERCENT,
    };
  },
};

export default scenario;
