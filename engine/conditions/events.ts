// Conditions on a person's event history, shared by Segment Audience (inside its condition
// groups), the People Real-Time Event entry point and Wait for an event:
//   { "event": "viewItem", "happened": true,
//     "times": { "operator": "atLeast" | "exactly" | "atMost", "count": 3 },
//     "within": { "amount": 7, "unit": "days" },
//     "where": [{ "property": "itemId", "operator": "is", "value": "A-1" }],
//     "element": "sendOffer" }
// happened: at least one matching event (or as `times` says: atMost N means 1 to N);
// happened false: none. `within` looks back from now (calendar days across DST, like every
// duration); without it the whole kept history counts (the retention, 90 days by default).
// Each user of a condition may narrow it further (EventBounds): Wait for an event counts only
// events recorded after the person arrived; the entry point only those since the flow went live.
// `where` filters by the event's properties with the operators of each property's type (its
// values may name variables and attributes with {{placeholders}}, see placeholders.ts);
// `element` (channel events only) keeps the events about messages one element of this flow sent.
import type { Static } from '@sinclair/typebox';
import { checkDurationLength, subtractDuration } from '../calendar.js';
import { schemaProblems } from '../schema-problems.js';
import { operatorsFor } from './operators.js';
import { durationOf } from './operands.js';
import { prepareValue } from './placeholders.js';
import { EventConditionSchema, type EventCondition, type PropertyConditionSchema } from './schema.js';
import type { ConditionScope } from './define.js';
import type { CompileContext } from '../element.js';
import type { EventInfo } from '../people/events.js';
import type { EventProperties, EventRange } from '../vocabulary.js';

/** How far back a user of the condition looks, besides `within`. */
export interface EventBounds {
  /** Events before this time do not count (epoch ms; 0: none). */
  readonly since: number;
  /** Only events recorded after this history position count (EventView.position; 0: all). */
  readonly after: number;
}

export const ALL_HISTORY: EventBounds = Object.freeze({ since: 0, after: 0 });

/** A property filter, tested in the condition's scope (date operators read "today" from it). */
type PropertiesTest = (props: EventProperties, scope: ConditionScope) => boolean;

export interface CompiledEventCondition {
  readonly event: string;
  readonly happened: boolean;
  /** Whether the person's history (scope.events; none: no events) satisfies the condition at scope.now. */
  test(scope: ConditionScope, bounds: EventBounds): boolean;
  /** The range of events the condition counts at scope.now. */
  range(scope: ConditionScope, bounds: EventBounds): EventRange;
  /** Whether one event of its name passes the condition's property and element filters. */
  accepts(props: EventProperties, scope: ConditionScope): boolean;
}

/** What compiling an event condition needs of an element's CompileContext. */
export type EventConditionContext = Pick<CompileContext, 'problem' | 'attributes' | 'variables'> & Partial<Pick<CompileContext, 'flow' | 'events'>>;

/** Compiles one event condition, reporting problems under `path`; undefined when there were any. */
export function compileEventCondition(raw: unknown, ctx: EventConditionContext, path: string): CompiledEventCondition | undefined {
  const shape = schemaProblems(EventConditionSchema, raw, path, 'JCT_CONDITION_INVALID');
  for (const p of shape) ctx.problem(p.code, p.message, p.path);
  if (shape.length > 0) return undefined;
  const c = raw as EventCondition;
  if (!ctx.events) {
    ctx.problem('JCT_EVENT_CONDITION_NOT_HERE', 'event conditions are for flows (Segment Audience, Wait for an event, the People Real-Time Event entry); a real-time segment re-evaluates on profile changes only', path);
    return undefined;
  }
  const info = ctx.events.get(c.event);
  if (!info) {
    ctx.problem('JCT_EVENT_UNKNOWN', `unknown event "${c.event}"; define it as a custom event in the people store, or use a built-in one (see docs/reference.md)`, `${path}.event`);
    return undefined;
  }
  let ok = true;
  const report = (code: string, message: string, sub: string) => {
    ok = false;
    ctx.problem(code, message, path + sub);
  };
  if (c.times && !c.happened) report('JCT_CONDITION_INVALID', '"times" counts events that happened; remove it or set "happened": true', '.times');
  checkDurations(c, path, ctx);
  const filters = (c.where ?? []).map((w, i) => propertyTest(info, w, `${path}.where[${i}]`, ctx, (code, message, sub) => report(code, message, `.where[${i}]${sub}`)));
  const element = c.element === undefined ? undefined : elementFilter(info, c.element, ctx, report);
  if (!ok) return undefined;
  return build(c, [...(filters as PropertiesTest[]), ...(element ? [element] : [])]);
}

type Report = (code: string, message: string, sub: string) => void;

/** The window and the filters' durations at most 100 years; told, not failed, so a flow launched before the cap keeps its condition. */
function checkDurations(c: EventCondition, path: string, ctx: EventConditionContext): void {
  checkDurationLength(c.within, 'an event window', `${path}.within`, ctx);
  c.where?.forEach((w, i) => checkDurationLength(durationOf(w.value), 'a duration in a property filter', `${path}.where[${i}].value`, ctx));
}

function propertyTest(info: EventInfo, w: Static<typeof PropertyConditionSchema>, path: string, ctx: EventConditionContext, report: Report): PropertiesTest | undefined {
  const type = info.byName.get(w.property);
  if (!type) {
    const known = info.properties.map((p) => p.name).join(', ') || 'none';
    report('JCT_EVENT_PROPERTY_UNKNOWN', `event "${info.name}" has no property "${w.property}" (it has: ${known})`, '.property');
    return undefined;
  }
  const operators = operatorsFor(type);
  const prepared = prepareValue(operators, w.operator, w.value, ctx, `${path}.value`);
  if (!prepared) {
    report('JCT_OPERATOR_INVALID', `"${w.operator}" does not apply to property "${w.property}" (${type}); use one of: ${operators.names.join(', ')}`, '.operator');
    return undefined;
  }
  if (!prepared.ok) {
    report('JCT_CONDITION_VALUE', `"${w.operator}" on property "${w.property}" ${prepared.problem}`, '.value');
    return undefined;
  }
  const test = prepared.value;
  const name = w.property;
  return (props, scope) => test(props[name] ?? null, scope);
}

/** Channel events about the messages element `id` of this flow sent. */
function elementFilter(info: EventInfo, id: string, ctx: EventConditionContext, report: Report): PropertiesTest | undefined {
  if (info.group !== 'channel') {
    report('JCT_CONDITION_INVALID', `"element" applies to channel events (message.*), not to "${info.name}"`, '.element');
    return undefined;
  }
  const node = ctx.flow?.elements.find((e) => e.id === id);
  if (!ctx.flow || !node) {
    report('JCT_ELEMENT_UNKNOWN', `the flow has no element "${id}"`, '.element');
    return undefined;
  }
  const flowId = ctx.flow.id;
  return (props) => props['flowId'] === flowId && props['element'] === id;
}

function build(c: EventCondition, filters: readonly PropertiesTest[]): CompiledEventCondition {
  const { event, happened, within } = c;
  const holds = happened ? timesTest(c.times) : (n: number) => n === 0;
  const range = (scope: ConditionScope, bounds: EventBounds): EventRange => {
    const windowStart = within ? subtractDuration(scope.now, within, scope.timeZone) : 0;
    const from = Math.max(windowStart, bounds.since);
    if (filters.length === 0) return { from, to: scope.now, after: bounds.after };
    return { from, to: scope.now, after: bounds.after, filter: (props) => filters.every((f) => f(props, scope)) };
  };
  return {
    event,
    happened,
    range,
    accepts: (props, scope) => filters.every((f) => f(props, scope)),
    test: (scope, bounds) => holds(scope.events ? scope.events.count(event, range(scope, bounds)) : 0),
  };
}

function timesTest(times: EventCondition['times']): (n: number) => boolean {
  if (!times) return (n) => n >= 1;
  const { operator, count } = times;
  if (operator === 'exactly') return (n) => n === count;
  if (operator === 'atMost') return (n) => n >= 1 && n <= count;
  return (n) => n >= count;
}
