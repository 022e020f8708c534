// Calendar functions for expressions, always in an explicit IANA time zone. Dates, parsing
// and adding durations go through engine/calendar.ts, so an expression agrees with the rest
// of Junction (a Pause of 3 days and `dateAdd(t, 3, "days")` end at the same instant);
// months, years, differences, parts and formatting use luxon directly.
import { DateTime } from 'luxon';
import { addDuration, localDate, parseLocalDateTime, startOfLocalDay } from '../calendar.js';
import { DURATION_UNITS } from '../flow-schema.js';
import { evaluationFailed } from './scope.js';

/** Units for dateAdd and dateDiff. */
export const TIME_UNITS = [...DURATION_UNITS, 'months', 'years'] as const;
/** Parts for datePart; `weekday` is 1 (Monday) to 7 (Sunday). */
export const DATE_PARTS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'weekday'] as const;

type TimeUnit = (typeof TIME_UNITS)[number];
type DatePart = (typeof DATE_PARTS)[number];

/** About how long each unit is: enough to refuse a shift too long for any result before luxon chokes on it. */
const ROUGH_MS: Readonly<Record<TimeUnit, number>> = {
  seconds: 1e3,
  minutes: 6e4,
  hours: 3.6e6,
  days: 8.64e7,
  weeks: 6.048e8,
  months: 2.6e9,
  years: 3.1e10,
};
/** CEL timestamps run from year 1 to year 9999. */
const FIRST_TIME = Date.parse('0001-01-01T00:00:00Z');
const LAST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** Formatting never depends on the machine's locale. */
const LOCALE = 'en-US';

/** Days and weeks keep the local wall-clock time across DST changes; smaller units are exact. */
export function addTime(time: Date, amount: number, unit: string, zone: string): Date {
  const checked: TimeUnit = oneOf(unit, TIME_UNITS);
  if (Math.abs(amount) * ROUGH_MS[checked] > LAST_TIME - FIRST_TIME) {
    throw evaluationFailed(`${amount} ${checked} is out of range`);
  }
  const calendar = checked === 'months' || checked === 'years';
  return validTime(
    calendar
      ? inZone(time, zone).plus({ [checked]: amount }).toMillis()
      : addDuration(time.getTime(), { amount, unit: checked }, zone),
  );
}

/** Whole units from `from` to `to`, truncated toward zero (negative when `to` is earlier). */
export function timeBetween(from: Date, to: Date, unit: string, zone: string): number {
  const checked: TimeUnit = oneOf(unit, TIME_UNITS);
  return Math.trunc(inZone(to, zone).diff(inZone(from, zone), checked).as(checked));
}

export function timePart(time: Date, part: string, zone: string): number {
  const checked: DatePart = oneOf(part, DATE_PARTS);
  return inZone(time, zone).get(checked);
}

/** The start of the local day containing `time`. */
export function startOfDay(time: Date, zone: string): Date {
  return parseDate(isoDate(time, zone), zone);
}

/** The start of the local day written `YYYY-MM-DD`. */
export function parseDate(text: string, zone: string): Date {
  return new Date(startOfLocalDay(text, zone));
}

/** An ISO 8601 date or date-time; one without an offset is wall time in `zone`. */
export function parseDateTime(text: string, zone: string): Date {
  const at = parseLocalDateTime(text, zone);
  if (at === undefined) throw evaluationFailed(`"${text}" is not an ISO 8601 date-time`);
  return new Date(at);
}

/** Formats with luxon tokens, e.g. `yyyy-MM-dd HH:mm`. */
export function formatTime(time: Date, pattern: string, zone: string): string {
  return inZone(time, zone).setLocale(LOCALE).toFormat(pattern);
}

/** The local calendar day (`YYYY-MM-DD`) containing `time`. */
export function isoDate(time: Date, zone: string): string {
  return localDate(time.getTime(), zone);
}

function inZone(time: Date, zone: string): DateTime {
  const result = DateTime.fromJSDate(time, { zone });
  if (!result.isValid) throw evaluationFailed(`${result.invalidExplanation ?? 'invalid time'} (time zone "${zone}")`);
  return result;
}

/** A Date for epoch ms, refusing NaN (luxon gave up) and times outside CEL's years. */
function validTime(ms: number): Date {
  if (!(ms >= FIRST_TIME && ms <= LAST_TIME)) throw evaluationFailed('the result is outside the years 1 to 9999');
  return new Date(ms);
}

function oneOf<T extends string>(word: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(word)) return word as T;
  throw evaluationFailed(`"${word}" is not one of ${allowed.join(', ')}`);
}
