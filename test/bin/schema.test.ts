// The generated flow JSON Schema, read by a JSON Schema validator as an editor would: it takes
// every shipped example flow and every element's reference example, and refuses what validate
// refuses where JSON Schema can say so, while validate keeps its own codes.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { flowJsonSchema } from '../../bin/commands/schema.js';
import { assembleRegistry } from '../../bin/modules.js';
import { compileFlow } from '../../engine/flow/compile.js';
import type { NodeDefinition } from '../../engine/flow-schema.js';
import { flow } from '../engine/helpers.js';

const registry = assembleRegistry();
const check = new Ajv2020.default({ allErrors: true }).compile(flowJsonSchema(registry));
const accepts = (doc: unknown): boolean => check(doc) === true;

/** A flow with this one node: an entry point alone, or an element behind a Flow API entry point. */
function flowWith(type: string, config: unknown): Record<string, unknown> {
  const node: NodeDefinition = { id: 'subject', type, config };
  if (registry.get(type)?.role === 'entry') return { schemaVersion: 1, id: 'f', name: 'F', entryPoints: [node], elements: [] };
  return flow('f', [node]);
}

/** validate's codes and paths for a flow with this node. */
function validateCodes(type: string, config: unknown): string[] {
  const r = compileFlow(flowWith(type, config), { registry });
  return r.ok ? [] : r.problems.map((p) => `${p.code} ${p.path}`);
}

t.test('every example flow is accepted', async (t) => {
  for (const file of readdirSync('examples/flows')) {
    t.ok(accepts(JSON.parse(readFileSync(`examples/flows/${file}`, 'utf8'))), file);
  }
});

t.test("every element's reference example is accepted", async (t) => {
  for (const def of registry.all()) t.ok(accepts(flowWith(def.type, def.example)), def.type);
});

t.test('a pause until a weekday or time needs days or a time, in the schema as in validate', async (t) => {
  const pause = (extra: object) => flowWith('pause', { kind: 'untilDayTime', ...extra });
  t.notOk(accepts(pause({})), 'neither');
  t.notOk(accepts(pause({ days: [] })), 'no days and no time');
  t.ok(accepts(pause({ days: ['monday'] })), 'days only');
  t.ok(accepts(pause({ time: '13:00' })), 'time only');
  t.ok(accepts(pause({ days: [], time: '13:00' })), 'any day at a time');
  t.same(validateCodes('pause', { kind: 'untilDayTime' }), ['JCT_PAUSE_INVALID $.elements[0].config'], 'validate keeps its own code');
});

t.test('a wait for a profile change with a value needs an operator, in the schema as in validate', async (t) => {
  t.notOk(accepts(flowWith('waitForProfileChange', { attribute: 'city', value: 'Split' })));
  t.ok(accepts(flowWith('waitForProfileChange', { attribute: 'city', operator: 'is', value: 'Split' })));
  t.ok(accepts(flowWith('waitForProfileChange', { attribute: 'city' })));
  t.same(validateCodes('waitForProfileChange', { attribute: 'city', value: 'Split' }), ['JCT_CONDITION_VALUE $.elements[0].config.value']);
});

t.test('a moment takes an offset with isIn and was only, in the schema as in validate', async (t) => {
  const offset = { amount: 2, unit: 'days' };
  for (const type of ['dateOrTime', 'waitForDate']) {
    const path = registry.get(type)!.role === 'entry' ? '$.entryPoints[0].config.offset' : '$.elements[0].config.offset';
    t.notOk(accepts(flowWith(type, { attribute: 'birthDate', when: 'isIn' })), `${type}: isIn without an offset`);
    t.notOk(accepts(flowWith(type, { attribute: 'birthDate', when: 'was' })), `${type}: was without an offset`);
    t.notOk(accepts(flowWith(type, { attribute: 'birthDate', when: 'isToday', offset })), `${type}: isToday with an offset`);
    t.ok(accepts(flowWith(type, { attribute: 'birthDate', when: 'isIn', offset })), `${type}: isIn with an offset`);
    t.ok(accepts(flowWith(type, { attribute: 'birthDate', when: 'wasYesterday' })), `${type}: wasYesterday without one`);
    t.same(validateCodes(type, { attribute: 'birthDate', when: 'isIn' }), [`JCT_MOMENT_OFFSET ${path}`], `${type}: validate keeps its own code`);
    t.same(validateCodes(type, { attribute: 'birthDate', when: 'isToday', offset }), [`JCT_MOMENT_OFFSET ${path}`]);
  }
});

t.test('a Call webhook header value is one line, in the schema as in validate', async (t) => {
  const hook = (value: string) => ({ url: 'https://crm.example', headers: { 'X-Note': value } });
  t.notOk(accepts(flowWith('callWebhook', hook('one\ntwo'))), 'a line feed');
  t.notOk(accepts(flowWith('callWebhook', hook('one\r\ntwo'))), 'a carriage return');
  t.notOk(accepts(flowWith('callWebhook', hook('bell\u0007'))), 'another control character');
  t.ok(accepts(flowWith('callWebhook', hook('Bearer {{token}}\tand a tab'))), 'a tab and placeholders');
  t.same(validateCodes('callWebhook', hook('one\ntwo')), ['JCT_WEBHOOK_HEADER_INVALID $.elements[0].config.headers["X-Note"]']);
});

t.test('a branch the config never takes is not connected, in the schema as in validate', async (t) => {
  const connected = (type: string, config: unknown, branch: string) => {
    const doc = flowWith(type, config) as { elements: NodeDefinition[] };
    return { ...doc, elements: [{ ...doc.elements[0]!, branches: { [branch]: 'after' } }, { id: 'after', type: 'exit', config: {} }] };
  };
  const wait = { conditions: [{ event: 'message.clicked', happened: true }] };
  t.notOk(accepts(connected('waitForEvent', wait, 'notHappened')), 'notHappened without waitFor');
  t.ok(accepts(connected('waitForEvent', { ...wait, waitFor: { amount: 1, unit: 'days' } }, 'notHappened')), 'notHappened with waitFor');
  t.ok(accepts(connected('waitForEvent', wait, 'happened')), 'happened without waitFor');
  const hook = { url: 'https://crm.example', waitForAnswer: false };
  for (const branch of ['failed', 'clientError', 'serverError']) t.notOk(accepts(connected('callWebhook', hook, branch)), `${branch} with waitForAnswer false`);
  t.ok(accepts(connected('callWebhook', { ...hook, waitForAnswer: true }, 'failed')), 'failed with waitForAnswer true');
  t.ok(accepts(connected('callWebhook', { url: hook.url }, 'failed')), 'failed with waitForAnswer left out');
  t.ok(accepts(connected('callWebhook', hook, 'next')), 'next with waitForAnswer false');
  t.notOk(accepts(connected('waitForProfileChange', { attribute: 'city' }, 'notChanged')), 'notChanged without waitFor');
  t.notOk(accepts(connected('collect', { prompts: [{ say: 'Hi' }] }, 'noMatch')), 'noMatch without options');
  t.ok(accepts(connected('collect', { prompts: [{ say: 'Hi' }], minDigits: 3, maxDigits: 4 }, 'noMatch')), 'noMatch without options, an entry too short');
  const r = compileFlow(connected('callWebhook', hook, 'failed'), { registry });
  t.same(r.ok ? [] : r.problems.map((p) => `${p.code} ${p.path}`), ['JCT_BRANCH_NEVER_TAKEN $.elements[0].branches.failed'], 'validate keeps its own code');
});
