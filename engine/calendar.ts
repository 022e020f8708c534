// Calendar arithmetic in IANA time zones: local days, wall-clock times, durations and weekly
// schedules. Instants are epoch milliseconds; all zone math goes through luxon.
//
// Daylight-saving changes make some wall-clock times odd. Everywhere in Junction they resolve
// the same way:
//   - a time skipped by a spring-forward gap moves forward by the length of the gap (02:30 on
//     a day whose clocks jump from 02:00 to 03:00 is 03:30), as the clock before the change
//     would have read it;
//   - a time that occurs twice at fall-back is its earlier occurrence (still on summer time),
//     so a daily time happens once a day.
import { DateTime, IANAZone } from 'luxon';
import { JunctionError } from './errors.js';
import type { Duration } from './flow/schema.js';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeOfDay {
  readonly hour: number;
  readonly minute: number;
}

interface ClockTime extends TimeOfDay {
  readonly second?: number;
  readonly millisecond?: number;
}

interface WallTime extends ClockTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const DAY_MS = 86_400_000;
const EXACT_UNIT_MS = { seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;
const MIDNIGHT: TimeOfDay = { hour: 0, minute: 0 };
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// The one capture group is the offset.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export function isValidTimeZone(tz: string): boolean {
  return IANAZone.create(tz).isValid;
}

/** Throws JCT_TIMEZONE_INVALID unless `tz` is an IANA time zone. */
export function requireTimeZone(tz: string): void {
  requireZone(tz);
}

/**
 * `at` plus `d`. Seconds, minutes and hours are exact elapsed time; days and weeks are
 * calendar days that keep the local wall-clock time, so 3 days from Friday 10:00 is Monday
 * 10:00 even across a DST change (see the top of this file for skipped and repeated times).
 */
export function addDuration(at: number, d: Duration, tz: string): number {
  return shift(at, d, tz, 1);
}

/** `at` minus `d`, with the same rules as addDuration. */
export function subtractDuration(at: number, d: Duration, tz: string): number {
  return shift(at, d, tz, -1);
}

/** HH:MM on the local calendar day of `at`. */
export function atLocalTime(at: number, tz: string, hhmm: string): number {
  const zone = requireZone(tz);
  return onLocalDay(local(at, zone), zone, 0, requireHhMm(hhmm));
}

/** The first instant strictly after `at` whose local time is HH:MM: today if still ahead, else tomorrow. */
export function nextLocalTime(at: number, tz: string, hhmm: string): number {
  return nextWeekdayTime(at, tz, [], hhmm);
}

/**
 * The first instant strictly after `at` that falls on one of `days` (any day when empty) at
 * `hhmm`, or at the start of the day (00:00 local) when `hhmm` is omitted.
 */
export function nextWeekdayTime(at: number, tz: string, days: readonly Weekday[], hhmm?: string): number {
  const time = hhmm === undefined ? MIDNIGHT : requireHhMm(hhmm);
  const wanted = weekdayNumbers(days);
  const zone = requireZone(tz);
  const start = local(at, zone);
  // Day 7 is today's weekday again, so the loop ends within eight days.
  for (let offset = 0; ; offset++) {
    const weekday = ((start.weekday - 1 + offset) % 7) + 1;
    if (wanted.size > 0 && !wanted.has(weekday)) continue;
    const candidate = onLocalDay(start, zone, offset, time);
    if (candidate > at) return candidate;
  }
}

/**
 * Reads an ISO 8601 date ("YYYY-MM-DD", 00:00 local) or date-time ("YYYY-MM-DDTHH:MM" with
 * optional seconds, fraction and offset). An offset or Z is honoured; without one the text
 * is wall time in `tz`. Undefined when the text is not such a date or date-time.
 */
export function parseLocalDateTime(text: string, tz: string): number | undefined {
  const zone = requireZone(tz);
  const match = DATE_TIME.exec(text);
  const parsed = match ? DateTime.fromISO(text, { zone }) : undefined;
  if (!match || !parsed?.isValid) return undefined;
  return match[1] ? parsed.toMillis() : fromWallTime(parsed, zone);
}

/** The local calendar date of `at`, "YYYY-MM-DD". */
export function localDate(at: number, tz: string): string {
  return local(at, requireZone(tz)).toFormat('yyyy-MM-dd');
}

/** The first instant of local calendar day `date` ("YYYY-MM-DD"). */
export function startOfLocalDay(date: string, tz: string): number {
  const start = DATE.test(date) ? parseLocalDateTime(date, tz) : undefined;
  if (start === undefined) throw new JunctionError('JCT_DATE_INVALID', `"${date}" is not a date; write YYYY-MM-DD`);
  return start;
}

/** Hours and minutes of "HH:MM" (00:00–23:59), or undefined when the text is not such a time. */
export function parseHhMm(text: string): TimeOfDay | undefined {
  const m = HH_MM.exec(text);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

function requireHhMm(text: string): TimeOfDay {
  const time = parseHhMm(text);
  if (time) return time;
  throw new JunctionError('JCT_TIME_INVALID', `"${text}" is not a time of day; write HH:MM from 00:00 to 23:59`);
}

function weekdayNumbers(days: readonly Weekday[]): ReadonlySet<number> {
  return new Set(
    days.map((day) => {
      const index = WEEKDAYS.indexOf(day);
      if (index >= 0) return index + 1;
      throw new JunctionError('JCT_WEEKDAY_INVALID', `"${day}" is not a weekday; use one of ${WEEKDAYS.join(', ')}`);
    }),
  );
}

function shift(at: number, d: Duration, tz: string, sign: 1 | -1): number {
  if (d.unit === 'days' || d.unit === 'weeks') {
    const zone = requireZone(tz);
    const start = local(at, zone);
    return onLocalDay(start, zone, sign * d.amount * (d.unit === 'weeks' ? 7 : 1), start);
  }
  return at + sign * d.amount * EXACT_UNIT_MS[d.unit];
}

function requireZone(tz: string): IANAZone {
  const zone = IANAZone.create(tz);
  if (zone.isValid) return zone;
  throw new JunctionError('JCT_TIMEZONE_INVALID', `unknown time zone "${tz}"; use an IANA name such as Europe/Zagreb`);
}

function local(at: number, zone: IANAZone): DateTime {
  const dt = DateTime.fromMillis(at, { zone });
  if (dt.isValid) return dt;
  throw new JunctionError('JCT_TIME_INVALID', `${at} is not a valid instant`);
}

/** The instant of wall-clock `time` in `zone` on the local day `days` days after the day of `start`. */
function onLocalDay(start: DateTime, zone: IANAZone, days: number, time: ClockTime): number {
  // Date arithmetic in UTC has no DST; the zone only comes in for the final wall time.
  const date = days === 0 ? start : DateTime.utc(start.year, start.month, start.day).plus({ days });
  const wall: WallTime = {
    year: date.year,
    month: date.month,
    day: date.day,
    hour: time.hour,
    minute: time.minute,
    second: time.second ?? 0,
    millisecond: time.millisecond ?? 0,
  };
  return fromWallTime(wall, zone);
}

/** The instant a wall-clock time names in `zone`, resolved as described at the top of this file. */
function fromWallTime(wall: WallTime, zone: IANAZone): number {
  const { year, month, day, hour, minute, second, millisecond } = wall;
  const dt = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone });
  // luxon moves a skipped time forward by the gap, as wanted, but picks between the two
  // occurrences of a repeated time by a guess; take the earlier one explicitly.
  const offsetBefore = zone.offset(dt.toMillis() - DAY_MS);
  if (offsetBefore <= dt.offset) return dt.toMillis();
  const earlier = dt.minus({ minutes: offsetBefore - dt.offset });
  return earlier.hour === dt.hour && earlier.minute === dt.minute ? earlier.toMillis() : dt.toMillis();
}
