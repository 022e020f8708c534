// Unit tests of the moment a date or date-time attribute names (engine/events/date-moment.ts):
// nextOccurrence for every kind on a date and on a date-time attribute, atTime, calendar days
// against elapsed time across the Europe/Zagreb daylight-saving changes of 2026 (29 March and
// 25 October), the occurrence window, everyYear with 29 February and around new year, `after`,
// empty and invalid values; last, the compile problems as engine.validate reports them.
import t from 'tap';
import { compileMoment, nextOccurrence, type Moment, type MomentConfig } from '../../../engine/events/date-moment.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { coreModule } from '../../../engine/elements/index.js';
import { eventsModule } from '../../../engine/events/index.js';
import { Registry } from '../../../engine/module.js';
import type { Value } from '../../../engine/values.js';

const DAY = 86_400_000;
const ZAGREB = 'Europe/Zagreb';
const catalog = new AttributeCatalog([
  { name: 'appointmentAt', type: 'datetime' },
  { name: 'renewalDate', type: 'date' },
]);

/** A compiled moment; `birthDate` (a date) unless another attribute is named. */
function moment(config: Omit<MomentConfig, 'attribute'> & { attribute?: string }, timeZone = 'UTC'): Moment {
  const problems: string[] = [];
  const m = compileMoment({ attribute: 'birthDate', ...config }, { attributes: catalog, timeZone, problem: (code) => problems.push(code) });
  if (!m) throw new Error(`moment did not compile: ${problems.join(', ')}`);
  return m;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const ms = (text: string) => Date.parse(text);

/** The next occurrence as [at, until] in UTC ISO text, or undefined. */
function next(m: Moment, value: Value, from: string, after?: string): [string, string] | undefined {
  const o = nextOccurrence(m, value, ms(from), after === undefined ? undefined : ms(after));
  return o && [iso(o.at), iso(o.until)];
}

t.test('every kind on a date attribute (its time is atTime, default 00:00, in the flow zone)', async (t) => {
  const from = '2026-01-01T00:00:00Z';
  const d = '2026-05-10';
  t.same(next(moment({ when: 'isIn', offset: { amount: 3, unit: 'days' } }), d, from), ['2026-05-07T00:00:00Z', '2026-05-08T00:00:00Z'], 'isIn 3 days lasts one day');
  t.same(next(moment({ when: 'was', offset: { amount: 2, unit: 'days' } }), d, from), ['2026-05-12T00:00:00Z', '2026-05-13T00:00:00Z']);
  t.same(next(moment({ when: 'isIn', offset: { amount: 1, unit: 'weeks' } }), d, from), ['2026-05-03T00:00:00Z', '2026-05-10T00:00:00Z'], 'a week-long window');
  t.same(next(moment({ when: 'isIn', offset: { amount: 2, unit: 'hours' } }), d, from), ['2026-05-09T22:00:00Z', '2026-05-09T23:00:00Z']);
  t.same(next(moment({ when: 'isToday' }), d, from), ['2026-05-10T00:00:00Z', '2026-05-11T00:00:00Z']);
  t.same(next(moment({ when: 'isTomorrow' }), d, from), ['2026-05-09T00:00:00Z', '2026-05-10T00:00:00Z']);
  t.same(next(moment({ when: 'wasYesterday' }), d, from), ['2026-05-11T00:00:00Z', '2026-05-12T00:00:00Z']);
  t.same(next(moment({ when: 'isToday', attribute: 'renewalDate' }), d, from), ['2026-05-10T00:00:00Z', '2026-05-11T00:00:00Z'], 'a custom date attribute');
});

t.test('atTime on a date attribute: the time of the date, and where the day options start', async (t) => {
  const from = '2026-01-01T00:00:00Z';
  const d = '2026-05-10';
  t.same(next(moment({ when: 'isIn', offset: { amount: 2, unit: 'days' }, atTime: '10:00' }), d, from), ['2026-05-08T10:00:00Z', '2026-05-09T10:00:00Z']);
  t.same(next(moment({ when: 'was', offset: { amount: 30, unit: 'minutes' }, atTime: '10:00' }), d, from), ['2026-05-10T10:30:00Z', '2026-05-10T10:31:00Z']);
  t.same(next(moment({ when: 'isToday', atTime: '09:00' }), d, from), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'until the end of the day');
  t.same(next(moment({ when: 'isTomorrow', atTime: '23:30' }), d, from), ['2026-05-09T23:30:00Z', '2026-05-10T00:00:00Z']);
  t.same(next(moment({ when: 'wasYesterday', atTime: '08:15' }), d, from), ['2026-05-11T08:15:00Z', '2026-05-12T00:00:00Z']);
  t.same(next(moment({ when: 'isToday', atTime: '09:00' }, ZAGREB), d, from), ['2026-05-10T07:00:00Z', '2026-05-10T22:00:00Z'], 'in the flow zone (CEST)');
});

t.test('every kind on a date-time attribute (it keeps its own time; the day options use atTime)', async (t) => {
  const from = '2026-01-01T00:00:00Z';
  const a = (config: Omit<MomentConfig, 'attribute'>, tz?: string) => moment({ attribute: 'appointmentAt', ...config }, tz);
  const dt = '2026-05-10T14:30:00Z';
  t.same(next(a({ when: 'isIn', offset: { amount: 4, unit: 'hours' } }), dt, from), ['2026-05-10T10:30:00Z', '2026-05-10T11:30:00Z'], 'isIn 4 hours: from 4 h to 3 h before');
  t.same(next(a({ when: 'was', offset: { amount: 30, unit: 'minutes' } }), dt, from), ['2026-05-10T15:00:00Z', '2026-05-10T15:01:00Z']);
  t.same(next(a({ when: 'was', offset: { amount: 45, unit: 'seconds' } }), dt, from), ['2026-05-10T14:30:45Z', '2026-05-10T14:30:46Z']);
  t.same(next(a({ when: 'isIn', offset: { amount: 1, unit: 'days' } }), dt, from), ['2026-05-09T14:30:00Z', '2026-05-10T14:30:00Z']);
  t.same(next(a({ when: 'isToday' }), dt, from), ['2026-05-10T00:00:00Z', '2026-05-11T00:00:00Z'], 'isToday starts at 00:00 without atTime');
  t.same(next(a({ when: 'isToday', atTime: '09:00' }), dt, from), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z']);
  t.same(next(a({ when: 'isTomorrow', atTime: '18:00' }), dt, from), ['2026-05-09T18:00:00Z', '2026-05-10T00:00:00Z']);
  t.same(next(a({ when: 'wasYesterday' }), dt, from), ['2026-05-11T00:00:00Z', '2026-05-12T00:00:00Z']);
  // 23:30 UTC is already the 11th in Zagreb: the day is the local one
  t.same(next(a({ when: 'isToday' }, ZAGREB), '2026-05-10T23:30:00Z', from), ['2026-05-10T22:00:00Z', '2026-05-11T22:00:00Z']);
  t.same(next(a({ when: 'isIn', offset: { amount: 1, unit: 'hours' } }, ZAGREB), '2026-05-10T12:00:00+02:00', from), ['2026-05-10T09:00:00Z', '2026-05-10T10:00:00Z'], 'an offset in the value is honoured');
});

t.test('Europe/Zagreb, spring forward on 2026-03-29: days keep the wall-clock time, hours are elapsed', async (t) => {
  const from = '2026-03-01T00:00:00Z';
  const a = (amount: number, unit: 'days' | 'hours') => moment({ attribute: 'appointmentAt', when: 'isIn', offset: { amount, unit } }, ZAGREB);
  const dt = '2026-03-30T10:00:00+02:00'; // 08:00Z
  t.same(next(a(1, 'days'), dt, from), ['2026-03-29T08:00:00Z', '2026-03-30T08:00:00Z'], '10:00 CEST the day before');
  t.same(next(a(2, 'days'), dt, from), ['2026-03-28T09:00:00Z', '2026-03-29T08:00:00Z'], '10:00 CET two days before: a 23-hour day in the window');
  t.same(next(a(48, 'hours'), dt, from), ['2026-03-28T08:00:00Z', '2026-03-28T09:00:00Z'], '48 elapsed hours: 09:00 CET');
  t.same(next(a(2, 'hours'), dt, from), ['2026-03-30T06:00:00Z', '2026-03-30T07:00:00Z']);
  t.same(next(a(2, 'hours'), '2026-03-29T03:30:00+02:00', from), ['2026-03-28T23:30:00Z', '2026-03-29T00:30:00Z'], '2 elapsed hours before 03:30 CEST is 00:30 CET');
  // the day of the change is 23 hours long
  t.same(next(moment({ when: 'isToday' }, ZAGREB), '2026-03-29', from), ['2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z']);
  t.same(next(moment({ when: 'isToday', atTime: '02:30' }, ZAGREB), '2026-03-29', from), ['2026-03-29T01:30:00Z', '2026-03-29T22:00:00Z'], 'a skipped 02:30 is 03:30 CEST');
  t.same(next(moment({ when: 'isIn', offset: { amount: 1, unit: 'days' }, atTime: '09:00' }, ZAGREB), '2026-03-30', from), ['2026-03-29T07:00:00Z', '2026-03-30T07:00:00Z'], 'a date at 09:00: 09:00 CEST the day before');
});

t.test('Europe/Zagreb, fall back on 2026-10-25', async (t) => {
  const from = '2026-10-01T00:00:00Z';
  const a = (kind: 'isIn' | 'was', amount: number, unit: 'days' | 'hours') => moment({ attribute: 'appointmentAt', when: kind, offset: { amount, unit } }, ZAGREB);
  const dt = '2026-10-26T10:00:00+01:00'; // 09:00Z
  t.same(next(a('isIn', 1, 'days'), dt, from), ['2026-10-25T09:00:00Z', '2026-10-26T09:00:00Z'], '10:00 CET the day before');
  t.same(next(a('isIn', 2, 'days'), dt, from), ['2026-10-24T08:00:00Z', '2026-10-25T09:00:00Z'], '10:00 CEST two days before: a 25-hour window');
  t.same(next(a('isIn', 48, 'hours'), dt, from), ['2026-10-24T09:00:00Z', '2026-10-24T10:00:00Z'], '48 elapsed hours: 11:00 CEST');
  t.same(next(a('was', 1, 'days'), '2026-10-24T10:00:00+02:00', from), ['2026-10-25T09:00:00Z', '2026-10-26T09:00:00Z'], 'was 1 day: 10:00 CET the day after');
  t.same(next(a('was', 24, 'hours'), '2026-10-24T10:00:00+02:00', from), ['2026-10-25T08:00:00Z', '2026-10-25T09:00:00Z'], '24 hours after: 09:00 CET');
  const repeated = '2026-10-25T02:30:00+01:00'; // 01:30Z: the second 02:30 of the night, after the clocks went back
  t.same(next(a('was', 0, 'hours'), repeated, from), ['2026-10-25T01:30:00Z', '2026-10-25T02:30:00Z'], 'a date-time in the repeated hour is its own instant, not the first 02:30');
  t.same(next(a('isIn', 1, 'hours'), repeated, from), ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'], 'an elapsed hour before it: the first 02:30 (CEST)');
  t.same(next(moment({ when: 'isToday' }, ZAGREB), '2026-10-25', from), ['2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'], 'a 25-hour day');
  t.same(next(moment({ when: 'isToday', atTime: '02:30' }, ZAGREB), '2026-10-25', from), ['2026-10-25T00:30:00Z', '2026-10-25T23:00:00Z'], 'a repeated 02:30 is the earlier one (CEST)');
});

t.test('the window: arriving inside the occurrence, and after it ends', async (t) => {
  const once = moment({ when: 'isToday', atTime: '09:00' });
  const yearly = moment({ when: 'isToday', atTime: '09:00', everyYear: true });
  const d = '1990-05-10';
  t.same(next(once, '2026-05-10', '2026-05-10T08:59:59Z'), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'just before it');
  t.same(next(once, '2026-05-10', '2026-05-10T09:00:00Z'), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'at its start');
  t.same(next(once, '2026-05-10', '2026-05-10T23:59:59Z'), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'inside it: the occurrence already started');
  t.equal(next(once, '2026-05-10', '2026-05-11T00:00:00Z'), undefined, 'it has ended: nothing ahead');
  t.equal(next(once, d, '2026-05-10T12:00:00Z'), undefined, 'a past date without everyYear');
  t.same(next(yearly, d, '2026-05-10T12:00:00Z'), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'every year: this year\'s, still on');
  t.same(next(yearly, d, '2026-05-11T00:00:00Z'), ['2027-05-10T09:00:00Z', '2027-05-11T00:00:00Z'], 'every year: over, so next year\'s');
  t.same(next(yearly, d, '2026-01-01T00:00:00Z'), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'every year: later this year');
  t.same(next(yearly, '2035-05-10', '2026-06-01T00:00:00Z'), ['2027-05-10T09:00:00Z', '2027-05-11T00:00:00Z'], 'every year ignores a future year too');
  const isIn4h = moment({ attribute: 'appointmentAt', when: 'isIn', offset: { amount: 4, unit: 'hours' } });
  t.same(next(isIn4h, '2026-05-10T14:30:00Z', '2026-05-10T11:29:00Z'), ['2026-05-10T10:30:00Z', '2026-05-10T11:30:00Z'], 'within the hour: on');
  t.equal(next(isIn4h, '2026-05-10T14:30:00Z', '2026-05-10T11:30:00Z'), undefined, 'less than 3 hours before: missed');
});

t.test('everyYear: 29 February falls on 28 February in years without one', async (t) => {
  const bday = moment({ when: 'isToday', atTime: '09:00', everyYear: true });
  const leapling = '2000-02-29';
  t.same(next(bday, leapling, '2027-01-10T00:00:00Z'), ['2027-02-28T09:00:00Z', '2027-03-01T00:00:00Z'], '2027: 28 February');
  t.same(next(bday, leapling, '2027-03-01T00:00:00Z'), ['2028-02-29T09:00:00Z', '2028-03-01T00:00:00Z'], '2028: 29 February');
  t.same(next(bday, leapling, '2028-02-28T12:00:00Z'), ['2028-02-29T09:00:00Z', '2028-03-01T00:00:00Z'], 'not 28 February in a leap year');
  t.same(next(bday, leapling, '2028-03-01T00:00:00Z'), ['2029-02-28T09:00:00Z', '2029-03-01T00:00:00Z']);
  t.same(next(bday, leapling, '2099-06-01T00:00:00Z'), ['2100-02-28T09:00:00Z', '2100-03-01T00:00:00Z'], '2100 is not a leap year');
  const eve = moment({ when: 'isTomorrow', atTime: '10:00', everyYear: true });
  t.same(next(eve, leapling, '2027-01-01T00:00:00Z'), ['2027-02-27T10:00:00Z', '2027-02-28T00:00:00Z'], 'the day before 28 February');
  t.same(next(eve, leapling, '2028-01-01T00:00:00Z'), ['2028-02-28T10:00:00Z', '2028-02-29T00:00:00Z']);
  const after = moment({ when: 'wasYesterday', everyYear: true });
  t.same(next(after, leapling, '2027-01-01T00:00:00Z'), ['2027-03-01T00:00:00Z', '2027-03-02T00:00:00Z']);
  t.same(next(after, leapling, '2028-01-01T00:00:00Z'), ['2028-03-01T00:00:00Z', '2028-03-02T00:00:00Z']);
  const dt = moment({ attribute: 'appointmentAt', when: 'was', offset: { amount: 1, unit: 'hours' }, everyYear: true });
  t.same(next(dt, '2024-02-29T12:00:00Z', '2027-01-01T00:00:00Z'), ['2027-02-28T13:00:00Z', '2027-02-28T14:00:00Z'], 'a date-time too');
});

t.test('everyYear around new year', async (t) => {
  const eve = moment({ when: 'isTomorrow', atTime: '10:00', everyYear: true });
  const newYear = '1990-01-01';
  t.same(next(eve, newYear, '2026-06-01T00:00:00Z'), ['2026-12-31T10:00:00Z', '2027-01-01T00:00:00Z'], 'isTomorrow of 1 January is 31 December of the year before');
  t.same(next(eve, newYear, '2026-12-31T23:00:00Z'), ['2026-12-31T10:00:00Z', '2027-01-01T00:00:00Z'], 'still on');
  t.same(next(eve, newYear, '2027-01-01T00:00:00Z'), ['2027-12-31T10:00:00Z', '2028-01-01T00:00:00Z']);
  t.same(next(eve, newYear, '2026-01-01T05:00:00Z'), ['2026-12-31T10:00:00Z', '2027-01-01T00:00:00Z'], 'on 1 January itself: the next 31 December');
  const after = moment({ when: 'wasYesterday', everyYear: true });
  t.same(next(after, '1985-12-31', '2026-12-15T00:00:00Z'), ['2027-01-01T00:00:00Z', '2027-01-02T00:00:00Z'], 'wasYesterday of 31 December is 1 January of the year after');
  t.same(next(after, '1985-12-31', '2026-01-01T12:00:00Z'), ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z']);
  const soon = moment({ when: 'isIn', offset: { amount: 3, unit: 'days' }, everyYear: true });
  t.same(next(soon, '1990-01-02', '2026-12-01T00:00:00Z'), ['2026-12-30T00:00:00Z', '2026-12-31T00:00:00Z'], '3 days before 2 January');
  const late = moment({ when: 'was', offset: { amount: 10, unit: 'days' }, everyYear: true });
  t.same(next(late, '1990-12-28', '2027-01-03T00:00:00Z'), ['2027-01-07T00:00:00Z', '2027-01-08T00:00:00Z'], '10 days after 28 December');
  // an offset longer than a year: every year's occurrence near now is still found
  const far = moment({ when: 'isIn', offset: { amount: 400, unit: 'days' }, everyYear: true });
  const expected = (year: number) => iso(Date.UTC(year, 5, 15) - 400 * DAY);
  t.equal(next(far, '1990-06-15', '2026-06-01T00:00:00Z')?.[0], expected(2028), 'from 1 June 2026: the one 400 days before 15 June 2028');
  t.equal(next(far, '1990-06-15', '2026-05-01T00:00:00Z')?.[0], expected(2027), 'from 1 May 2026: the one before 15 June 2027');
});

t.test('`after` passes over an occurrence that started at or before it', async (t) => {
  const yearly = moment({ when: 'isToday', atTime: '09:00', everyYear: true });
  const once = moment({ when: 'isToday', atTime: '09:00' });
  const inside = '2026-05-10T12:00:00Z';
  t.same(next(yearly, '1990-05-10', inside, '2026-05-10T09:00:00Z'), ['2027-05-10T09:00:00Z', '2027-05-11T00:00:00Z'], 'entered at its start: next year\'s');
  t.same(next(yearly, '1990-05-10', inside, '2026-05-10T10:00:00Z'), ['2027-05-10T09:00:00Z', '2027-05-11T00:00:00Z'], 'entered during it');
  t.same(next(yearly, '1990-05-10', inside, '2026-05-10T08:59:00Z'), ['2026-05-10T09:00:00Z', '2026-05-11T00:00:00Z'], 'entered before it started: it still counts');
  t.equal(next(once, '2026-05-10', inside, '2026-05-10T09:00:00Z'), undefined, 'without everyYear nothing is left');
  t.same(next(once, '2026-05-20', inside, '2026-05-10T09:00:00Z'), ['2026-05-20T09:00:00Z', '2026-05-21T00:00:00Z'], 'a later date after an entry');
});

t.test('empty and invalid values have no occurrence', async (t) => {
  const from = '2026-01-01T00:00:00Z';
  const date = moment({ when: 'isToday', everyYear: true });
  const dt = moment({ attribute: 'appointmentAt', when: 'isIn', offset: { amount: 1, unit: 'hours' } });
  for (const value of [undefined, null, '', 'soon', 5, true, ['2026-05-10']] as unknown as Value[]) {
    t.equal(nextOccurrence(date, value, ms(from)), undefined, `date: ${JSON.stringify(value)}`);
    t.equal(nextOccurrence(dt, value, ms(from)), undefined, `date-time: ${JSON.stringify(value)}`);
  }
  t.equal(next(date, '2026-05-10T10:00:00Z', from), undefined, 'a date attribute holding a date-time');
  t.equal(next(date, '10.05.2026', from), undefined, 'not ISO');
  t.equal(next(dt, 'tomorrow', from), undefined);
  t.same(next(dt, '2026-05-10T10:00:00.250Z', from), ['2026-05-10T09:00:00.250Z', '2026-05-10T10:00:00.250Z'], 'milliseconds kept');
});

t.test('a date in the years 0001 to 0099 is that year, not 1901 to 1999', async (t) => {
  t.same(next(moment({ when: 'isToday', atTime: '09:00' }), '0050-05-10', '0050-01-01T00:00:00Z'), ['0050-05-10T09:00:00Z', '0050-05-11T00:00:00Z']);
  t.equal(next(moment({ when: 'isToday' }), '0050-05-10', '1950-01-01T00:00:00Z'), undefined, 'long over by 1950');
  t.same(next(moment({ when: 'isToday', everyYear: true }), '0048-02-29', '2026-01-01T00:00:00Z'), ['2026-02-28T00:00:00Z', '2026-03-01T00:00:00Z'], 'every year from a year-48 birthday');
  t.same(next(moment({ attribute: 'appointmentAt', when: 'isTomorrow' }), '0050-05-10T10:00:00Z', '0050-01-01T00:00:00Z'), ['0050-05-09T00:00:00Z', '0050-05-10T00:00:00Z']);
});

t.test('compile: the resolved moment', async (t) => {
  t.same(moment({ when: 'isToday' }, ZAGREB), { attribute: 'birthDate', kind: 'isToday', atTime: { hour: 0, minute: 0 }, everyYear: false, timeZone: ZAGREB, date: true });
  t.same(moment({ attribute: 'appointmentAt', when: 'was', offset: { amount: 2, unit: 'hours' }, everyYear: true }), {
    attribute: 'appointmentAt',
    kind: 'was',
    offset: { amount: 2, unit: 'hours' },
    atTime: { hour: 0, minute: 0 },
    everyYear: true,
    timeZone: 'UTC',
    date: false,
  });
  t.same(moment({ attribute: 'appointmentAt', when: 'isTomorrow', atTime: '18:45' }).atTime, { hour: 18, minute: 45 }, 'atTime on a date-time for a day option');
  t.same(moment({ when: 'isIn', offset: { amount: 1, unit: 'days' }, atTime: '07:05' }).atTime, { hour: 7, minute: 5 }, 'atTime with an offset on a date');
});

t.test('compile problems through engine.validate, with their codes and paths', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const people = new MemoryPeopleStore(clock);
  people.defineAttribute({ name: 'appointmentAt', type: 'datetime' });
  people.defineAttribute({ name: 'score', type: 'whole' });
  const engine = new Engine({ clock, people, registry: new Registry([coreModule, eventsModule]) });
  const entryFlow = (config: unknown) => ({
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'e', type: 'dateOrTime', config, branches: { next: 't' } }],
    elements: [{ id: 't', type: 'addTag', config: { tags: ['x'] } }],
  });
  const waitFlow = (config: unknown) => ({
    schemaVersion: 1,
    id: 'w',
    name: 'w',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'wait' } }],
    elements: [{ id: 'wait', type: 'waitForDate', config }],
  });
  const problems = (doc: unknown) => engine.validate(doc).map((p) => ({ code: p.code, path: p.path }));
  const entry = '$.entryPoints[0].config';
  t.same(problems(entryFlow({ attribute: 'nope', when: 'isToday' })), [{ code: 'JCT_ATTRIBUTE_UNKNOWN', path: `${entry}.attribute` }]);
  t.same(problems(entryFlow({ attribute: 'score', when: 'isToday' })), [{ code: 'JCT_ATTRIBUTE_TYPE', path: `${entry}.attribute` }]);
  t.same(problems(entryFlow({ attribute: 'firstName', when: 'isToday' })), [{ code: 'JCT_ATTRIBUTE_TYPE', path: `${entry}.attribute` }], 'a text attribute');
  t.same(problems(entryFlow({ attribute: 'birthDate', when: 'isIn' })), [{ code: 'JCT_MOMENT_OFFSET', path: `${entry}.offset` }], 'isIn needs an offset');
  t.same(problems(entryFlow({ attribute: 'birthDate', when: 'was' })), [{ code: 'JCT_MOMENT_OFFSET', path: `${entry}.offset` }]);
  t.same(problems(entryFlow({ attribute: 'birthDate', when: 'isToday', offset: { amount: 1, unit: 'days' } })), [{ code: 'JCT_MOMENT_OFFSET', path: `${entry}.offset` }], 'isToday takes none');
  t.same(problems(entryFlow({ attribute: 'appointmentAt', when: 'isIn', offset: { amount: 1, unit: 'days' }, atTime: '09:00' })), [{ code: 'JCT_MOMENT_TIME', path: `${entry}.atTime` }]);
  t.same(problems(entryFlow({ attribute: 'appointmentAt', when: 'was', offset: { amount: 1, unit: 'days' }, atTime: '09:00' })), [{ code: 'JCT_MOMENT_TIME', path: `${entry}.atTime` }]);
  t.same(problems(waitFlow({ attribute: 'nope', when: 'isTomorrow' })), [{ code: 'JCT_ATTRIBUTE_UNKNOWN', path: '$.elements[0].config.attribute' }], 'the same for Wait for a date');
  t.same(problems(waitFlow({ attribute: 'appointmentAt', when: 'isIn', offset: { amount: 1, unit: 'hours' }, atTime: '09:00' })), [{ code: 'JCT_MOMENT_TIME', path: '$.elements[0].config.atTime' }]);
  t.ok(problems(entryFlow({ attribute: 'birthDate', when: 'isToday', atTime: '24:00' })).length > 0, 'atTime beyond 23:59: a schema problem');
  t.ok(problems(entryFlow({ attribute: 'birthDate', when: 'someday' })).length > 0, 'an unknown kind: a schema problem');
  // what compiles
  t.same(problems(entryFlow({ attribute: 'birthDate', when: 'isIn', offset: { amount: 1, unit: 'days' }, atTime: '09:00', everyYear: true })), []);
  t.same(problems(entryFlow({ attribute: 'appointmentAt', when: 'isToday', atTime: '09:00' })), []);
  t.same(problems(waitFlow({ attribute: 'appointmentAt', when: 'isIn', offset: { amount: 4, unit: 'hours' } })), []);
  await engine.close();
});
