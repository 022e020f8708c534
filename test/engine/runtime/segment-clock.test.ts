// Real-time segments whose rules follow the clock take people in and let them go as time
// passes, with no change to their profiles: on the virtual clock, in the segment's time zone,
// across slices of people, and across a restart.
import t from 'tap';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend } from '../../../engine/store/journal.js';
import { loadPeople } from '../../../engine/people-file.js';
import { compileSegmentRule } from '../../../engine/conditions/compile.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import type { PeopleChange } from '../../../engine/store/interfaces.js';
import { pauseDays, registryWith } from '../helpers.js';

const LAPSED = { all: [{ attribute: 'lastPurchase', operator: 'wasMoreThan', value: { amount: 60, unit: 'days' } }] };
const RECENT = { all: [{ attribute: 'lastPurchase', operator: 'wasWithin', value: { amount: 7, unit: 'days' } }] };

interface Node {
  clock: VirtualClock;
  people: MemoryPeopleStore;
  engine: Engine;
  changes: PeopleChange[];
}

/** An engine whose people file (a date attribute and the given segments) is read in `timeZone`, as `junction start` loads it. */
function node(clock: VirtualClock, backend: MemoryBackend, segments: Record<string, unknown>, timeZone = 'UTC'): Node {
  const people = new MemoryPeopleStore(clock);
  const changes: PeopleChange[] = [];
  people.onChange((c) => c.segmentId && changes.push(c));
  const doc = {
    attributes: [{ name: 'lastPurchase', type: 'date' }],
    segments: Object.entries(segments).map(([id, rules]) => ({ id, name: id, kind: 'realtime', rules })),
  };
  loadPeople(doc, people, timeZone);
  const engine = new Engine({ clock, people, registry: registryWith(), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 2 });
  return { clock, people, engine, changes };
}

const audienceFlow = (segment: string) => ({
  schemaVersion: 1,
  id: 'winback',
  name: 'Win back',
  entryPoints: [{ id: 'in', type: 'predefinedAudience', config: { audience: { segments: [segment] }, updateAfterLaunch: 'realtime' }, branches: { next: 'hold' } }],
  elements: [pauseDays('hold', 30)],
});

const inFlow = (n: Node): string[] => [...n.engine.participantsOf('winback', 1)].map((p) => p.personId).sort();
const turns = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) await new Promise((r) => setImmediate(r));
};
/** Lets the checks the virtual clock jumped past run out (a check takes turns of the event loop; the jump does not wait). */
const settle = async (clock: VirtualClock): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    clock.advance(0);
    await turns(15);
  }
};

t.test('a person joins a "more than 60 days ago" segment on the day it becomes true and enters the real-time audience', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const n = node(clock, new MemoryBackend(), { lapsed: LAPSED });
  n.people.upsert({ id: 'ana', custom: { lastPurchase: '2026-01-01' } });
  n.people.upsert({ id: 'ben', custom: { lastPurchase: '2026-02-01' } });
  n.engine.save(audienceFlow('lapsed'));
  n.engine.launch('winback');
  t.same(inFlow(n), []);
  clock.advanceTo('2026-03-02T23:59:00Z');
  await n.engine.idle();
  t.same(inFlow(n), [], 'not before the 61st day');
  clock.advanceTo('2026-03-03T00:00:00Z');
  await n.engine.idle();
  t.same(inFlow(n), ['ana'], 'ana joins at midnight and enters');
  t.same([...n.people.segmentMembers('lapsed')], ['ana']);
  t.same(n.changes, [{ personId: 'ana', kind: 'segmentJoined', segmentId: 'lapsed' }]);
  clock.advanceTo('2026-04-03T00:00:00Z');
  await n.engine.idle();
  t.same([...n.people.segmentMembers('lapsed')].sort(), ['ana', 'ben'], 'ben a month later');
  t.equal(n.engine.metrics('winback').profilesInFlow, 2, 'each entered once');
  await n.engine.close();
});

t.test('a segment read in a time zone changes at that zone’s midnight, across a daylight-saving change', async (t) => {
  // New York moves to summer time on 2026-03-08: midnight is 05:00Z before and 04:00Z after.
  const clock = new VirtualClock('2026-03-01T12:00:00Z');
  const n = node(clock, new MemoryBackend(), { recent: RECENT }, 'America/New_York');
  n.people.upsert({ id: 'ana', custom: { lastPurchase: '2026-03-02' } });
  t.same([...n.people.segmentMembers('recent')], [], 'a date still to come is not within the last 7 days');
  clock.advanceTo('2026-03-02T04:59:00Z');
  await n.engine.idle();
  t.same([...n.people.segmentMembers('recent')], [], 'still March 1st in New York');
  clock.advanceTo('2026-03-02T05:00:00Z');
  await n.engine.idle();
  t.same([...n.people.segmentMembers('recent')], ['ana'], 'joins at New York’s midnight');
  clock.advanceTo('2026-03-10T03:59:00Z');
  await n.engine.idle();
  t.same([...n.people.segmentMembers('recent')], ['ana'], 'March 9th in New York: 7 days ago');
  clock.advanceTo('2026-03-10T04:00:00Z');
  await n.engine.idle();
  t.same([...n.people.segmentMembers('recent')], [], 'leaves at midnight of summer time');
  t.same(n.changes.map((c) => c.kind), ['segmentJoined', 'segmentLeft']);
  await n.engine.close();
});

t.test('a pass over many people runs a slice at a time and takes everyone in', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const n = node(clock, new MemoryBackend(), { lapsed: LAPSED });
  for (let i = 0; i < 25_000; i++) n.people.upsert({ id: `p${i}`, custom: { lastPurchase: '2026-01-01' } });
  clock.advanceTo('2026-03-02T23:59:00Z');
  await settle(clock);
  clock.advanceTo('2026-03-03T00:00:00Z');
  const first = [...n.people.segmentMembers('lapsed')].length;
  t.ok(first > 0 && first < 25_000, `the first slice at once (${first}), the rest later`);
  await turns(15);
  t.equal([...n.people.segmentMembers('lapsed')].length, 25_000);
  await n.engine.close();
});

t.test('people who join while no process runs enter after the restart', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const backend = new MemoryBackend();
  const a = node(clock, backend, { lapsed: LAPSED });
  a.people.upsert({ id: 'ana', custom: { lastPurchase: '2026-01-01' } });
  a.engine.save(audienceFlow('lapsed'));
  a.engine.launch('winback');
  clock.advanceTo('2026-03-02T12:00:00Z');
  await a.engine.idle();
  t.same(inFlow(a), []);
  // the process dies here; it is down at midnight
  clock.advanceTo('2026-03-03T06:00:00Z');
  const b = node(clock, backend, { lapsed: LAPSED });
  b.engine.recover(backend);
  t.same([...b.people.segmentMembers('lapsed')], [], 'membership as of the last check before the stop');
  clock.advance(0);
  await b.engine.idle();
  t.same(inFlow(b), ['ana'], 'the first pass takes her in');
  await b.engine.close();
});

t.test('after a restart, a person whose profile change took them in since the last check does not enter again', async (t) => {
  // "seen within 7 days": ana's login at 09:10 takes her in at once, by the change; the process
  // stops before the next check, so the last one journaled (09:00) is older than her login.
  const active = { all: [{ attribute: 'seenAt', operator: 'wasWithin', value: { amount: 7, unit: 'days' } }] };
  const seenNode = (backend: MemoryBackend): Node => {
    const people = new MemoryPeopleStore(clock);
    loadPeople({ attributes: [{ name: 'seenAt', type: 'datetime' }], segments: [{ id: 'active', name: 'Active', kind: 'realtime', rules: active }] }, people);
    const engine = new Engine({ clock, people, registry: registryWith(), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 2 });
    return { clock, people, engine, changes: [] };
  };
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const backend = new MemoryBackend();
  const a = seenNode(backend);
  a.engine.save(audienceFlow('active'));
  a.engine.launch('winback');
  clock.advance(0);
  await a.engine.idle();
  clock.advanceTo('2026-01-05T09:10:00Z');
  a.people.upsert({ id: 'ana', custom: { seenAt: '2026-01-05T09:10:00Z' } });
  await a.engine.idle();
  t.same(inFlow(a), ['ana'], 'she enters on her login');
  clock.advanceTo('2026-01-05T09:10:30Z');
  const b = seenNode(backend);
  b.engine.recover(backend);
  t.same([...b.people.segmentMembers('active')], ['ana'], 'a member as of her login, the last time she was tested');
  await settle(clock);
  await b.engine.idle();
  t.same(inFlow(b), ['ana'], 'one participant, not a second entry');
  await b.engine.close();
});

t.test('no check is scheduled while no segment follows the clock', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:30Z');
  const n = node(clock, new MemoryBackend(), { vip: { all: [{ attribute: 'lastPurchase', operator: 'since', value: '2026-01-01' }] } });
  n.people.upsert({ id: 'ana', custom: { lastPurchase: '2026-01-01' } });
  t.equal(clock.nextTimerAt(), undefined);
  const segment = { id: 'lapsed', name: 'Lapsed', kind: 'realtime', rules: LAPSED };
  n.engine.define('segments', segment);
  t.equal(clock.nextTimerAt(), Date.parse('2026-01-05T10:00:30Z'), 'a check an hour after the last at the latest');
  clock.advanceTo('2026-01-05T23:30:00Z');
  t.equal(clock.nextTimerAt(), Date.parse('2026-01-06T00:00:00Z'), 'a rule on whole days re-tests everyone at the next midnight');
  await n.engine.close();
  t.equal(clock.nextTimerAt(), undefined, 'closing stops it');
});

t.test('a rule on a date-time re-tests each person at their own moment, on the minute', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const people = new MemoryPeopleStore(clock);
  loadPeople({ attributes: [{ name: 'seenAt', type: 'datetime' }], segments: [{ id: 'idle', name: 'Idle', kind: 'realtime', rules: { all: [{ attribute: 'seenAt', operator: 'wasMoreThan', value: { amount: 2, unit: 'hours' } }] } }] }, people);
  const engine = new Engine({ clock, people, registry: registryWith(), journal: new GroupCommit(new MemoryBackend(), { flushMs: 0 }) });
  const joined: string[] = [];
  people.onChange((c) => c.kind === 'segmentJoined' && joined.push(`${c.personId} ${new Date(clock.now()).toISOString()}`));
  people.upsert({ id: 'ana', custom: { seenAt: '2026-01-05T08:30:20Z' } });
  people.upsert({ id: 'ben', custom: { seenAt: '2026-01-05T09:00:00Z' } });
  people.upsert({ id: 'eve' });
  clock.advance(0);
  clock.advanceTo('2026-01-05T12:00:00Z');
  t.same(joined, ['ana 2026-01-05T10:31:00.000Z', 'ben 2026-01-05T11:01:00.000Z'], 'each in the minute after their moment; eve, with no date, never');
  people.update('ana', [{ op: 'set', attribute: 'seenAt', value: '2026-01-05T12:00:00Z' }]);
  t.same([...people.segmentMembers('idle')], ['ben'], 'seen again: out at once');
  clock.advanceTo('2026-01-05T14:01:00Z');
  t.same(joined.at(-1), 'ana 2026-01-05T14:01:00.000Z', 'and in again two hours later');
  await engine.close();
});

t.test('a rule says whether and how time alone changes it', async (t) => {
  const catalog = new AttributeCatalog([
    { name: 'day', type: 'date' },
    { name: 'moment', type: 'datetime' },
  ]);
  const rule = (condition: Record<string, unknown>, tz = 'UTC') => compileSegmentRule({ all: [condition] }, catalog, tz);
  const person = (custom: Record<string, string>) => ({ id: 'p', standard: {}, custom, phones: [], emails: [], tags: [], companies: [], lastContacted: {} });
  const at = (iso: string) => Date.parse(iso);
  const since = rule({ attribute: 'day', operator: 'since', value: '2026-01-01' });
  t.notOk(since.nextMidnight ?? since.nextChange, 'absolute dates never change with time');
  t.notOk(rule({ attribute: 'day', operator: 'isNotEmpty' }).nextChange);
  const daily = rule({ attribute: 'day', operator: 'wasMoreThan', value: { amount: 2, unit: 'weeks' } });
  t.equal(daily.nextChange, undefined);
  t.equal(daily.nextMidnight!(at('2026-03-02T00:00:00Z')), at('2026-03-03T00:00:00Z'), 'days on a date: at each midnight');
  const zoned = rule({ attribute: 'moment', operator: 'wasToday' }, 'America/New_York');
  t.equal(zoned.nextMidnight!(at('2026-03-07T12:00:00Z')), at('2026-03-08T05:00:00Z'), 'midnight in New York, winter time');
  t.equal(zoned.nextMidnight!(at('2026-03-08T05:00:00Z')), at('2026-03-09T04:00:00Z'), 'after the change, summer time');
  const within = rule({ attribute: 'moment', operator: 'wasWithin', value: { amount: 1, unit: 'days' } });
  const p = person({ moment: '2026-03-02T10:00:00Z' });
  t.equal(within.nextChange!(p, at('2026-03-01T00:00:00Z')), at('2026-03-02T10:00:00.001Z'), 'a moment to come: it enters the window then');
  t.equal(within.nextChange!(p, at('2026-03-02T10:00:00.001Z')), at('2026-03-03T10:00:00.001Z'), 'then leaves it a day later');
  t.equal(within.nextChange!(person({}), at('2026-03-01T00:00:00Z')), undefined, 'no value: never');
  const mixed = compileSegmentRule({ any: [{ attribute: 'day', operator: 'wasToday' }, { attribute: 'moment', operator: 'willBeWithin', value: { amount: 3, unit: 'hours' } }] }, catalog);
  t.equal(mixed.nextChange!(person({ moment: '2026-03-05T10:00:00Z' }), at('2026-03-02T12:00:00Z')), at('2026-03-03T00:00:00Z'), 'the earliest of its conditions decides');
});
