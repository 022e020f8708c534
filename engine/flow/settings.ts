// Compiles a flow's settings: time zone, re-entry (frequency cap), schedule, goal and the
// typed flow variables with their static or formula defaults.
import type { CompileContext } from '../element.js';
import { coerceValue, type Value, type ValueType } from '../values.js';
import { canonicalTimeZone, checkDurationLength, parseLocalDateTime } from '../calendar.js';
import { compileExpression, type CompiledExpression } from '../expressions/cel.js';
import { isExpressionName } from '../expressions/environment.js';
import type { Duration, FlowDefinition, Reentry, VariableDefinition } from '../flow-schema.js';

export interface CompiledVariable {
  readonly name: string;
  readonly type: ValueType;
  readonly initial: Value;
  readonly formula?: CompiledExpression;
}

export interface CompiledSettings {
  readonly timeZone: string;
  readonly reentry: {
    readonly enabled: boolean;
    readonly delay?: Duration;
    readonly limits: Reentry['limits'] & {};
    /** How many past entry times the frequency cap needs per person (the largest limit). */
    readonly entriesKept: number;
  };
  /** Epoch ms; undefined: launch starts it at once. */
  readonly start?: number;
  /** Epoch ms; undefined: runs until idle for a year. */
  readonly end?: number;
  readonly goal?: string;
  readonly variables: readonly CompiledVariable[];
}

type Report = (code: string, message: string, path: string) => void;

/**
 * The flow's time zone in its canonical spelling (see canonicalTimeZone): its own, else the
 * workspace's (`fallback`); UTC, reported, when it is unknown.
 */
export function compileTimeZone(flow: FlowDefinition, report: Report, fallback = 'UTC'): string {
  const tz = flow.settings?.timeZone ?? fallback;
  const canonical = canonicalTimeZone(tz);
  if (canonical) return canonical;
  report('JCT_TIMEZONE_INVALID', `unknown time zone "${tz}"; use an IANA name such as Europe/Zagreb`, '$.settings.timeZone');
  return 'UTC';
}

/** Variable names and types, so elements can check their references before defaults compile. */
export function declaredVariables(flow: FlowDefinition, report: Report): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  (flow.settings?.variables ?? []).forEach((v, i) => {
    const at = `$.settings.variables[${i}].name`;
    if (types.has(v.name)) report('JCT_VARIABLE_DUPLICATE', `variable "${v.name}" is declared twice`, at);
    else if (!isExpressionName(v.name)) report('JCT_VARIABLE_NAME', `"${v.name}" is a reserved word in expressions; choose another name`, at);
    types.set(v.name, v.type);
  });
  return types;
}

/** `contextAt(path)` gives a CompileContext whose problems are reported under `path`. */
export function compileSettings(
  flow: FlowDefinition,
  timeZone: string,
  contextAt: (path: string) => CompileContext,
  report: Report,
  now?: number,
): CompiledSettings {
  const s = flow.settings ?? {};
  const start = compileInstant(s.schedule?.start, timeZone, '$.settings.schedule.start', report);
  const end = compileInstant(s.schedule?.end, timeZone, '$.settings.schedule.end', report);
  if (start !== undefined && end !== undefined && end <= start) {
    report('JCT_SCHEDULE_INVALID', 'the schedule ends before it starts', '$.settings.schedule.end');
  } else if (end !== undefined && now !== undefined && end <= now) {
    report('JCT_SCHEDULE_ENDED', `the schedule ended at ${s.schedule?.end}, before now; set a later end or none`, '$.settings.schedule.end');
  }
  checkReentryOff(s.reentry, report);
  checkReentryDurations(s.reentry, contextAt('$.settings.reentry'));
  if (s.goal) checkGoalEvent(s.goal.event, contextAt('$.settings.goal'));
  return {
    timeZone,
    reentry: {
      enabled: s.reentry?.enabled ?? true,
      delay: s.reentry?.delay,
      limits: s.reentry?.limits ?? [],
      entriesKept: Math.max(1, ...(s.reentry?.limits ?? []).map((l) => l.count)),
    },
    start,
    end,
    goal: s.goal?.event,
    variables: (s.variables ?? []).map((v, i) => compileVariable(v, contextAt(`$.settings.variables[${i}]`), report)),
  };
}

/** With re-entry off a person enters once: a delay or limits would never apply, so they are refused rather than ignored. */
function checkReentryOff(reentry: Reentry | undefined, report: Report): void {
  if (reentry?.enabled !== false) return;
  const unused = [...(reentry.delay ? ['a delay'] : []), ...(reentry.limits?.length ? ['limits'] : [])];
  if (unused.length === 0) return;
  const message = `re-entry is off, so a person enters once and ${unused.join(' and ')} would never apply; remove ${unused.length > 1 ? 'them' : 'it'} or turn re-entry on`;
  report('JCT_REENTRY_CONFLICT', message, '$.settings.reentry.enabled');
}

/** The re-entry delay and each limit's window: as long as a wait at most, or the time they reach is no date. */
function checkReentryDurations(reentry: Reentry | undefined, ctx: CompileContext): void {
  checkDurationLength(reentry?.delay, 'a re-entry delay', '.delay', ctx);
  reentry?.limits?.forEach((limit, i) => checkDurationLength(limit.within, 'a re-entry limit', `.limits[${i}].within`, ctx));
}

/** The goal is an event Junction records or a custom one the people store defines: another is never performed. */
function checkGoalEvent(event: string, ctx: CompileContext): void {
  if (!ctx.events.get(event)) ctx.problem('JCT_GOAL_UNKNOWN', unknownGoalMessage(event), '.event');
}

export function unknownGoalMessage(event: string): string {
  return `unknown goal event "${event}"; define it as a custom event in the people store, or use a built-in one (see docs/reference.md)`;
}

function compileInstant(text: string | undefined, tz: string, path: string, report: Report): number | undefined {
  if (text === undefined) return undefined;
  const at = parseLocalDateTime(text, tz);
  if (at === undefined) report('JCT_SCHEDULE_INVALID', `"${text}" is not a valid date-time (YYYY-MM-DDTHH:MM, years 0001 to 9999)`, path);
  return at;
}

function compileVariable(v: VariableDefinition, ctx: CompileContext, report: Report): CompiledVariable {
  const path = ctx.path;
  if (v.default !== undefined && v.defaultFormula !== undefined) {
    report('JCT_VARIABLE_DEFAULT', `variable "${v.name}" has both a default and a defaultFormula; keep one`, path);
  }
  const coerced = coerceValue(v.type, v.default ?? null);
  if (!coerced.ok) report('JCT_VARIABLE_TYPE', `default of "${v.name}": ${coerced.message}`, `${path}.default`);
  const formula =
    v.defaultFormula === undefined
      ? undefined
      : compileExpression(v.defaultFormula, ctx, v.type, '.defaultFormula');
  return { name: v.name, type: v.type, initial: coerced.ok ? coerced.value : null, formula };
}
