// checkpoint-redis — durable transitions per second on Redis: N transitions (100,000; 20,000
// with --quick), each one participant, one history and one outbox row (the
// transitions of bench/lib/transitions.ts), put through GroupCommit over RedisBackend (one MULTI … EXEC per batch) by 1,000
// concurrent producers, each counted when its durable() promise resolves. Baseline, under a
// fresh prefix: the raw floor, the same rows written by one client with no GroupCommit and no
// MULTI, one HSET per table per 666 transitions (GroupCommit's 2,000 rows at most), all
// pipelined, awaited at the end. Both build and JSON-encode the same values inside the timed
// part. "Durable" is as durable as the server's appendonly/appendfsync make an answered EXEC
// (logged; see docs/decisions/0013-redis-store.md). Target: ours / baseline ≥ 0.5. Also logs how
// long open() (HSCAN of every table, sorting) and load() of participant rows take (1,000,000;
// 100,000 with --quick).
// Redis: BENCH_REDIS_URL, default redis://127.0.0.1:6379; each run under a key prefix of its
// own, deleted afterwards (SCAN + UNLINK, never FLUSHDB).
import { Redis } from 'ioredis';
import { RedisBackend } from '../engine/store/redis.js';
import { round3, type Scenario } from './harness.js';
import { REDIS_URL, underPrefix } from './lib/redis.js';
import { benchResult } from './lib/result.js';
import { PRODUCERS, ROUNDS, ROW_TABLES, durableTransitions, loadSeconds, measureRounds, transition } from './lib/transitions.js';

const TARGET_RATIO = 0.5;
/** Transitions per HSET of the floor: as many as fit in one GroupCommit batch (2,000 rows). */
const FLOOR_BATCH = Math.floor(2000 / ROW_TABLES.length);

/** Transitions per second through GroupCommit + RedisBackend, durable when counted. */
async function ours(prefix: string, n: number): Promise<number> {
  return durableTransitions(await RedisBackend.open({ url: REDIS_URL, prefix }), n, 'checkpoint-redis');
}

/** The same rows written raw: one client, one HSET per table per FLOOR_BATCH transitions, pipelined, no MULTI. */
async function baseline(prefix: string, n: number): Promise<number> {
  const client = new Redis(REDIS_URL);
  const hashes = ROW_TABLES.map((table) => `${prefix}t:${table}`);
  const replies: Promise<unknown>[] = [];
  const t0 = performance.now();
  for (let from = 0; from < n; from += FLOOR_BATCH) {
    const args = hashes.map((hash) => [hash]);
    for (let i = from; i < Math.min(n, from + FLOOR_BATCH); i++) {
      const rows = transition(i);
      for (let t = 0; t < ROW_TABLES.length; t++) args[t]!.push(rows[t]![0], JSON.stringify(rows[t]![1]));
    }
    for (const hset of args) replies.push(client.call('HSET', hset));
  }
  await Promise.all(replies);
  const seconds = (performance.now() - t0) / 1000;
  await client.quit();
  return n / seconds;
}

/** The server's persistence settings, as CONFIG GET tells them (a managed Redis may refuse CONFIG). */
async function persistence(): Promise<string> {
  const client = new Redis(REDIS_URL);
  try {
    const config = (await client.config('GET', 'appendonly', 'appendfsync')) as string[];
    const settings = Object.fromEntries(Array.from({ length: config.length / 2 }, (_, i) => [config[2 * i], config[2 * i + 1]]));
    return `appendonly ${settings['appendonly']}, appendfsync ${settings['appendfsync']}`;
  } catch {
    return 'persistence settings unknown (CONFIG GET refused)';
  } finally {
    await client.quit();
  }
}

const scenario: Scenario = {
  name: 'checkpoint-redis',
  async run({ quick, log }) {
    const n = quick ? 20_000 : 100_000;
    const loadRows = quick ? 100_000 : 1_000_000;
    const server = await persistence();
    const [value, baselineValue] = await measureRounds(
      n,
      (count) => underPrefix((prefix) => ours(prefix, count)),
      (count) => underPrefix((prefix) => baseline(prefix, count)),
      (r, a, b) => log(`round ${r}: group commit ${round3(a)} transitions/s, raw pipelined HSETs ${round3(b)} transitions/s`),
    );
    log(`${n} transitions × 3 rows, ${PRODUCERS} producers, server ${server}; median of ${ROUNDS}; target ratio ≥ ${TARGET_RATIO}`);
    const seconds = await underPrefix((prefix) => {
      const open = () => RedisBackend.open({ url: REDIS_URL, prefix });
      return loadSeconds(open, open, loadRows);
    });
    log(`load: ${loadRows} participant rows read at open (HSCAN, sorted) in ${round3(seconds.open)} s, handed out by load() and parsed in ${round3(seconds.load)} s`);
    const measured = {
      bench: 'checkpoint-redis',
      metric: 'durable transitions per second on Redis (ratio: ours / raw pipelined HSETs, higher is better)',
      unit: 'transitions/s',
      baseline: `the same rows as one HSET per table per ${FLOOR_BATCH} transitions, pipelined, no MULTI, one client, server ${server}`,
      target: TARGET_RATIO,
    };
    return benchResult(measured, value, baselineValue, (ratio) => ratio >= TARGET_RATIO);
  },
};

export default scenario;
