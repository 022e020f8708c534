// engine — element executions per second: N participants (100,000; 20,000 with --quick)
// walk a 10-element flow of instant elements and one pause, on the virtual clock, no I/O.
// Baseline: the same journey hand-coded as a loop over plain objects (the floor of doing
// the work at all). Targets: ≥ 1,000,000 executions/s and ours/baseline ≥ 0.3.
import { Engine } from '../engine/runtime/engine.js';
import { Registry } from '../engine/module.js';
import { coreModule } from '../engine/elements/index.js';
import { GroupCommit } from '../engine/store/journal.js';
import { nowhere } from './lib/nowhere.js';
import { VirtualClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { hash32 } from '../engine/hash.js';
import { alternate, round3, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';

const DAY = 24 * 3600 * 1000;
const START = Date.UTC(2026, 0, 5, 9);
const TARGET = 1_000_000;
const TARGET_RATIO = 0.3;
const MEASURED: Measured = {
  bench: 'engine',
  metric: 'element executions per second (ratio: ours / hand-coded, higher is better)',
  unit: 'executions/s',
  baseline: 'the same journey hand-coded as a loop over plain objects',
  target: TARGET,
};

const FLOW = {
  schemaVersion: 1,
  id: 'bench',
  name: 'Engine benchmark',
  entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'count' } }],
  elements: [
    { id: 'count', type: 'updateVariable', config: { updates: [{ variable: 'count', formula: 'count + 1' }] }, branches: { next: 'route' } },
    {
      id: 'route',
      type: 'segmentAudience',
      config: { segments: [{ conditions: { all: [{ variable: 'count', operator: 'greaterThan', value: 0 }] } }] },
      branches: { '1': 'ab', else: 'ab' },
    },
    { id: 'ab', type: 'splitAudience', config: { branches: [{ percent: 50 }, { percent: 50 }] }, branches: { '1': 'mark', '2': 'mark' } },
    { id: 'mark', type: 'addTag', config: { tags: ['bench'] }, branches: { next: 'wait' } },
    { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } }, branches: { next: 'score' } },
    { id: 'score', type: 'updateVariable', config: { updates: [{ variable: 'score', formula: 'count * 10' }] }, branches: { next: 'check' } },
    {
      id: 'check',
      type: 'segmentAudience',
      config: { segments: [{ conditions: { all: [{ variable: 'score', operator: 'greaterOrEqual', value: 10 }] } }] },
      branches: { '1': 'label', else: 'label' },
    },
    { id: 'label', type: 'updateVariable', config: { updates: [{ variable: 'label', value: 'done' }] }, branches: { next: 'untag' } },
    { id: 'untag', type: 'removeTag', config: { tags: ['bench'] }, branches: { next: 'end' } },
    { id: 'end', type: 'exit', config: {} },
  ],
  settings: {
    variables: [
      { name: 'count', type: 'whole', default: 0 },
      { name: 'score', type: 'whole', default: 0 },
      { name: 'label', type: 'text' },
    ],
  },
};

/** Element executions per second through the engine (inbox, partitions, journal bookkeeping). */
async function ours(n: number): Promise<number> {
  const clock = new VirtualClock(START);
  const people = new MemoryPeopleStore(clock);
  for (let i = 0; i < n; i++) people.upsert({ id: `p${i}` });
  const engine = new Engine({ clock, people, registry: new Registry([coreModule]), journal: new GroupCommit(nowhere) });
  engine.save(FLOW);
  const t0 = performance.now();
  engine.launch('bench');
  const entered: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) entered.push(engine.enter('bench', `p${i}`));
  await Promise.all(entered);
  clock.advance(DAY);
  await engine.idle();
  const seconds = (performance.now() - t0) / 1000;
  const m = engine.metrics('bench');
  const executions = m.elements.filter((e) => e.type !== 'flowApi').reduce((sum, e) => sum + e.totalEngagements, 0);
  if (m.profilesExited !== n || executions !== 10 * n) throw new Error(`engine run incomplete: ${m.profilesExited} exited, ${executions} executions`);
  await engine.close();
  return executions / seconds;
}

interface Plain {
  id: string;
  count: number;
  score: number;
  label: string | null;
  tags: string[];
  wakeAt: number;
  branch: number;
}

/** The same journey, hand-coded: the floor of doing the work at all. */
function baseline(n: number): number {
  const people: Plain[] = [];
  for (let i = 0; i < n; i++) people.push({ id: `p${i}`, count: 0, score: 0, label: null, tags: [], wakeAt: 0, branch: 0 });
  const t0 = performance.now();
  const waiting: Plain[] = [];
  let executions = 0;
  for (const p of people) {
    p.count = p.count + 1;
    const routed = p.count > 0 ? 1 : 0;
    p.branch = routed + (hash32(`bench\u0000${p.id}`) % 10_000 < 5_000 ? 0 : 1);
    if (!p.tags.includes('bench')) p.tags = [...p.tags, 'bench'];
    p.wakeAt = START + DAY;
    waiting.push(p);
    executions += 5;
  }
  waiting.sort((a, b) => a.wakeAt - b.wakeAt);
  for (const p of waiting) {
    p.score = p.count * 10;
    p.branch = p.score >= 10 ? 1 : 0;
    p.label = 'done';
    p.tags = p.tags.filter((t) => t !== 'bench');
    executions += 5;
  }
  const seconds = (performance.now() - t0) / 1000;
  return executions / seconds;
}

const scenario: Scenario = {
  name: 'engine',
  async run({ quick, log }) {
    const n = quick ? 20_000 : 100_000;
    const rounds = 3;
    await ours(Math.min(n, 5_000)); // warm up the JIT for both
    baseline(Math.min(n, 5_000));
    const [value, baselineValue] = await alternate(rounds, () => ours(n), async () => baseline(n), (perSecond) => perSecond, (r, a, b) =>
      log(`round ${r}: engine ${round3(a)} exec/s, hand-coded ${round3(b)} exec/s`),
    );
    log(`${n} participants × 10 elements; median of ${rounds}; targets ≥ ${TARGET} exec/s and ratio ≥ ${TARGET_RATIO}`);
    return benchResult(MEASURED, value, baselineValue, (ratio) => value >= TARGET && ratio >= TARGET_RATIO);
  },
};

export default scenario;
