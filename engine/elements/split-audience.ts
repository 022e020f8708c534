// Split audience: sends each person down one of N weighted branches ("1".."N"). The choice
// is a hash of (flow id, person id, element id), so a person always lands on the same branch
// of a split — across re-entries, restarts and versions — while the shares follow the
// weights, and two splits of one flow (one inside a branch of the other) divide people
// independently.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../element.js';
import { hash32 } from '../hash.js';

const Config = Type.Object(
  {
    branches: Type.Array(
      Type.Object(
        {
          percent: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'share of people, in hundredths of a percent at the finest (e.g. 33.33); all branches add up to 100' }),
          label: Type.Optional(Type.String({ maxLength: 100, description: 'a name for people reading the flow' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 2, maxItems: 10, description: 'branches "1", "2", … in this order' },
    ),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

/** Cumulative upper bounds in basis points (1/100 of a percent), and the element's id. */
interface Prepared {
  readonly bounds: number[];
  readonly element: string;
}

export default defineElement<Config, Prepared>({
  type: 'splitAudience',
  role: 'element',
  title: 'Split audience',
  description: 'Divides people into weighted branches, the same person always to the same branch.',
  config: Config,
  example: { branches: [{ percent: 50, label: 'Tips first' }, { percent: 50, label: 'Offer first' }] },
  branches: (config) => config.branches.map((_, i) => String(i + 1)),
  branchesFromConfig: '`1`, `2`, … one per item of `branches`, in order',
  compile: (config, ctx) => {
    const total = config.branches.reduce((sum, b) => sum + b.percent, 0);
    if (Math.abs(total - 100) > 1e-9) ctx.problem('JCT_SPLIT_TOTAL', `branch percentages add up to ${total}, not 100`, '.branches');
    config.branches.forEach((b, i) => {
      if (Math.abs(b.percent * 100 - Math.round(b.percent * 100)) > 1e-6) {
        ctx.problem('JCT_SPLIT_PRECISION', `${b.percent} % is finer than the split divides people (hundredths of a percent, e.g. 0.01 or 33.33)`, `.branches[${i}].percent`);
      }
    });
    let bound = 0;
    return { bounds: config.branches.map((b) => (bound += Math.round(b.percent * 100))), element: ctx.node.id };
  },
  execute: ({ bounds, element }, run) => {
    const bucket = hash32(`${run.flowId}\u0000${run.participant.personId}\u0000${element}`) % 10_000;
    const i = bounds.findIndex((bound) => bucket < bound);
    return i === -1 ? bounds.length - 1 : i;
  },
});
