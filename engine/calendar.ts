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
//
// Years run from 0001 to 9999, each read as written: wall-clock fields become instants through
// utcFields, never through Date.UTC, which would read years 0–99 as 1900–1999.
import { DateTime, IANAZone, Zone } from 'luxon';
import { JunctionError } from './errors.js';
import type { CompileContext } from './element.js';
import type { Duration } from './flow-schema.js';

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

const DAY_MS = 86_400_000;
const EXACT_UNIT_MS = { seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;
const DAYS_PER_UNIT = { days: 1, weeks: 7 } as const;
const MIDNIGHT: TimeOfDay = { hour: 0, minute: 0 };
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// The one capture group is the offset.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * The one spelling of an IANA time zone, or undefined when `tz` is none. Intl reads names
 * case-insensitively and resolves aliases, so "europe/paris" is "Europe/Paris" and
 * "US/Eastern" is "America/New_York": reports and comparisons see one name per zone.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  if (!IANAZone.create(tz).isValid) return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
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

/** The longest duration a wait may have: 100 years (36,525 days), so that its due time stays a date. */
const MAX_DURATION_DAYS = 36_525;

/** At validation: a problem at `path`.amount when `d` is longer than MAX_DURATION_DAYS (`what` names what lasts). */
export function checkDurationLength(d: Duration | undefined, what: string, path: string, ctx: Pick<CompileContext, 'problem'>): void {
  if (d !== undefined && tooLong(d)) ctx.problem('JCT_DURATION_TOO_LONG', `${what} lasts at most 100 years (${MAX_DURATION_DAYS} days)`, `${path}.amount`);
}

/** Whether `d` is longer than MAX_DURATION_DAYS (days and weeks counted as 24-hour days). */
function tooLong(d: Duration): boolean {
  const days = calendarDays(d) ?? (d.amount * EXACT_UNIT_MS[d.unit as keyof typeof EXACT_UNIT_MS]) / DAY_MS;
  return days > MAX_DURATION_DAYS;
}

/** The number of calendar days in `d`, or undefined when it is elapsed time (seconds, minutes, hours). */
export function calendarDays(d: Duration): number | undefined {
  return d.unit === 'days' || d.unit === 'weeks' ? d.amount * DAYS_PER_UNIT[d.unit] : undefined;
}

/** HH:MM on the local calendar day of `at`. */
export function atLocalTime(at: number, tz: string, hhmm: string): number {
  return onLocalDay(local(at, tz), 0, requireHhMm(hhmm));
}

/** The first instant strictly after `at` whose local time is HH:MM: today if still ahead, else tomorrow. */
export function nextLocalTime(at: number, tz: string, hhmm: string): number {
  return nextWeekdayTime(at, tz, [], hhmm);
}

/**
 * When a daily window from `start` to `end` (HH:MM local; an end before the start spans
 * midnight) next lets something through: `at` itself when inside it, else its next start.
 */
export function windowOpenAt(at: number, tz: string, start: string, end: string): number {
  const opens = atLocalTime(at, tz, start);
  const closes = atLocalTime(at, tz, end);
  // Whether it spans midnight is read from the wall times: on a day a DST gap swallows its start, the instants may meet.
  const inside = end < start ? at >= opens || at < closes : at >= opens && at < closes;
  return inside ? at : nextLocalTime(at, tz, start);
}

/**
 * The first instant strictly after `at` that falls on one of `days` (any day when empty) at
 * `hhmm`, or at the start of the day (00:00 local) when `hhmm` is omitted.
 */
export function nextWeekdayTime(at: number, tz: string, days: readonly Weekday[], hhmm?: string): number {
  const time = hhmm === undefined ? MIDNIGHT : requireHhMm(hhmm);
  const wanted = weekdayNumbers(days);
  const start = local(at, tz);
  // Day 7 is today's weekday again, so the loop ends within eight days.
  for (let offset = 0; ; offset++) {
    const weekday = ((start.weekday - 1 + offset) % 7) + 1;
    if (wanted.size > 0 && !wanted.has(weekday)) continue;
    const candidate = onLocalDay(start, offset, time);
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
  if (!match || !parsed?.isValid || parsed.year < FIRST_YEAR) return undefined;
  if (match[1]) return parsed.toMillis();
  return wallToInstant(utcFields(parsed), zone);
}

/** The first year a date may have: ISO 8601's year 0000 (1 BC) is refused, as expressions refuse it. */
export const FIRST_YEAR = 1;

/** 400 Gregorian years, the period after which the calendar repeats exactly. */
const ERA_MS = 146_097 * DAY_MS;

/**
 * The wall-clock fields `w` written as UTC milliseconds, every year as written. Out-of-range
 * fields roll over as in Date.UTC (day 0 is the last day of the month before, hour 24 the next
 * day). Date.UTC reads years 0–99 as 1900–1999, so the year goes in 400 years later and the
 * result comes back by that exact period.
 */
export function utcFields(w: WallTime): number {
  return Date.UTC(w.year + 400, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0, w.millisecond ?? 0) - ERA_MS;
}

/** The local calendar date of `at`, "YYYY-MM-DD". */
export function localDate(at: number, tz: string): string {
  const { year, month, day } = local(at, tz);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The first instant of local calendar day `date` ("YYYY-MM-DD"). */
export function startOfLocalDay(date: string, tz: string): number {
  const start = DATE.test(date) ? parseLocalDateTime(date, tz) : undefined;
  if (start === undefined) throw new JunctionError('JCT_DATE_INVALID', `"${date}" is not a date; write YYYY-MM-DD`);
  return start;
}

/** Wall-clock fields of an instant in a zone (month 1–12). */
export interface WallTime extends ClockTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** What the clock in `tz` reads at `at`. */
export function wallTime(at: number, tz: string): WallTime {
  const { year, month, day, hour, minute, second, millisecond } = local(at, tz);
  return { year, month, day, hour, minute, second, millisecond };
}

/**
 * The instant the clock in `tz` reads `w`; days out of range roll over (day 0 is the last day
 * of the month before), and skipped or repeated times resolve by the rules at the top.
 */
export function wallToTime(w: WallTime, tz: string): number {
  return wallToInstant(utcFields(w), requireZone(tz));
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
    const start = local(at, tz);
    return onLocalDay(start, sign * d.amount * DAYS_PER_UNIT[d.unit], start);
  }
  return at + sign * d.amount * EXACT_UNIT_MS[d.unit];
}

/** Wall-clock fields of an instant in a zone (weekday 1 = Monday … 7 = Sunday). */
interface LocalTime extends Required<ClockTime> {
  readonly zone: Zone;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
}

const zones = new Map<string, CachedZone>();

function requireZone(tz: string): Zone {
  const known = zones.get(tz);
  if (known) return known;
  const zone = IANAZone.create(tz);
  if (!zone.isValid) throw new JunctionError('JCT_TIMEZONE_INVALID', `unknown time zone "${tz}"; use an IANA name such as Europe/Zagreb`);
  const cached = new CachedZone(zone);
  zones.set(tz, cached);
  return cached;
}

const BUCKET_MS = 15 * 60_000;
const MAX_CACHED_BUCKETS = 100_000;

/**
 * An IANA zone whose UTC offsets are cached per 15-minute bucket. luxon asks the platform's
 * Intl for every offset, which costs tens of microseconds; pauses and date conditions ask
 * for the same few offsets over and over. A bucket is cached only when its first and last
 * millisecond have the same offset, so a bucket holding a DST change is always computed.
 */
class CachedZone extends Zone {
  private readonly offsets = new Map<number, number>();

  constructor(private readonly zone: IANAZone) {
    super();
  }

  override get type(): string {
    return this.zone.type;
  }

  override get name(): string {
    return this.zone.name;
  }

  override get isUniversal(): boolean {
    return false;
  }

  override get isValid(): boolean {
    return true;
  }

  override offsetName(ts: number, opts: Parameters<Zone['offsetName']>[1]): string | null {
    return this.zone.offsetName(ts, opts);
  }

  override formatOffset(ts: number, format: Parameters<Zone['formatOffset']>[1]): string {
    return this.zone.formatOffset(ts, format);
  }

  override equals(other: Zone): boolean {
    return other.type === this.type && other.name === this.name;
  }

  override offset(ts: number): number {
    const bucket = Math.floor(ts / BUCKET_MS);
    const known = this.offsets.get(bucket);
    if (known !== undefined) return known;
    const first = this.zone.offset(bucket * BUCKET_MS);
    if (first !== this.zone.offset((bucket + 1) * BUCKET_MS - 1)) return this.zone.offset(ts);
    if (this.offsets.size >= MAX_CACHED_BUCKETS) this.offsets.clear();
    this.offsets.set(bucket, first);
    return first;
  }
}

/**
 * The wall-clock fields of `at` in `tz`. Plain arithmetic on the zone's (cached) offset: this
 * is the hot path of every pause, where building luxon DateTimes cost more than the pause.
 */
function local(at: number, tz: string): LocalTime {
  if (!Number.isFinite(at)) throw new JunctionError('JCT_TIME_INVALID', `${at} is not a valid instant`);
  const zone = requireZone(tz);
  const wall = new Date(at + zone.offset(at) * 60_000);
  return {
    zone,
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: ((wall.getUTCDay() + 6) % 7) + 1,
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
  };
}

/** The instant of wall-clock `time` on the local day `days` days after the day of `start`, in its zone. */
function onLocalDay(start: LocalTime, days: number, time: ClockTime): number {
  // UTC has no DST and rolls days over months and years; the zone only comes in at the end.
  const wall = utcFields({ ...time, year: start.year, month: start.month, day: start.day + days });
  return wallToInstant(wall, start.zone);
}

/**
 * The instant at which the clock in `zone` reads `wall` (wall-clock time written as UTC ms),
 * by the rules at the top of this file: a skipped time moves forward by the gap, a repeated
 * time is its earlier occurrence. The same two-guess method luxon uses.
 */
function wallToInstant(wall: number, zone: Zone): number {
  const o1 = zone.offset(wall);
  const guess = wall - o1 * 60_000;
  const o2 = zone.offset(guess);
  if (o2 === o1) return earlierOccurrence(wall, guess, o1, zone);
  const second = wall - o2 * 60_000;
  const o3 = zone.offset(second);
  if (o3 === o2) return earlierOccurrence(wall, second, o2, zone);
  return wall - Math.min(o2, o3) * 60_000; // in a gap: forward by the gap
}

/** `ts` (reading `wall` at `offset`), or the earlier instant that reads `wall` too, if one does. */
function earlierOccurrence(wall: number, ts: number, offset: number, zone: Zone): number {
  const offsetBefore = zone.offset(ts - DAY_MS);
  if (offsetBefore <= offset) return ts;
  const earlier = wall - offsetBefore * 60_000;
  return zone.offset(earlier) === offsetBefore ? earlier : ts;
}
