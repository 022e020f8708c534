// memory — heap bytes per waiting participant, with 1,000,000 waiting (500,000 with --quick),
// each of another person (the people are measured apart, before): half in a Pause, half waiting for an input (an event) with a timeout, timer and wait-index
// entries included; beside 1,000,000 plain participant objects in a Map, measured in the same
// run. Also bytes per person (one phone, four attributes, indexes included), and what a
// participant leaves behind once it has exited (its person's entry history of the flow, seen
// nodes and metrics entries: what the re-entry rules and reports keep).
// Targets: ≤ 100 B per participant and ≤ 0.7× the Map; ≤ 300 B per person.
// Needs --expose-gc (the bench script passes it).
import { Type } from '@sinclair/typebox';
import { Engine } from '../engine/runtime/engine.js';
import { Registry } from '../engine/module.js';
import { coreModule } from '../engine/elements/index.js';
import { defineElement } from '../engine/element.js';
import { VirtualClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { GroupCommit } from '../engine/store/journal.js';
import { nowhere } from './lib/nowhere.js';
import { bytesPerPerson } from './lib/people-memory.js';
import { round3, type Scenario } from './harness.js';

const TARGET_BYTES = 100;
const TARGET_RATIO = 0.7;
const TARGET_PERSON = 300;
const DAY = 24 * 3600 * 1000;

/** Waits for the `reply` event, at most a day (the shape of "wait for an effect's result, with a timeout"). */
const waitReply = defineElement<Record<string, never>>({
  type: 'benchWaitReply',
  role: 'element',
  title: 'Wait for a reply (bench only)',
  description: 'Waits for the reply event, at most a day.',
  config: Type.Object({}),
  example: {},
  branches: () => ['next'],
  waits: true,
  execute: (_p, run) => ({ wait: true, on: 'event:reply', until: run.now + DAY }),
  resume: () => 0,
});

const flow = (id: string, first: object) => ({
  schemaVersion: 1,
  id,
  name: id,
  entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'w' } }],
  elements: [first],
  settings: { reentry: { enabled: true } },
});

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed-array columns live outside the JS heap
}

/** An engine in memory (a journal that keeps nothing) with people p0 … p(n−1) and the flows launched. */
function engineWith(n: number, registry: Registry, flows: object[]): Engine {
  const clock = new VirtualClock(Date.UTC(2026, 0, 5));
  const people = new MemoryPeopleStore(clock);
  for (let i = 0; i < n; i++) people.upsert({ id: `p${i}` });
  const engine = new Engine({ clock, people, registry, journal: new GroupCommit(nowhere) });
  for (const f of flows) engine.launch(engine.save(f).id);
  return engine;
}

/** Heap bytes per person once each of p0 … p(n−1) entered the flow flowOf(k), 10,000 at a time. */
async function bytesPerEntry(engine: Engine, n: number, flowOf: (k: number) => string): Promise<number> {
  const before = heap();
  for (let i = 0; i < n; i += 10_000) {
    const batch: Array<Promise<unknown>> = [];
    for (let k = i; k < Math.min(n, i + 10_000); k++) batch.push(engine.enter(flowOf(k), `p${k}`));
    await Promise.all(batch);
  }
  return (heap() - before) / n;
}

async function participantBytes(n: number): Promise<number> {
  const registry = new Registry([coreModule, { name: 'bench', elements: [waitReply] }]);
  const engine = engineWith(n, registry, [
    flow('paused', { id: 'w', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }),
    flow('replies', { id: 'w', type: 'benchWaitReply', config: {} }),
  ]);
  const bytes = await bytesPerEntry(engine, n, (k) => (k % 2 ? 'paused' : 'replies'));
  if (engine.metrics('paused').activeParticipants + engine.metrics('replies').activeParticipants !== n) throw new Error('not everyone waits');
  await engine.close();
  return bytes;
}

/** Heap bytes left per participant once each of n people entered a flow that exits at once. */
async function exitedBytes(n: number): Promise<number> {
  const engine = engineWith(n, new Registry([coreModule]), [flow('exits', { id: 'w', type: 'exit', config: {} })]);
  const bytes = await bytesPerEntry(engine, n, () => 'exits');
  if (engine.metrics('exits').activeParticipants !== 0) throw new Error('someone is still inside');
  await engine.close();
  return bytes;
}

/** The same participants as plain objects in a Map; person ids exist before (as they would in the people store). */
function mapBytes(n: number): number {
  const personIds = Array.from({ length: n }, (_, i) => `p${i}`);
  const before = heap();
  const map = new Map<string, object>();
  for (let i = 0; i < n; i++) {
    const id = `${(i % 8).toString(36)}.${i.toString(36)}`;
    map.set(id, { id, flowId: 'paused', version: 1, personId: personIds[i]!, node: 1, status: 1, waitUntil: Date.UTC(2026, 0, 6), waitOn: '', vars: {}, enteredAt: Date.UTC(2026, 0, 5), steps: 1 });
  }
  const bytes = (heap() - before) / n;
  if (map.size !== n || personIds.length !== n) throw new Error('map incomplete');
  return bytes;
}

const scenario: Scenario = {
  name: 'memory',
  async run({ quick, log }) {
    const n = quick ? 500_000 : 1_000_000;
    const ours = await participantBytes(n);
    const baseline = mapBytes(n);
    log(`${n} waiting participants: ${round3(ours)} B each; ${n} plain objects in a Map: ${round3(baseline)} B each`);
    const person = await bytesPerPerson(quick ? 100_000 : 200_000);
    log(`person (one phone, four attributes, indexes): ${round3(person.bytes)} B (target ≤ ${TARGET_PERSON}); as plain objects in a Map: ${round3(person.baselineBytes)} B`);
    const exited = await exitedBytes(quick ? 100_000 : 300_000);
    log(`after the exit (entry history, seen nodes, metrics): ${round3(exited)} B per participant`);
    const ratio = ours / baseline;
    return {
      bench: 'memory',
      metric: 'heap bytes per waiting participant (ratio: ours / plain objects in a Map, lower is better)',
      unit: 'bytes',
      value: Math.round(ours),
      baseline: 'the same participants as plain objects in a Map',
      baselineValue: Math.round(baseline),
      ratio: round3(ratio),
      target: TARGET_BYTES,
      pass: ours <= TARGET_BYTES && ratio <= TARGET_RATIO && person.bytes <= TARGET_PERSON,
      exitedBytes: Math.round(exited),
    };
  },
};

export default scenario;
