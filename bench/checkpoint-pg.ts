// checkpoint-pg — durable transitions per second on Postgres: N transitions (100,000; 20,000
// with --quick), each one participant, one history and one outbox row (checkpoint.ts's
// transitions), put through GroupCommit over PostgresBackend (synchronous_commit=on) by 1,000
// concurrent producers, each counted when its durable() promise resolves. Baseline, in a fresh
// schema of the same tables: the raw floor, the same rows written by one client with no
// GroupCommit, 666 transitions (GroupCommit's 2,000 rows at most) per transaction, one
// INSERT … SELECT FROM unnest($1::text[], $2::text[]) per table (keys with U+0000 escaped as the
// store does, Postgres text cannot hold it). Both build and JSON-encode the same values inside
// the timed part. Target: ours / baseline ≥ 0.5. Also logs how long open() (reading every
// table) and load() of participant rows take (1,000,000; 100,000 with --quick).
// Postgres: BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; each run in a
// schema of its own, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { batchOf, type Row } from '../engine/store/journal.js';
import { PostgresBackend, migrate } from '../engine/store/postgres.js';
import { PRODUCERS, ROW_TABLES, durableTransitions, transition } from './checkpoint.js';
import { median, round3, type Scenario } from './harness.js';

export const PG_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_RATIO = 0.5;
/** Transitions per transaction of the floor: as many as fit in one GroupCommit batch (2,000 rows). */
const FLOOR_BATCH = Math.floor(2000 / ROW_TABLES.length);

/** Transitions per second through GroupCommit + PostgresBackend, durable when counted. */
async function ours(schema: string, n: number): Promise<number> {
  return durableTransitions(await PostgresBackend.open({ url: PG_URL, schema }), n, 'checkpoint-pg');
}

/** The same rows written raw: one client, FLOOR_BATCH transitions per transaction, one unnest INSERT per table. */
async function baseline(schema: string, n: number): Promise<number> {
  await migrate(PG_URL, schema);
  const client = new Client(PG_URL);
  await client.connect();
  const inserts = ROW_TABLES.map((table) => `INSERT INTO "${schema}"."${table}" (key, value) SELECT * FROM unnest($1::text[], $2::text[])`);
  const t0 = performance.now();
  for (let from = 0; from < n; from += FLOOR_BATCH) {
    const keys: string[][] = ROW_TABLES.map(() => []);
    const values: string[][] = ROW_TABLES.map(() => []);
    for (let i = from; i < Math.min(n, from + FLOOR_BATCH); i++) {
      const rows = transition(i);
      for (let t = 0; t < ROW_TABLES.length; t++) {
        keys[t]!.push(rows[t]![0].replaceAll('\u0000', '\u0001\u0001'));
        values[t]!.push(JSON.stringify(rows[t]![1]));
      }
    }
    await client.query('BEGIN');
    for (let t = 0; t < ROW_TABLES.length; t++) await client.query({ name: `floor.${t}`, text: inserts[t]!, values: [keys[t], values[t]] });
    await client.query('COMMIT');
  }
  const seconds = (performance.now() - t0) / 1000;
  await client.end();
  return n / seconds;
}

/** Seconds to open a store holding `rows` participant rows (reading every table) and to load() them, values parsed. */
async function loadSeconds(schema: string, rows: number): Promise<{ open: number; load: number }> {
  const writer = await PostgresBackend.open({ url: PG_URL, schema, synchronousCommit: 'off' });
  for (let from = 0; from < rows; from += 10_000) {
    const batch: Row[] = [];
    for (let i = from; i < Math.min(rows, from + 10_000); i++) {
      const [key, value] = transition(i)[0]!;
      batch.push({ table: 'participant', key, value });
    }
    await writer.commit(batchOf(batch));
  }
  await writer.close();
  const t0 = performance.now();
  const reader = await PostgresBackend.open({ url: PG_URL, schema });
  const t1 = performance.now();
  let count = 0;
  for (const [, value] of reader.load('participant')) if (value !== null) count++;
  const t2 = performance.now();
  await reader.close();
  if (count !== rows) throw new Error(`loaded ${count} of ${rows} rows`);
  return { open: (t1 - t0) / 1000, load: (t2 - t1) / 1000 };
}

/** Runs fn on a fresh schema and drops it afterwards. */
export async function inSchema<T>(fn: (schema: string) => Promise<T>): Promise<T> {
  const schema = `jct_bench_${randomBytes(4).toString('hex')}`;
  try {
    return await fn(schema);
  } finally {
    const client = new Client(PG_URL);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

const scenario: Scenario = {
  name: 'checkpoint-pg',
  async run({ quick, log }) {
    const n = quick ? 20_000 : 100_000;
    const loadRows = quick ? 100_000 : 1_000_000;
    const rounds = 3;
    await inSchema((schema) => ours(schema, Math.min(n, 5_000))); // warm up the JIT and the server for both
    await inSchema((schema) => baseline(schema, Math.min(n, 5_000)));
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await inSchema((schema) => ours(schema, n)));
      b.push(await inSchema((schema) => baseline(schema, n)));
      log(`round ${r + 1}: group commit ${round3(a[r]!)} transitions/s, raw unnest inserts ${round3(b[r]!)} transitions/s`);
    }
    const value = median(a);
    const baselineValue = median(b);
    const ratio = value / baselineValue;
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, synchronous_commit=on; median of ${rounds}; target ratio ≥ ${TARGET_RATIO}`);
    const seconds = await inSchema((schema) => loadSeconds(schema, loadRows));
    log(`load: ${loadRows} participant rows read at open in ${round3(seconds.open)} s, handed out by load() and parsed in ${round3(seconds.load)} s`);
    return {
      bench: 'checkpoint-pg',
      metric: 'durable transitions per second on Postgres (ratio: ours / raw unnest inserts, higher is better)',
      unit: 'transitions/s',
      value: Math.round(value),
      baseline: `the same rows as one unnest INSERT per table, ${FLOOR_BATCH} transitions per transaction, one client, same schema, synchronous_commit=on`,
      baselineValue: Math.round(baselineValue),
      ratio: round3(ratio),
      target: TARGET_RATIO,
      pass: ratio >= TARGET_RATIO,
    };
  },
};

export default scenario;
