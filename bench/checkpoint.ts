// checkpoint — durable transitions per second: N transitions (200,000; 40,000 with --quick),
// each one participant, one history and one outbox row, put through GroupCommit over
// SqliteBackend (synchronous=full) by 1,000 concurrent producers, each counted when its
// durable() promise resolves. Baseline, on a fresh file with the same settings and schema:
// the raw floor of the store, the same rows as multi-row INSERTs of 500 rows in one
// transaction. Both build and JSON-encode the same values inside the timed part.
// Target: ours / baseline ≥ 0.5. Also logs how long loading back participant rows takes
// (1,000,000; 100,000 with --quick), values parsed. checkpoint-pg reuses its transitions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { batchOf, GroupCommit, type JournalBackend, type Table } from '../engine/store/journal.js';
import { openDatabase, SqliteBackend } from '../engine/store/sqlite.js';
import { median, round3, type Scenario } from './harness.js';

const TARGET_RATIO = 0.5;
export const PRODUCERS = 1000;
const INSERT_ROWS = 500;
const PARTITIONS = 8;
const START = Date.UTC(2026, 0, 1);
const DAY = 24 * 3600 * 1000;
export const ROW_TABLES = ['participant', 'history', 'outbox'] as const satisfies readonly Table[];

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

/** Transitions per second through GroupCommit + SqliteBackend, durable when counted. */
function ours(dir: string, n: number): Promise<number> {
  return durableTransitions(new SqliteBackend({ dir, synchronous: 'full' }), n, 'checkpoint');
}

/** The same rows written raw: multi-row INSERTs in one transaction, on the same connection settings and schema. */
function baseline(dir: string, n: number): number {
  const db = openDatabase({ dir, synchronous: 'full' });
  const insert = (table: Table, rows: number) =>
    db.prepare(`INSERT INTO "${table}" (key, value) VALUES ${Array(rows).fill('(?, ?)').join(', ')}`);
  const full = ROW_TABLES.map((t) => insert(t, INSERT_ROWS));
  const t0 = performance.now();
  const params: string[][] = ROW_TABLES.map(() => []);
  const flush = (t: number, rows: number) => {
    (rows === INSERT_ROWS ? full[t]! : insert(ROW_TABLES[t]!, rows)).run(params[t]!);
    params[t] = [];
  };
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const rows = transition(i);
      for (let t = 0; t < ROW_TABLES.length; t++) {
        params[t]!.push(rows[t]![0], JSON.stringify(rows[t]![1]));
        if (params[t]!.length === 2 * INSERT_ROWS) flush(t, INSERT_ROWS);
      }
    }
    for (let t = 0; t < ROW_TABLES.length; t++) if (params[t]!.length > 0) flush(t, params[t]!.length / 2);
  })();
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return n / seconds;
}

/** Seconds to load back `rows` participant rows (written in 10,000-row batches), values parsed. */
function loadSeconds(dir: string, rows: number): number {
  const writer = new SqliteBackend({ dir });
  for (let from = 0; from < rows; from += 10_000) {
    const batch = [];
    for (let i = from; i < Math.min(rows, from + 10_000); i++) {
      const [key, value] = transition(i)[0]!;
      batch.push({ table: 'participant' as const, key, value });
    }
    writer.commit(batchOf(batch));
  }
  writer.close();
  const reader = new SqliteBackend({ dir });
  const t0 = performance.now();
  let count = 0;
  for (const [, value] of reader.load('participant')) if (value !== null) count++;
  const seconds = (performance.now() - t0) / 1000;
  reader.close();
  if (count !== rows) throw new Error(`loaded ${count} of ${rows} rows`);
  return seconds;
}

/** Runs fn in a fresh temporary directory and removes it afterwards. */
async function inTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-bench-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const scenario: Scenario = {
  name: 'checkpoint',
  async run({ quick, log }) {
    const n = quick ? 40_000 : 200_000;
    const loadRows = quick ? 100_000 : 1_000_000;
    const rounds = 3;
    await inTempDir((dir) => ours(dir, Math.min(n, 5_000))); // warm up the JIT for both
    await inTempDir((dir) => baseline(dir, Math.min(n, 5_000)));
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await inTempDir((dir) => ours(dir, n)));
      b.push(await inTempDir((dir) => baseline(dir, n)));
      log(`round ${r + 1}: group commit ${round3(a[r]!)} transitions/s, raw inserts ${round3(b[r]!)} transitions/s`);
    }
    const value = median(a);
    const baselineValue = median(b);
    const ratio = value / baselineValue;
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, synchronous=full; median of ${rounds}; target ratio ≥ ${TARGET_RATIO}`);
    const seconds = await inTempDir((dir) => loadSeconds(dir, loadRows));
    log(`load: ${loadRows} participant rows read back and parsed in ${round3(seconds)} s`);
    return {
      bench: 'checkpoint',
      metric: 'durable transitions per second (ratio: ours / raw multi-row inserts, higher is better)',
      unit: 'transitions/s',
      value: Math.round(value),
      baseline: 'the same rows as multi-row INSERTs of 500 rows in one transaction, same schema, synchronous=full',
      baselineValue: Math.round(baselineValue),
      ratio: round3(ratio),
      target: TARGET_RATIO,
      pass: ratio >= TARGET_RATIO,
    };
  },
};

export default scenario;
