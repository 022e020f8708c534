// A sharded cluster of two processes over four shards, against the test database: each process
// serves its fair share; a flow saved and launched through one is running in every shard, read
// through either; a person added through either lands in the shard their contact's hash gives,
// with an id of that shard, and is found by id, phone and journey through the other; an event for
// them reaches their participant; the do-not-contact list is one for the cluster, changed
// through the API or by a flow's step in any shard; a flow idle for a year in one shard finishes
// only once it is idle in every shard, and a finishing version once nobody is left in any shard
// (on a virtual clock). On PostgreSQL alone a shard serves before its directory rows are read,
// and a row of nobody is gone with its first batch once they are.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { flow, pauseDays } from '../helpers.js';
import { shardOfContact, shardOfExternalId, shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../store/postgres-service.js';
import { migrate } from '../../../engine/store/postgres.js';
import { VirtualClock } from '../../../engine/clock.js';
import { AUTH, call, clusterOf, eventually } from './cluster-service.js';

const skip = await unlessPostgres(t);



t.test('two processes share four shards; flows, people and do-not-contact work through either', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  t.same(cluster.processes.map((p) => p.process.shards().length), [2, 2], 'a fair share each');

  const saved = await call(a, 'POST', '/api/v1/flows', flow('welcome', [pauseDays('wait', 1)]));
  t.equal(saved.status, 201, 'saved through the log');
  t.equal((await call(a, 'POST', '/api/v1/flows/welcome/launch')).status, 200, 'launched through the log');
  const seen = await eventually(() => call(b, 'GET', '/api/v1/flows/welcome'), (r) => r.body?.status === 'active');
  t.equal(seen.body.status, 'active', 'the other process reads it active');

  const phone = '+14155550123';
  const added = await b.inject({ method: 'POST', url: '/flows/welcome/participants', headers: AUTH, payload: { person: { phones: [phone] } } });
  t.equal(added.statusCode, 201, added.body);
  const personId = added.json().personId as string;
  t.equal(shardOfPersonId(personId, 4), shardOfContact(phone, 4), "the person's id names the shard of their phone");

  t.equal((await call(a, 'GET', `/api/v1/people/${personId}`)).body.phones[0], phone, 'read by id through the other process');
  t.equal((await call(a, 'GET', `/api/v1/people?phone=${encodeURIComponent(phone)}`)).body.id, personId, 'found by phone (the directory)');
  const journeys = await call(a, 'GET', `/api/v1/people/${personId}/journeys`);
  t.match(journeys.body.journeys, [{ flowId: 'welcome', element: 'wait' }], 'their journey, from their shard');

  const again = await a.inject({ method: 'POST', url: '/flows/welcome/participants', headers: AUTH, payload: { person: { phones: ['+1 415 555 0123'] } } });
  t.equal(again.json().personId, personId, 'the same phone written otherwise is the same person');

  t.equal((await call(a, 'POST', '/api/v1/do-not-contact', { channel: 'sms', contact: phone })).status, 201, 'blocked through the log');
  const blocked = await eventually(() => call(b, 'GET', '/api/v1/do-not-contact'), (r) => r.body?.entries?.length === 1);
  t.match(blocked.body.entries, [{ channel: 'sms', contact: phone }], 'the list is the cluster’s');
});

t.test("a flow's do-not-contact steps change the cluster's list, whichever shard the person is in", { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const optOut = flow('opt-out', [{ id: 'block', type: 'addToDoNotContact', config: { channels: [{ channel: 'sms' }] } }]);
  const optIn = flow('opt-in', [{ id: 'unblock', type: 'removeFromDoNotContact', config: { channels: [{ channel: 'sms' }] } }]);
  for (const doc of [optOut, optIn]) {
    t.equal((await call(a, 'POST', '/api/v1/flows', doc)).status, 201);
    t.equal((await call(a, 'POST', `/api/v1/flows/${doc.id as string}/launch`)).status, 200);
  }
  const phones = ['+14155550601', '+14155550602', '+14155550603', '+14155550604', '+14155550605', '+14155550606'];
  t.ok(new Set(phones.map((p) => shardOfContact(p, 4))).size > 2, 'people of several shards');
  for (const [i, phone] of phones.entries()) {
    const r = await (i % 2 ? a : b).inject({ method: 'POST', url: '/flows/opt-out/participants', headers: AUTH, payload: { person: { phones: [phone] } } });
    t.equal(r.statusCode, 201, r.body);
  }
  const listed = (r: Awaited<ReturnType<typeof call>>): string[] => (r.body?.entries ?? []).map((e: { contact: string }) => e.contact);
  for (const [name, app] of [['a', a], ['b', b]] as const) {
    const blocked = await eventually(() => call(app, 'GET', '/api/v1/do-not-contact'), (r) => listed(r).length === phones.length);
    t.same(listed(blocked), phones, `every person blocked, read through ${name}`);
  }
  const again = await b.inject({ method: 'POST', url: '/flows/opt-in/participants', headers: AUTH, payload: { person: { phones: [phones[0]] } } });
  t.equal(again.statusCode, 201, again.body);
  for (const app of [a, b]) {
    const unblocked = await eventually(() => call(app, 'GET', '/api/v1/do-not-contact'), (r) => listed(r).length === phones.length - 1);
    t.same(listed(unblocked), phones.slice(1), 'unblocked by the other flow, everywhere');
  }
});

t.test('a person whose phone and email have different home shards is found by either, and a profile naming both reaches them', { skip }, async (t) => {
  // Only a key held away from its home shard has a directory row: the email where its person was
  // made has none, the phone given them later has one.
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const [phone, email] = apart('+1415555', (i) => `ana${i}@example.com`);
  const made = await call(a, 'POST', '/api/v1/people', { emails: [email] });
  t.equal(made.status, 201);
  const id = made.body.id as string;
  t.equal(shardOfPersonId(id, 4), shardOfContact(email, 4), 'made in the home shard of their email');
  t.same(await directoryRows(cluster.schema), [], 'a key at home has no row');

  const merged = await call(b, 'POST', '/api/v1/people', { phones: [phone], emails: [email] });
  t.equal(merged.status, 200, 'a profile naming a phone nobody has and their email reaches them, not a new person');
  t.equal(merged.body.id, id);
  t.same(await directoryRows(cluster.schema), [`${phone} ${shardOfPersonId(id, 4)}`], 'the phone, away from its home, has a row');
  for (const [app, query] of [[a, `phone=${encodeURIComponent(phone)}`], [b, `email=${encodeURIComponent(email)}`]] as const) {
    t.equal((await call(app, 'GET', `/api/v1/people?${query}`)).body.id, id, `found by ${query.split('=')[0]!}`);
  }
  t.equal((await call(a, 'POST', '/api/v1/people', { phones: [phone] })).body.id, id, 'and by the phone alone');

  const [phone2, email2] = apart('+1415556', (i) => `bo${i}@example.com`);
  const fresh = await call(b, 'POST', '/api/v1/people', { phones: [phone2], emails: [email2] });
  t.equal(fresh.status, 201);
  t.equal(shardOfPersonId(fresh.body.id as string, 4), shardOfContact(phone2, 4), 'nobody had either: made in the home of the first');

  const phone3 = '+14155570000';
  const crm = Array.from({ length: 100 }, (_, i) => `crm-${i}`).find((x) => shardOfExternalId(x, 4) !== shardOfContact(phone3, 4))!;
  const client = await call(a, 'POST', '/api/v1/people', { standard: { externalId: crm } });
  const named = await call(b, 'POST', '/api/v1/people', { phones: [phone3], standard: { externalId: crm } });
  t.equal(named.body.id, client.body.id, 'an external id held in its home shard is found beside a phone of another home');
});

/** A phone (prefix and four digits) and an email whose home shards of four differ. */
function apart(prefix: string, emailOf: (i: number) => string): [string, string] {
  for (let i = 0; ; i++) {
    const phone = `${prefix}${String(1000 + i)}`;
    if (shardOfContact(phone, 4) !== shardOfContact(emailOf(i), 4)) return [phone, emailOf(i)];
  }
}

async function directoryRows(schema: string): Promise<string[]> {
  const rows = await sql(`SELECT key, shard FROM "${schema}".directory ORDER BY key`);
  return rows.map((r) => `${String(r['key'])} ${String(r['shard'])}`);
}

t.test('on PostgreSQL alone a shard serves before its directory rows are read; once read, a row of nobody an earlier holder left is gone with its next batch', { skip }, async (t) => {
  const schema = tempSchema(t, 'sharded_mend');
  await migrate(PG_URL, schema);
  await sql(`INSERT INTO "${schema}".directory VALUES ('gone@example.com', 0, '0-gone')`);
  const cluster = await clusterOf(t, { processes: 2, shards: 4, schema });
  const app = cluster.processes[0]!.app;
  const email = Array.from({ length: 50 }, (_, i) => `mend${i}@example.com`).find((key) => shardOfContact(key, 4) === 0)!;
  const rows = async () => (await sql(`SELECT key FROM "${schema}".directory WHERE shard = 0`)).map((r) => String(r['key']));
  const gone = await eventually(async () => {
    await call(app, 'POST', '/api/v1/people', { emails: [email] }); // a batch of shard 0 (the first may come before its rows are read)
    return rows();
  }, (keys) => keys.length === 0);
  t.same(gone, [], "gone with a batch of shard 0 once its rows were read");
});

t.test('Add to flow of another person by contact reaches them in their own shard, through the other process too', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const referral = { schemaVersion: 1, id: 'referral', name: 'referral', entryPoints: [{ id: 'from', type: 'existingFlow', config: {}, branches: { next: 'wait' } }], elements: [pauseDays('wait', 1)], settings: {} };
  const main = flow('main', [{ id: 'add', type: 'addToFlow', config: { flow: 'referral', another: { channel: 'phone', variable: 'friend' } } }], { variables: [{ name: 'friend', type: 'text' }] });
  for (const doc of [referral, main]) {
    t.equal((await call(a, 'POST', '/api/v1/flows', doc)).status, 201);
    t.equal((await call(a, 'POST', `/api/v1/flows/${doc.id as string}/launch`)).status, 200);
  }
  await eventually(() => call(b, 'GET', '/api/v1/flows/main'), (r) => r.body?.status === 'active');
  // A friend who exists already, in the shard their phone leads to, and one nobody has yet.
  const known = '+14155550111';
  const knownId = (await b.inject({ method: 'POST', url: '/api/v1/people', headers: AUTH, payload: { phones: [known] } })).json().id as string;
  const fresh = '+14155550222';
  const referrers = ['+14155550301', '+14155550302'];
  for (const [i, friend] of [known, fresh].entries()) {
    const r = await (i === 0 ? a : b).inject({ method: 'POST', url: '/flows/main/participants', headers: AUTH, payload: { person: { phones: [referrers[i]] }, vars: { friend } } });
    t.equal(r.statusCode, 201, r.body);
  }
  const knownJourneys = await eventually(() => call(a, 'GET', `/api/v1/people/${knownId}/journeys`), (r) => r.body?.journeys?.length === 1);
  t.match(knownJourneys.body.journeys, [{ flowId: 'referral', element: 'wait' }], 'the friend who existed entered, in their shard: no second person');
  const found = await eventually(() => call(b, 'GET', `/api/v1/people?phone=${encodeURIComponent(fresh)}`), (r) => r.status === 200);
  t.equal(shardOfPersonId(found.body.id, 4), shardOfContact(fresh, 4), 'the new friend was made in the shard of their phone');
  const freshJourneys = await eventually(() => call(a, 'GET', `/api/v1/people/${found.body.id as string}/journeys`), (r) => r.body?.journeys?.length === 1);
  t.match(freshJourneys.body.journeys, [{ flowId: 'referral' }], 'and entered the flow');
});

t.test('the loop rule follows Add to flow of another person across shards: A adds to B adds to A, in one moment, stops at the second', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const adds = (id: string, target: string) => ({ id, type: 'addToFlow', config: { flow: target, another: { channel: 'phone', attribute: 'friend' } }, branches: { next: 'wait', inAllOtherCases: 'wait' } });
  const ping = {
    schemaVersion: 1,
    id: 'ping',
    name: 'ping',
    entryPoints: [
      { id: 'api', type: 'flowApi', config: {}, branches: { next: 'add' } },
      { id: 'back', type: 'existingFlow', config: {}, branches: { next: 'add' } },
    ],
    elements: [adds('add', 'pong'), pauseDays('wait', 1)],
    settings: {},
  };
  const pong = { schemaVersion: 1, id: 'pong', name: 'pong', entryPoints: [{ id: 'from', type: 'existingFlow', config: {}, branches: { next: 'add' } }], elements: [adds('add', 'ping'), pauseDays('wait', 1)], settings: {} };
  t.equal((await call(a, 'POST', '/api/v1/attributes', { name: 'friend', type: 'text' })).status, 201);
  for (const doc of [ping, pong]) {
    t.equal((await call(a, 'POST', '/api/v1/flows', doc)).status, 201);
    t.equal((await call(a, 'POST', `/api/v1/flows/${doc.id}/launch`)).status, 200);
  }
  await eventually(() => call(b, 'GET', '/api/v1/flows/pong'), (r) => r.body?.status === 'active');
  const [x, y] = ['+14155550401', ...['+14155550402', '+14155550403', '+14155550404', '+14155550405'].filter((p) => shardOfContact(p, 4) !== shardOfContact('+14155550401', 4))] as [string, string];
  const made = await call(b, 'POST', '/api/v1/people', { phones: [y], custom: { friend: x } });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const entered = await b.inject({ method: 'POST', url: '/flows/ping/participants', headers: AUTH, payload: { person: { phones: [x], custom: { friend: y } } } });
  t.equal(entered.statusCode, 201, entered.body);
  const refused = await eventually(() => call(a, 'GET', '/api/v1/reports/flows/pong'), (r) => r.body?.elements?.find((e: { id: string }) => e.id === 'add')?.failures === 1);
  t.match(refused.body.elements.find((e: { id: string }) => e.id === 'add'), { failures: 1 }, "pong's addition back to ping, in the same moment, is refused as a loop (JCT_FLOW_LOOP)");
  await new Promise((resolve) => setTimeout(resolve, 300)); // what a loop would have carried on meanwhile
  const metrics = (await call(a, 'GET', '/api/v1/reports/flows/ping')).body;
  t.match(metrics.elements.find((e: { id: string }) => e.id === 'back'), { totalEngagements: 0 }, 'ping was not entered again through its Existing Flow entry point, across the shards');
});

t.test('a static segment of people of several shards: each shard keeps its own members, the size is the cluster’s; an unknown member is refused', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await call(i % 2 ? a : b, 'POST', '/api/v1/people', { phones: [`+1415555040${i}`] })).body.id);
  t.ok(new Set(ids.map((id) => shardOfPersonId(id, 4))).size > 1, 'people of several shards');
  const refused = await call(a, 'POST', '/api/v1/segments', { id: 'vip', name: 'VIP', kind: 'static', members: [...ids, 'nobody'] });
  t.match(refused.body, { error: { code: 'JCT_PERSON_UNKNOWN', details: { people: ['nobody'] } } }, 'an unknown member named');
  t.equal((await call(a, 'POST', '/api/v1/segments', { id: 'vip', name: 'VIP', kind: 'static', members: ids })).status, 201);
  const sized = await eventually(() => call(b, 'GET', '/api/v1/segments'), (r) => r.body?.segments?.[0]?.size === 6);
  t.match(sized.body.segments, [{ id: 'vip', size: 6 }], 'six members, counted once, through the other process');
});

t.test('a step feed follows the shards a process takes over, and stops hearing all of them once it stops watching', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const [a, b] = cluster.processes;
  t.equal((await call(a!.app, 'POST', '/api/v1/flows', flow('welcome', [pauseDays('wait', 1)]))).status, 201);
  t.equal((await call(a!.app, 'POST', '/api/v1/flows/welcome/launch')).status, 200);
  const heard: string[] = [];
  const unwatch = a!.process.core.watchSteps((e) => heard.push(e.participant.personId));
  await b!.stop();
  await cluster.settled();
  t.equal(a!.process.shards().length, 4, 'the remaining process took every shard');
  const phones = ['+14155550501', '+14155550502', '+14155550503', '+14155550504', '+14155550505', '+14155550506'];
  for (const phone of phones) t.equal((await a!.app.inject({ method: 'POST', url: '/flows/welcome/participants', headers: AUTH, payload: { person: { phones: [phone] } } })).statusCode, 201);
  t.equal(new Set(heard).size, phones.length, 'every step heard, in the shards taken over too');
  unwatch();
  heard.length = 0;
  await a!.app.inject({ method: 'POST', url: '/flows/welcome/participants', headers: AUTH, payload: { person: { phones: ['+14155550507'] } } });
  t.same(heard, [], 'nothing heard once it stopped watching, from any shard');
});

t.test('a flow idle for a year in one shard goes on while another shard has activity, and finishes once every shard was idle for a year', { skip }, async (t) => {
  const start = Date.UTC(2026, 0, 1);
  const clock = new VirtualClock(start);
  const cluster = await clusterOf(t, { processes: 2, shards: 2, clock });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  t.equal((await call(a, 'POST', '/api/v1/flows', flow('quiet', [pauseDays('wait', 1)]))).status, 201);
  t.equal((await call(a, 'POST', '/api/v1/flows/quiet/launch')).status, 200);
  const [early, late] = [['+14155550701', '+14155550702', '+14155550703'].find((p) => shardOfContact(p, 2) === 0)!, ['+14155550704', '+14155550705', '+14155550706'].find((p) => shardOfContact(p, 2) === 1)!];
  const enter = async (phone: string) => t.equal((await b.inject({ method: 'POST', url: '/flows/quiet/participants', headers: AUTH, payload: { person: { phones: [phone] } } })).statusCode, 201);
  const statuses = (): Array<string | undefined> => [0, 1].map((shard) => cluster.processes.map((p) => p.process.engineOf(shard)).find((e) => e !== undefined)?.status('quiet')?.status);
  const day = 24 * 3600_000;

  await enter(early); // shard 0's last activity: its pause ends a day later
  clock.advance(200 * day);
  await enter(late); // shard 1's, 200 days on (and a day later)
  clock.advance(170 * day); // a year and four days after shard 0's last activity
  await new Promise((resolve) => setTimeout(resolve, 300)); // shard 0 asks every shard (PostgreSQL, the other process)
  t.same(statuses(), ['active', 'active'], 'idle for a year in shard 0 only: the flow goes on in both');

  clock.advance(200 * day); // a year and more after shard 1's last activity too
  const ended = await eventually(async () => statuses(), (s) => s.every((status) => status === 'finished'));
  t.same(ended, ['finished', 'finished'], 'idle everywhere for a year: finished in every shard');
  const read = await eventually(() => call(a, 'GET', '/api/v1/flows/quiet'), (r) => r.body?.status === 'finished');
  t.equal(read.body.status, 'finished', 'and read so through the API');
});

t.test('a finishing version stays finishing in every shard while one still has people, and finishes in all once none has', { skip }, async (t) => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const cluster = await clusterOf(t, { processes: 2, shards: 2, clock });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  t.equal((await call(a, 'POST', '/api/v1/flows', flow('wave', [pauseDays('wait', 1)]))).status, 201);
  t.equal((await call(a, 'POST', '/api/v1/flows/wave/launch')).status, 200);
  const phones = [['+14155550801', '+14155550802', '+14155550803'].find((p) => shardOfContact(p, 2) === 0)!, ['+14155550804', '+14155550805', '+14155550806'].find((p) => shardOfContact(p, 2) === 1)!];
  const enter = async (phone: string) => t.equal((await b.inject({ method: 'POST', url: '/flows/wave/participants', headers: AUTH, payload: { person: { phones: [phone] } } })).statusCode, 201);
  const firstVersion = (): Array<string | undefined> =>
    [0, 1].map((shard) => cluster.processes.map((p) => p.process.engineOf(shard)).find((e) => e !== undefined)?.flowRecords().find((r) => r.id === 'wave' && r.version === 1)?.status);
  const hour = 3600_000;

  await enter(phones[0]!);
  clock.advance(12 * hour);
  await enter(phones[1]!); // waits until half a day after the other
  t.equal((await call(a, 'POST', '/api/v1/flows/wave/versions', flow('wave', [pauseDays('wait', 2)]))).status, 201);
  t.equal((await call(a, 'POST', '/api/v1/flows/wave/launch')).status, 200);
  t.same(firstVersion(), ['finishing', 'finishing'], 'a second version launched: the first is finishing in both shards');

  clock.advance(13 * hour); // shard 0's person leaves: shard 0 is empty
  await new Promise((resolve) => setTimeout(resolve, 300)); // shard 0 asks every shard (PostgreSQL, the other process)
  t.same(firstVersion(), ['finishing', 'finishing'], 'empty in shard 0 only: finishing in both');

  clock.advance(12 * hour); // shard 1's leaves too
  const ended = await eventually(async () => firstVersion(), (s) => s.every((status) => status === 'finished'));
  t.same(ended, ['finished', 'finished'], 'nobody left in any shard: finished in both');
});
