// Add to flow: the person also enters another flow, through its Existing Flow entry point, with
// values for that flow's variables taken from this flow's variables. Just before an Exit it moves
// the person; anywhere else the person goes on in both flows. With `another`, the entry is for
// someone else instead: the person whose phone or email is in a variable or attribute of this
// one (their profile is created when missing). "next" when the target flow is active (the entry
// itself then follows the target's frequency cap); "inAllOtherCases" when it is not, or when the
// other person's contact is empty, and — counted as a failure with its reason — when the target
// would refuse the entry (no Existing Flow entry point, a variable it lacks or of another type)
// or the contact is not a valid phone or email. The engine refuses an entry that would close an instant loop
// between flows (see Engine.addToFlows). Adding people to this very flow needs its own Existing
// Flow entry point.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext } from '../element.js';
import { Identifier } from '../flow-schema.js';
import { attributeValue } from '../people/profile.js';
import { normalizeContact } from '../people/contacts.js';
import type { Value } from '../values.js';
import existingFlow from './existing-flow.js';

const Config = Type.Object(
  {
    flow: { ...Identifier, description: 'The id of the flow to add the person to (it needs an Existing Flow entry point)' },
    variables: Type.Optional(
      Type.Array(
        Type.Object({ from: Type.String({ minLength: 1, description: 'A variable of this flow' }), to: Type.String({ minLength: 1, description: 'A variable of the target flow' }) }, { additionalProperties: false }),
        { maxItems: 50 },
      ),
    ),
    another: Type.Optional(
      Type.Object(
        {
          channel: Type.Union([Type.Literal('phone'), Type.Literal('email')]),
          variable: Type.Optional(Type.String({ minLength: 1, description: 'A variable holding the contact' })),
          attribute: Type.Optional(Type.String({ minLength: 1, description: 'An attribute of this person holding the contact' })),
        },
        { additionalProperties: false, description: 'Add someone else, by the phone or email in a variable or attribute' },
      ),
    ),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

const NEXT = 0;
const OTHERWISE = 1;

export default defineElement<Config>({
  type: 'addToFlow',
  role: 'element',
  title: 'Add to flow',
  description:
    'Adds the person (or another, by contact) to a flow through its Existing Flow entry point, with variables: another flow, or this one after a wait. A flow entered earlier in the same moment (A adds to B, which adds to A, with no wait between) is not entered again: the element counts a failure (JCT_FLOW_LOOP).',
  config: Config,
  example: { flow: 'referral', another: { channel: 'email', attribute: 'email' } },
  branches: () => ['next', 'inAllOtherCases'],
  compile: (config, ctx) => {
    checkOwnFlowEntry(config.flow, ctx);
    for (const [i, v] of (config.variables ?? []).entries()) {
      if (!ctx.variables.has(v.from)) ctx.problem('JCT_VARIABLE_UNKNOWN', `unknown variable "${v.from}"; declare it in settings.variables`, `.variables[${i}].from`);
    }
    const another = config.another;
    if (another && (another.variable === undefined) === (another.attribute === undefined)) {
      ctx.problem('JCT_CONFIG_INVALID', 'name where the contact is: "variable" or "attribute" (one of them)', '.another');
    } else if (another?.variable !== undefined && !ctx.variables.has(another.variable)) {
      ctx.problem('JCT_VARIABLE_UNKNOWN', `unknown variable "${another.variable}"`, '.another.variable');
    } else if (another?.attribute !== undefined && !ctx.attributes.get(another.attribute)) {
      ctx.problem('JCT_ATTRIBUTE_UNKNOWN', `unknown attribute "${another.attribute}"`, '.another.attribute');
    }
    return config;
  },
  execute: (config, run) => {
    if (!run.flowActive(config.flow)) return OTHERWISE;
    const vars: Record<string, Value> = {};
    for (const v of config.variables ?? []) vars[v.to] = run.vars[v.from] ?? null;
    const refusal = run.entryRefusal(config.flow, vars);
    if (refusal) {
      run.fail(refusal.code, refusal.message);
      return OTHERWISE;
    }
    const another = config.another;
    if (!another) {
      run.addToFlow({ flowId: config.flow, vars });
      return NEXT;
    }
    const raw = another.variable !== undefined ? run.vars[another.variable] : attributeValue(run.person, another.attribute!);
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value !== 'string' || value.trim() === '') return OTHERWISE;
    if (normalizeContact(value)?.kind !== another.channel) {
      run.fail('JCT_CONTACT_INVALID', `the other participant's contact ${JSON.stringify(value)} is not a valid ${another.channel}`);
      return OTHERWISE;
    }
    run.addToFlow({ flowId: config.flow, vars, contact: { channel: another.channel, value } });
    return NEXT;
  },
});

/**
 * Adding people to this very flow needs its Existing Flow entry point: without one every add
 * would fail (a rule added later: RULES_ADDED_LATER). Another flow's entry points are checked
 * when the element runs.
 */
function checkOwnFlowEntry(target: string, ctx: CompileContext): void {
  if (target !== ctx.flow.id || ctx.flow.entryPoints.some((e) => e.type === existingFlow.type)) return;
  ctx.problem('JCT_ADD_TO_FLOW_SELF_NO_ENTRY', `adds people to this flow ("${target}"), which has no Existing Flow entry point to take them: every add would fail; add an Existing Flow entry point or name another flow`, '.flow');
}
