// Reports over everyone in a sharded cluster (cluster/reports.ts). Two processes over four shards,
// against the test database: people of several shards enter flows through both processes, and a
// flow's metrics (each version, every version together, JSON and CSV, /flows/:id), the engaged
// persons (pages walked through the other process, the CSV) and a real-time segment's size read
// through either process are what one engine given the same people says. Then, in memory, shards
// as engines of this process: top flows from every flow's count (not each shard's top 10), a
// static segment's size, and a shard that has not applied a version yet.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { flow, pauseDays, tag, world, type World } from '../helpers.js';
import { shardOfContact } from '../../../engine/cluster/shard-of.js';
import { ShardRouter } from '../../../engine/cluster/shard-router.js';
import { PeerCalls } from '../../../engine/cluster/peer-calls.js';
import { SHARD_CALLS } from '../../../engine/cluster/calls.js';
import { clusterEngagedReport, clusterMetrics, clusterMetricsAllVersions, clusterSegmentList } from '../../../engine/cluster/reports.js';
import type { Engine } from '../../../engine/runtime/engine.js';
import { unlessPostgres } from '../store/postgres-service.js';
import { AUTH, clusterOf, type TestCluster } from './cluster-service.js';

const skip = await unlessPostgres(t);

async function call(app: FastifyInstance, url: string, method: 'GET' | 'POST' = 'GET', payload?: unknown): Promise<{ status: number; body: any; text: string }> {
  const r = await app.inject({ method, url, headers: AUTH, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, text: r.body, body: r.headers['content-type']?.toString().startsWith('application/json') ? r.json() : undefined };
}

/** Waits (up to 5 s) until every engine of every process has applied what `ok` looks for (the log reaches each shard). */
async function everywhere(cluster: TestCluster, ok: (engine: Engine) => boolean): Promise<void> {
  const until = Date.now() + 5000;
  while (!cluster.processes.every((p) => p.process.core.engines().every(ok))) {
    if (Date.now() > until) throw new Error('a change did not reach every shard');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const goal = { goal: { event: 'bought' } };
const v1 = flow('report', [tag('t1', 'v1')], goal);
const v2 = flow('report', [{ ...tag('t1', 'v2', 'p'), name: 'Tag two' }, pauseDays('p', 1)], goal);
const other = flow('other', [pauseDays('w', 1)]);

t.test('a cluster reports over the people of every shard, through either process', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: 4 });
  const apps = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const [a, b] = apps;
  const phones = Array.from({ length: 10 }, (_, i) => `+1415555${String(1000 + i * 7)}`);
  t.ok(new Set(phones.map((p) => shardOfContact(p, 4))).size >= 3, 'the people live in several shards');

  // One engine given the same flows, people and events says what the cluster must.
  const one = world();
  one.people.defineEvent({ name: 'bought', properties: [] });
  const ids: string[] = [];
  const enter = async (i: number, flowId: string) => {
    const added = await apps[i % 2]!.inject({ method: 'POST', url: `/flows/${flowId}/participants`, headers: AUTH, payload: { person: { phones: [phones[i]], ...(i % 3 === 0 ? { tags: ['vip'] } : {}) } } });
    t.equal(added.statusCode, 201, added.body);
    ids[i] = added.json().personId;
    await one.engine.submit(`m${i}`, { kind: 'flow.enter', flowId, person: { id: `m${i}` } });
  };
  const launch = async (app: FastifyInstance, doc: Record<string, unknown>, version: number) => {
    t.equal((await call(app, version === 1 ? '/api/v1/flows' : `/api/v1/flows/${doc['id']}/versions`, 'POST', doc)).status, 201);
    t.equal((await call(app, `/api/v1/flows/${doc['id']}/launch`, 'POST')).status, 200);
    one.engine.save(doc);
    one.engine.launch(doc['id'] as string);
    await everywhere(cluster, (e) => e.compiled(doc['id'] as string)?.version === version);
  };

  t.equal((await call(a, '/api/v1/event-definitions', 'POST', { name: 'bought', properties: [] })).status, 201);
  await launch(a, v1, 1);
  await launch(b, other, 1);
  for (let i = 0; i < 6; i++) await enter(i, 'report');
  await launch(b, v2, 2);
  for (let i = 3; i < 8; i++) await enter(i, 'report'); // 3, 4 and 5 again, in version 2
  for (let i = 8; i < 10; i++) await enter(i, 'other');
  for (const i of [1, 4, 6]) {
    await cluster.processes[i % 2]!.process.core.submit(ids[i]!, { kind: 'event', name: 'bought', properties: {}, at: Date.now() });
    await one.engine.event(`m${i}`, 'bought');
  }
  await one.engine.idle();

  for (const [name, app] of [['a', a], ['b', b]] as const) {
    t.same((await call(app, '/api/v1/reports/flows/report?version=1')).body, json(one.engine.metrics('report', 1)), `version 1 through ${name}`);
    t.same((await call(app, '/api/v1/reports/flows/report')).body, json(one.engine.metrics('report', 2)), `the newest version through ${name}`);
    t.same((await call(app, '/api/v1/reports/flows/report?version=all')).body, json(one.engine.metricsAllVersions('report')), `every version through ${name}`);
    t.same((await call(app, '/flows/report?versions=all')).body.metrics, json(one.engine.metricsAllVersions('report')), `/flows/:id through ${name}`);
  }
  const all = one.engine.metricsAllVersions('report');
  t.match(all, { versions: [1, 2], profilesInFlow: 8, profilesExited: 6, activeParticipants: 5, goalPerformers: 2, goalPercentage: 25 }, 'what was sent: 8 people, 3 of them in both versions');
  t.match(one.engine.metrics('report', 2), { profilesInFlow: 5, goalPerformers: 2, goalPercentage: 40 });
  t.equal(all.elements.find((e) => e.id === 't1')!.name, 'Tag two', 'named as the newest version names it');
  const csv = (await call(b, '/api/v1/reports/flows/report?version=all&format=csv')).text;
  t.equal(csv, (await call(a, '/api/v1/reports/flows/report?version=all&format=csv')).text, 'the CSV alike through either');
  t.match(csv, /\r\nt1,Tag two,addTag,11,8,0\r\n/, 't1: 11 passes by 8 people');
  t.equal((await call(a, '/api/v1/reports/flows/nothing')).body.error.code, 'JCT_FLOW_UNKNOWN', 'an unknown flow refused as one engine refuses');

  // Engaged persons: everyone once, in the report's order, a page of 3 at a time, alternating processes.
  const month = new Date().toISOString().slice(0, 7);
  const pages: any[] = [];
  for (let next: string | undefined = ''; next !== undefined; next = pages.at(-1).next) {
    const after = next === '' ? '' : `&after=${encodeURIComponent(next)}`;
    pages.push((await call(apps[pages.length % 2]!, `/api/v1/reports/engaged?month=${month}&limit=3${after}`)).body);
  }
  const people = pages.flatMap((p) => p.people);
  t.same(pages.map((p) => p.people.length), [3, 3, 3, 1], 'four pages');
  t.same(people.map((p) => p.personId).sort(), [...ids].sort(), 'every person once');
  const order = people.map((p) => [Date.parse(p.engagedAt), p.personId] as const);
  t.ok(order.every((x, i) => i === 0 || x[0] > order[i - 1]![0] || (x[0] === order[i - 1]![0] && x[1] > order[i - 1]![1])), 'in order: first entry, then id');
  t.same(people.map((p) => p.flowId), people.map((p) => (ids.indexOf(p.personId) >= 8 ? 'other' : 'report')), 'each with the flow they first entered');
  t.same(pages.map((p) => p.total), [10, 10, 10, 10], 'the total is the cluster’s');
  t.same(pages[0].topFlows, [{ flowId: 'report', people: 8, name: 'report' }, { flowId: 'other', people: 2, name: 'other' }], 'top flows over every shard');
  const lines = (await call(b, `/api/v1/reports/engaged?month=${month}&format=csv`)).text.trim().split('\r\n');
  t.same(lines.slice(1).map((l) => l.split(',')[0]), people.map((p) => p.personId), 'the CSV: everyone, in the same order');

  // A real-time segment: the people tagged vip (0, 3, 6 and 9), of several shards.
  t.equal((await call(a, '/api/v1/segments', 'POST', { id: 'vip', name: 'VIP', kind: 'realtime', rules: { all: [{ attribute: 'tags', operator: 'contains', value: 'vip' }] } })).status, 201);
  await everywhere(cluster, (e) => e.people.segment('vip') !== undefined);
  t.ok(new Set([0, 3, 6, 9].map((i) => shardOfContact(phones[i]!, 4))).size >= 2, 'vip people live in several shards');
  for (const app of apps) t.same((await call(app, '/api/v1/segments')).body.segments, [{ id: 'vip', name: 'VIP', kind: 'realtime', size: 4 }], 'its size over every shard');
});

/** Two memory engines as the shards of a cluster served here, and one engine given everything. */
function inMemory(): { shards: World[]; one: World; router: ShardRouter; all: World[] } {
  const shards = [world(), world()];
  const router = new ShardRouter({ shards: 2, engineOf: (s) => shards[s]!.engine, holders: async () => new Map(), peers: new PeerCalls('unused'), calls: SHARD_CALLS });
  const one = world();
  return { shards, one, router, all: [...shards, one] };
}

t.test('top flows come from every flow’s count in every shard, not each shard’s top 10', async (t) => {
  const { shards, one, router, all } = inMemory();
  const flows = Array.from({ length: 11 }, (_, i) => `f${String(i).padStart(2, '0')}`);
  for (const w of all) {
    for (const id of flows) {
      w.engine.save(flow(id, [tag('t', 'x')]));
      w.engine.launch(id);
    }
  }
  // Shard 0: f00–f09 three people each, f10 two (11th: out of its top 10); shard 1: f10 two.
  const entries: Array<[shard: number, flowId: string, n: number]> = [...flows.slice(0, 10).map((f) => [0, f, 3] as [number, string, number]), [0, 'f10', 2], [1, 'f10', 2]];
  let n = 0;
  for (const [shard, flowId, count] of entries) {
    for (let i = 0; i < count; i++, n++) {
      for (const w of all) w.clock.advance(n % 3 === 0 ? 0 : 1000); // some share a time: the id decides
      const id = `p${String(n).padStart(3, '0')}`;
      await shards[shard]!.engine.submit(id, { kind: 'flow.enter', flowId, person: { id } });
      await one.engine.submit(id, { kind: 'flow.enter', flowId, person: { id } });
    }
  }
  const month = new Date(one.clock.now()).toISOString().slice(0, 7);
  const report = await clusterEngagedReport(router, month);
  t.same(report, one.engine.engagedReport(month), 'the whole month as one engine has it');
  t.same(report.topFlows[0], { flowId: 'f10', people: 4 }, 'f10 leads, though shard 0 left it out of its own top 10');
  const pages = [];
  for (let after: { at: number; personId: string } | undefined, more = true; more; ) {
    const page = await clusterEngagedReport(router, month, { limit: 5, ...(after ? { after } : {}) });
    t.same(page, one.engine.engagedReport(month, { limit: 5, ...(after ? { after } : {}) }), `page ${pages.length + 1}`);
    pages.push(page);
    const last = page.people.at(-1)!;
    after = { at: last.engagedAt, personId: last.personId };
    more = page.more;
  }
  t.equal(pages.length, 7, '34 people, 5 a page');
});

t.test('metrics from a shard behind the log, and a static segment’s size', async (t) => {
  const { shards, one, router, all } = inMemory();
  for (const w of all) {
    w.people.defineEvent({ name: 'bought', properties: [] });
    w.engine.save(v1);
    w.engine.launch('report');
  }
  const people: Array<[shard: number, id: string]> = [[0, 'a'], [1, 'b'], [1, 'c']];
  for (const [shard, id] of people) {
    for (const w of [shards[shard]!, one]) await w.engine.submit(id, { kind: 'flow.enter', flowId: 'report', person: { id } });
  }
  for (const w of [shards[0]!, one]) {
    w.engine.save(v2);
    w.engine.launch('report');
    await w.engine.submit('a', { kind: 'flow.enter', flowId: 'report', person: { id: 'a' } });
  }
  const front = shards[0]!.engine;
  t.same(await clusterMetrics(front, router, 'report'), one.engine.metrics('report'), 'version 2: shard 1 has not launched it yet, and has nobody in it');
  t.same(await clusterMetrics(front, router, 'report', 1), one.engine.metrics('report', 1), 'version 1');
  t.same(await clusterMetricsAllVersions(front, router, 'report'), one.engine.metricsAllVersions('report'), 'every version, named as the newest names them');
  await t.rejects(clusterMetrics(front, router, 'report', 3), { code: 'JCT_VERSION_UNKNOWN' }, 'refused as one engine refuses');

  for (const [shard, members] of [[0, ['a']], [1, ['b', 'c']]] as const) shards[shard]!.people.defineSegment({ id: 'few', name: 'Few', kind: 'static', members: [...members] });
  const sizes = [...(await clusterSegmentList(front, router)).after()].map(([id, s]) => [id, s.definition.name, s.size]);
  t.same(sizes, [['few', 'Few', 3]], 'a static segment holding people of both shards');
});
