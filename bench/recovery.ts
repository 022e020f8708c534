// recovery — start-to-serving time of `junction start` on an embedded store holding 1,000,000
// waiting participants (200,000 with --quick) and their people, beside the same command on an
// empty store (the floor: starting the process at all), in the same run. Target: < 10 s.
// The store is written with the engine's own row format (runtime/rows.ts) after a real engine
// launched the flow into it, so recovery reads exactly what a running Junction leaves behind.
// recoveryScenario() runs the same on another store (recovery-pg.ts: PostgreSQL).
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PARTITIONS, Engine } from '../engine/runtime/engine.js';
import { Registry } from '../engine/module.js';
import { coreModule } from '../engine/elements/index.js';
import { SystemClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { batchOf, GroupCommit, type JournalBackend, type Row } from '../engine/store/journal.js';
import { SqliteBackend } from '../engine/store/sqlite.js';
import { participantKey, participantRow } from '../engine/runtime/rows.js';
import { partitionOf } from '../engine/runtime/partition.js';
import { personOf } from '../engine/people/layout.js';
import { ParticipantStatus } from '../engine/vocabulary.js';
import { benchModule, startServer } from './lib/processes.js';
import { round3, type Scenario } from './harness.js';

const TARGET_MS = 10_000;
const DAY = 24 * 3600 * 1000;
const BATCH = 20_000;

const FLOW = {
  schemaVersion: 1,
  id: 'waiting',
  name: 'Waiting',
  entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'wait' } }],
  elements: [{ id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 7, unit: 'days' } } }],
};

/** Where a recovery run keeps its state: a store to fill, and the environment that points `junction start` at it. */
export interface RecoveryStore {
  /** The store named `name` (a new one per name), opened for writing. */
  open(name: string): Promise<JournalBackend>;
  /** `junction start`'s environment for the store `name`. */
  env(name: string): NodeJS.ProcessEnv;
  /** Bytes the store `name` takes on disk (tables, indexes, files). */
  bytes(name: string): Promise<number>;
  /** Removes every store this run made. */
  clean(): Promise<void>;
}

/** The embedded store: one data directory per name under a temporary folder. */
function embedded(root: string): RecoveryStore {
  return {
    open: async (name) => new SqliteBackend({ dir: join(root, name), synchronous: 'normal' }),
    env: (name) => ({ JUNCTION_DATA_DIR: join(root, name) }),
    bytes: async (name) => readdirSync(join(root, name)).reduce((sum, file) => sum + statSync(join(root, name, file)).size, 0),
    clean: async () => {},
  };
}

/** The store with the flow launched and `n` people each waiting in its pause (also the store move-to-shards moves). */
export async function fill(backend: JournalBackend, n: number): Promise<void> {
  const clock = new SystemClock();
  const people = new MemoryPeopleStore(clock);
  const engine = new Engine({ clock, people, registry: new Registry([coreModule]), journal: new GroupCommit(backend) });
  engine.save(FLOW);
  engine.launch('waiting');
  await engine.close();
  const flow = engine.compiled('waiting')!;
  const now = Date.now();
  for (let i = 0; i < n; i += BATCH) {
    const rows: Row[] = [];
    for (let k = i; k < Math.min(n, i + BATCH); k++) rows.push(...rowsOf(k, flow.indexOf.get('wait')!, now));
    await backend.commit(batchOf(rows));
  }
  await backend.commit(batchOf(Array.from({ length: DEFAULT_PARTITIONS }, (_, p) => ({ table: 'meta', key: `seq:${p}`, value: n + 1 }))));
  await backend.close();
}

function rowsOf(k: number, node: number, now: number): Row[] {
  const personId = `p${k}`;
  const person = { id: personId, standard: {}, custom: {}, phones: [`+38591${String(k).padStart(7, '0')}`], emails: [], tags: [], companies: [], lastContacted: {} };
  const id = `${partitionOf(personId, DEFAULT_PARTITIONS).toString(36)}.${(k + 1).toString(36)}`;
  const state = { id, flowId: 'waiting', version: 1, personId, node, status: ParticipantStatus.Waiting, waitUntil: now + DAY, waitOn: '', waitFrom: 0, vars: {}, replyAddress: '', enteredAt: now, steps: 1 };
  return [
    { table: 'person', key: personId, value: personOf(person) },
    { table: 'participant', key: participantKey(id), value: participantRow(state) },
  ];
}

/** Milliseconds from spawning `junction start` to its "listening" line. */
async function startToServing(storeEnv: NodeJS.ProcessEnv, dataDir: string, flows: string): Promise<number> {
  const t0 = performance.now();
  const server = await startServer(benchModule('../bin/junction'), ['start'], {
    ...process.env,
    JUNCTION_PORT: '0',
    JUNCTION_DATA_DIR: dataDir,
    ...storeEnv,
    JUNCTION_FLOWS: flows,
    JUNCTION_PEOPLE: '',
    JUNCTION_LOG_LEVEL: 'info',
  }, 'Junction is listening', 120_000);
  const ms = performance.now() - t0;
  await server.stop();
  return ms;
}

/** The recovery scenario on a store: `store` gets the run's temporary folder (for the embedded store's directories). */
export function recoveryScenario(name: string, storeIn: (root: string) => RecoveryStore, what: string): Scenario {
  return {
    name,
    async run({ quick, log }) {
      const n = quick ? 200_000 : 1_000_000;
      const root = mkdtempSync(join(tmpdir(), `junction-${name}-`));
      const store = storeIn(root);
      try {
        const flows = join(root, 'flows');
        mkdirSync(flows);
        writeFileSync(join(flows, 'waiting.json'), JSON.stringify(FLOW));
        const t0 = performance.now();
        await fill(await store.open('full'), n);
        log(`wrote ${n} waiting participants and their people in ${round3((performance.now() - t0) / 1000)} s (${what})`);
        await (await store.open('empty')).close();
        const ours = await startToServing(store.env('full'), join(root, 'keys-full'), flows);
        const empty = await startToServing(store.env('empty'), join(root, 'keys-empty'), flows);
        log(`start to serving: ${round3(ours / 1000)} s with ${n} waiting; ${round3(empty / 1000)} s on an empty store`);
        const bytes = await store.bytes('full');
        log(`on disk: ${round3(bytes / 1e6)} MB, ${Math.round(bytes / n)} bytes per waiting participant with their person`);
        return {
          bench: name,
          metric: `start-to-serving with ${n} waiting participants, ${what} (ratio: ours / empty store)`,
          unit: 'ms',
          value: Math.round(ours),
          baseline: 'the same command on an empty store',
          baselineValue: Math.round(empty),
          ratio: round3(ours / empty),
          target: TARGET_MS,
          pass: ours < TARGET_MS,
        };
      } finally {
        await store.clean();
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

export default recoveryScenario('recovery', embedded, 'embedded store');
