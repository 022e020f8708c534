// The workspace's time zone (JUNCTION_TIME_ZONE): flows that name none and the segment rules of
// the people file and the API read dates in it; a flow's own time zone still wins.
import t from 'tap';
import { Engine } from '../../engine/runtime/engine.js';
import { VirtualClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { simulate } from '../../engine/simulation.js';
import { loadConfig } from '../../config/index.js';
import { pauseDays, registryWith } from './helpers.js';

/** A flow scheduled to start at 09:00 local time, in its own time zone when given. */
const scheduled = (timeZone?: string) => ({
  schemaVersion: 1,
  id: 'morning',
  name: 'Morning',
  settings: { ...(timeZone && { timeZone }), schedule: { start: '2026-03-02T09:00' } },
  entryPoints: [{ id: 'in', type: 'flowApi', branches: { next: 'hold' } }],
  elements: [pauseDays('hold', 1)],
});

function engineIn(clock: VirtualClock, timeZone?: string): Engine {
  return new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith(), ...(timeZone && { timeZone }) });
}

t.test('a flow without a time zone is scheduled in the workspace\'s; one with its own keeps it', async (t) => {
  const clock = new VirtualClock('2026-03-02T13:30:00Z'); // 08:30 in New York, 13:30 in UTC
  const ny = engineIn(clock, 'america/new_york');
  t.equal(ny.timeZone, 'America/New_York', 'made canonical');
  ny.launch(ny.save(scheduled()).id);
  t.equal(ny.status('morning')?.status, 'scheduled', '09:00 in New York has not come yet');
  const utc = engineIn(clock);
  utc.launch(utc.save(scheduled()).id);
  t.equal(utc.status('morning')?.status, 'active', 'without a workspace time zone: UTC, 09:00 has passed');
  const own = engineIn(clock, 'America/New_York');
  own.launch(own.save(scheduled('UTC')).id);
  t.equal(own.status('morning')?.status, 'active', "the flow's own time zone wins");
});

t.test('segment rules defined through the engine are read in the workspace\'s time zone', async (t) => {
  const clock = new VirtualClock('2026-03-10T02:00:00Z'); // 9 March, 22:00 in New York
  const members = (timeZone?: string): number => {
    const engine = engineIn(clock, timeZone);
    const attribute = { name: 'visit', type: 'date' };
    const segment = { id: 'today', name: 'Visited today', kind: 'realtime', rules: { all: [{ attribute: 'visit', operator: 'wasToday' }] } };
    engine.define('attributes', attribute);
    engine.define('segments', segment);
    engine.people.upsert({ phones: ['+14155550100'], custom: { visit: '2026-03-09' } });
    return [...engine.people.segmentMembers('today')].length;
  };
  t.equal(members('America/New_York'), 1, 'still 9 March in New York');
  t.equal(members(), 0, 'already 10 March in UTC');
});

t.test("the monthly engaged persons report counts months in the workspace's time zone", async (t) => {
  const clock = new VirtualClock('2026-12-01T03:00:00Z'); // 30 November, 22:00 in New York
  const engine = engineIn(clock, 'America/New_York');
  engine.launch(engine.save({ ...scheduled(), settings: {} }).id);
  const person = engine.people.upsert({ phones: ['+14155550100'] });
  await engine.enter('morning', person.id);
  t.same([engine.engagedReport('2026-11').total, engine.engagedReport('2026-12').total], [1, 0]);
});

t.test('an unknown workspace time zone is refused', async (t) => {
  t.throws(() => engineIn(new VirtualClock(0), 'Mars/Olympus'), { code: 'JCT_TIMEZONE_INVALID' });
  t.throws(() => loadConfig({ JUNCTION_TIME_ZONE: 'Mars/Olympus' }), { code: 'JCT_CONFIG_INVALID', message: /unknown time zone "Mars\/Olympus".*\(set by JUNCTION_TIME_ZONE\)/ });
  t.equal(loadConfig({ JUNCTION_TIME_ZONE: 'europe/paris' }).timeZone, 'europe/paris', 'any case is taken; the engine makes it canonical');
  t.equal(loadConfig({}).timeZone, 'UTC');
});

t.test('simulate reads a flow without a time zone in the workspace\'s', async (t) => {
  const report = await simulate({ registry: registryWith(), flow: { ...scheduled(), settings: {} }, timeZone: 'Europe/Zagreb' });
  t.equal(report.timeZone, 'Europe/Zagreb');
});
