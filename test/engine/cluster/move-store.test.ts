// Moving a store into PostgreSQL (engine/cluster/move-store.ts). A store one engine kept alone on
// PostgreSQL moved into four shards, and an embedded store's rows copied into four shards, each
// served by a sharded cluster of two processes: every person is found by id, phone, email and
// external id through either process, in the shard their id gives; the participants keep their
// ids and go on (an event through the API for those waiting for one, time for the others); the
// flow's report is the one engine's; the do-not-contact list, the definitions and a static
// segment (its members in their shards) come across; a process taking the other's shards
// recovers the moved participants; a new person and participant get ids of their shard. An
// embedded store copied with shards 1 is recovered by one engine as it was, with its API keys.
// Refused, changing nothing: a schema already sharded, one a process still holds, shards already
// holding state, a schema holding no store, a copy over a store, a row that is not JSON or
// names no person.
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { flow, registryWith, tag, world, type World } from '../helpers.js';
import { copyIntoPostgres, moveToShards, type MoveReport, type StoreRows } from '../../../engine/cluster/move-store.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { storedKey } from '../../../engine/store/stored-key.js';
import { shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import { eventsModule } from '../../../engine/events/index.js';
import { VirtualClock } from '../../../engine/clock.js';
import { PostgresBackend } from '../../../engine/store/postgres.js';
import { batchOf, GroupCommit, type Row, type Table } from '../../../engine/store/journal.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../store/postgres-service.js';
import { AUTH, call, clusterOf, eventually } from './cluster-service.js';

const skip = await unlessPostgres(t);
const DAY = 86_400_000;
const PEOPLE = 24;

const phoneOf = (i: number) => `+1415555${String(2000 + i * 13)}`;
const emailOf = (i: number) => `person${i}@example.com`;
/** Written by COPY with its backslash, tab and newline escaped, read back as it was. */
const NAME = 'Ana \\ "Tab"\there\nand a line';

/** Waits for a purchase for 3 days: tag `yes`, else tag `no`. */
const welcome = flow('welcome', [
  { id: 'w', type: 'waitForEvent', config: { conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 3, unit: 'days' } }, branches: { happened: 'yes', notHappened: 'no' } },
  tag('yes', 'yes'),
  tag('no', 'no'),
]);

interface Single {
  readonly w: World;
  /** Person ids in the order added, and each one's participant in `welcome`. */
  readonly people: string[];
  readonly participants: string[];
}

/** One engine's store (in memory): people with a phone, an email and an external id each, inside `welcome`. */
async function oneEngine(clock: VirtualClock): Promise<Single> {
  const w = world({ start: new Date(clock.now()).toISOString(), modules: [eventsModule] });
  w.engine.recover(w.backend); // as a start does: its meta rows
  w.engine.define('events', { name: 'purchase', properties: [] } as { name: string });
  w.engine.save(welcome);
  w.engine.launch('welcome');
  const people = Array.from({ length: PEOPLE }, (_, i) => ({ person: { phones: [phoneOf(i)], emails: [emailOf(i)], standard: { externalId: `crm-${i}`, firstName: NAME } } }));
  const report = await w.engine.addParticipants('welcome', people);
  w.engine.define('segments', { id: 'early', name: 'early', kind: 'static', members: report.participants.slice(0, 6).map((p) => p.personId) } as { id: string });
  w.engine.changeDoNotContact('add', { channel: 'sms', contact: phoneOf(1), senders: [] });
  await w.engine.event(report.participants[0]!.personId!, 'purchase'); // one moved on before the move
  await w.engine.idle();
  return { w, people: report.participants.map((p) => p.personId!), participants: report.participants.map((p) => (p.status === 'accepted' ? p.participantId! : '')) };
}

/** One engine's store written into `schema` on PostgreSQL, as a process with shards 1 leaves it. */
async function singleStore(schema: string, clock: VirtualClock): Promise<Single> {
  const single = await oneEngine(clock);
  const rows: Row[] = [...single.w.backend.tables].flatMap(([table, values]) => [...values].map(([key, value]) => ({ table: table as Table, key, value })));
  const backend = await PostgresBackend.open({ url: PG_URL, schema });
  await backend.commit(batchOf(rows));
  await backend.close();
  return single;
}

/** The engine's rows as an embedded store gives them to a copy (bin/commands/move-store.ts). */
function embeddedRows(w: World): StoreRows {
  return { rows: (table) => [...w.backend.tables.get(table)!].map(([key, value]): [string, string] => [storedKey(key), JSON.stringify(value)]) };
}

async function get(app: FastifyInstance, url: string): Promise<{ status: number; body: any }> {
  return call(app, 'GET', url);
}

t.test('a store one engine kept is served by four shards once moved', { skip }, async (t) => {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const schema = tempSchema(t, 'moved');
  const single = await singleStore(schema, clock);

  const moved = await moveToShards({ url: PG_URL, schema, shards: 4 });
  t.same(await sql(`SELECT count(*)::int AS n FROM "${schema}".person`), [{ n: 0 }], "the cluster's schema keeps no person");
  await servedByFourShards(t, schema, single, clock, moved);
});

t.test('an embedded store copied into four shards is served by them', { skip }, async (t) => {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const schema = tempSchema(t, 'copied');
  const single = await oneEngine(clock);
  await servedByFourShards(t, schema, single, clock, await copyIntoPostgres({ url: PG_URL, schema, shards: 4, source: embeddedRows(single.w) }));
});

t.test('an embedded store copied into PostgreSQL with shards 1 is recovered by one engine as it was', { skip }, async (t) => {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const schema = tempSchema(t, 'copied_one');
  const single = await oneEngine(clock);
  const apiKeys: Array<[string, string]> = [['k1', JSON.stringify({ id: 'k1', name: 'crm', scopes: ['flow-api'], createdAt: 1, hash: 'ab' })]];
  const copied = await copyIntoPostgres({ url: PG_URL, schema, shards: 1, source: embeddedRows(single.w), apiKeys });
  t.same([copied.people, copied.participants, copied.directory], [[PEOPLE], PEOPLE - 1, 0]);
  t.same(await sql(`SELECT key FROM "${schema}".api_key`), [{ key: 'k1' }], 'the API keys came along');
  const backend = await PostgresBackend.open({ url: PG_URL, schema });
  const people = new MemoryPeopleStore(clock);
  const engine = new Engine({ clock, people, registry: registryWith([eventsModule]), journal: new GroupCommit(backend) });
  t.teardown(() => engine.close().then(() => backend.close()));
  engine.recover(backend);
  t.same([...engine.participantsOf('welcome', 1)].map((p) => p.id).sort(), single.participants.slice(1).sort(), 'the participants, with their ids');
  t.same(JSON.parse(JSON.stringify(engine.metrics('welcome', 1))), JSON.parse(JSON.stringify(single.w.engine.metrics('welcome', 1))), "the flow's report");
  t.equal((await engine.event(single.people[2]!, 'purchase')).delivered, 1, 'an event reaches a participant');
  t.equal(people.findByExternalId('crm-5')?.id, single.people[5], 'found by external id');
  await t.rejects(copyIntoPostgres({ url: PG_URL, schema, shards: 1, source: embeddedRows(single.w) }), { code: 'JCT_MOVE_REFUSED', message: /already holds a store/ }, 'a store is never copied over another');
});

/** The checks of a store moved or copied into four shards: everything served by a cluster of two processes as one engine served it. */
async function servedByFourShards(t: Test, schema: string, single: Single, clock: VirtualClock, moved: MoveReport): Promise<void> {
  t.equal(moved.people.reduce((a, b) => a + b, 0), PEOPLE, 'every person moved');
  t.ok(moved.people.filter((n) => n > 0).length >= 3, `spread over the shards (${moved.people.join(', ')})`);
  t.equal(moved.participants, PEOPLE - 1, 'the participants still inside moved (one left before)');
  t.ok(moved.directory > 0, 'contacts away from their home shard have directory rows');

  const cluster = await clusterOf(t, { schema, shards: 4, clock, modules: [eventsModule] });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];

  for (const [i, id] of single.people.entries()) {
    const app = i % 2 === 0 ? a : b;
    t.match((await get(app, `/api/v1/people/${id}`)).body, { emails: [emailOf(i)], standard: { firstName: NAME } }, `${id} read by id, as they were`);
    t.equal((await get(app, `/api/v1/people?phone=${encodeURIComponent(phoneOf(i))}`)).body.id, id, `${id} found by phone`);
    t.equal((await get(app, `/api/v1/people?email=${emailOf(i)}`)).body.id, id, `${id} found by email`);
    t.equal((await get(app, `/api/v1/people?externalId=crm-${i}`)).body.id, id, `${id} found by external id`);
  }
  const journeys = await Promise.all(single.people.map((id) => get(a, `/api/v1/people/${id}/journeys`)));
  t.same(journeys.slice(1).map((j) => j.body.journeys[0]?.participantId), single.participants.slice(1), 'every participant kept its id');

  t.same((await get(b, '/api/v1/reports/flows/welcome')).body, JSON.parse(JSON.stringify(single.w.engine.metrics('welcome', 1))), "the flow's report is the one engine's");
  t.match((await get(a, '/api/v1/do-not-contact')).body.entries, [{ channel: 'sms', contact: phoneOf(1) }], 'the do-not-contact list came across');
  const segment = await get(b, '/api/v1/segments');
  t.match(segment.body.segments, [{ id: 'early', size: 6 }], "the static segment's members are held by their shards");

  for (let i = 1; i < 12; i++) {
    const sent = await (i % 2 === 0 ? a : b).inject({ method: 'POST', url: '/events', headers: AUTH, payload: { person: { phone: phoneOf(i) }, name: 'purchase' } });
    t.equal(sent.json().delivered, 1, `the event reached ${single.people[i]}'s moved participant`);
    await single.w.engine.event(single.people[i]!, 'purchase'); // the one engine, alike: its report is the cluster's
  }
  await cluster.processes[0]!.stop(); // b takes a's shards: recovers moved participants from the shards' schemas
  await cluster.settled();
  clock.advance(3 * DAY + 1000);
  const tags = (i: number) => eventually(() => get(b, `/api/v1/people/${single.people[i]}`), (r) => r.body.tags.length > 0);
  for (let i = 1; i < PEOPLE; i++) t.same((await tags(i)).body.tags, [i < 12 ? 'yes' : 'no'], `${single.people[i]} went on`);
  single.w.clock.advance(3 * DAY + 1000);
  await single.w.engine.idle();
  t.same((await get(b, '/api/v1/reports/flows/welcome')).body, JSON.parse(JSON.stringify(single.w.engine.metrics('welcome', 1))), "the report after they went on is the one engine's after the same");
  const left = () => Promise.all([0, 1, 2, 3].map((n) => sql(`SELECT count(*)::int AS n FROM "${schema}_s${n}".participant`)));
  t.same((await eventually(left, (counts) => counts.every(([c]) => c!['n'] === 0))).flat(), [{ n: 0 }, { n: 0 }, { n: 0 }, { n: 0 }], 'their rows gone as they left: written under the keys the move gave them');

  const added = await b.inject({ method: 'POST', url: '/flows/welcome/participants', headers: AUTH, payload: { person: { phones: ['+14155559999'] } } });
  const fresh = added.json() as { personId: string; participantId: string };
  const shard = shardOfPersonId(fresh.personId, 4);
  t.ok(fresh.personId.startsWith(`${shard}-`) && fresh.participantId.startsWith(`${shard}-`), 'a new person and participant get ids of their shard');
}

t.test('a move is refused, changing nothing, unless the schema holds a store nobody uses and the shards are empty', { skip }, async (t) => {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const refused = (schema: string, message: RegExp) => t.rejects(moveToShards({ url: PG_URL, schema, shards: 4 }), { code: 'JCT_MOVE_REFUSED', message });

  const empty = tempSchema(t, 'moved_empty');
  dropShardsAtEnd(t, empty);
  await refused(empty, /holds no store yet/);

  const used = tempSchema(t, 'moved_used');
  dropShardsAtEnd(t, used);
  await singleStore(used, clock);
  await sql(`INSERT INTO "${used}".leases (name, owner, token, expires_at) VALUES ('owner', 'process-a', 3, now() + interval '1 minute')`);
  await refused(used, /a process still uses the store \(owner\)/);
  t.same(await sql(`SELECT count(*)::int AS n FROM "${used}".person`), [{ n: PEOPLE }], 'its people stay where they were');
  t.same(await sql(`SELECT count(*)::int AS n FROM "${used}_s0".meta`), [{ n: 0 }], 'no shard was written');

  await sql(`DELETE FROM "${used}".leases`);
  await sql(`INSERT INTO "${used}_s2".meta (key, value) VALUES ('partitions', '16')`);
  await refused(used, /"moved_used_\w+_s2" already holds a shard's state/);
  await sql(`DELETE FROM "${used}_s2".meta`);

  await sql(`INSERT INTO "${used}".outbox (key, value) VALUES ('0.zz:1:0', '{"kind":"sms.send"}'), ('0.zz:1:1', 'not json')`);
  await t.rejects(moveToShards({ url: PG_URL, schema: used, shards: 4 }), { code: 'JCT_STORE_VALUE', message: /the outbox row "0\.zz:1:0" names no person/ }, 'an effect of nobody is not sent from every shard');
  await sql(`DELETE FROM "${used}".outbox WHERE key = '0.zz:1:0'`);
  await t.rejects(moveToShards({ url: PG_URL, schema: used, shards: 4 }), { code: 'JCT_STORE_VALUE', message: /the outbox row "0\.zz:1:1" is not a JSON object/ });
  t.same(await sql(`SELECT count(*)::int AS n FROM "${used}_s0".person`), [{ n: 0 }], 'nothing was moved');
  await sql(`DELETE FROM "${used}".outbox WHERE key LIKE '0.zz:%'`);

  const moved = await moveToShards({ url: PG_URL, schema: used, shards: 4 });
  t.equal(moved.people.reduce((x, y) => x + y, 0), PEOPLE, 'moved once nothing stands in the way');
  await refused(used, /already a sharded cluster's \(shards 4\)/);
  await t.rejects(moveToShards({ url: PG_URL, schema: used, shards: 1 }), { code: 'JCT_MOVE_REFUSED', message: /2 or more/ });
});

function dropShardsAtEnd(t: Test, schema: string): void {
  t.teardown(() => Promise.all([0, 1, 2, 3].map((n) => sql(`DROP SCHEMA IF EXISTS "${schema}_s${n}" CASCADE`))));
}
