// Pause: holds the participant, in the flow's time zone, in one of three ways:
//   untilDayTime  — until the next of some weekdays and/or a time of day ("Monday 13:00");
//   forPeriod     — for a duration (at most 100 years), optionally then until a time of day.
//                   With days/weeks the time applies to the day the period ends on ("3 days
//                   until 13:00" = 13:00 on the third day); with shorter units, the first such
//                   time after it;
//   untilDateTime — until an exact date-time (a time already past continues at once).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../element.js';
import { DurationSchema, DateTimeString, TimeOfDayString as Time } from '../flow-schema.js';
import { addDuration, atLocalTime, checkDurationLength, nextLocalTime, nextWeekdayTime, parseLocalDateTime, WEEKDAYS, type Weekday } from '../calendar.js';

const Config = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('untilDayTime', { description: 'until the next of these weekdays and/or this time of day' }),
      days: Type.Optional(Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { uniqueItems: true, description: 'weekdays; none: any day' })),
      time: Type.Optional(Time),
    },
    // For editors (TypeBox skips if/then): without a time, some days; compile() explains it.
    { additionalProperties: false, if: { not: { required: ['time'] } }, then: { required: ['days'], properties: { days: { type: 'array', minItems: 1 } } } },
  ),
  Type.Object(
    {
      kind: Type.Literal('forPeriod', { description: 'for a length of time, optionally then until a time of day' }),
      duration: DurationSchema,
      until: Type.Optional(Time),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('untilDateTime', { description: 'until an exact date-time (a past one continues at once)' }), at: DateTimeString },
    { additionalProperties: false },
  ),
]);
type Config = Static<typeof Config>;

type Prepared = Exclude<Config, { kind: 'untilDateTime' }> | { kind: 'untilInstant'; at: number };

export default defineElement<Config, Prepared>({
  type: 'pause',
  role: 'element',
  title: 'Pause',
  description: 'Waits until a weekday/time, for a period (at most 100 years), or until a date-time, in the flow time zone.',
  config: Config,
  example: { kind: 'untilDayTime', days: ['monday'], time: '13:00' },
  branches: () => ['next'],
  waits: true,
  compile: (config, ctx) => {
    if (config.kind === 'untilDayTime' && !config.days?.length && config.time === undefined) {
      ctx.problem('JCT_PAUSE_INVALID', 'say which days, which time, or both', '');
    }
    if (config.kind === 'forPeriod') checkDurationLength(config.duration, 'a pause', '.duration', ctx);
    if (config.kind !== 'untilDateTime') return config;
    const at = parseLocalDateTime(config.at, ctx.timeZone);
    if (at === undefined) ctx.problem('JCT_DATE_INVALID', `"${config.at}" is not a valid date-time (years 0001 to 9999)`, '.at');
    return { kind: 'untilInstant', at: at ?? 0 };
  },
  execute: (p, run) => {
    const until = wakeTime(p, run.now, run.timeZone);
    return until > run.now ? { wait: true, until } : 0;
  },
});

function wakeTime(p: Prepared, now: number, tz: string): number {
  switch (p.kind) {
    case 'untilInstant':
      return p.at;
    case 'untilDayTime':
      return nextWeekdayTime(now, tz, (p.days ?? []) as Weekday[], p.time);
    case 'forPeriod': {
      const end = addDuration(now, p.duration, tz);
      if (p.until === undefined) return end;
      const calendarUnit = p.duration.unit === 'days' || p.duration.unit === 'weeks';
      const sameDay = calendarUnit ? atLocalTime(end, tz, p.until) : undefined;
      return sameDay !== undefined && sameDay > now ? sameDay : nextLocalTime(end - 1, tz, p.until);
    }
  }
}
