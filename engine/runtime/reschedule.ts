// A schedule change on a flow (Engine.changeSchedule): the schedule each version takes (one
// that has started keeps its start; the others take the new one), its instants in the
// version's time zone, checked as the flow compiler checks them so that a journaled
// definition always compiles again, and the definition with it.
import { JunctionError } from '../errors.js';
import { parseLocalDateTime } from '../calendar.js';
import { compileTimeZone } from '../flow/settings.js';
import type { FlowDefinition, FlowSettings } from '../flow-schema.js';

export type Schedule = NonNullable<FlowSettings['schedule']>;

export interface Rescheduled {
  /** The schedule the version keeps in its definition. */
  readonly schedule: Schedule;
  /** Its instants (epoch ms) in the version's time zone. */
  readonly start: number | undefined;
  readonly end: number | undefined;
}

/** What a version's schedule becomes; refuses (JCT_SCHEDULE_INVALID) a date-time that does not parse or an end not after the start. */
export function reschedule(definition: FlowDefinition, change: Schedule, started: boolean, label: string): Rescheduled {
  const start = started ? definition.settings?.schedule?.start : change.start;
  const schedule: Schedule = { ...(start !== undefined && { start }), ...(change.end !== undefined && { end: change.end }) };
  const timeZone = compileTimeZone(definition, () => {}); // an invalid one is the compiler's to report: read as UTC, as it does
  const at = { start: instant(schedule.start, timeZone, label), end: instant(schedule.end, timeZone, label) };
  if (at.start !== undefined && at.end !== undefined && at.end <= at.start) {
    const why = started ? `it started at ${schedule.start}` : `it starts at ${schedule.start}`;
    throw new JunctionError('JCT_SCHEDULE_INVALID', `${label}: the schedule cannot end at ${schedule.end}; ${why} (the end must come after the start)`);
  }
  return { schedule, ...at };
}

/** The definition with `schedule` in its settings (none when it is empty). */
export function withSchedule(definition: FlowDefinition, schedule: Schedule): FlowDefinition {
  const settings = { ...definition.settings };
  if (schedule.start === undefined && schedule.end === undefined) delete settings.schedule;
  else settings.schedule = schedule;
  return { ...definition, settings };
}

function instant(text: string | undefined, timeZone: string, label: string): number | undefined {
  if (text === undefined) return undefined;
  const at = typeof text === 'string' ? parseLocalDateTime(text, timeZone) : undefined;
  if (at === undefined) throw new JunctionError('JCT_SCHEDULE_INVALID', `${label}: "${String(text)}" is not a valid date-time (e.g. 2026-03-01T09:00 in the flow's time zone ${timeZone})`);
  return at;
}
