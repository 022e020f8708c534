// The moment a date or date-time attribute names, shared by the Date or Time entry point, Wait
// for a date and the date operators of Change in People Profile. A moment is an occurrence
// [at, until): people enter or go on at `at`; reaching it later while it lasts (a launch, an
// attribute changed, a participant arriving) they still do; once `until` has passed it is missed.
//   isIn N        N before the attribute's time; lasts one unit of N (isIn 4 hours: 4 h to 3 h before)
//   was N         N after it; lasts one unit of N
//   isToday       the attribute's local day, from `atTime` to the end of that day
//   isTomorrow    the same on the day before; wasYesterday on the day after
// A date attribute's time is `atTime` (default 00:00) of its day in the flow time zone; a
// date-time keeps its own, except for the three day options, which start at `atTime`. Days and
// weeks are calendar days (the wall-clock time is kept across daylight-saving changes); hours,
// minutes and seconds are elapsed time. `everyYear` ignores the attribute's year: each year's
// occurrence counts, and 29 February falls on 28 February in years without one.
import { Type, type Static } from '@sinclair/typebox';
import { addDuration, calendarDays, checkDurationLength, parseHhMm, subtractDuration, wallTime, wallToTime, type TimeOfDay, type WallTime } from '../calendar.js';
import { DurationSchema, type Duration } from '../flow-schema.js';
import type { CompileContext } from '../element.js';
import type { Value } from '../values.js';

export const MOMENTS = ['isIn', 'was', 'isToday', 'isTomorrow', 'wasYesterday'] as const;
export type MomentKind = (typeof MOMENTS)[number];

const OFFSET_KINDS: ReadonlySet<MomentKind> = new Set(['isIn', 'was']);
const DAY_SHIFT: Partial<Record<MomentKind, number>> = { isToday: 0, isTomorrow: -1, wasYesterday: 1 };

/** The config fields of a moment, spread into the elements' schemas. */
export const MomentFields = {
  attribute: Type.String({ minLength: 1, description: 'A date or date-time attribute, e.g. birthDate or a custom appointmentAt' }),
  when: Type.Union(
    MOMENTS.map((m) => Type.Literal(m)),
    { description: 'isIn: offset before it; was: offset after it; isToday, isTomorrow (the day before), wasYesterday (the day after)' },
  ),
  offset: Type.Optional({ ...DurationSchema, description: 'isIn and was only: how long before or after' }),
  atTime: Type.Optional(
    Type.String({
      pattern: '^([01]\\d|2[0-3]):[0-5]\\d$',
      description: 'Local time HH:MM of a date attribute, and where isToday, isTomorrow and wasYesterday start (default 00:00)',
    }),
  ),
  everyYear: Type.Optional(Type.Boolean({ description: "Every year, ignoring the attribute's year (29 February is 28 February in other years)" })),
};
/**
 * The config of the elements that name a moment. For editors (TypeBox skips if/then/else): an
 * offset with isIn and was, none with the others; compileMoment() explains a mistake.
 */
export const MomentConfigSchema = Type.Object(MomentFields, {
  additionalProperties: false,
  if: { required: ['when'], properties: { when: { enum: [...OFFSET_KINDS] } } },
  then: { required: ['offset'] },
  else: { not: { required: ['offset'] } },
});
export type MomentConfig = Static<typeof MomentConfigSchema>;

export interface Moment {
  readonly attribute: string;
  readonly kind: MomentKind;
  readonly offset?: Duration;
  readonly atTime: TimeOfDay;
  readonly everyYear: boolean;
  readonly timeZone: string;
  /** The attribute holds dates (no time of day). */
  readonly date: boolean;
}

export interface Occurrence {
  readonly at: number;
  readonly until: number;
}

const MIDNIGHT: TimeOfDay = { hour: 0, minute: 0 };
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Checks the attribute (a date or date-time) and the options; undefined after reporting
 * problems. The offset is at `.offset`, or at `valuePath` when it is a condition's value
 * (Change in People Profile), whose length the condition's compile checks.
 */
export function compileMoment(config: MomentConfig, ctx: Pick<CompileContext, 'attributes' | 'problem' | 'timeZone'>, valuePath?: string): Moment | undefined {
  const offsetPath = valuePath ?? '.offset';
  const info = ctx.attributes.get(config.attribute);
  if (!info) {
    ctx.problem('JCT_ATTRIBUTE_UNKNOWN', `unknown attribute "${config.attribute}"; define it as a custom attribute of type date or datetime`, '.attribute');
    return undefined;
  }
  if (info.type !== 'date' && info.type !== 'datetime') {
    ctx.problem('JCT_ATTRIBUTE_TYPE', `attribute "${config.attribute}" is ${info.type}; a moment needs a date or datetime attribute`, '.attribute');
    return undefined;
  }
  const wantsOffset = OFFSET_KINDS.has(config.when);
  if (wantsOffset !== (config.offset !== undefined)) {
    const message = wantsOffset ? `"${config.when}" needs an offset, e.g. { "amount": 4, "unit": "hours" }` : `"${config.when}" takes no offset; only isIn and was do`;
    ctx.problem('JCT_MOMENT_OFFSET', message, offsetPath);
    return undefined;
  }
  if (valuePath === undefined) checkDurationLength(config.offset, 'an offset', offsetPath, ctx);
  if (config.atTime !== undefined && info.type === 'datetime' && wantsOffset) {
    ctx.problem('JCT_MOMENT_TIME', `a date-time attribute has its own time; atTime applies to date attributes and to isToday, isTomorrow and wasYesterday`, '.atTime');
    return undefined;
  }
  return {
    attribute: config.attribute,
    kind: config.when,
    ...(config.offset ? { offset: config.offset } : {}),
    atTime: config.atTime === undefined ? MIDNIGHT : parseHhMm(config.atTime)!,
    everyYear: config.everyYear === true,
    timeZone: ctx.timeZone,
    date: info.type === 'date',
  };
}

/**
 * The first occurrence of the moment for this attribute value that has not ended at `from`
 * and starts after `after`; undefined when the value is empty or every occurrence is over.
 */
export function nextOccurrence(m: Moment, value: Value, from: number, after = -Infinity): Occurrence | undefined {
  if (!m.everyYear) {
    const o = onlyOccurrence(m, value);
    return o !== undefined && o.until > from && o.at > after ? o : undefined;
  }
  const anchor = anchorOf(m, value);
  if (!anchor) return undefined;
  const span = yearsSpanned(m.offset);
  const first = wallTime(from, m.timeZone).year - span - 1;
  for (let year = first; year <= first + 2 * span + 3; year++) {
    const o = occurrenceAt(m, inYear(anchor, year));
    if (o.until > from && o.at > after) return o;
  }
  return undefined;
}

/**
 * The occurrence of a moment that does not repeat. N before or after a date-time counts from
 * the instant itself: no wall-clock round trip, which costs a calendar conversion at every
 * wake-up and would move a time in the hour repeated when clocks go back.
 */
function onlyOccurrence(m: Moment, value: Value): Occurrence | undefined {
  if (m.date || m.offset === undefined) {
    const anchor = anchorOf(m, value);
    return anchor && occurrenceAt(m, anchor);
  }
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? undefined : offsetFrom(m, at);
}

/** The wall time the attribute value names, with the time of day the moment uses. */
function anchorOf(m: Moment, value: Value): WallTime | undefined {
  if (typeof value !== 'string') return undefined;
  const date = m.date ? DATE.exec(value) : null;
  if (date) return { year: Number(date[1]), month: Number(date[2]), day: Number(date[3]), ...m.atTime };
  const ms = m.date ? NaN : Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  const wall = wallTime(ms, m.timeZone);
  return m.kind in DAY_SHIFT ? { year: wall.year, month: wall.month, day: wall.day, ...m.atTime } : wall;
}

function occurrenceAt(m: Moment, w: WallTime): Occurrence {
  const shift = DAY_SHIFT[m.kind];
  if (shift !== undefined) {
    const at = wallToTime({ ...w, day: w.day + shift }, m.timeZone);
    return { at, until: wallToTime({ year: w.year, month: w.month, day: w.day + shift + 1, ...MIDNIGHT }, m.timeZone) };
  }
  return offsetFrom(m, wallToTime(w, m.timeZone));
}

/** The occurrence N before (isIn) or after (was) the instant `base`; it lasts one unit of the offset. */
function offsetFrom(m: Moment, base: number): Occurrence {
  const offset = m.offset!;
  const at = m.kind === 'isIn' ? subtractDuration(base, offset, m.timeZone) : addDuration(base, offset, m.timeZone);
  return { at, until: addDuration(at, { amount: 1, unit: offset.unit }, m.timeZone) };
}

function inYear(w: WallTime, year: number): WallTime {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return { ...w, year, day: w.month === 2 && w.day === 29 && !leap ? 28 : w.day };
}

/** How many years an offset may reach across, so that every year's occurrence near now is tried. */
function yearsSpanned(offset: Duration | undefined): number {
  if (!offset) return 0;
  // Elapsed units are counted as hours: too many years are tried for minutes, never too few.
  const days = calendarDays(offset) ?? offset.amount / 24;
  return Math.ceil(days / 365);
}
