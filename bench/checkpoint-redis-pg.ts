// checkpoint-redis-pg — what Redis in front of PostgreSQL (store redis+postgres,
// engine/store/redis-postgres.ts) gives: durable transitions per second through GroupCommit
// over RedisPostgresBackend (each batch answered once its XADD is, written behind into
// PostgreSQL), beside the same transitions through GroupCommit over PostgresBackend alone
// (synchronous_commit=on), in the same run: N transitions (100,000; 20,000 with --quick) of
// bench/lib/transitions.ts, 1,000 producers, median of 3 rounds alternating. Each run's close()
// drains the stream, so every round ends with the rows in PostgreSQL (the drain is not timed:
// what a caller waits for is the answer). Target: ours / PostgreSQL alone ≥ 1 (a store in
// front that answers slower than the one behind it would be pointless). Redis and PostgreSQL as in checkpoint-redis
// and checkpoint-pg (a prefix and a schema of each run's own, removed afterwards).
import { RedisPostgresBackend } from '../engine/store/redis-postgres.js';
import { PostgresBackend } from '../engine/store/postgres.js';
import { round3, type Scenario } from './harness.js';
import { PG_URL, inSchema } from './lib/postgres.js';
import { REDIS_URL, underPrefix } from './lib/redis.js';
import { benchResult, type Measured } from './lib/result.js';
import { PRODUCERS, ROUNDS, durableTransitions, measureRounds } from './lib/transitions.js';

const TARGET_RATIO = 1;
const MEASURED: Measured = {
  bench: 'checkpoint-redis-pg',
  metric: 'durable transitions per second with Redis in front of PostgreSQL (ratio: ours / PostgreSQL alone, higher is better)',
  unit: 'transitions/s',
  baseline: 'the same transitions through GroupCommit over PostgreSQL alone, synchronous_commit=on',
  target: TARGET_RATIO,
};

/** Transitions per second through GroupCommit + Redis in front of PostgreSQL. */
async function ours(schema: string, prefix: string, n: number): Promise<number> {
  return durableTransitions(await RedisPostgresBackend.open({ redis: { url: REDIS_URL, prefix }, postgres: { url: PG_URL, schema } }), n, 'checkpoint-redis-pg');
}

/** The same through GroupCommit + PostgreSQL alone. */
async function postgresAlone(schema: string, n: number): Promise<number> {
  return durableTransitions(await PostgresBackend.open({ url: PG_URL, schema }), n, 'checkpoint-redis-pg (PostgreSQL alone)');
}

const scenario: Scenario = {
  name: 'checkpoint-redis-pg',
  async run({ quick, log }) {
    const n = quick ? 20_000 : 100_000;
    const [value, baselineValue] = await measureRounds(
      n,
      (count) => inSchema((schema) => underPrefix((prefix) => ours(schema, prefix, count))),
      (count) => inSchema((schema) => postgresAlone(schema, count)),
      (r, a, b) => log(`round ${r}: Redis in front ${round3(a)} transitions/s, PostgreSQL alone ${round3(b)} transitions/s`),
    );
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, synchronous_commit=on; median of ${ROUNDS}; target ratio ≥ ${TARGET_RATIO}`);
    return benchResult(MEASURED, value, baselineValue, (ratio) => ratio >= TARGET_RATIO);
  },
};

export default scenario;
