// A connection on a branch the element's config never takes (a wait's timeout branch with no
// timeout, a Call webhook's failure branches when its answer is not awaited, a Collect's noMatch
// when every entry takes next) is refused in a new flow, and tolerated in a version launched
// before the rule (RULES_ADDED_LATER).
import t from 'tap';
import { assembleRegistry } from '../../../bin/modules.js';
import { compileFlow, RULES_ADDED_LATER } from '../../../engine/flow/compile.js';
import type { NodeDefinition } from '../../../engine/flow-schema.js';

const registry = assembleRegistry();
const message = { channel: 'sms', number: '+385800100', branches: [{ name: 'yes', condition: { operator: 'matchesText', values: ['yes'] } }] };
const prompts = [{ say: 'Press a key.' }];

/** Each element with a config that never takes `branch`, and one that does. */
const cases = [
  { type: 'waitForEvent', branch: 'notHappened', never: { conditions: [{ event: 'message.clicked', happened: true }] }, takes: { conditions: [{ event: 'message.clicked', happened: true }], waitFor: { amount: 2, unit: 'days' } } },
  { type: 'waitForProfileChange', branch: 'notChanged', never: { attribute: 'city' }, takes: { attribute: 'city', waitFor: { amount: 1, unit: 'hours' } } },
  { type: 'evaluateInboundMessage', branch: 'noReply', never: message, takes: { ...message, timeout: { amount: 1, unit: 'days' } } },
  { type: 'callWebhook', branch: 'failed', never: { url: 'https://crm.example', waitForAnswer: false }, takes: { url: 'https://crm.example' } },
  { type: 'callWebhook', branch: 'clientError', never: { url: 'https://crm.example', waitForAnswer: false }, takes: { url: 'https://crm.example', waitForAnswer: true } },
  { type: 'callWebhook', branch: 'serverError', never: { url: 'https://crm.example', waitForAnswer: false }, takes: { url: 'https://crm.example' } },
  { type: 'collect', branch: 'noMatch', never: { prompts }, takes: { prompts, minDigits: 4, maxDigits: 4 } },
  { type: 'collect', branch: 'noMatch', never: { prompts, options: [], minDigits: 1 }, takes: { prompts, options: [{ name: 'one', digits: '1' }] } },
];

/** The element behind an entry point that brings what it needs (a call for Collect), its branch led to a Pause. */
function flowWith(type: string, config: unknown, branch: string): Record<string, unknown> {
  const entry = type === 'collect' ? { id: 'start', type: 'inboundCall', config: { numbers: ['+385 1 600 1000'] } } : { id: 'start', type: 'flowApi', config: {} };
  const subject: NodeDefinition = { id: 'subject', type, config, branches: { [branch]: 'after' } };
  return {
    schemaVersion: 1,
    id: 'f',
    name: 'F',
    entryPoints: [{ ...entry, branches: { next: 'subject' } }],
    elements: [subject, { id: 'after', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }],
  };
}

for (const c of cases) {
  t.test(`${c.type}: ${c.branch} connected where the config never takes it`, async (t) => {
    const refused = compileFlow(flowWith(c.type, c.never, c.branch), { registry });
    t.notOk(refused.ok, 'a new flow is refused');
    const problems = refused.ok ? [] : refused.problems;
    t.match(problems, [{ code: 'JCT_BRANCH_NEVER_TAKEN', path: `$.elements[0].branches.${c.branch}`, elementId: 'subject', message: new RegExp(`"${c.type}" never takes branch "${c.branch}" .*, or leave the branch unconnected`) }]);
    t.equal(problems.length, 1, 'that problem alone');

    const launched = compileFlow(flowWith(c.type, c.never, c.branch), { registry, tolerate: RULES_ADDED_LATER });
    t.ok(launched.ok, 'a version launched before the rule still compiles');
    t.match(launched.ok ? launched.tolerated : [], [{ code: 'JCT_BRANCH_NEVER_TAKEN', elementId: 'subject' }], 'and is told');

    const takes = compileFlow(flowWith(c.type, c.takes, c.branch), { registry });
    t.same(takes.ok ? [] : takes.problems, [], 'a config that takes the branch may connect it');
    const unconnected = compileFlow({ ...flowWith(c.type, c.never, c.branch), elements: [{ id: 'subject', type: c.type, config: c.never }] }, { registry });
    t.same(unconnected.ok ? [] : unconnected.problems, [], 'the branch left unconnected is fine');
  });
}

t.test('the message says how to make the branch taken', async (t) => {
  const r = compileFlow(flowWith('waitForEvent', cases[0]!.never, 'notHappened'), { registry });
  t.equal(
    r.ok ? '' : r.problems[0]!.message,
    '"waitForEvent" never takes branch "notHappened" without "waitFor" (it waits until the conditions hold): give the wait a "waitFor" duration, or leave the branch unconnected',
  );
});
