// shard-take — what the directory adds to taking a shard over (engine/cluster/directory-rows.ts):
// a shard of N people (60,000; 10,000 with --quick), each with a phone and an email (most hold a
// key away from their home shard of 16, so the directory has a row for it), in PostgreSQL. Ours:
// the take as a sharded process makes it: the shard's directory rows read while its store opens
// and its tables are read, the people held against them, and the first statement after it (a
// meta row, with the directory's parts: none when nothing is out of step). Baseline: the same
// open, read and first statement without the directory. Median of 3 rounds, alternating.
// Target: ours / baseline ≤ 1.25 (the mending costs at most a quarter of what opening the shard
// costs; a takeover must end within 5 s). Schemas of the run's own, dropped afterwards.
import { Directory } from '../engine/cluster/directory.js';
import { DirectoryRows } from '../engine/cluster/directory-rows.js';
import type { Person } from '../engine/person.js';
import { batchOf } from '../engine/store/journal.js';
import { PostgresBackend } from '../engine/store/postgres.js';
import { alternate, round3, type Scenario } from './harness.js';
import { PG_URL, inSchema } from './lib/postgres.js';
import { benchResult, type Measured } from './lib/result.js';

const TARGET_RATIO = 1.25;
const SHARDS = 16;
const ROUNDS = 3;
/** People written per batch while the shard is filled. */
const FILL_BATCH = 5_000;
const MEASURED: Measured = {
  bench: 'shard-take',
  metric: "a shard's take with its directory rows read and held against its people (ratio: ours / without the directory, lower is better)",
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

/** Opens the shard's store, reads its people and writes its first statement; with `directory`, as a sharded process's take does. Returns ms. */
async function take(cluster: string, shard: string, directory: Directory | undefined): Promise<number> {
  const started = performance.now();
  const rows = directory && new DirectoryRows({ schema: cluster, shard: 0, shards: SHARDS });
  const reading = directory?.rowsOfShard(0);
  const backend = await PostgresBackend.open({ url: PG_URL, schema: shard, ...(rows ? { alsoWrite: rows } : {}) });
  try {
    const people = [...backend.load('person')].map(([, value]) => value as Person);
    if (rows && reading) {
      rows.taken(await reading);
      rows.recovered(people);
    }
    await backend.commit(batchOf([{ table: 'meta', key: 'partitions', value: 8 }]));
    return performance.now() - started;
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
          const [value, baselineValue] = await alternate(
            ROUNDS,
            () => take(cluster, shard, directory),
            () => take(cluster, shard, undefined),
            (ms) => ms,
            (r, a, b) => log(`round ${r}: with the directory ${Math.round(a)} ms, without ${Math.round(b)} ms`),
          );
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
