// shard-take — what the directory adds to taking a shard over (engine/cluster/directory-rows.ts,
// sharded-process.ts): a shard of N people (60,000; 10,000 with --quick), each with a phone and
// an email (most hold a key away from their home shard of 16, so the directory has a row for it),
// in PostgreSQL. Ours: the take as a sharded process on PostgreSQL alone makes it: the shard's
// store opened, its tables read, its first statement, and it serves; then its directory rows are
// read and held against its people while it serves (on PostgreSQL alone they cannot be out of
// step). Logged beside it: the time until that mend is written, and the take behind Redis, where
// the rows are read beside the open and held against the people before the shard serves (the
// rows may be out of step there). Baseline: the same open, read and first statement without the
// directory. Median of 3 rounds, alternating. Target: ours / baseline ≤ 1.25 (the directory
// costs a takeover at most a quarter of what opening the shard costs; a takeover must end within
// 5 s). Schemas of the run's own, dropped afterwards.
import { Directory } from '../engine/cluster/directory.js';
import { DirectoryRows } from '../engine/cluster/directory-rows.js';
import type { Person } from '../engine/person.js';
import { batchOf } from '../engine/store/journal.js';
import { PostgresBackend } from '../engine/store/postgres.js';
import { alternate, median, round3, type Scenario } from './harness.js';
import { PG_URL, inSchema } from './lib/postgres.js';
import { benchResult, type Measured } from './lib/result.js';

const TARGET_RATIO = 1.25;
const SHARDS = 16;
const ROUNDS = 3;
/** People written per batch while the shard is filled. */
const FILL_BATCH = 5_000;
const MEASURED: Measured = {
  bench: 'shard-take',
  metric: "a shard's take on PostgreSQL until it serves, its directory rows read and held against its people once it does (ratio: ours / without the directory, lower is better)",
  unit: 'ms',
  baseline: "the same take without the directory: the shard's store opened, its people read, its first statement",
  target: TARGET_RATIO,
};

function personOf(i: number): Person {
  return { id: `0-p${i}`, standard: {}, custom: {}, phones: [`+1415${String(i).padStart(7, '0')}`], emails: [`p${i}@take.example`], tags: [], companies: [], lastContacted: {} };
}

/** Writes `n` people into shard 0's schema, their directory rows into the cluster's. */
async function fill(cluster: string, shard: string, n: number): Promise<void> {
  const backend = await PostgresBackend.open({ url: PG_URL, schema: shard, alsoWrite: new DirectoryRows({ schema: cluster, shard: 0, shards: SHARDS }) });
  try {
    for (let from = 0; from < n; from += FILL_BATCH) {
      const people = Array.from({ length: Math.min(FILL_BATCH, n - from) }, (_, i) => personOf(from + i));
      await backend.commit(batchOf(people.map((p) => ({ table: 'person', key: p.id, value: p }))));
    }
  } finally {
    await backend.close();
  }
}

/** A take's figures (ms): until it serves, and (with the directory) until its rows were held against its people and the mend written. */
interface Take {
  readonly serving: number;
  readonly mended: number;
}

/**
 * Opens the shard's store, reads its people and writes its first statement. With `directory`,
 * as a sharded process on PostgreSQL alone: once serving, the rows are read and held against the
 * people, the mend written by the next statement; `behindRedis`: read beside the open and held
 * before the first statement.
 */
async function take(cluster: string, shard: string, directory: Directory | undefined, behindRedis = false): Promise<Take> {
  const started = performance.now();
  const rows = directory && new DirectoryRows({ schema: cluster, shard: 0, shards: SHARDS });
  const reading = behindRedis ? directory?.rowsOfShard(0) : undefined;
  const backend = await PostgresBackend.open({ url: PG_URL, schema: shard, ...(rows ? { alsoWrite: rows } : {}) });
  try {
    if (rows && reading) rows.taken(await reading);
    const people = [...backend.load('person')].map(([, value]) => value as Person);
    if (rows && reading) rows.recovered(people);
    await backend.commit(batchOf([{ table: 'meta', key: 'partitions', value: 8 }]));
    const serving = performance.now() - started;
    if (rows && directory && !behindRedis) {
      rows.taken(await directory.rowsOfShard(0));
      rows.recovered(people);
      await backend.commit(batchOf([{ table: 'meta', key: 'partitions', value: 8 }]));
    }
    return { serving, mended: performance.now() - started };
  } finally {
    await backend.close();
  }
}

const scenario: Scenario = {
  name: 'shard-take',
  async run({ quick, log }) {
    const n = quick ? 10_000 : 60_000;
    return inSchema((cluster) =>
      inSchema(async (shard) => {
        await fill(cluster, shard, n);
        const directory = await Directory.open({ url: PG_URL, schema: cluster });
        try {
          const mended: number[] = [];
          const [value, baselineValue] = await alternate(
            ROUNDS,
            () => take(cluster, shard, directory),
            () => take(cluster, shard, undefined),
            (ms) => ms.serving,
            (r, a, b) => {
              mended.push(a.mended);
              log(`round ${r}: with the directory serving in ${Math.round(a.serving)} ms (mended in ${Math.round(a.mended)} ms), without ${Math.round(b.serving)} ms`);
            },
          );
          const redis = [];
          for (let r = 0; r < ROUNDS; r++) redis.push((await take(cluster, shard, directory, true)).serving);
          log(`until mended: median ${Math.round(median(mended))} ms; behind Redis (rows held before serving): median ${Math.round(median(redis))} ms, ${round3(median(redis) / baselineValue)} of the baseline`);
          log(`${n} people with a phone and an email each, ${SHARDS} shards; median of ${ROUNDS}; target ratio ≤ ${TARGET_RATIO} (${round3(value / baselineValue)})`);
          return benchResult(MEASURED, value, baselineValue, (ratio) => ratio <= TARGET_RATIO);
        } finally {
          await directory.close();
        }
      }),
    );
  },
};

export default scenario;
