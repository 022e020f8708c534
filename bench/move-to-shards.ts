// move-to-shards — how long `junction move-to-shards` keeps a store out of service
// (engine/cluster/move-store.ts): a PostgreSQL store of one engine holding N people each
// waiting in a flow (1,000,000; 100,000 with --quick; the rows recovery-pg recovers) moved into
// 16 shards. Baseline: PostgreSQL copying the same rows itself, server-side, into one empty
// schema of the same tables (INSERT … SELECT per table, one transaction): the floor of writing
// those rows anywhere. Each round starts from a copy of the filled store (not timed). Median of
// rounds (3; 1 at full size), alternating. Target: ours / baseline ≤ 4 (placing each row in its
// shard, keeping participants' ids and writing the directory cost at most three copies more).
import { randomBytes } from 'node:crypto';
import { moveToShards } from '../engine/cluster/move-store.js';
import { shardSchema } from '../engine/cluster/shard-of.js';
import { TABLES } from '../engine/store/journal.js';
import { PostgresBackend, migrate } from '../engine/store/postgres.js';
import { alternate, round3, type Scenario } from './harness.js';
import { PG_URL, dropSchema, query } from './lib/postgres.js';
import { benchResult, type Measured } from './lib/result.js';
import { fill } from './recovery.js';

const TARGET_RATIO = 4;
const SHARDS = 16;
const MEASURED: Measured = {
  bench: 'move-to-shards',
  metric: 'a store of one engine moved into 16 shards (ratio: ours / PostgreSQL copying the same rows, lower is better)',
  unit: 'ms',
  baseline: 'the same rows copied by PostgreSQL itself into one empty schema (INSERT … SELECT per table, one transaction)',
  target: TARGET_RATIO,
};

/** Copies every journal table of `from` into `to` (migrated), in one transaction; returns ms. */
async function copied(from: string, to: string): Promise<number> {
  await migrate(PG_URL, to);
  const started = performance.now();
  await query(PG_URL, `BEGIN; ${TABLES.map((t) => `INSERT INTO "${to}"."${t}" SELECT * FROM "${from}"."${t}";`).join(' ')} COMMIT;`);
  return performance.now() - started;
}

async function dropCluster(schema: string): Promise<void> {
  await dropSchema(schema);
  for (let n = 0; n < SHARDS; n++) await dropSchema(shardSchema(schema, n));
}

const scenario: Scenario = {
  name: 'move-to-shards',
  async run({ quick, log }) {
    const n = quick ? 100_000 : 1_000_000;
    const run = randomBytes(4).toString('hex');
    const source = `jct_move_${run}`;
    const made: string[] = [];
    try {
      await fill(await PostgresBackend.open({ url: PG_URL, schema: source, synchronousCommit: 'off' }), n);
      const fresh = (name: string) => {
        made.push(`jct_move_${run}_${name}`);
        return `jct_move_${run}_${name}`;
      };
      let round = 0;
      const rounds = quick ? 3 : 1;
      const [value, baselineValue] = await alternate(
        rounds,
        async () => {
          const store = fresh(`store${++round}`);
          await copied(source, store);
          const started = performance.now();
          const moved = await moveToShards({ url: PG_URL, schema: store, shards: SHARDS });
          const ms = performance.now() - started;
          log(`moved ${moved.participants} participants, ${moved.rows} rows, ${moved.directory} directory rows`);
          await dropCluster(store);
          return ms;
        },
        async () => {
          const ms = await copied(source, fresh(`copy${round}`));
          await dropSchema(made[made.length - 1]!);
          return ms;
        },
        (ms) => ms,
        (r, a, b) => log(`round ${r}: moved in ${Math.round(a)} ms, copied by PostgreSQL in ${Math.round(b)} ms`),
      );
      log(`${n} people each waiting in a flow, ${SHARDS} shards; median of ${rounds}; target ratio ≤ ${TARGET_RATIO} (${round3(value / baselineValue)})`);
      return benchResult(MEASURED, value, baselineValue, (ratio) => ratio <= TARGET_RATIO);
    } finally {
      await dropSchema(source);
      for (const schema of made) await dropCluster(schema);
    }
  },
};

export default scenario;
