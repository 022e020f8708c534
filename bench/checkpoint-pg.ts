// checkpoint-pg — durable transitions per second on Postgres: N transitions (100,000; 20,000
// with --quick), each one participant, one history and one outbox row (the
// transitions of bench/lib/transitions.ts), put through GroupCommit over PostgresBackend (synchronous_commit=on) by 1,000
// concurrent producers, each counted when its durable() promise resolves. Baseline, in a fresh
// schema of the same tables: the raw floor, the same rows written by one client with no
// GroupCommit, 666 transitions (GroupCommit's 2,000 rows at most) per transaction, one
// INSERT … SELECT FROM unnest($1::text[], $2::text[]) per table (keys with U+0000 escaped as the
// store does, Postgres text cannot hold it). Both build and JSON-encode the same values inside
// the timed part. Target: ours / baseline ≥ 0.5. Also logs how long open() (reading every
// table) and load() of participant rows take (1,000,000; 100,000 with --quick).
// Postgres: BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; each run in a
// schema of its own, dropped afterwards.
import { Client } from 'pg';
import { PostgresBackend, migrate } from '../engine/store/postgres.js';
import { round3, type Scenario } from './harness.js';
import { PG_URL, inSchema } from './lib/postgres.js';
import { benchResult, type Measured } from './lib/result.js';
import { PRODUCERS, ROUNDS, ROW_TABLES, durableTransitions, loadSeconds, measureRounds, transition } from './lib/transitions.js';

const TARGET_RATIO = 0.5;
/** Transitions per transaction of the floor: as many as fit in one GroupCommit batch (2,000 rows). */
const FLOOR_BATCH = Math.floor(2000 / ROW_TABLES.length);
const MEASURED: Measured = {
  bench: 'checkpoint-pg',
  metric: 'durable transitions per second on Postgres (ratio: ours / raw unnest inserts, higher is better)',
  unit: 'transitions/s',
  baseline: `the same rows as one unnest INSERT per table, ${FLOOR_BATCH} transitions per transaction, one client, same schema, synchronous_commit=on`,
  target: TARGET_RATIO,
};

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

const scenario: Scenario = {
  name: 'checkpoint-pg',
  async run({ quick, log }) {
    const n = quick ? 20_000 : 100_000;
    const loadRows = quick ? 100_000 : 1_000_000;
    const [value, baselineValue] = await measureRounds(
      n,
      (count) => inSchema((schema) => ours(schema, count)),
      (count) => inSchema((schema) => baseline(schema, count)),
      (r, a, b) => log(`round ${r}: group commit ${round3(a)} transitions/s, raw unnest inserts ${round3(b)} transitions/s`),
    );
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, synchronous_commit=on; median of ${ROUNDS}; target ratio ≥ ${TARGET_RATIO}`);
    const seconds = await inSchema((schema) =>
      loadSeconds(() => PostgresBackend.open({ url: PG_URL, schema, synchronousCommit: 'off' }), () => PostgresBackend.open({ url: PG_URL, schema }), loadRows),
    );
    log(`load: ${loadRows} participant rows read at open in ${round3(seconds.open)} s, handed out by load() and parsed in ${round3(seconds.load)} s`);
    return benchResult(MEASURED, value, baselineValue, (ratio) => ratio >= TARGET_RATIO);
  },
};

export default scenario;
