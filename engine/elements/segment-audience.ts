// Segment audience: sends the person down the first numbered branch ("1", "2", …) whose
// conditions match — attributes, contact information, channel activity, flow variables or the
// person's event history, combined in AND/OR groups — or down "else" when none does.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../element.js';
import { ConditionGroupSchema } from '../conditions/schema.js';
import { compileGroup, type CompiledCondition } from '../conditions/compile.js';

const Config = Type.Object(
  {
    segments: Type.Array(
      Type.Object(
        { label: Type.Optional(Type.String({ maxLength: 100, description: 'a name for people reading the flow' })), conditions: ConditionGroupSchema },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20, description: 'checked in order; the first whose conditions match gives the branch ("1", "2", …)' },
    ),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

export default defineElement<Config, CompiledCondition[]>({
  type: 'segmentAudience',
  role: 'element',
  title: 'Segment audience',
  description: 'Branches people by attributes, variables and events they performed; the first matching segment wins, else "else".',
  config: Config,
  example: {
    segments: [
      { label: 'Zagreb', conditions: { all: [{ attribute: 'city', operator: 'is', value: 'Zagreb' }] } },
      {
        label: 'Texted this week or born in the 90s',
        conditions: {
          any: [
            { attribute: 'sms.lastContactedAt', operator: 'wasWithin', value: { amount: 7, unit: 'days' } },
            { all: [{ attribute: 'birthDate', operator: 'since', value: '1990-01-01' }, { attribute: 'birthDate', operator: 'before', value: '2000-01-01' }] },
          ],
        },
      },
    ],
  },
  branches: (config) => [...config.segments.map((_, i) => String(i + 1)), 'else'],
  branchesFromConfig: '`1`, `2`, … one per segment, in order, then `else`',
  compile: (config, ctx) =>
    config.segments.map((s, i) => compileGroup(s.conditions, ctx, `.segments[${i}].conditions`) ?? { test: () => false }),
  execute: (segments, run) => {
    const scope = { person: run.person, vars: run.vars, now: run.now, timeZone: run.timeZone, events: run.events };
    const i = segments.findIndex((s) => s.test(scope));
    return i === -1 ? segments.length : i;
  },
});
