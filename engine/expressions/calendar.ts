// Calendar arithmetic, parsing and formatting for expressions, always in an explicit IANA
// time zone (luxon). Days, weeks, months and years follow the zone's calendar, so adding a
// day keeps the wall-clock time across a daylight-saving change; smaller units are exact.
import { DateTime } from 'luxon';
import { evaluationFailed as failed } from './scope.js';

/** Units for dateAdd and dateDiff. */
export const TIME_UNITS = ['seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years'] as const;
/** Parts for datePart; `weekday` is 1 (Monday) to 7 (Sunday). */
export const DATE_PARTS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'weekday'] as const;

type TimeUnit = (typeof TIME_UNITS)[number];
type DatePart = (typeof DATE_PARTS)[number];

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** Formatting never depends on the machine's locale. */
const LOCALE = 'en-US';

export function addTime(time: Date, amount: number, unit: string, zone: string): Date {
  return toDate(inZone(time, zone).plus({ [oneOf(unit, TIME_UNITS)]: amount }));
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

export function startOfDay(time: Date, zone: string): Date {
  return toDate(inZone(time, zone).startOf('day'));
}

/** Parses `YYYY-MM-DD` as the start of that day in `zone`. */
export function parseDate(text: string, zone: string): Date {
  if (!DATE_ONLY.test(text)) throw failed(`"${text}" is not a date written YYYY-MM-DD`);
  return toDate(DateTime.fromISO(text, { zone }));
}

/** Parses an ISO 8601 date-time; one without an offset is read in `zone`. */
export function parseDateTime(text: string, zone: string): Date {
  return toDate(DateTime.fromISO(text, { zone }), `"${text}" is not an ISO 8601 date-time`);
}

/** Formats with luxon tokens, e.g. `yyyy-MM-dd HH:mm`. */
export function formatTime(time: Date, pattern: string, zone: string): string {
  return inZone(time, zone).setLocale(LOCALE).toFormat(pattern);
}

/** The calendar day (`YYYY-MM-DD`) in `zone` that contains `time`. */
export function isoDate(time: Date, zone: string): string {
  return inZone(time, zone).toISODate() as string;
}

function inZone(time: Date, zone: string): DateTime {
  const result = DateTime.fromJSDate(time, { zone });
  if (!result.isValid) throw failed(`${result.invalidExplanation ?? 'invalid time'} (time zone "${zone}")`);
  return result;
}

function toDate(result: DateTime, invalid = 'the result is not a valid time'): Date {
  if (!result.isValid) throw failed(invalid);
  return result.toJSDate();
}

function oneOf<T extends string>(word: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(word)) return word as T;
  throw failed(`"${word}" is not one of ${allowed.join(', ')}`);
}
