// events — custom events routed per second with 1,000,000 participants waiting (100,000 with
// --quick) on 1,000 distinct event names (e0 … e999, the same number of people on each), beside
// the same routing with 100,000 waiting (10,000 with --quick), measured in the same run by the
// same method, the smaller first and one engine in memory at a time: 200,000 events (50,000
// with --quick) for random people, put through engine.event() in batches of 10,000, each batch
// awaited; median of 3 rounds. One event in ten is the one its person waits for: it wakes the
// participant, whose Wait for an event loops back to wait again (as many wait after a round as
// before); the others are kept in the person's history and delivered to nobody. The waits are
// 100 per flow in 10 flows (a flow has at most 100 elements), each reached through its own Flow
// API entry. Engine in memory: virtual clock, MemoryPeopleStore, journal bookkeeping without a
// store. Ratio: at 1M / at 100k waiting. Targets: ≥ 200,000 events/s at 1M and ratio ≥ 0.8
// (routing cost does not grow with the number waiting). Also logs how long loading the
// participants takes and the heap they use. Needs --expose-gc (the bench script passes it).
import { Engine } from '../engine/runtime/engine.js';
import { Registry } from '../engine/module.js';
import { coreModule } from '../engine/elements/index.js';
import { eventsModule } from '../engine/events/index.js';
import { GroupCommit } from '../engine/store/journal.js';
import { nowhere } from './lib/nowhere.js';
import { VirtualClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import type { Receipt } from '../engine/vocabulary.js';
import { median, round3, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';

const START = Date.UTC(2026, 0, 5, 9);
const NAMES = 1000;
const MATCH_PERCENT = 10;
const BATCH = 10_000;
const TARGET = 200_000;
const TARGET_RATIO = 0.8;

/** Waits per flow: a flow has at most 100 elements, so the 1,000 names take 10 flows. */
const PER_FLOW = 100;
const FLOWS = NAMES / PER_FLOW;

/**
 * Flow `f<f>`: Flow API entry `a<j>` leads to `w<j>`, which waits for `e<100 f + j>` (a week at
 * most) and, when it happens, waits again; "notHappened" is left to the automatic Exit.
 */
const flowOf = (f: number) => ({
  schemaVersion: 1,
  id: `f${f}`,
  name: `Events benchmark ${f}`,
  entryPoints: Array.from({ length: PER_FLOW }, (_, j) => ({ id: `a${j}`, type: 'flowApi', config: {}, branches: { next: `w${j}` } })),
  elements: Array.from({ length: PER_FLOW }, (_, j) => ({
    id: `w${j}`,
    type: 'waitForEvent',
    config: { conditions: [{ event: `e${f * PER_FLOW + j}`, happened: true }], waitFor: { amount: 7, unit: 'days' } },
    branches: { happened: `w${j}` },
  })),
});

const NAME_OF = Array.from({ length: NAMES }, (_, k) => `e${k}`);
const FLOW_OF = Array.from({ length: NAMES }, (_, k) => `f${Math.floor(k / PER_FLOW)}`);
const ENTRY_OF = Array.from({ length: NAMES }, (_, k) => `a${k % PER_FLOW}`);

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
}

function heap(): number {
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed-array columns live outside the JS heap
}

interface Loaded {
  engine: Engine;
  personIds: string[];
  /** Seconds to add the people to the store, and to enter them all into the flows. */
  peopleSeconds: number;
  enterSeconds: number;
}

/** An engine with n people, person i waiting on e<i mod 1,000>. */
async function load(n: number): Promise<Loaded> {
  const clock = new VirtualClock(START);
  const people = new MemoryPeopleStore(clock);
  for (let k = 0; k < NAMES; k++) people.defineEvent({ name: NAME_OF[k]!, properties: [{ name: 'value', type: 'whole' }] });
  const personIds = Array.from({ length: n }, (_, i) => `p${i}`);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) people.upsert({ id: personIds[i]! });
  const peopleSeconds = (performance.now() - t0) / 1000;
  const engine = new Engine({ clock, people, registry: new Registry([coreModule, eventsModule]), journal: new GroupCommit(nowhere) });
  for (let f = 0; f < FLOWS; f++) {
    engine.save(flowOf(f));
    engine.launch(`f${f}`);
  }
  const t1 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const batch: Array<Promise<Receipt>> = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) batch.push(engine.enter(FLOW_OF[k % NAMES]!, personIds[k]!, { entry: ENTRY_OF[k % NAMES]! }));
    for (const r of await Promise.all(batch)) if (!r.entered) throw new Error(`${r.personId} not entered: ${r.reason}`);
  }
  await engine.idle();
  const enterSeconds = (performance.now() - t1) / 1000;
  const waiting = waitingIn(engine);
  if (waiting !== n) throw new Error(`${waiting} of ${n} participants waiting`);
  return { engine, personIds, peopleSeconds, enterSeconds };
}

/** Participants inside the flows (all of them waiting). */
function waitingIn(engine: Engine): number {
  let n = 0;
  for (let f = 0; f < FLOWS; f++) n += engine.metrics(`f${f}`).activeParticipants;
  return n;
}

interface Events {
  person: Uint32Array;
  name: Uint16Array;
  matches: number;
}

/** `count` events for random people (of n), one in ten the name the person waits for, the rest another name. */
function events(n: number, count: number, seed: number): Events {
  const next = (m: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 4294967296) * m);
  };
  const person = new Uint32Array(count);
  const name = new Uint16Array(count);
  let matches = 0;
  for (let i = 0; i < count; i++) {
    const p = next(n);
    const waitsOn = p % NAMES;
    person[i] = p;
    if (next(100) < MATCH_PERCENT) {
      name[i] = waitsOn;
      matches++;
    } else name[i] = (waitsOn + 1 + next(NAMES - 1)) % NAMES;
  }
  return { person, name, matches };
}

/** Events per second through engine.event(), in batches awaited one after another; checks every match woke its participant. */
async function route(loaded: Loaded, list: Events): Promise<number> {
  const { engine, personIds } = loaded;
  const count = list.person.length;
  let delivered = 0;
  collect(); // the garbage of loading and earlier rounds is not this round's
  const t0 = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    const batch: Array<Promise<Receipt>> = [];
    for (let k = i; k < Math.min(count, i + BATCH); k++) batch.push(engine.event(personIds[list.person[k]!]!, NAME_OF[list.name[k]!]!, { value: k }));
    for (const r of await Promise.all(batch)) delivered += r.delivered ?? 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (delivered !== list.matches) throw new Error(`${delivered} participants woken for ${list.matches} matching events`);
  const waiting = waitingIn(engine);
  if (waiting !== personIds.length) throw new Error(`${waiting} of ${personIds.length} participants waiting after the events`);
  return count / seconds;
}

/** Loads and routes a little first, for the JIT. */
async function warmUp(): Promise<void> {
  const warm = await load(10_000);
  await route(warm, events(10_000, 20_000, 1));
  await warm.engine.close();
}

/** Loads n waiting participants, then routes `count` events `rounds` times; events/s of each round. */
async function measure(n: number, count: number, rounds: number, log: (line: string) => void): Promise<number[]> {
  const before = heap();
  const loaded = await load(n);
  log(`${n} waiting on ${NAMES} names: people added in ${round3(loaded.peopleSeconds)} s, entered in ${round3(loaded.enterSeconds)} s (${round3(n / loaded.enterSeconds)} entries/s); heap ${round3((heap() - before) / 1e6)} MB with the people`);
  const perSecond: number[] = [];
  for (let r = 0; r < rounds; r++) {
    perSecond.push(await route(loaded, events(n, count, 1000 + r)));
    log(`${n} waiting, round ${r + 1}: ${round3(perSecond[r]!)} events/s`);
  }
  log(`${n} waiting: ${round3(median(perSecond))} events/s (median of ${rounds}); heap ${round3((heap() - before) / 1e6)} MB with the people and ${rounds * count} events kept`);
  await loaded.engine.close();
  return perSecond;
}

const scenario: Scenario = {
  name: 'events',
  async run({ quick, log }) {
    const small = quick ? 10_000 : 100_000;
    const large = quick ? 100_000 : 1_000_000;
    const count = quick ? 50_000 : 200_000;
    const rounds = 3;
    await warmUp();
    // One engine in memory at a time, the smaller first: its figure does not pay for collecting the larger one.
    const figures = [await measure(small, count, rounds, log), await measure(large, count, rounds, log)];
    const value = median(figures[1]!);
    const baselineValue = median(figures[0]!);
    log(`${count} events per round, ${MATCH_PERCENT} % waking their participant; ratio ${round3(value / baselineValue)}; targets ≥ ${TARGET} events/s at ${large} and ratio ≥ ${TARGET_RATIO}`);
    const measured: Measured = {
      bench: 'events',
      metric: `events routed per second with ${large} participants waiting on ${NAMES} event names (ratio: at ${large} / at ${small} waiting, higher is better)`,
      unit: 'events/s',
      baseline: `events/s at ${small} waiting`,
      target: TARGET,
    };
    return benchResult(measured, value, baselineValue, (ratio) => value >= TARGET && ratio >= TARGET_RATIO);
  },
};

export default scenario;
