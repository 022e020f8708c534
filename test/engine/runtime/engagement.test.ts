// Engaged persons per month: one row per person and month (in the workspace's time zone) at their first entry into any
// flow, kept across a restart over the journal, months older than 13 dropped from memory and
// the store.
import t from 'tap';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit } from '../../../engine/store/journal.js';
import { Engagement } from '../../../engine/runtime/engagement.js';
import { flow, pauseDays, registryWith, world } from '../helpers.js';

t.test('restored after a restart; old months leave the store', async (t) => {
  const w = world('2026-01-31T23:30:00Z');
  w.engine.save(flow('a', [pauseDays('p', 1)], { reentry: { enabled: true } }));
  w.engine.launch('a');
  w.people.upsert({ id: 'ana' });
  await w.engine.enter('a', 'ana');
  w.clock.advanceTo('2026-02-01T00:30:00Z');
  await w.engine.enter('a', 'ana');
  await w.engine.close();
  const rows = () => [...w.backend.load('engaged')].map(([k]) => k.replace('\u0000', ' '));
  t.same(rows().sort(), ['2026-01 ana', '2026-02 ana'], 'a month boundary at UTC midnight');
  const engine = new Engine({ clock: w.clock, people: new MemoryPeopleStore(w.clock), registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  t.equal(engine.engagedReport('2026-01').total, 1);
  t.equal(engine.engagedReport('2026-02').people[0]!.engagedAt, Date.parse('2026-02-01T00:30:00Z'));
  await engine.close();
});

t.test('a restart past the kept months drops the older ones at once, not at the next entry', async (t) => {
  const w = world('2026-01-10T09:00:00Z');
  w.engine.save(flow('a', [pauseDays('p', 1)]));
  w.engine.launch('a');
  w.people.upsert({ id: 'ana' });
  await w.engine.enter('a', 'ana');
  await w.engine.close();
  w.clock.advanceTo('2027-02-15T00:00:00Z');
  const engine = new Engine({ clock: w.clock, people: new MemoryPeopleStore(w.clock), registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  t.equal(engine.engagedReport('2026-01').total, 0, 'kept 13 months');
  await engine.close();
  t.same([...w.backend.load('engaged')], [], 'and gone from the store');
});

t.test('the first entry of a month expires months older than 13', async (t) => {
  const e = new Engagement();
  t.ok(e.entered('ana', 'a', Date.parse('2026-01-10T00:00:00Z'))?.newMonth);
  t.notOk(e.entered('ana', 'b', Date.parse('2026-01-11T00:00:00Z')), 'once a month');
  t.same(e.expire(Date.parse('2027-01-31T00:00:00Z')), [], '13 months: January 2026 still kept in January 2027');
  t.same(e.expire(Date.parse('2027-02-01T00:00:00Z')), ['2026-01\u0000ana']);
  t.equal(e.report('2026-01').total, 0);
});

t.test("months begin and end at midnight in the workspace's time zone", async (t) => {
  const e = new Engagement('America/New_York');
  t.equal(e.entered('ana', 'a', Date.parse('2026-12-01T03:00:00Z'))?.key, '2026-11\u0000ana', '22:00 on 30 November in New York');
  t.equal(e.entered('ana', 'a', Date.parse('2026-12-01T05:00:00Z'))?.key, '2026-12\u0000ana', 'midnight has passed in New York');
  t.same(e.report('2026-11').people, [{ personId: 'ana', engagedAt: Date.parse('2026-12-01T03:00:00Z'), flowId: 'a' }], 'reads back exactly');
  t.same(e.expire(Date.parse('2027-12-01T03:00:00Z')), [], 'still November 2027 in New York: November 2026 is kept');
  t.same(e.expire(Date.parse('2027-12-01T05:00:00Z')), ['2026-11\u0000ana'], 'December 2027 in New York');
});

t.test('each entry reads back exactly: packed to a number when it can be, kept as the row when not', async (t) => {
  const e = new Engagement();
  const at = Date.parse('2026-03-31T23:59:59.999Z');
  e.entered('ana', 'welcome', at);
  e.entered('bob', 'renewals', Date.parse('2026-03-01T00:00:00Z'));
  e.entered('cy', 'welcome', at - 0.25); // a virtual clock may stand between milliseconds
  t.same(
    e.report('2026-03').people,
    [
      { personId: 'bob', engagedAt: Date.parse('2026-03-01T00:00:00Z'), flowId: 'renewals' },
      { personId: 'cy', engagedAt: at - 0.25, flowId: 'welcome' },
      { personId: 'ana', engagedAt: at, flowId: 'welcome' },
    ],
  );
  e.restore('2026-04\u0000dee', [Date.parse('2026-04-02T10:00:00.5Z'), 'renewals']);
  e.restore('2026-04\u0000eve', [Date.parse('2026-05-02T10:00:00Z'), 'welcome']); // outside its month: kept as it came
  e.restore('junk\u0000fay', [5, 'welcome']);
  t.same(e.report('2026-04').people.map((p) => [p.personId, p.engagedAt, p.flowId]), [
    ['dee', Date.parse('2026-04-02T10:00:00.500Z'), 'renewals'],
    ['eve', Date.parse('2026-05-02T10:00:00Z'), 'welcome'],
  ]);
  t.same(e.report('junk').people, [{ personId: 'fay', engagedAt: 5, flowId: 'welcome' }]);
  t.same(e.anonymize('ana', 'erased-1').added, [['2026-03\u0000erased-1', [at, 'welcome']]], 'the erased person keeps counting with the same row');
  t.same(e.report('2026-03').topFlows, [{ flowId: 'welcome', people: 2 }, { flowId: 'renewals', people: 1 }]);
});

/** The report as a plain sort of the month's rows gives it: what every read must answer, whatever came before. */
function expected(rows: Map<string, [number, string]>, month: string) {
  const people = [...rows].map(([personId, [engagedAt, flowId]]) => ({ personId, engagedAt, flowId }));
  people.sort((a, b) => a.engagedAt - b.engagedAt || (a.personId < b.personId ? -1 : 1));
  const perFlow = new Map<string, number>();
  for (const p of people) perFlow.set(p.flowId, (perFlow.get(p.flowId) ?? 0) + 1);
  const topFlows = [...perFlow].map(([flowId, n]) => ({ flowId, people: n })).sort((a, b) => b.people - a.people || (a.flowId < b.flowId ? -1 : 1)).slice(0, 10);
  return { month, total: people.length, topFlows, people };
}

t.test('the order and pages stay right while people engage (in time order or not, at one moment) and are erased, read or not', async (t) => {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const e = new Engagement();
  const rows = new Map<string, [number, string]>();
  const start = Date.parse('2026-03-01T00:00:00Z');
  let now = start;
  let people = 0;
  let erased = 0;
  for (let step = 0; step < 3000; step++) {
    const op = random(10);
    if (op < 6) {
      now += random(3) * 1000; // several people at one moment, often
      const at = random(8) === 0 ? start + random(now - start + 1) : now; // now and then, an entry from earlier
      const id = `p${random(100_000)}`;
      const flowId = `f${random(15)}`;
      const first = e.entered(id, flowId, at);
      if ((first !== undefined) === rows.has(id)) t.fail(`step ${step}: ${id} counted ${first ? 'twice' : 'not at all'}`);
      if (first) rows.set(id, [at, flowId]);
      people++;
    } else if (op < 8 && rows.size > 0) {
      const ids = [...rows.keys()];
      const id = ids[random(ids.length)]!;
      const anonymous = `erased-${random(1_000_000)}`;
      if (rows.has(anonymous)) continue;
      e.anonymize(id, anonymous);
      rows.set(anonymous, rows.get(id)!);
      rows.delete(id);
      erased++;
    } else if (op === 8 && step > 1500) {
      const want = expected(rows, '2026-03');
      const got = e.report('2026-03');
      if (JSON.stringify({ ...got, more: undefined }) !== JSON.stringify(want)) t.fail(`step ${step}: the whole report differs`);
      const i = random(want.people.length + 1);
      const cursor = i === 0 ? undefined : { at: want.people[i - 1]!.engagedAt, personId: want.people[i - 1]!.personId };
      const limit = 1 + random(50);
      const page = e.report('2026-03', { ...(cursor ? { after: cursor } : {}), limit });
      if (JSON.stringify(page.people) !== JSON.stringify(want.people.slice(i, i + limit))) t.fail(`step ${step}: the page after ${i} differs`);
      if (page.more !== i + limit < want.people.length) t.fail(`step ${step}: more is ${page.more}`);
    }
  }
  t.ok(people > 1000 && erased > 300, `${people} entries, ${erased} erasures`);
  t.same(e.report('2026-03').people, expected(rows, '2026-03').people, 'in the end too');
  const gone = { at: now + 1, personId: 'nobody' };
  t.same([e.report('2026-03', { after: gone, limit: 5 }).people, e.report('2026-03', { after: gone }).more], [[], false], 'after the last: nobody');
});

t.test('a page of a month read before costs a search, not a sort of the month, while people engage and are erased', async (t) => {
  const e = new Engagement();
  const start = Date.parse('2026-03-01T00:00:00Z');
  for (let i = 0; i < 5000; i++) e.entered(`p${i}`, `f${i % 3}`, start + ((i * 7919) % 5000) * 1000);
  e.report('2026-03', { limit: 10 }); // the first read puts the month in order
  const sort = Array.prototype.sort;
  let sorted = 0;
  t.teardown(() => void (Array.prototype.sort = sort));
  Array.prototype.sort = function <T>(this: T[], compare?: (a: T, b: T) => number) {
    if (this.length > 100) sorted += this.length;
    return sort.call(this, compare) as T[];
  };
  let after: { at: number; personId: string } | undefined;
  for (let i = 0; i < 200; i++) {
    e.entered(`q${i}`, 'f1', start + 5000 * 1000 + i);
    e.entered(`r${i}`, 'f2', start + i * 1000); // one from earlier
    if (i % 10 === 0) e.anonymize(`p${i}`, `erased-${i}`);
    const page = e.report('2026-03', { ...(after ? { after } : {}), limit: 20 });
    const last = page.people.at(-1)!;
    after = { at: last.engagedAt, personId: last.personId };
  }
  Array.prototype.sort = sort;
  t.equal(sorted, 0, 'nothing of the month was sorted again');
  t.equal(e.report('2026-03').total, 5400);
});
