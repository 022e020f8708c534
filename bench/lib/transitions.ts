// The workload of the checkpoint scenarios (checkpoint, checkpoint-pg, checkpoint-redis,
// checkpoint-redis-pg): the rows one participant step writes, the durable transitions per second
// GroupCommit makes of them over a backend, and how long a store full of participant rows
// takes to open and load back.
import { batchOf, GroupCommit, type JournalBackend, type Row, type Table } from '../../engine/store/journal.js';
import { alternate } from '../harness.js';

export const PRODUCERS = 1000;
export const ROW_TABLES = ['participant', 'history', 'outbox'] as const satisfies readonly Table[];
const PARTITIONS = 8;
const START = Date.UTC(2026, 0, 1);
const DAY = 24 * 3600 * 1000;
export const ROUNDS = 3;
/** Transitions of the warm-up runs of each side (the JIT, the server). */
const WARM_UP = 5_000;
/** Participant rows per commit when filling a store for loadSeconds(). */
const FILL_BATCH = 10_000;

/**
 * The three rows one participant step writes, in ROW_TABLES order, as [key, value], with the
 * engine's key shapes: participant ids `<partition>.<sequence base 36>` over 8 partitions,
 * history by flow and person, outbox entries by participant id, step and index.
 */
export function transition(i: number): [key: string, value: unknown][] {
  const person = `person-${i}`;
  const id = `${i % PARTITIONS}.${(Math.floor(i / PARTITIONS) + 1).toString(36)}`;
  const n = 4 + (i % 7);
  return [
    [id, { f: 'welcome', v: 1, p: person, n, s: 1, w: START + DAY, e: START - DAY, c: 3, vars: { count: i % 5 } }],
    [`welcome\u0000${person}`, [[START - DAY], 1, 0]],
    [`${id}:${n}:0`, { kind: 'http.request', key: `${id}:${n}:0`, person, url: 'http://127.0.0.1:9/hook', body: { n: 1 } }],
  ];
}

/**
 * Transitions per second through GroupCommit over `backend` (closed at the end): n transitions
 * put by PRODUCERS concurrent producers, each counted once its durable() promise resolves.
 */
export async function durableTransitions(backend: JournalBackend, n: number, name: string): Promise<number> {
  const journal = new GroupCommit(backend);
  let next = 0;
  let done = 0;
  const producer = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const rows = transition(i);
      for (let t = 0; t < ROW_TABLES.length; t++) journal.put(ROW_TABLES[t]!, rows[t]![0], rows[t]![1]);
      await journal.durable();
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
  const seconds = (performance.now() - t0) / 1000;
  await backend.close();
  if (done !== n) throw new Error(`${name} run incomplete: ${done} of ${n} transitions durable`);
  return n / seconds;
}

type Open = () => JournalBackend | Promise<JournalBackend>;

/**
 * Seconds to open a store holding `rows` participant rows (written through `openWriter`'s
 * backend, FILL_BATCH rows a commit, not timed) with `openReader`, and to load() them, values parsed.
 */
export async function loadSeconds(openWriter: Open, openReader: Open, rows: number): Promise<{ open: number; load: number }> {
  const writer = await openWriter();
  for (let from = 0; from < rows; from += FILL_BATCH) {
    const batch: Row[] = [];
    for (let i = from; i < Math.min(rows, from + FILL_BATCH); i++) {
      const [key, value] = transition(i)[0]!;
      batch.push({ table: 'participant', key, value });
    }
    await writer.commit(batchOf(batch));
  }
  await writer.close();
  const t0 = performance.now();
  const reader = await openReader();
  const t1 = performance.now();
  let count = 0;
  for (const [, value] of reader.load('participant')) if (value !== null) count++;
  const t2 = performance.now();
  await reader.close();
  if (count !== rows) throw new Error(`loaded ${count} of ${rows} rows`);
  return { open: (t1 - t0) / 1000, load: (t2 - t1) / 1000 };
}

/**
 * Ours and the baseline on a few transitions first (warm-up), then ROUNDS rounds of n
 * transitions alternating, each reported: the medians of their transitions per second.
 */
export async function measureRounds(
  n: number,
  ours: (n: number) => Promise<number>,
  baseline: (n: number) => Promise<number>,
  report: (round: number, ours: number, baseline: number) => void,
): Promise<[number, number]> {
  await ours(Math.min(n, WARM_UP));
  await baseline(Math.min(n, WARM_UP));
  return alternate(ROUNDS, () => ours(n), () => baseline(n), (perSecond) => perSecond, report);
}
