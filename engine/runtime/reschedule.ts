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

/**
 * What a version's schedule becomes; refuses (JCT_SCHEDULE_INVALID) a date-time that does not
 * parse, or an end not after the start: the start asked for (even by a version that keeps its
 * own) and the start the version takes.
 */
export function reschedule(definition: FlowDefinition, change: Schedule, started: boolean, label: string, workspaceZone: string): Rescheduled {
  const timeZone = compileTimeZone(definition, () => {}, workspaceZone); // an invalid one is the compiler's to report: read as UTC, as it does
  instants(change, timeZone, label, 'it starts at');
  const start = started ? definition.settings?.schedule?.start : change.start;
  const schedule: Schedule = { ...(start !== undefined && { start }), ...(change.end !== undefined && { end: change.end }) };
  return { schedule, ...instants(schedule, timeZone, label, started ? 'it started at' : 'it starts at') };
}

/** The schedule's instants in the time zone; refuses an end not after the start. */
function instants(schedule: Schedule, timeZone: string, label: string, starts: string): { start: number | undefined; end: number | undefined } {
  const at = { start: instant(schedule.start, timeZone, label), end: instant(schedule.end, timeZone, label) };
  if (at.start !== undefined && at.end !== undefined && at.end <= at.start) {
    throw new JunctionError('JCT_SCHEDULE_INVALID', `${label}: the schedule cannot end at ${schedule.end}; ${starts} ${schedule.start} (the end must come after the start)`);
  }
  return at;
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
