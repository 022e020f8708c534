// checkpoint-redis-pg — what Redis in front of PostgreSQL (store redis+postgres,
// engine/store/redis-postgres.ts) gives: durable transitions per second through GroupCommit
// over RedisPostgresBackend (each batch answered once its XADD is, written behind into
// PostgreSQL), beside the same transitions through GroupCommit over PostgresBackend alone
// (synchronous_commit=on), in the same run: N transitions (100,000; 20,000 with --quick) of
// checkpoint.ts, 1,000 producers, median of 3 rounds alternating. Each run's close() drains the
// stream, so every round ends with the rows in PostgreSQL (the drain is not timed: what a caller
// waits for is the answer). Target: ours / PostgreSQL alone ≥ 1 (a store in front that answers
// slower than the one behind it would be pointless). Redis and PostgreSQL as in checkpoint-redis
// and checkpoint-pg (a prefix and a schema of each run's own, removed afterwards).
import { RedisPostgresBackend } from '../engine/store/redis-postgres.js';
import { PostgresBackend } from '../engine/store/postgres.js';
import { PRODUCERS, durableTransitions } from './checkpoint.js';
import { PG_URL, inSchema } from './checkpoint-pg.js';
import { REDIS_URL, underPrefix } from './checkpoint-redis.js';
import { median, round3, type Scenario } from './harness.js';

const TARGET_RATIO = 1;

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
    const rounds = 3;
    const front = (count: number) => inSchema((schema) => underPrefix((prefix) => ours(schema, prefix, count)));
    const alone = (count: number) => inSchema((schema) => postgresAlone(schema, count));
    await front(Math.min(n, 5_000)); // warm up the JIT and both servers
    await alone(Math.min(n, 5_000));
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await front(n));
      b.push(await alone(n));
      log(`round ${r + 1}: Redis in front ${round3(a[r]!)} transitions/s, PostgreSQL alone ${round3(b[r]!)} transitions/s`);
    }
    const value = median(a);
    const baselineValue = median(b);
    const ratio = value / baselineValue;
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, synchronous_commit=on; median of ${rounds}; target ratio ≥ ${TARGET_RATIO}`);
    return {
      bench: 'checkpoint-redis-pg',
      metric: 'durable transitions per second with Redis in front of PostgreSQL (ratio: ours / PostgreSQL alone, higher is better)',
      unit: 'transitions/s',
      value: Math.round(value),
      baseline: 'the same transitions through GroupCommit over PostgreSQL alone, synchronous_commit=on',
      baselineValue: Math.round(baselineValue),
      ratio: round3(ratio),
      target: TARGET_RATIO,
      pass: ratio >= TARGET_RATIO,
    };
  },
};

export default scenario;
