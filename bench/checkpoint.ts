// checkpoint — durable transitions per second: N transitions (200,000; 40,000 with --quick),
// each one participant, one history and one outbox row, put through GroupCommit over
// SqliteBackend (synchronous=full) by 1,000 concurrent producers, each counted when its
// durable() promise resolves. Baseline, on a fresh file with the same settings and schema:
// the raw floor of the store, the same rows as multi-row INSERTs of 500 rows in one
// transaction. Both build and JSON-encode the same values inside the timed part.
// Target: ours / baseline ≥ 0.5. Also logs how long loading back participant rows takes
// (1,000,000; 100,000 with --quick), values parsed. Its workload is bench/lib/transitions.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Table } from '../engine/store/journal.js';
import { openDatabase, SqliteBackend } from '../engine/store/sqlite.js';
import { round3, type Scenario } from './harness.js';
import { benchResult, type Measured } from './lib/result.js';
import { PRODUCERS, ROUNDS, ROW_TABLES, durableTransitions, loadSeconds, measureRounds, transition } from './lib/transitions.js';

const TARGET_RATIO = 0.5;
const MEASURED: Measured = {
  bench: 'checkpoint',
  metric: 'durable transitions per second (ratio: ours / raw multi-row inserts, higher is better)',
  unit: 'transitions/s',
  baseline: 'the same rows as multi-row INSERTs of 500 rows in one transaction, same schema, synchronous=full',
  target: TARGET_RATIO,
};
const INSERT_ROWS = 500;

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
    const [value, baselineValue] = await measureRounds(
      n,
      (count) => inTempDir((dir) => ours(dir, count)),
      (count) => inTempDir((dir) => baseline(dir, count)),
      (r, a, b) => log(`round ${r}: group commit ${round3(a)} transitions/s, raw inserts ${round3(b)} transitions/s`),
    );
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, synchronous=full; median of ${ROUNDS}; target ratio ≥ ${TARGET_RATIO}`);
    const seconds = await inTempDir((dir) => {
      const open = () => new SqliteBackend({ dir });
      return loadSeconds(open, open, loadRows);
    });
    log(`load: ${loadRows} participant rows read back and parsed in ${round3(seconds.load)} s`);
    return benchResult(MEASURED, value, baselineValue, (ratio) => ratio >= TARGET_RATIO);
  },
};

export default scenario;
