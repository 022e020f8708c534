// Date and date-time operators. A `date` value ("YYYY-MM-DD", no time of day) is compared as
// its day number, a `datetime` as its epoch ms; every operator is an interval [lo, hi) on
// that scale plus a comparison with it.
//   is, isNot, before, until, since, after take a date or a date-time. A date is the whole
//   local day in the scope's time zone; a date-time is the minute, second or millisecond it
//   is written to ("is 2026-03-01T10:00" matches 10:00:00 to 10:00:59.999). before = strictly
//   before that span, until = on or before (before its end), since = on or after (from its
//   start), after = strictly after.
//   The relative ones take a duration N; days and weeks count local calendar days:
//     willBeIn N        on the local day today+N (days, weeks); in [now+N, now+N+1 unit) (shorter units)
//     was N             on the local day today−N (days, weeks); in (now−N−1 unit, now−N] (shorter units)
//     willBeWithin N    now ≤ value ≤ now+N        wasWithin N     now−N ≤ value ≤ now
//     willBeMoreThan N  value > now+N              wasMoreThan N   value < now−N
//     wasToday          on today's local date
//   For `date` values every bound is a local day: willBeWithin 2 days is [today, today+2],
//   and willBeIn 5 hours is the day that now+5h falls on.
// Each compiled condition keeps its interval and the local day it was computed on, and
// computes a new one only when the day changes or, for intervals that follow the exact
// time, when now does: testing many people at one moment, or the same day, stays cheap.
import { addDuration, calendarDays, localDate, parseLocalDateTime, startOfLocalDay, subtractDuration } from '../calendar.js';
import type { Duration } from '../flow-schema.js';
import type { Value } from '../values.js';
import {
  MATCHES_EMPTY,
  operand,
  operator,
  PRESENCE,
  typeOperators,
  valueless,
  type Operator,
  type Test,
  type TypeOperators,
} from './define.js';
import { DURATION } from './operands.js';

interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/** The moment a relative operator measures from. */
interface Now {
  readonly at: number;
  readonly tz: string;
  /** The day number of the local date of `at`. */
  readonly today: number;
}

interface Scale {
  /** The value's number on the scale, or undefined when it is empty. */
  read(value: Value): number | undefined;
  /** Where the instant `at` falls on the scale. */
  point(at: number, tz: string): number;
  /** The local day numbered `day`, on the scale. */
  day(day: number, tz: string): Interval;
  /** True for dates: relative bounds are local days. */
  readonly days: boolean;
}

/** A date operand by its day number, or a date-time one by its text and precision in ms. */
type DateOperand = { readonly day: number } | { readonly text: string; readonly width: number };

/** How a relative operator's interval follows now: `daily` when it changes only at local midnight. */
interface Window {
  build(scale: Scale, now: Now, d: Duration): Interval;
  daily(scale: Scale, d: Duration): boolean;
  /** For a date-time `n`, when it is not daily: whether the result flips as now reaches n, and the moments n moved by d where it flips too. */
  readonly flipsAtValue: boolean;
  shifted(n: number, d: Duration, tz: string): number[];
}

interface LocalDay {
  readonly tz: string;
  readonly start: number;
  readonly end: number;
  readonly number: number;
}

type Compare = (n: number, i: Interval) => boolean;

const DAY_MS = 86_400_000;
const NO_DAY: LocalDay = { tz: '', start: 0, end: 0, number: 0 };
const NO_INTERVAL: Interval = { lo: 0, hi: 0 };

// Date.parse reads "YYYY-MM-DD" as UTC midnight, so these are exact.
const dayNumber = (date: string): number => Math.floor(Date.parse(date) / DAY_MS);
const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

function readTime(value: Value, scaled: (ms: number) => number): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : scaled(ms);
}

const DATE_SCALE: Scale = {
  read: (v) => readTime(v, (ms) => Math.floor(ms / DAY_MS)),
  point: (at, tz) => dayNumber(localDate(at, tz)),
  day: (day) => ({ lo: day, hi: day + 1 }),
  days: true,
};

const DATETIME_SCALE: Scale = {
  read: (v) => readTime(v, (ms) => ms),
  point: (at) => at,
  day: (day, tz) => ({ lo: startOfLocalDay(dateOf(day), tz), hi: startOfLocalDay(dateOf(day + 1), tz) }),
  days: false,
};

const within: Compare = (n, i) => i.lo <= n && n < i.hi;
const outside: Compare = (n, i) => !within(n, i);
const beforeStart: Compare = (n, i) => n < i.lo;
const beforeEnd: Compare = (n, i) => n < i.hi;
const fromStart: Compare = (n, i) => n >= i.lo;
const fromEnd: Compare = (n, i) => n >= i.hi;

const DATE_OPERAND = operand<DateOperand>(
  'a date "YYYY-MM-DD" or a date-time "YYYY-MM-DDTHH:MM" (seconds and offset optional; years 0001 to 9999)',
  (raw) => {
    if (typeof raw !== 'string' || parseLocalDateTime(raw, 'UTC') === undefined) return undefined;
    const time = /T\d\d:\d\d(:\d\d(\.\d)?)?/.exec(raw);
    if (!time) return { day: dayNumber(raw) };
    return { text: raw, width: time[2] ? 1 : time[1] ? 1000 : 60_000 };
  },
);

function operandInterval(scale: Scale, o: DateOperand, tz: string): Interval {
  if ('day' in o) return scale.day(o.day, tz);
  const start = parseLocalDateTime(o.text, tz) as number; // DATE_OPERAND checked it parses
  return { lo: scale.point(start, tz), hi: scale.point(start + o.width - 1, tz) + 1 };
}

/** now moved by `d` (sign 1: ahead, −1: back), on the scale. */
function bound(scale: Scale, now: Now, d: Duration, sign: 1 | -1): number {
  const days = calendarDays(d);
  if (scale.days && days !== undefined) return now.today + sign * days;
  return scale.point(sign > 0 ? addDuration(now.at, d, now.tz) : subtractDuration(now.at, d, now.tz), now.tz);
}

const here = (scale: Scale, now: Now): number => (scale.days ? now.today : now.at);

/** willBeIn (sign 1) and was (sign −1). */
function exactly(scale: Scale, now: Now, d: Duration, sign: 1 | -1): Interval {
  const days = calendarDays(d);
  if (days !== undefined) return scale.day(now.today + sign * days, now.tz);
  const b = bound(scale, now, d, sign);
  if (scale.days) return scale.day(b, now.tz);
  const unit: Duration = { amount: 1, unit: d.unit };
  return sign > 0 ? { lo: b, hi: addDuration(b, unit, now.tz) } : { lo: subtractDuration(b, unit, now.tz) + 1, hi: b + 1 };
}

const onCalendarDays = (_: Scale, d: Duration): boolean => calendarDays(d) !== undefined;
const onDateDays = (scale: Scale, d: Duration): boolean => scale.days && calendarDays(d) !== undefined;

const unitOf = (d: Duration): Duration => ({ amount: 1, unit: d.unit });

const AHEAD: Window = {
  build: (scale, now, d) => ({ lo: here(scale, now), hi: bound(scale, now, d, 1) + 1 }),
  daily: onDateDays,
  flipsAtValue: true,
  shifted: (n, d, tz) => [subtractDuration(n, d, tz)],
};
const BEHIND: Window = {
  build: (scale, now, d) => ({ lo: bound(scale, now, d, -1), hi: here(scale, now) + 1 }),
  daily: onDateDays,
  flipsAtValue: true,
  shifted: (n, d, tz) => [addDuration(n, d, tz)],
};
// Not daily, these windows count elapsed time (no calendar days): their shifts are exact.
const EXACTLY_AHEAD: Window = {
  build: (scale, now, d) => exactly(scale, now, d, 1),
  daily: onCalendarDays,
  flipsAtValue: false,
  shifted: (n, d, tz) => [subtractDuration(subtractDuration(n, d, tz), unitOf(d), tz), subtractDuration(n, d, tz)],
};
const EXACTLY_BEHIND: Window = {
  build: (scale, now, d) => exactly(scale, now, d, -1),
  daily: onCalendarDays,
  flipsAtValue: false,
  shifted: (n, d, tz) => [addDuration(n, d, tz), addDuration(addDuration(n, d, tz), unitOf(d), tz)],
};

function localDayOf(at: number, tz: string): LocalDay {
  const date = localDate(at, tz);
  const number = dayNumber(date);
  return { tz, start: startOfLocalDay(date, tz), end: startOfLocalDay(dateOf(number + 1), tz), number };
}

/**
 * Compares with the interval `build` gives for the scope's now, recomputed when the local
 * day changes or, unless `daily`, when now does.
 */
function nowTest(compare: Compare, build: (now: Now) => Interval, daily: boolean): Test<number> {
  let day = NO_DAY;
  let at = NaN;
  let interval = NO_INTERVAL;
  return (n, { now, timeZone }) => {
    const sameDay = day.tz === timeZone && day.start <= now && now < day.end;
    if (!sameDay || (!daily && now !== at)) {
      const today = sameDay ? day : localDayOf(now, timeZone);
      interval = build({ at: now, tz: timeZone, today: today.number });
      day = today;
      at = now;
    }
    return compare(n, interval);
  };
}

/** Compares with the interval `build` gives for the scope's time zone, recomputed when it changes. */
function zoneTest(compare: Compare, build: (tz: string) => Interval): Test<number> {
  let zone = '';
  let interval = NO_INTERVAL;
  return (n, { timeZone }) => {
    if (timeZone !== zone) {
      interval = build(timeZone);
      zone = timeZone;
    }
    return compare(n, interval);
  };
}

function absolute(scale: Scale, compare: Compare, whenEmpty = false): Operator<number> {
  return operator(DATE_OPERAND, (o) => zoneTest(compare, (tz) => operandInterval(scale, o, tz)), whenEmpty);
}

function relative(scale: Scale, window: Window, compare: Compare): Operator<number> {
  return operator(DURATION, (d) => nowTest(compare, (now) => window.build(scale, now, d), window.daily(scale, d)));
}

/** The windows of the relative operators that take a duration. */
const WINDOWS = {
  willBeIn: EXACTLY_AHEAD,
  willBeWithin: AHEAD,
  willBeMoreThan: AHEAD,
  was: EXACTLY_BEHIND,
  wasWithin: BEHIND,
  wasMoreThan: BEHIND,
} satisfies Record<string, Window>;

/**
 * How time alone changes a relative condition: what segment rules need to re-test a person
 * when the result may have changed (runtime/segment-clock.ts).
 */
export interface ClockFollowing {
  /** True when the result can change only at local midnight, the same moment for everyone. */
  readonly daily: boolean;
  /** The earliest instant after `now` from which the result for the stored `value` may differ (never later); undefined: never again. */
  next(value: Value, now: number, tz: string): number | undefined;
}

const HOUR_MS = 3_600_000;
const nextMidnight = (now: number, tz: string): number => localDayOf(now, tz).end;
const DAILY: ClockFollowing = { daily: true, next: (_value, now, tz) => nextMidnight(now, tz) };

/** The earliest of `candidates` after `now`. */
function firstAfter(now: number, candidates: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const c of candidates) if (c > now && (best === undefined || c < best)) best = c;
  return best;
}

/**
 * A date-time `n` against `window`: the first moment after now from which the result may have
 * flipped (a flip at t shows from t + 1 ms on). A calendar-day shift that meets a
 * daylight-saving change may land up to an hour early, so its moment is tried an hour later too.
 */
function instantNext(window: Window, n: number, d: Duration, now: number, tz: string): number | undefined {
  const slack = calendarDays(d) === undefined ? [1] : [1, HOUR_MS + 1];
  const moments = window.shifted(n, d, tz).flatMap((at) => slack.map((s) => at + s));
  return firstAfter(now, window.flipsAtValue ? [n + 1, ...moments] : moments);
}

/** A date against a window of elapsed time: the result flips when today, or the day now moved by d falls on, changes. */
function dayNext(d: Duration, now: number, tz: string): number | undefined {
  const ahead = subtractDuration(nextMidnight(addDuration(now, d, tz), tz), d, tz);
  const behind = addDuration(nextMidnight(subtractDuration(now, d, tz), tz), d, tz);
  return firstAfter(now, [nextMidnight(now, tz), ahead, behind]);
}

/** How time alone changes a condition on a date (`dates`) or date-time value with `operatorName` and its `raw` value; undefined when it does not. */
export function clockFollowing(dates: boolean, operatorName: string, raw: unknown): ClockFollowing | undefined {
  if (operatorName === 'wasToday') return DAILY;
  const window = (WINDOWS as Readonly<Record<string, Window | undefined>>)[operatorName];
  const parsed = window && DURATION.parse(raw);
  if (!window || !parsed?.ok) return undefined;
  const d = parsed.value;
  const scale = dates ? DATE_SCALE : DATETIME_SCALE;
  if (window.daily(scale, d)) return DAILY;
  if (dates) return { daily: false, next: (value, now, tz) => (scale.read(value) === undefined ? undefined : dayNext(d, now, tz)) };
  return {
    daily: false,
    next: (value, now, tz) => {
      const n = scale.read(value);
      return n === undefined ? undefined : instantNext(window, n, d, now, tz);
    },
  };
}

function dateOperators(scale: Scale): TypeOperators {
  return typeOperators(scale.read, {
    is: absolute(scale, within),
    isNot: absolute(scale, outside, MATCHES_EMPTY),
    before: absolute(scale, beforeStart),
    until: absolute(scale, beforeEnd),
    since: absolute(scale, fromStart),
    after: absolute(scale, fromEnd),
    willBeIn: relative(scale, WINDOWS.willBeIn, within),
    willBeWithin: relative(scale, WINDOWS.willBeWithin, within),
    willBeMoreThan: relative(scale, WINDOWS.willBeMoreThan, fromEnd),
    was: relative(scale, WINDOWS.was, within),
    wasWithin: relative(scale, WINDOWS.wasWithin, within),
    wasMoreThan: relative(scale, WINDOWS.wasMoreThan, beforeStart),
    wasToday: valueless(() => nowTest(within, (now) => scale.day(now.today, now.tz), true)),
    ...PRESENCE,
  });
}

export const DATE_OPERATORS = dateOperators(DATE_SCALE);
export const DATETIME_OPERATORS = dateOperators(DATETIME_SCALE);
