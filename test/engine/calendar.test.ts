import t from 'tap';
import {
  addDuration,
  atLocalTime,
  canonicalTimeZone,
  localDate,
  nextLocalTime,
  windowOpenAt,
  nextWeekdayTime,
  parseHhMm,
  parseLocalDateTime,
  requireTimeZone,
  startOfLocalDay,
  subtractDuration,
  wallToTime,
  type Weekday,
} from '../../engine/calendar.js';

// 2026 DST changes used below:
//   Europe/Zagreb     spring 2026-03-29 02:00 CET → 03:00 CEST (01:00Z); fall 2026-10-25 03:00 CEST → 02:00 CET (01:00Z)
//   America/New_York  spring 2026-03-08 02:00 EST → 03:00 EDT (07:00Z); fall 2026-11-01 02:00 EDT → 01:00 EST (06:00Z)
const ZG = 'Europe/Zagreb';
const NY = 'America/New_York';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

t.test('canonicalTimeZone accepts IANA names only, in any case, and gives one spelling', async (t) => {
  t.equal(canonicalTimeZone(ZG), ZG);
  t.equal(canonicalTimeZone('UTC'), 'UTC');
  t.equal(canonicalTimeZone('europe/paris'), 'Europe/Paris');
  t.equal(canonicalTimeZone('AMERICA/NEW_YORK'), NY);
  t.equal(canonicalTimeZone('US/Eastern'), NY, 'an alias is its zone');
  t.equal(canonicalTimeZone('Mars/Olympus_Mons'), undefined);
  t.equal(canonicalTimeZone(''), undefined);
  t.throws(() => requireTimeZone('Mars/Olympus_Mons'), { code: 'JCT_TIMEZONE_INVALID' });
});

t.test('addDuration: short units are elapsed time, days and weeks keep the wall clock', async (t) => {
  const fridayZg = at('2026-03-27T09:00:00Z'); // Friday 10:00 CET
  t.equal(iso(addDuration(fridayZg, { amount: 3, unit: 'days' }, ZG)), '2026-03-30T08:00:00.000Z', 'Monday 10:00 CEST');
  t.equal(iso(addDuration(fridayZg, { amount: 72, unit: 'hours' }, ZG)), '2026-03-30T09:00:00.000Z', 'Monday 11:00 CEST');
  t.equal(iso(addDuration(fridayZg, { amount: 90, unit: 'minutes' }, ZG)), '2026-03-27T10:30:00.000Z');
  t.equal(iso(addDuration(fridayZg, { amount: 30, unit: 'seconds' }, ZG)), '2026-03-27T09:00:30.000Z');
  t.equal(iso(addDuration(at('2026-10-20T08:00:00Z'), { amount: 1, unit: 'weeks' }, ZG)), '2026-10-27T09:00:00.000Z', 'Tuesday 10:00 CET');
  const fridayNy = at('2026-03-06T15:00:00Z'); // Friday 10:00 EST
  t.equal(iso(addDuration(fridayNy, { amount: 3, unit: 'days' }, NY)), '2026-03-09T14:00:00.000Z', 'Monday 10:00 EDT');
  t.equal(iso(addDuration(at('2026-10-31T14:00:00Z'), { amount: 1, unit: 'days' }, NY)), '2026-11-01T15:00:00.000Z', 'Sunday 10:00 EST');
  t.equal(iso(addDuration(fridayZg, { amount: 0, unit: 'days' }, ZG)), '2026-03-27T09:00:00.000Z');
  t.throws(() => addDuration(NaN, { amount: 1, unit: 'days' }, ZG), { code: 'JCT_TIME_INVALID' });
});

t.test('addDuration into a skipped or repeated wall time', async (t) => {
  // Saturday 02:30 + 1 day: Sunday 02:30 does not exist in Zagreb; it moves forward by the gap to 03:30 CEST.
  t.equal(iso(addDuration(at('2026-03-28T01:30:00Z'), { amount: 1, unit: 'days' }, ZG)), '2026-03-29T01:30:00.000Z');
  // Sunday 02:30 happens twice at fall-back; both ways lead to the earlier occurrence (02:30 CEST).
  t.equal(iso(addDuration(at('2026-10-24T00:30:00Z'), { amount: 1, unit: 'days' }, ZG)), '2026-10-25T00:30:00.000Z');
  t.equal(iso(subtractDuration(at('2026-10-26T01:30:00Z'), { amount: 1, unit: 'days' }, ZG)), '2026-10-25T00:30:00.000Z');
  t.equal(iso(subtractDuration(at('2026-11-02T06:30:00Z'), { amount: 1, unit: 'days' }, NY)), '2026-11-01T05:30:00.000Z', '01:30 EDT');
});

t.test('subtractDuration mirrors addDuration', async (t) => {
  const mondayZg = at('2026-03-30T08:00:00Z'); // Monday 10:00 CEST
  t.equal(iso(subtractDuration(mondayZg, { amount: 3, unit: 'days' }, ZG)), '2026-03-27T09:00:00.000Z', 'Friday 10:00 CET');
  t.equal(iso(subtractDuration(mondayZg, { amount: 2, unit: 'hours' }, ZG)), '2026-03-30T06:00:00.000Z');
});

t.test('atLocalTime: HH:MM on the same local day', async (t) => {
  const earlySunday = at('2026-03-29T00:30:00Z'); // 01:30 CET, before the change
  t.equal(iso(atLocalTime(earlySunday, ZG, '12:00')), '2026-03-29T10:00:00.000Z', '12:00 CEST');
  t.equal(iso(atLocalTime(earlySunday, ZG, '02:30')), '2026-03-29T01:30:00.000Z', 'in the gap: 03:30 CEST');
  t.equal(iso(atLocalTime(at('2026-10-25T12:00:00Z'), ZG, '02:30')), '2026-10-25T00:30:00.000Z', 'repeated: the earlier 02:30');
  t.equal(iso(atLocalTime(at('2026-03-08T12:00:00Z'), NY, '02:30')), '2026-03-08T07:30:00.000Z', 'in the gap: 03:30 EDT');
  t.equal(iso(atLocalTime(at('2026-11-01T12:00:00Z'), NY, '01:30')), '2026-11-01T05:30:00.000Z', 'repeated: 01:30 EDT');
  t.equal(iso(atLocalTime(at('2026-03-01T23:30:00Z'), ZG, '08:00')), '2026-03-02T07:00:00.000Z', 'local day, not UTC day');
  t.throws(() => atLocalTime(earlySunday, ZG, '24:00'), { code: 'JCT_TIME_INVALID' });
  t.throws(() => atLocalTime(earlySunday, 'Nowhere/City', '10:00'), { code: 'JCT_TIMEZONE_INVALID' });
});

t.test('nextLocalTime: strictly after, today if still ahead, else tomorrow', async (t) => {
  t.equal(iso(nextLocalTime(at('2026-03-28T19:00:00Z'), ZG, '09:00')), '2026-03-29T07:00:00.000Z', 'tomorrow, after the change');
  t.equal(iso(nextLocalTime(at('2026-03-29T05:00:00Z'), ZG, '09:00')), '2026-03-29T07:00:00.000Z', 'today');
  t.equal(iso(nextLocalTime(at('2026-03-29T07:00:00Z'), ZG, '09:00')), '2026-03-30T07:00:00.000Z', 'exactly now: tomorrow');
  t.equal(iso(nextLocalTime(at('2026-10-24T23:00:00Z'), ZG, '02:30')), '2026-10-25T00:30:00.000Z', 'first 02:30');
  // A daily time happens once a day: the second 02:30 of fall-back day does not count.
  t.equal(iso(nextLocalTime(at('2026-10-25T00:30:00Z'), ZG, '02:30')), '2026-10-26T01:30:00.000Z');
  t.equal(iso(nextLocalTime(at('2026-11-01T04:00:00Z'), NY, '13:00')), '2026-11-01T18:00:00.000Z', '13:00 EST');
});

t.test('nextWeekdayTime: "next Monday 13:00" across DST changes', async (t) => {
  const monday: Weekday[] = ['monday'];
  t.equal(iso(nextWeekdayTime(at('2026-03-27T09:00:00Z'), ZG, monday, '13:00')), '2026-03-30T11:00:00.000Z');
  t.equal(iso(nextWeekdayTime(at('2026-03-06T15:00:00Z'), NY, monday, '13:00')), '2026-03-09T17:00:00.000Z');
  t.equal(iso(nextWeekdayTime(at('2026-10-23T08:00:00Z'), ZG, monday, '13:00')), '2026-10-26T12:00:00.000Z');
  t.equal(iso(nextWeekdayTime(at('2026-10-30T14:00:00Z'), NY, monday, '13:00')), '2026-11-02T18:00:00.000Z');
});

t.test('nextWeekdayTime: today, next week, several days, no time, no days', async (t) => {
  const mondayMorning = at('2026-03-30T07:00:00Z'); // Monday 09:00 CEST
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, ['monday'], '13:00')), '2026-03-30T11:00:00.000Z', 'still ahead today');
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, ['monday'], '08:00')), '2026-04-06T06:00:00.000Z', 'passed: next week');
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, ['monday'], '09:00')), '2026-04-06T07:00:00.000Z', 'exactly now: next week');
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, ['friday', 'wednesday'], '09:00')), '2026-04-01T07:00:00.000Z', 'nearest of several');
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, ['monday'])), '2026-04-05T22:00:00.000Z', 'no time: next such day at 00:00');
  t.equal(iso(nextWeekdayTime(at('2026-03-27T09:00:00Z'), ZG, ['sunday'])), '2026-03-28T23:00:00.000Z', 'Sunday 00:00 CET');
  t.equal(iso(nextWeekdayTime(at('2026-03-27T09:00:00Z'), ZG, ['sunday'], '02:30')), '2026-03-29T01:30:00.000Z', 'gap: 03:30 CEST');
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, [], '08:00')), '2026-03-31T06:00:00.000Z', 'no days: like nextLocalTime');
  t.equal(iso(nextWeekdayTime(mondayMorning, ZG, [])), '2026-03-30T22:00:00.000Z', 'no days, no time: next midnight');
  t.throws(() => nextWeekdayTime(mondayMorning, ZG, ['funday' as Weekday]), { code: 'JCT_WEEKDAY_INVALID' });
});

t.test('parseLocalDateTime: offsets honoured, otherwise wall time in the zone', async (t) => {
  t.equal(iso(parseLocalDateTime('2026-03-01T10:00', ZG)), '2026-03-01T09:00:00.000Z');
  t.equal(iso(parseLocalDateTime('2026-07-01T10:00:30', ZG)), '2026-07-01T08:00:30.000Z');
  t.equal(iso(parseLocalDateTime('2026-07-01T10:00:30.250', NY)), '2026-07-01T14:00:30.250Z');
  t.equal(iso(parseLocalDateTime('2026-03-01T10:00Z', ZG)), '2026-03-01T10:00:00.000Z');
  t.equal(iso(parseLocalDateTime('2026-03-01T10:00+05:00', ZG)), '2026-03-01T05:00:00.000Z');
  t.equal(iso(parseLocalDateTime('2026-03-01T10:00-0330', ZG)), '2026-03-01T13:30:00.000Z');
  t.equal(iso(parseLocalDateTime('2026-03-01', ZG)), '2026-02-28T23:00:00.000Z', 'a date is 00:00 local');
  t.equal(iso(parseLocalDateTime('2026-03-29T02:30', ZG)), '2026-03-29T01:30:00.000Z', 'in the gap: 03:30 CEST');
  t.equal(iso(parseLocalDateTime('2026-10-25T02:30', ZG)), '2026-10-25T00:30:00.000Z', 'repeated: 02:30 CEST');
  t.equal(iso(parseLocalDateTime('2026-03-08T02:30', NY)), '2026-03-08T07:30:00.000Z', 'in the gap: 03:30 EDT');
  t.equal(iso(parseLocalDateTime('2026-11-01T01:30', NY)), '2026-11-01T05:30:00.000Z', 'repeated: 01:30 EDT');
  for (const bad of ['2026-02-30', '2026-03-01T24:00', '2026-03-01T10:60', '10:00', '2026-03-01 10:00', '', 'soon', '2026-W10-1', '2026-03']) {
    t.equal(parseLocalDateTime(bad, ZG), undefined, bad);
  }
  t.throws(() => parseLocalDateTime('2026-03-01', 'Nowhere/City'), { code: 'JCT_TIMEZONE_INVALID' });
});

t.test('localDate and startOfLocalDay', async (t) => {
  const lateUtc = at('2026-03-01T23:30:00Z');
  t.equal(localDate(lateUtc, ZG), '2026-03-02');
  t.equal(localDate(lateUtc, NY), '2026-03-01');
  t.equal(localDate(lateUtc, 'UTC'), '2026-03-01');
  t.equal(iso(startOfLocalDay('2026-03-29', ZG)), '2026-03-28T23:00:00.000Z', 'a 23-hour day starts on CET');
  t.equal(iso(startOfLocalDay('2026-03-30', ZG)), '2026-03-29T22:00:00.000Z');
  t.equal(iso(startOfLocalDay('2026-11-01', NY)), '2026-11-01T04:00:00.000Z', 'a 25-hour day starts on EDT');
  // Chile skips midnight: on 2026-09-06 clocks jump from 00:00 to 01:00, so the day starts at 01:00.
  t.equal(iso(startOfLocalDay('2026-09-06', 'America/Santiago')), '2026-09-06T04:00:00.000Z');
  t.throws(() => startOfLocalDay('2026-02-30', ZG), { code: 'JCT_DATE_INVALID' });
  t.throws(() => startOfLocalDay('2026-03-01T10:00', ZG), { code: 'JCT_DATE_INVALID' });
});

t.test('parseHhMm accepts 00:00 to 23:59 only', async (t) => {
  t.same(parseHhMm('00:00'), { hour: 0, minute: 0 });
  t.same(parseHhMm('23:59'), { hour: 23, minute: 59 });
  t.same(parseHhMm('07:05'), { hour: 7, minute: 5 });
  for (const bad of ['24:00', '9:00', '12:60', '12:00:00', '', 'noon']) t.equal(parseHhMm(bad), undefined, bad);
});

t.test('windowOpenAt: at once inside a daily window, else its next start; across midnight and DST', async (t) => {
  const open = (at: string, tz: string, start: string, end: string) => new Date(windowOpenAt(Date.parse(at), tz, start, end)).toISOString();
  t.equal(open('2026-01-05T10:00:00Z', 'UTC', '09:00', '17:00'), '2026-01-05T10:00:00.000Z', 'inside');
  t.equal(open('2026-01-05T17:00:00Z', 'UTC', '09:00', '17:00'), '2026-01-06T09:00:00.000Z', 'the end is outside');
  t.equal(open('2026-01-05T08:00:00Z', 'UTC', '09:00', '17:00'), '2026-01-05T09:00:00.000Z', 'before it: today');
  t.equal(open('2026-01-05T23:30:00Z', 'UTC', '22:00', '06:00'), '2026-01-05T23:30:00.000Z', 'spanning midnight, evening');
  t.equal(open('2026-01-06T05:59:00Z', 'UTC', '22:00', '06:00'), '2026-01-06T05:59:00.000Z', 'spanning midnight, morning');
  t.equal(open('2026-01-06T12:00:00Z', 'UTC', '22:00', '06:00'), '2026-01-06T22:00:00.000Z', 'spanning midnight, midday');
  const ny = 'America/New_York';
  t.equal(open('2026-03-08T05:00:00Z', ny, '02:30', '03:30'), '2026-03-08T07:30:00.000Z', 'a start in the spring-forward gap: the first instant after it, not "inside" all night');
  t.equal(open('2026-03-09T05:00:00Z', ny, '02:30', '03:30'), '2026-03-09T06:30:00.000Z', 'the day after: 02:30 EDT');
  t.equal(open('2026-11-01T06:10:00Z', ny, '02:30', '03:30'), '2026-11-01T07:30:00.000Z', 'the repeated hour of the fall-back day comes before 02:30 EST');
});

t.test('years 0001 to 0099 are read as written, never as 1901 to 1999; year 0000 is no date', async (t) => {
  t.equal(iso(parseLocalDateTime('0050-03-01T10:00', 'UTC')), '0050-03-01T10:00:00.000Z', 'a wall time');
  t.equal(iso(parseLocalDateTime('0050-03-01T10:00Z', ZG)), '0050-03-01T10:00:00.000Z', 'with an offset');
  t.equal(iso(startOfLocalDay('0099-12-31', 'UTC')), '0099-12-31T00:00:00.000Z');
  t.equal(iso(wallToTime({ year: 7, month: 1, day: 0, hour: 0, minute: 0 }, 'UTC')), '0006-12-31T00:00:00.000Z', 'day 0 rolls back over the year');
  t.equal(iso(addDuration(at('0050-02-28T09:00:00Z'), { amount: 2, unit: 'days' }, 'UTC')), '0050-03-02T09:00:00.000Z', 'year 50 had no 29 February');
  t.equal(iso(nextLocalTime(at('0001-01-01T12:00:00Z'), 'UTC', '09:00')), '0001-01-02T09:00:00.000Z');
  t.equal(localDate(at('0012-06-30T23:30:00Z'), 'UTC'), '0012-06-30');
  t.equal(parseLocalDateTime('0100-02-29', 'UTC'), undefined, 'year 100 was no leap year');
  t.equal(parseLocalDateTime('0000-06-01T10:00', 'UTC'), undefined, 'year 0000 is refused');
  t.throws(() => startOfLocalDay('0000-06-01', 'UTC'), { code: 'JCT_DATE_INVALID' });
});
