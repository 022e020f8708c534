// A shard's store keeps the cluster's directory in step with its people, against the real
// Postgres (skipped loudly when it is not there, failed when JUNCTION_REQUIRE_SERVICES=1): people
// created, a phone changed and a person erased move their rows; a batch that fails (fenced, a
// broken person row, the directory itself failing) writes neither its rows nor the directory's;
// a key another shard's person holds is left to them and counted, as is a key two people of one
// batch both give; only keys away from their home shard have rows; at a take the rows read are
// held against the recovered people and those out of step mended by the first statement (a
// fenced one made again), after which a new person at home costs no directory statement; rows
// read once the shard serves (PostgreSQL alone) mend it then, a batch under way meanwhile not
// dropping the mend; a commit planned while the directory was empty does not scan it once grown.
import t from 'tap';
import { batchOf, type Batch, type Table } from '../../../engine/store/journal.js';
import { externalIdKey, homeOfKey } from '../../../engine/cluster/shard-of.js';
import { escapeLiteral } from 'pg';
import { DirectoryRows } from '../../../engine/cluster/directory-rows.js';
import { PG_URL, connection, sql, tempSchema, unlessPostgres } from '../store/postgres-service.js';
import { Directory } from '../../../engine/cluster/directory.js';
import { MANY_SHARDS, commitPeople, conflictsOf, directoryRowsOf, leaseFence, personRow, shardStore } from './directory-service.js';

const skip = await unlessPostgres(t);

async function directoryOf(cluster: string): Promise<string[]> {
  const rows = await sql(`SELECT key, shard, person FROM "${cluster}".directory ORDER BY key COLLATE "C"`);
  return rows.map((r) => `${String(r['key'])} ${String(r['shard'])} ${String(r['person'])}`);
}

t.test("the directory follows the shard's people: created, a phone changed, erased", { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const store = await shardStore(t, cluster, 2);
  await commitPeople(store, [personRow('2-a', ['+14155550100'], ['ana@example.com'], 'crm-1'), personRow('2-b', ['+14155550200'])]);
  t.same(await directoryOf(cluster), ['+14155550100 2 2-a', '+14155550200 2 2-b', 'ana@example.com 2 2-a', `${externalIdKey('crm-1')} 2 2-a`]);

  await commitPeople(store, [personRow('2-a', ['+14155550101'], ['ana@example.com'], 'crm-1')]);
  t.same(await directoryOf(cluster), ['+14155550101 2 2-a', '+14155550200 2 2-b', 'ana@example.com 2 2-a', `${externalIdKey('crm-1')} 2 2-a`], 'the old phone gone, the new one there');

  await commitPeople(store, [personRow('2-a', ['+14155550101'], ['ana@example.com'])]);
  t.same(await directoryOf(cluster), ['+14155550101 2 2-a', '+14155550200 2 2-b', 'ana@example.com 2 2-a'], 'an external id taken away');

  await commitPeople(store, [['2-b', null], personRow('2-c', ['+14155550200'])]);
  t.same(await directoryOf(cluster), ['+14155550101 2 2-a', '+14155550200 2 2-c', 'ana@example.com 2 2-a'], 'an erased person has no rows; their phone went to another in the same batch');

  await store.commit(batchOf([{ table: 'meta', key: 'm', value: 1 }]));
  await commitPeople(store, [['2-a', null], ['2-c', null]]);
  t.same(await directoryOf(cluster), []);
  await commitPeople(store, [personRow('2-d', [], [], 'odd\u0000id')]);
  t.same((await directoryOf(cluster)).length, 1, 'an external id holding U+0000 is written');
  t.equal(conflictsOf(store), 0);
});

t.test('a batch that fails leaves the directory as it was', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  await shardStore(t, cluster, 1); // migrates the cluster's schema, where the lease is
  const lease = await leaseFence(cluster);
  const schema = tempSchema(t, 'directory_s0');
  const store = await shardStore(t, cluster, 0, { schema, fence: lease.fence });
  await commitPeople(store, [personRow('0-a', ['+14155550100'])]);
  const before = await directoryOf(cluster);

  await lease.fenced(true);
  await t.rejects(commitPeople(store, [personRow('0-a', ['+14155550101']), personRow('0-b', ['+14155550200'])]), { code: 'JCT_STORE_FENCED' });
  t.same(await directoryOf(cluster), before, 'fenced: nothing');
  await lease.fenced(false);

  const broken: Batch = new Map<Table, Map<string, string | null>>([
    ['meta', new Map([['m', '1']])],
    ['person', new Map<string, string | null>([['0-a', null], ['0-b', '{not json']])],
  ]);
  await t.rejects(store.commit(broken), { code: 'JCT_STORE_VALUE', message: /person row '0-b'/ });
  t.same(await directoryOf(cluster), before, 'a broken person row: nothing');
  t.same(await sql(`SELECT key FROM "${schema}".meta`), [], 'nor the rest of its batch');

  await sql(`ALTER TABLE "${cluster}".directory RENAME TO away`);
  await t.rejects(commitPeople(store, [['0-a', null]]), { code: 'JCT_STORE_UNAVAILABLE' });
  await sql(`ALTER TABLE "${cluster}".away RENAME TO directory`);
  t.same(await directoryOf(cluster), before, 'the directory failing: nothing');
  t.same((await sql(`SELECT key FROM "${schema}".person`)).map((r) => r['key']), ['0-a'], 'not even the person row');
});

t.test('a person whose keys did not change writes no directory rows; a commit that did not happen is written again', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  await shardStore(t, cluster, 1); // migrates the cluster's schema, where the lease is
  const lease = await leaseFence(cluster);
  const store = await shardStore(t, cluster, 0, { fence: lease.fence });
  await commitPeople(store, [personRow('0-a', ['+14155550100'])]);
  await sql(`DELETE FROM "${cluster}".directory`); // what the next commits write shows
  await commitPeople(store, [{ ...personRow('0-a', ['+14155550100']), tags: ['vip'] }]);
  t.same(await directoryOf(cluster), [], 'a tag added: the same keys, nothing written');
  await commitPeople(store, [personRow('0-a', ['+14155550101'])]);
  t.same(await directoryOf(cluster), ['+14155550101 0 0-a'], 'a phone changed: written');

  await lease.fenced(true);
  await t.rejects(commitPeople(store, [personRow('0-a', ['+14155550102'])]), { code: 'JCT_STORE_FENCED' });
  await lease.fenced(false);
  await commitPeople(store, [personRow('0-a', ['+14155550102'])]);
  t.same(await directoryOf(cluster), ['+14155550102 0 0-a'], 'the same change again after a failed commit: written');
});

t.test("a key another shard's person holds is kept for them and counted; so is a key two people of a batch give", { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const zero = await shardStore(t, cluster, 0);
  const one = await shardStore(t, cluster, 1);
  await commitPeople(zero, [personRow('0-a', ['+14155550100'], [], 'crm-1')]);
  await commitPeople(one, [personRow('1-z', ['+14155550100', '+14155550300'], [], 'crm-1')]);
  t.same(await directoryOf(cluster), ['+14155550100 0 0-a', '+14155550300 1 1-z', `${externalIdKey('crm-1')} 0 0-a`], "shard 0's rows kept, the free key written");
  t.equal(conflictsOf(one), 2);
  t.equal(conflictsOf(zero), 0);

  await commitPeople(one, [['1-z', null]]);
  t.same(await directoryOf(cluster), ['+14155550100 0 0-a', `${externalIdKey('crm-1')} 0 0-a`], "erasing shard 1's person leaves shard 0's rows");

  await commitPeople(one, [personRow('1-x', ['+14155550400']), personRow('1-y', ['+14155550400'])]);
  t.same((await directoryOf(cluster)).filter((r) => r.startsWith('+14155550400')), ['+14155550400 1 1-y'], 'the later of the batch has it');
  t.equal(conflictsOf(one), 3);
});

t.test('only keys away from their home shard have rows', { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  const store = await shardStore(t, cluster, 0, {}, 2);
  const emails = Array.from({ length: 100 }, (_, n) => `p${n}@example.com`);
  const [home, away] = [0, 1].map((shard) => emails.filter((key) => homeOfKey(key, 2) === shard)) as [string[], string[]];
  await commitPeople(store, [personRow('0-a', [], [home[0]!, away[0]!]), personRow('0-b', [], [home[1]!])]);
  t.same(await directoryOf(cluster), [`${away[0]!} 0 0-a`], 'the key at home has none');
  await commitPeople(store, [personRow('0-a', [], [home[0]!, home[2]!])]);
  t.same(await directoryOf(cluster), [], 'the key away taken from them: its row goes');
  await commitPeople(store, [personRow('0-b', [], [away[1]!]), ['0-a', null]]);
  t.same(await directoryOf(cluster), [`${away[1]!} 0 0-b`]);
});

t.test("at a take the rows read are held against the recovered people: those out of step are mended by the first statement; then a new person at home costs none", { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  await shardStore(t, cluster, 1, {}, 2); // migrates the cluster's schema, where the lease is
  const lease = await leaseFence(cluster);
  const store = await shardStore(t, cluster, 0, { fence: lease.fence }, 2);
  const rows = directoryRowsOf(store);
  const emails = Array.from({ length: 100 }, (_, n) => `p${n}@example.com`);
  const [home, away] = [0, 1].map((shard) => emails.filter((key) => homeOfKey(key, 2) === shard)) as [string[], string[]];
  // What an earlier holder left out of step: rows of people the shard no longer holds, none for
  // one of 0-a's keys away (it died between Redis and the row). 0-f's row and shard 1's are right.
  await sql(`INSERT INTO "${cluster}".directory VALUES ($1, 0, '0-gone'), ($2, 0, '0-old'), ($3, 1, '1-q'), ($4, 0, '0-a'), ($5, 0, '0-f')`, [away[0], away[1], home[0], away[5], away[6]]);
  const reader = await Directory.open({ url: PG_URL, schema: cluster });
  t.teardown(() => reader.close());
  rows.taken(await reader.rowsOfShard(0));
  rows.recovered([personRow('0-a', [], [home[1]!, away[2]!, away[5]!]), personRow('0-b', [], [away[1]!]), personRow('0-c', [], [home[2]!]), personRow('0-f', [], [away[6]!])]);

  await lease.fenced(true);
  await t.rejects(store.commit(batchOf([{ table: 'meta', key: 'partitions', value: 8 }])), { code: 'JCT_STORE_FENCED' });
  await lease.fenced(false);
  await commitPeople(store, [personRow('0-d', [], [away[3]!])]);
  t.same(
    await directoryOf(cluster),
    [`${away[1]!} 0 0-b`, `${away[2]!} 0 0-a`, `${away[3]!} 0 0-d`, `${away[5]!} 0 0-a`, `${away[6]!} 0 0-f`, `${home[0]!} 1 1-q`].sort(),
    "after a fenced try, the next statement: the rows of the recovered people and of the batch's, none of people the shard does not hold",
  );

  t.equal(rows.parts(new Map([['0-e', JSON.stringify(personRow('0-e', [], [home[3]!]))]]), 1, 'true'), undefined, 'a new person at home: no statement');
  t.equal(rows.parts(new Map([['0-c', null]]), 1, 'true'), undefined, 'a person at home erased: none');
  t.equal(rows.parts(new Map([['0-f', JSON.stringify(personRow('0-f', [], [away[6]!]))]]), 1, 'true'), undefined, 'a person whose row was right at the take, keys unchanged: none');
  await commitPeople(store, [['0-b', null], personRow('0-a', [], [home[1]!])]);
  t.same(await directoryOf(cluster), [`${away[3]!} 0 0-d`, `${away[6]!} 0 0-f`, `${home[0]!} 1 1-q`].sort(), "a recovered person's rows still follow them");
});

t.test("rows read once the shard serves (PostgreSQL alone): those changed since are written again, and a batch under way as they arrive does not drop the mend", { skip }, async (t) => {
  const cluster = tempSchema(t, 'directory_cluster');
  await shardStore(t, cluster, 1, {}, 2);
  const store = await shardStore(t, cluster, 0, {}, 2);
  const rows = directoryRowsOf(store);
  const emails = Array.from({ length: 100 }, (_, n) => `q${n}@example.com`);
  const [home, away] = [0, 1].map((shard) => emails.filter((key) => homeOfKey(key, 2) === shard)) as [string[], string[]];
  await sql(`INSERT INTO "${cluster}".directory VALUES ($1, 0, '0-gone')`, [away[0]]); // an older holder's row of nobody
  const reader = await Directory.open({ url: PG_URL, schema: cluster });
  t.teardown(() => reader.close());
  const read = await reader.rowsOfShard(0); // read at the take, before the shard's first batches
  const a = personRow('0-a', [], [away[1]!]);
  const n = personRow('0-n', [], [home[1]!]);
  await commitPeople(store, [a, n]); // served before the rows arrive: 0-a's row written, 0-n (at home) costs a statement
  const underWay = commitPeople(store, [personRow('0-b', [], [away[2]!])]);
  rows.taken(read); // the rows arrive while 0-b's batch is under way
  rows.recovered([a, n, personRow('0-b', [], [away[2]!])]);
  await underWay;
  t.same(await directoryOf(cluster), [`${away[0]!} 0 0-gone`, `${away[1]!} 0 0-a`, `${away[2]!} 0 0-b`].sort(), 'the batch under way did not carry the mend');
  await commitPeople(store, [personRow('0-c', [], [away[3]!])]);
  t.same(await directoryOf(cluster), [`${away[1]!} 0 0-a`, `${away[2]!} 0 0-b`, `${away[3]!} 0 0-c`].sort(), "the next one did: the row of nobody gone, those written since the read written again");
  t.equal(rows.parts(new Map([['0-e', JSON.stringify(personRow('0-e', [], [home[3]!]))]]), 1, 'true'), undefined, 'then a new person at home costs no statement');
});

t.test("a commit planned while the directory was empty reads only its people's rows once the directory has grown", { skip }, async (t) => {
  // The store's commit statement is prepared, so its plan is made once, early: a plan fitting an
  // empty directory must not scan it all at every commit later.
  const cluster = tempSchema(t, 'directory_cluster');
  await shardStore(t, cluster, 1); // migrates the cluster's schema
  const parts = new DirectoryRows({ schema: cluster, shard: 0, shards: MANY_SHARDS }).parts(new Map([['0-a', JSON.stringify(personRow('0-a', ['+14155550100']))]]), 1, 'true')!;
  const client = await connection(t);
  await client.query('SET plan_cache_mode = force_generic_plan');
  await client.query(`PREPARE parts(int, text[], text[], text[], text) AS WITH ${parts.queries.join(',\n')} SELECT ${parts.answers.join(', ')}`);
  const call = `EXECUTE parts(${parts.values.map(literal).join(', ')})`;
  await client.query(call);
  await sql(`INSERT INTO "${cluster}".directory SELECT 'k' || g, 0, 'p' || g FROM generate_series(1, 50000) AS g`);
  const explained = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${call.replace('0100', '0101')}`);
  t.notOk(nodesOf(explained.rows[0]!['QUERY PLAN'][0].Plan).includes('Seq Scan'), 'no scan of the directory');
  t.same(await directoryOf(cluster).then((rows) => rows.filter((r) => r.startsWith('+1'))), ['+14155550101 0 0-a'], 'the old phone gone, the new one there');
});

interface PlanNode {
  'Node Type': string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): string[] {
  return [plan['Node Type'], ...(plan.Plans ?? []).flatMap(nodesOf)];
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(', ')}]::text[]`;
  return typeof value === 'number' ? String(value) : escapeLiteral(String(value));
}
