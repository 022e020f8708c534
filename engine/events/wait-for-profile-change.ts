// Wait for change in people profile: holds the participant until an attribute of the person's
// profile changes ("changed") or the wait ends first ("notChanged"). With an operator, only a
// change whose new value meets the condition counts (e.g. "tier is gold"). Without `waitFor`
// the wait lasts until the change. Changes come as the person.changed events the engine
// records for every changed attribute, from any flow, import or API call; not the participant's
// own change made on its way here (the engine records it before the wait's start).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../element.js';
import { DurationSchema } from '../flow-schema.js';
import { addDuration, checkDurationLength } from '../calendar.js';
import { compileCondition, type CompiledCondition } from '../conditions/compile.js';
import { AttributeConditionSchema } from '../conditions/schema.js';
import type { Input } from '../vocabulary.js';

const { attribute, operator, value } = AttributeConditionSchema.properties;
const Config = Type.Object(
  {
    attribute,
    operator: Type.Optional(operator),
    value,
    waitFor: Type.Optional({ ...DurationSchema, description: 'How long to wait; none: until the change' }),
  },
  // For editors (TypeBox skips dependentRequired); compileChange() explains a value without an operator.
  { additionalProperties: false, dependentRequired: { value: ['operator'] } },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly attribute: string;
  readonly condition?: CompiledCondition;
  readonly waitFor: Config['waitFor'];
}

const CHANGED = 0;
const NOT_CHANGED = 1;
export const PROFILE_CHANGED = 'person.changed';
export const ON_PROFILE_CHANGE = `event:${PROFILE_CHANGED}`;

export default defineElement<Config, Prepared>({
  type: 'waitForProfileChange',
  role: 'element',
  title: 'Wait for change in people profile',
  description: 'Waits until an attribute of the profile changes, optionally to a value meeting a condition ("changed"), or the wait ends first ("notChanged").',
  config: Config,
  example: { attribute: 'city', operator: 'isNotEmpty', waitFor: { amount: 3, unit: 'days' } },
  branches: () => ['changed', 'notChanged'],
  branchesNeverTaken: [{ branches: ['notChanged'], config: Type.Not(Type.Object({ waitFor: Type.Unknown() })), when: 'without "waitFor" (it waits until the change)', fix: 'give the wait a "waitFor" duration' }],
  waits: true,
  listensFor: () => [PROFILE_CHANGED],
  compile: (config, ctx) => {
    checkDurationLength(config.waitFor, 'a wait', '.waitFor', ctx);
    return { attribute: config.attribute, condition: compileChange(config, ctx), waitFor: config.waitFor };
  },
  execute: (p, run) => (p.waitFor ? { wait: true, until: addDuration(run.now, p.waitFor, run.timeZone), on: ON_PROFILE_CHANGE } : { wait: true, on: ON_PROFILE_CHANGE }),
  resume: (p, run, input) => {
    if (input.kind === 'timer') return NOT_CHANGED;
    return changes(p.attribute, input) && (!p.condition || p.condition.test(scopeOf(run))) ? CHANGED : undefined;
  },
});

/** The condition a change must meet, when there is an operator; checks the attribute either way. */
function compileChange(config: Config, ctx: CompileContext): CompiledCondition | undefined {
  const info = ctx.attributes.get(config.attribute);
  if (!info) ctx.problem('JCT_ATTRIBUTE_UNKNOWN', `unknown attribute "${config.attribute}"; check the spelling or define it as a custom attribute`, '.attribute');
  else if (info.kind === 'tags') ctx.problem('JCT_ATTRIBUTE_TYPE', 'tags change by the person.tagAdded and person.tagRemoved events: use Wait for an event', '.attribute');
  if (config.operator === undefined) {
    if (config.value !== undefined) ctx.problem('JCT_CONDITION_VALUE', 'a value needs an operator', '.value');
    return undefined;
  }
  return info ? compileCondition({ attribute: config.attribute, operator: config.operator, value: config.value }, ctx, '') : undefined;
}

/** Whether the input is a change of this attribute. */
export function changes(attribute: string, input: Input): boolean {
  return input.kind === 'event' && input.name === PROFILE_CHANGED && input.properties['attribute'] === attribute;
}

function scopeOf(run: RunContext) {
  return { person: run.person, vars: run.vars, now: run.now, timeZone: run.timeZone };
}
