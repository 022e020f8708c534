// What the People Real-Time Event entry and Wait for an event share: a list of event
// conditions that must all hold (at least one of them "happened": an event can start or end
// something, its absence alone cannot), and the mapping of event properties to flow variables
// (the only way a list variable is filled: from an event's list property).
import { Type, type Static } from '@sinclair/typebox';
import type { CompileContext, RunContext } from '../element.js';
import type { Person } from '../person.js';
import type { EventProperties, EventView } from '../vocabulary.js';
import type { ConditionScope } from '../conditions/define.js';
import { EventConditionSchema } from '../conditions/schema.js';
import { compileEventCondition, type CompiledEventCondition, type EventBounds } from '../conditions/events.js';
import { coerceValue, type Value, type ValueType } from '../values.js';

export const EventConditionsSchema = Type.Array(EventConditionSchema, {
  minItems: 1,
  maxItems: 10,
  description: 'Every condition must hold; at least one is "happened": true',
});

export const VariableMappingsSchema = Type.Array(
  Type.Object(
    {
      event: Type.String({ minLength: 1, description: 'One of the events the conditions name' }),
      property: Type.String({ minLength: 1 }),
      variable: Type.String({ minLength: 1, description: 'A flow variable of the same type' }),
    },
    { additionalProperties: false },
  ),
  { maxItems: 20, description: "Flow variables set from the properties of the latest matching event" },
);
type VariableMappings = Static<typeof VariableMappingsSchema>;

export interface CompiledMapping {
  readonly condition: CompiledEventCondition;
  readonly property: string;
  readonly variable: string;
  readonly type: ValueType;
}

/** Compiles the condition list; undefined when it has problems (reported). */
export function compileConditions(raw: readonly unknown[], ctx: CompileContext, path: string): CompiledEventCondition[] | undefined {
  const compiled = raw.map((c, i) => compileEventCondition(c, ctx, `${path}[${i}]`));
  if (compiled.some((c) => c === undefined)) return undefined;
  const list = compiled as CompiledEventCondition[];
  if (!list.some((c) => c.happened)) {
    ctx.problem('JCT_NOT_HAPPENED_ALONE', 'a "happened": false condition needs a "happened": true one beside it: an event can start or end something, its absence alone cannot', path);
    return undefined;
  }
  return list;
}

/** Compiles variable mappings against the conditions' events and the flow's variables. */
export function compileMappings(raw: VariableMappings, conditions: readonly CompiledEventCondition[], ctx: CompileContext, path: string): CompiledMapping[] | undefined {
  let ok = true;
  const problem = (code: string, message: string, sub: string): undefined => {
    ok = false;
    ctx.problem(code, message, path + sub);
    return undefined;
  };
  const out = raw.map((m, i): CompiledMapping | undefined => {
    const condition = conditions.find((c) => c.event === m.event && c.happened);
    const type = ctx.events.get(m.event)?.byName.get(m.property);
    const varType = ctx.variables.get(m.variable);
    if (!condition) return problem('JCT_MAPPING_EVENT', `"${m.event}" is not the event of a "happened" condition here`, `[${i}].event`);
    if (!type) return problem('JCT_EVENT_PROPERTY_UNKNOWN', `event "${m.event}" has no property "${m.property}"`, `[${i}].property`);
    if (!varType) return problem('JCT_VARIABLE_UNKNOWN', `unknown variable "${m.variable}"; declare it in settings.variables`, `[${i}].variable`);
    if (!fits(type, varType)) return problem('JCT_VARIABLE_TYPE', `property "${m.property}" is ${type}; variable "${m.variable}" is ${varType}`, `[${i}].variable`);
    return { condition, property: m.property, variable: m.variable, type: varType };
  });
  return ok ? (out as CompiledMapping[]) : undefined;
}

/** A property fits a variable of its own type; whole numbers also fit decimal, anything but a list fits text. */
function fits(property: ValueType, variable: ValueType): boolean {
  return property === variable || (property === 'whole' && variable === 'decimal') || (variable === 'text' && property !== 'list');
}

export function conditionScope(person: Person, vars: Readonly<Record<string, Value>>, events: EventView, now: number, timeZone: string): ConditionScope {
  return { person, vars, now, timeZone, events };
}

export function allHold(conditions: readonly CompiledEventCondition[], scope: ConditionScope, bounds: EventBounds): boolean {
  return conditions.every((c) => c.test(scope, bounds));
}

/** The mapped variables' values from the latest matching events. */
export function mappedValues(mappings: readonly CompiledMapping[], scope: ConditionScope, bounds: EventBounds): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const m of mappings) {
    const props: EventProperties | undefined = scope.events?.latest(m.condition.event, m.condition.range(scope, bounds));
    const c = coerceValue(m.type, props?.[m.property] ?? null);
    if (c.ok && c.value !== null) out[m.variable] = c.value;
  }
  return out;
}

/** Sets the mapped variables on the participant. */
export function setMapped(run: RunContext, mappings: readonly CompiledMapping[], scope: ConditionScope, bounds: EventBounds): void {
  for (const [name, value] of Object.entries(mappedValues(mappings, scope, bounds))) run.setVar(name, value);
}
