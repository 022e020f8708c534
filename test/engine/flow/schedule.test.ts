// Schedule changes apply in place to every version of a flow that is not over and to its draft:
// new ends for running versions, a new start for a scheduled one, an end already past stops
// entries at once, bad schedules change nothing, and the timers come back the same after a restart.
import t from 'tap';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit } from '../../../engine/store/journal.js';
import { flow, pauseDays, registryWith, world, type World } from '../helpers.js';

const DAY = 24 * 3600 * 1000;
const utc = (text: string): number => new Date(`${text}Z`).getTime();

/** Who is inside the flow's versions: a person per version, each waiting `days`. */
async function twoVersions(w: World, days: number): Promise<void> {
  for (const id of ['a', 'b']) w.people.upsert({ id });
  w.engine.save(flow('f', [pauseDays('p', days)], { schedule: { end: '2026-01-20T00:00' } }));
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  w.engine.save(flow('f', [pauseDays('p', days + 1)], { schedule: { end: '2026-01-20T00:00' } }));
  w.engine.launch('f');
  await w.engine.enter('f', 'b');
}

const statusOf = (w: World, version: number) => w.engine.flowRecords().find((r) => r.id === 'f' && r.version === version)?.status;

/** A new engine on the same store, at the same time, recovered (the first one is gone). */
function restart(w: World): { engine: Engine; clock: VirtualClock } {
  const clock = new VirtualClock(w.clock.now());
  const engine = new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  return { engine, clock };
}

t.test('a running version and one finishing with people inside both take the new end', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  await twoVersions(w, 3);
  t.equal(statusOf(w, 1), 'finishing');
  const changed = w.engine.changeSchedule('f', { end: '2026-01-06T12:00' });
  t.same(changed.map((r) => [r.version, r.definition.settings?.schedule]), [
    [1, { end: '2026-01-06T12:00' }],
    [2, { end: '2026-01-06T12:00' }],
  ], 'in place: no new version');
  t.equal(w.engine.compiled('f', 1)!.settings.end, utc('2026-01-06T12:00'));
  t.equal(w.engine.compiled('f', 2)!.settings.end, utc('2026-01-06T12:00'));
  w.clock.advanceTo('2026-01-06T11:59:59Z');
  t.equal(statusOf(w, 2), 'active');
  w.clock.advanceTo('2026-01-06T12:00:00Z');
  t.equal(statusOf(w, 2), 'finishing', 'the new end stopped entries');
  await t.rejects(w.engine.enter('f', 'a'), { code: 'JCT_FLOW_STATUS' });
  w.clock.advanceTo('2026-01-08T09:00:00Z');
  t.equal(statusOf(w, 1), 'finished', 'a finished her journey in version 1');
  t.equal(statusOf(w, 2), 'finishing', 'b is still inside version 2');
  w.clock.advanceTo('2026-01-09T09:00:00Z');
  t.equal(statusOf(w, 2), 'finished');
});

t.test('a later end or none replaces the old end timer; the idle check stays armed', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [pauseDays('p', 1)], { schedule: { end: '2026-01-06T09:00' } }));
  w.engine.launch('f');
  w.engine.changeSchedule('f', { end: '2026-01-10T09:00' });
  w.clock.advanceTo('2026-01-07T09:00:00Z');
  t.equal(statusOf(w, 1), 'active', 'the old end is gone');
  t.same(w.engine.changeSchedule('f', {})[0]!.definition.settings, {}, 'no end: the schedule is left out');
  w.clock.advanceTo('2026-01-11T09:00:00Z');
  t.equal(statusOf(w, 1), 'active', 'runs without an end');
  w.clock.advance(366 * DAY);
  t.equal(statusOf(w, 1), 'finished', 'until idle for a year');
});

t.test('a scheduled version takes a new start, read in the flow time zone; a started one keeps its start', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [pauseDays('p', 1)], { timeZone: 'Europe/Zagreb', schedule: { start: '2026-01-06T09:00' } }));
  t.equal(w.engine.launch('f').status, 'scheduled');
  w.engine.changeSchedule('f', { start: '2026-01-07T09:00', end: '2026-01-09T09:00' });
  t.equal(w.engine.compiled('f', 1)!.settings.start, utc('2026-01-07T08:00'), 'Zagreb is UTC+1 in January');
  w.clock.advanceTo('2026-01-06T08:00:00Z');
  t.equal(statusOf(w, 1), 'scheduled', 'the old start is gone');
  w.clock.advanceTo('2026-01-07T08:00:00Z');
  t.equal(statusOf(w, 1), 'active');

  w.engine.save(flow('f', [pauseDays('p', 2)], { timeZone: 'Europe/Zagreb' }));
  const [v1, draft] = w.engine.changeSchedule('f', { start: '2026-02-01T09:00', end: '2026-03-01T09:00' });
  t.same(v1!.definition.settings?.schedule, { start: '2026-01-07T09:00', end: '2026-03-01T09:00' }, 'the started version keeps its start');
  t.equal(v1!.status, 'active');
  t.same(draft!.definition.settings?.schedule, { start: '2026-02-01T09:00', end: '2026-03-01T09:00' }, 'the draft takes the whole schedule');
  t.equal(draft!.status, 'draft');
  t.equal(w.engine.launch('f').status, 'scheduled', 'and launches with it');
});

t.test('a scheduled version whose new start is not in the future starts at once', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [pauseDays('p', 1)], { schedule: { start: '2026-01-06T09:00' } }));
  w.engine.launch('f');
  w.engine.changeSchedule('f', { start: '2026-01-05T09:00' });
  t.equal(statusOf(w, 1), 'active');
  w.people.upsert({ id: 'a' });
  t.equal((await w.engine.enter('f', 'a')).entered, true);
});

t.test('an end moved into the past stops entries at once', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  await twoVersions(w, 1);
  w.engine.save(flow('g', [pauseDays('p', 1)]));
  w.engine.launch('g');
  w.engine.changeSchedule('f', { end: '2026-01-05T08:00' });
  t.equal(statusOf(w, 2), 'finishing', 'at once, not at the next tick');
  await t.rejects(w.engine.enter('f', 'a'), { code: 'JCT_FLOW_STATUS' });
  w.engine.changeSchedule('g', { end: '2026-01-05T08:00' });
  t.equal(w.engine.status('g')!.status, 'finished', 'a version with nobody inside is finished');
  w.clock.advanceTo('2026-01-07T09:00:00Z');
  t.same([statusOf(w, 1), statusOf(w, 2)], ['finished', 'finished'], 'once their people left');
});

t.test('a schedule that does not fit is refused with its code, and nothing changes', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  t.throws(() => w.engine.changeSchedule('nope', { end: '2026-02-01T00:00' }), { code: 'JCT_FLOW_UNKNOWN' });
  w.engine.save(flow('f', [pauseDays('p', 1)], { schedule: { start: '2026-01-05T09:00', end: '2026-02-01T00:00' } }));
  w.engine.launch('f');
  w.engine.save(flow('f', [pauseDays('p', 2)]));
  t.throws(() => w.engine.changeSchedule('f', { end: 'next week' }), { code: 'JCT_SCHEDULE_INVALID' });
  t.throws(() => w.engine.changeSchedule('f', { start: '2026-01-03T00:00', end: '2026-01-02T00:00' }), { code: 'JCT_SCHEDULE_INVALID' }, 'end before start');
  t.throws(() => w.engine.changeSchedule('f', { end: '2026-01-04T00:00' }), { code: 'JCT_SCHEDULE_INVALID' }, 'end before the start a started version keeps');
  t.same(w.engine.flowRecords().map((r) => r.definition.settings), [{ schedule: { start: '2026-01-05T09:00', end: '2026-02-01T00:00' } }, {}], 'no version changed');
  t.equal(w.engine.compiled('f', 1)!.settings.end, utc('2026-02-01T00:00'));
  w.engine.deleteDraft('f');
  w.engine.cancel('f');
  t.throws(() => w.engine.changeSchedule('f', { end: '2026-03-01T00:00' }), { code: 'JCT_FLOW_STATUS' }, 'every version is over');
});

t.test('the changed schedule survives a restart: the same timers come back', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  await twoVersions(w, 3);
  w.engine.save(flow('g', [pauseDays('p', 1)], { schedule: { start: '2026-01-06T09:00', end: '2026-01-30T00:00' } }));
  w.engine.launch('g');
  w.engine.changeSchedule('f', { end: '2026-01-06T12:00' });
  w.engine.changeSchedule('g', { start: '2026-01-07T09:00', end: '2026-01-08T09:00' });
  await w.engine.idle();
  const b = restart(w);
  t.equal(b.engine.compiled('f', 2)!.settings.end, utc('2026-01-06T12:00'));
  t.equal(b.engine.compiled('g', 1)!.settings.start, utc('2026-01-07T09:00'));
  b.clock.advanceTo('2026-01-06T12:00:00Z');
  t.equal(b.engine.status('f')!.status, 'finishing', 'the new end fired after the restart');
  t.equal(b.engine.status('g')!.status, 'scheduled', 'the old start did not');
  b.clock.advanceTo('2026-01-07T09:00:00Z');
  t.equal(b.engine.status('g')!.status, 'active', 'the new start did');
  b.clock.advanceTo('2026-01-08T09:00:00Z');
  t.equal(b.engine.status('g')!.status, 'finished', 'and the new end');
  await b.engine.close();
});

t.test('an end not after the start asked for is refused even where no version takes that start', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  t.throws(() => w.engine.changeSchedule('f', { start: '2026-01-03T00:00', end: '2026-01-02T00:00' }), { code: 'JCT_SCHEDULE_INVALID', message: /must come after the start/ });
  t.throws(() => w.engine.changeSchedule('f', { start: '2026-01-03T00:00', end: '2026-01-03T00:00' }), { code: 'JCT_SCHEDULE_INVALID' }, 'an end equal to the start');
  t.equal(statusOf(w, 1), 'active', 'the flow did not end');
  t.same(w.engine.flowRecords()[0]!.definition.settings, {}, 'its schedule did not change');
});

t.test('launching a draft whose schedule has ended is refused; validation says why', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [pauseDays('p', 1)], { schedule: { end: '2026-01-05T09:00' } }));
  t.same(w.engine.validate(w.engine.flowRecords()[0]!.definition).map((p) => p.code), ['JCT_SCHEDULE_ENDED']);
  t.throws(() => w.engine.launch('f'), { code: 'JCT_FLOW_INVALID' });
  t.equal(statusOf(w, 1), 'draft');
});

t.test('a launched version whose end has passed recovers after a restart', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [pauseDays('p', 3)], { schedule: { end: '2026-01-06T09:00' } }));
  w.engine.launch('f');
  await w.engine.enter('f', 'a');
  w.clock.advanceTo('2026-01-07T09:00:00Z');
  await w.engine.durable();
  const { engine, clock } = restart(w);
  t.equal(engine.flowRecords().find((r) => r.version === 1)?.status, 'finishing');
  clock.advanceTo('2026-01-09T09:00:00Z');
  t.equal(engine.flowRecords().find((r) => r.version === 1)?.status, 'finished');
});
