// Date and date-time operators. A `date` value ("YYYY-MM-DD", no time of day) is compared as
// its day number, a `datetime` as its epoch ms; every operator is an interval [lo, hi) on
// that scale plus a comparison with it.
//   is, isNot, before, until, since, after take a date or a date-time. A date is the whole
//   local day in the scope's time zone; a date-time is the minute, second or millisecond it
//   is written to ("is 2026-03-01T10:00" matches 10:00:00 to 10:00:59.999). before = strictly
//   before that span, until = on or before (before its end), since = on or after (from its
//   start), after = strictly after.
//   The relative ones take a duration N (days and weeks are calendar days, see calendar.ts):
//     willBeIn N        on the local day of now+N (days, weeks); in [now+N, now+N+1 unit) (shorter units)
//     was N             on the local day of now−N (days, weeks); in (now−N−1 unit, now−N] (shorter units)
//     willBeWithin N    now ≤ value ≤ now+N        wasWithin N     now−N ≤ value ≤ now
//     willBeMoreThan N  value > now+N              wasMoreThan N   value < now−N
//     wasToday          on today's local date
//   For `date` values each bound becomes its local day first: willBeWithin 2 days is
//   [today, today+2], and willBeIn 5 hours is the day that now+5h falls on.
// An interval depends only on the operand, the time zone and now, so each compiled condition
// keeps the last one: testing many people at one moment computes it once.
import { addDuration, localDate, parseLocalDateTime, startOfLocalDay, subtractDuration } from '../calendar.js';
import type { Duration } from '../flow/schema.js';
import type { Value } from '../values.js';
import { MATCHES_EMPTY, operand, operator, PRESENCE, typeOperators, valueless, type Operator, type Test, type TypeOperators } from './define.js';
import { DURATION } from './operands.js';

interface Interval {
  readonly lo: number;
  readonly hi: number;
}

interface Scale {
  /** The value's number on the scale, or undefined when it is empty. */
  read(value: Value): number | undefined;
  /** The number of the instant `at` on the scale. */
  point(at: number, tz: string): number;
  /** True for dates: every bound is a local day. */
  readonly days: boolean;
}

type Compare = (n: number, i: Interval) => boolean;
type Window = (scale: Scale, now: number, tz: string, d: Duration) => Interval;

/** A date or date-time operand; `width` is its precision in ms, undefined for a whole day. */
interface Moment {
  readonly text: string;
  readonly width: number | undefined;
}

const DAY_MS = 86_400_000;
const ONE_DAY: Duration = { amount: 1, unit: 'days' };

const epochDay = (ms: number): number => Math.floor(ms / DAY_MS);

function readTime(value: Value, scaled: (ms: number) => number): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : scaled(ms);
}

// Date.parse reads "YYYY-MM-DD" as UTC midnight, so the day number is exact.
const DATE_SCALE: Scale = {
  read: (v) => readTime(v, epochDay),
  point: (at, tz) => epochDay(Date.parse(localDate(at, tz))),
  days: true,
};

const DATETIME_SCALE: Scale = {
  read: (v) => readTime(v, (ms) => ms),
  point: (at) => at,
  days: false,
};

const within: Compare = (n, i) => i.lo <= n && n < i.hi;
const outside: Compare = (n, i) => !within(n, i);
const beforeStart: Compare = (n, i) => n < i.lo;
const beforeEnd: Compare = (n, i) => n < i.hi;
const fromStart: Compare = (n, i) => n >= i.lo;
const fromEnd: Compare = (n, i) => n >= i.hi;

const MOMENT = operand<Moment>('a date "YYYY-MM-DD" or a date-time "YYYY-MM-DDTHH:MM" (seconds and offset optional)', (raw) =>
  typeof raw === 'string' && parseLocalDateTime(raw, 'UTC') !== undefined ? { text: raw, width: widthOf(raw) } : undefined,
);

function widthOf(text: string): number | undefined {
  const time = /T\d\d:\d\d(:\d\d(\.\d)?)?/.exec(text);
  if (!time) return undefined;
  return time[2] ? 1 : time[1] ? 1000 : 60_000;
}

/** The instants [start, end) on `scale`; for dates, the local days they touch. */
function span(scale: Scale, start: number, end: number, tz: string): Interval {
  return { lo: scale.point(start, tz), hi: scale.point(end - 1, tz) + 1 };
}

/** The local day `at` falls on. */
function dayOf(scale: Scale, at: number, tz: string): Interval {
  const start = startOfLocalDay(localDate(at, tz), tz);
  return span(scale, start, addDuration(start, ONE_DAY, tz), tz);
}

function momentSpan(scale: Scale, m: Moment, tz: string): Interval {
  const start = parseLocalDateTime(m.text, tz) as number; // MOMENT checked it parses
  return span(scale, start, m.width === undefined ? addDuration(start, ONE_DAY, tz) : start + m.width, tz);
}

const byDay = (scale: Scale, d: Duration): boolean => scale.days || d.unit === 'days' || d.unit === 'weeks';
const oneUnit = (d: Duration): Duration => ({ amount: 1, unit: d.unit });

const ahead: Window = (scale, now, tz, d) => span(scale, now, addDuration(now, d, tz) + 1, tz);

const behind: Window = (scale, now, tz, d) => span(scale, subtractDuration(now, d, tz), now + 1, tz);

const exactlyAhead: Window = (scale, now, tz, d) => {
  const at = addDuration(now, d, tz);
  return byDay(scale, d) ? dayOf(scale, at, tz) : span(scale, at, addDuration(at, oneUnit(d), tz), tz);
};

const exactlyBehind: Window = (scale, now, tz, d) => {
  const at = subtractDuration(now, d, tz);
  return byDay(scale, d) ? dayOf(scale, at, tz) : span(scale, subtractDuration(at, oneUnit(d), tz) + 1, at + 1, tz);
};

/**
 * The test comparing a value with the interval `build` gives for the scope's time zone (and
 * now, when `movesWithNow`), keeping the last interval.
 */
function against(
  compare: Compare,
  build: (now: number, tz: string) => Interval,
  { movesWithNow }: { movesWithNow: boolean },
): Test<number> {
  let lastNow = NaN;
  let lastTz = '';
  let last: Interval = { lo: 0, hi: 0 };
  return (n, scope) => {
    const now = movesWithNow ? scope.now : 0;
    if (now !== lastNow || scope.timeZone !== lastTz) {
      last = build(now, scope.timeZone);
      lastNow = now;
      lastTz = scope.timeZone;
    }
    return compare(n, last);
  };
}

function absolute(scale: Scale, compare: Compare, whenEmpty = false): Operator<number> {
  return operator(MOMENT, (m) => against(compare, (_, tz) => momentSpan(scale, m, tz), { movesWithNow: false }), whenEmpty);
}

function relative(scale: Scale, window: Window, compare: Compare): Operator<number> {
  return operator(DURATION, (d) => against(compare, (now, tz) => window(scale, now, tz, d), { movesWithNow: true }));
}

function dateOperators(scale: Scale): TypeOperators {
  return typeOperators(scale.read, {
    is: absolute(scale, within),
    isNot: absolute(scale, outside, MATCHES_EMPTY),
    before: absolute(scale, beforeStart),
    until: absolute(scale, beforeEnd),
    since: absolute(scale, fromStart),
    after: absolute(scale, fromEnd),
    willBeIn: relative(scale, exactlyAhead, within),
    willBeWithin: relative(scale, ahead, within),
    willBeMoreThan: relative(scale, ahead, fromEnd),
    was: relative(scale, exactlyBehind, within),
    wasWithin: relative(scale, behind, within),
    wasMoreThan: relative(scale, behind, beforeStart),
    wasToday: valueless(() => against(within, (now, tz) => dayOf(scale, now, tz), { movesWithNow: true })),
    ...PRESENCE,
  });
}

export const DATE_OPERATORS = dateOperators(DATE_SCALE);
export const DATETIME_OPERATORS = dateOperators(DATETIME_SCALE);
