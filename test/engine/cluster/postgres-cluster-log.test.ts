// The cluster log against the real Postgres (skipped loudly when it is not there, failed when
// JUNCTION_REQUIRE_SERVICES=1): entries read back in order after a number, an append wakes a
// listener, numbers are taken in commit order (an append waits for the one in progress, so a
// reader never passes over an entry committed late), a listener whose connection the server
// ends listens again and says so, and the log is trimmed of what every shard applied (a shard
// whose store is older than that is refused). A change asked of a front closed meanwhile is
// refused, not asked of it again and again.
import t, { type Test } from 'tap';
import { ClusterLog } from '../../../engine/cluster/postgres-cluster-log.js';
import { LoggedChanges } from '../../../engine/cluster/logged-changes.js';
import type { JunctionError } from '../../../engine/errors.js';
import { world } from '../helpers.js';
import { shardSchema } from '../../../engine/cluster/shard-of.js';
import { migrate } from '../../../engine/store/postgres.js';
import type { ClusterOperation } from '../../../engine/runtime/cluster-operations.js';
import { connection, PG_URL, sql, tempSchema, unlessPostgres } from '../store/postgres-service.js';

const skip = await unlessPostgres(t);

/** A log over a fresh schema, closed when `t` ends. */
async function opened(t: Test, schema = tempSchema(t, 'cluster_log')): Promise<ClusterLog> {
  const log = await ClusterLog.open({ url: PG_URL, schema });
  t.teardown(() => log.close());
  return log;
}

const pause = (flowId: string, at = 1): ClusterOperation => ({ kind: 'pause', flowId, at });

/** Resolves once `done()` holds (polled every 10 ms); fails after `ms`. */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('entries come back in order after a number, a page at a time', { skip }, async (t) => {
  const log = await opened(t);
  const ids = 'abcdefghijkl'.split(''); // past 9: numbers, not their texts, are ordered
  const seqs: number[] = [];
  for (const id of ids) seqs.push(await log.append(pause(id)));
  t.same(seqs, [...seqs].sort((x, y) => x - y), 'numbers grow');
  t.same((await log.after(0)).map((e) => e.op), ids.map((id) => pause(id)), 'the operations as appended, in order');
  t.same((await log.after(seqs[1]!)).map((e) => e.seq), seqs.slice(2));
  t.same((await log.after(0, 2)).map((e) => e.seq), seqs.slice(0, 2), 'at most the limit');
  t.same(await log.after(seqs.at(-1)!), []);
});

t.test('an append wakes a listener of the same schema, not of another', { skip }, async (t) => {
  const schema = tempSchema(t, 'cluster_log');
  const log = await opened(t, schema);
  const other = await opened(t);
  let heard = 0;
  let heardOther = 0;
  const stop = await log.listen(() => heard++);
  const stopOther = await other.listen(() => heardOther++);
  t.teardown(stop);
  t.teardown(stopOther);
  const writer = await opened(t, schema);
  await writer.append(pause('f'));
  await until(() => heard === 1);
  await writer.append(pause('g'));
  await until(() => heard === 2);
  t.equal(heardOther, 0, 'another schema is another channel');
  await stop();
  await writer.append(pause('h'));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(heard, 2, 'a stopped listener hears nothing more');
});

t.test('an append waits for the one in progress: numbers are taken in commit order', { skip }, async (t) => {
  const schema = tempSchema(t, 'cluster_log');
  const log = await opened(t, schema);
  // an append in progress, as append() makes it: the lock, then its number, not committed yet
  const slow = await connection(t);
  await slow.query('BEGIN');
  await slow.query(`LOCK TABLE "${schema}".cluster_log IN EXCLUSIVE MODE`);
  const first = Number((await slow.query(`INSERT INTO "${schema}".cluster_log (op) VALUES ($1) RETURNING seq`, [JSON.stringify(pause('first'))])).rows[0].seq);
  let second: number | undefined;
  const appending = log.append(pause('second')).then((seq) => (second = seq));
  await new Promise((r) => setTimeout(r, 200));
  t.equal(second, undefined, 'the second append waits');
  t.same(await log.after(0), [], 'a reader sees neither yet');
  await slow.query('COMMIT');
  await appending;
  t.ok(second! > first, 'the second takes the next number, after the first committed');
  t.same((await log.after(0)).map((e) => e.seq), [first, second]);
});

t.test('appends from several connections at once: a reader polling between them passes over none', { skip }, async (t) => {
  const schema = tempSchema(t, 'cluster_log');
  const reader = await opened(t, schema);
  const writers = await Promise.all([1, 2, 3, 4].map(() => opened(t, schema)));
  const read: number[] = [];
  let last = 0;
  let writing = true;
  const polling = (async () => {
    while (writing || (await reader.after(last)).length > 0) {
      for (const { seq } of await reader.after(last)) {
        read.push(seq);
        last = seq;
      }
    }
  })();
  const appended = (await Promise.all(writers.map(async (w, i) => {
    const seqs: number[] = [];
    for (let n = 0; n < 25; n++) seqs.push(await w.append(pause(`w${i}-${n}`)));
    return seqs;
  }))).flat();
  writing = false;
  await polling;
  t.equal(appended.length, 100);
  t.same(read, [...appended].sort((a, b) => a - b), 'every entry read once, in order');
});

t.test('a listener whose connection the server ends listens again, says so once, and hears what follows', { skip }, async (t) => {
  const log = await opened(t);
  let heard = 0;
  const stop = await log.listen(() => heard++);
  t.teardown(stop);
  const ended = await sql(`SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${log.channel}"`]);
  t.same(ended, [{ ended: true }], 'the listening connection was ended');
  await until(() => heard === 1);
  t.pass('told once on listening again (appends meanwhile were not heard)');
  await log.append(pause('after'));
  await until(() => heard === 2);
  t.equal((await sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${log.channel}"`]))[0]!['n'], 1, 'one connection listens');
});

t.test('the log is trimmed of the entries every shard applied, as their stores say; a shard older than that is refused', { skip }, async (t) => {
  const schema = tempSchema(t, 'cluster_log');
  const log = await ClusterLog.open({ url: PG_URL, schema, shards: 2 });
  t.teardown(() => log.close());
  const seqs: number[] = [];
  for (const id of 'abcde') seqs.push(await log.append(pause(id)));
  t.equal(await log.trim(), undefined, 'no shard opened yet (no schema): nothing goes');
  const applied = async (shard: number, seq: number): Promise<void> => {
    await sql(`INSERT INTO "${shardSchema(schema, shard)}".meta (key, value) VALUES ('clusterLog', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [JSON.stringify({ seq })]);
  };
  for (const shard of [0, 1]) {
    t.teardown(() => sql(`DROP SCHEMA IF EXISTS "${shardSchema(schema, shard)}" CASCADE`));
    await migrate(PG_URL, shardSchema(schema, shard));
  }
  await applied(0, seqs[3]!);
  t.equal(await log.trim(), undefined, 'a shard that applied nothing yet: nothing goes');
  await applied(1, seqs[1]!);
  t.equal(await log.trim(), seqs[1], 'up to the lowest shard');
  t.same((await log.after(seqs[1]!)).map((e) => e.seq), seqs.slice(2), 'the rest is kept');
  t.same((await sql(`SELECT count(*)::int AS n FROM "${schema}".cluster_log`))[0], { n: 3 }, 'the applied ones deleted');
  await t.rejects(log.after(seqs[0]!), { code: 'JCT_CLUSTER_LOG_TRIMMED' }, 'a shard whose store is older than the trim is refused');
  await applied(1, seqs[4]!);
  t.equal(await log.trim(), seqs[3], 'trimmed again as the shards go on');
  t.same((await log.after(seqs[3]!)).map((e) => e.seq), [seqs[4]]);
  t.same(await log.after(seqs[4]!), [], 'a shard up to date reads nothing');
  const plain = await opened(t, schema);
  t.equal(await plain.trim(), undefined, 'a log opened without the shard count never trims');
  const timed = await ClusterLog.open({ url: PG_URL, schema, shards: 2, trimEveryMs: 20 });
  t.teardown(() => timed.close());
  await applied(0, seqs[4]!);
  let left = 1;
  for (const started = Date.now(); left > 0 && Date.now() - started < 5000; await new Promise((r) => setTimeout(r, 20))) {
    left = Number((await sql(`SELECT count(*)::int AS n FROM "${schema}".cluster_log`))[0]!['n']);
  }
  t.equal(left, 0, 'and trims by itself, every trimEveryMs');
});

t.test('an entry is applied everywhere once every shard held now says so; a shard nobody holds is not waited for', { skip }, async (t) => {
  const schema = tempSchema(t, 'cluster_log');
  const log = await ClusterLog.open({ url: PG_URL, schema, shards: 2 });
  t.teardown(() => log.close());
  const seq = await log.append(pause('a'));
  t.equal(await log.appliedEverywhere(seq, 0), true, 'no shard schema yet: shards apply every entry when they first open');
  for (const shard of [0, 1]) {
    t.teardown(() => sql(`DROP SCHEMA IF EXISTS "${shardSchema(schema, shard)}" CASCADE`));
    await migrate(PG_URL, shardSchema(schema, shard));
  }
  const hold = (shard: number, ms: number) =>
    sql(`INSERT INTO "${schema}".leases (name, owner, token, expires_at) VALUES ($1, 'p', 1, now() + $2 * interval '1 millisecond') ON CONFLICT (name) DO UPDATE SET expires_at = EXCLUDED.expires_at`, [`shard:${shard}`, ms]);
  const applied = (shard: number, at: number) =>
    sql(`INSERT INTO "${shardSchema(schema, shard)}".meta (key, value) VALUES ('clusterLog', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [JSON.stringify({ seq: at })]);
  t.equal(await log.appliedEverywhere(seq, 0), true, 'nobody holds a shard: nothing to wait for');
  await hold(0, 60_000);
  await hold(1, 60_000);
  t.equal(await log.appliedEverywhere(seq, 50), false, 'held, and applied by neither: not within the time given');
  await applied(0, seq);
  const waiting = log.appliedEverywhere(seq, 5000);
  await applied(1, seq);
  t.equal(await waiting, true, 'both applied it: answered as soon as seen');
  const next = await log.append(pause('b'));
  await hold(1, -1);
  await applied(0, next);
  t.equal(await log.appliedEverywhere(next, 0), true, "shard 1's lease ended: it applies the entry when it is taken");
});

t.test('a change asked of a closed front is refused (JCT_SHARD_NOT_HERE), not asked again forever', { skip }, async (t) => {
  const log = await opened(t);
  const changes = new LoggedChanges(log, () => []);
  t.teardown(() => changes.close());
  const { engine } = world();
  await engine.close();
  const answer = await Promise.race([
    changes.change(engine, pause('f')).then(() => 'answered', (err: JunctionError) => err.code),
    new Promise((resolve) => setTimeout(() => resolve('no answer within 2 s'), 2000)),
  ]);
  t.equal(answer, 'JCT_SHARD_NOT_HERE');
});
