// Without --people, validate and simulate find the people file by themselves: the nearest
// junction.json above the flow (its `people`, relative to it), else the configured one. validate
// checks the flow against that configuration (or --config's) too, as a launch would.
import t from 'tap';
import { dirname, join, resolve } from 'node:path';
import { validateCommand } from '../../bin/commands/validate.js';
import { peopleFileFor } from '../../bin/workspace.js';

const FLOW = {
  schemaVersion: 1,
  id: 'f',
  name: 'f',
  entryPoints: [{ id: 's', type: 'flowApi', config: {}, branches: { next: 'u' } }],
  elements: [{ id: 'u', type: 'updateProfile', config: { updates: [{ attribute: 'loyaltyTier', value: 'gold' }] } }],
};
const PEOPLE = { attributes: [{ name: 'loyaltyTier', type: 'text' }] };

function validate(flowFile: string, env: NodeJS.ProcessEnv, config?: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = validateCommand(flowFile, { people: undefined, config }, (l) => lines.push(l), env);
  return { code, lines };
}

t.test('the people of the nearest junction.json, relative to it', async (t) => {
  const dir = t.testdir({ 'junction.json': JSON.stringify({ people: 'data/people.json' }), data: { 'people.json': JSON.stringify(PEOPLE) }, flows: { deep: { 'f.json': JSON.stringify(FLOW) } } });
  const flow = join(dir, 'flows', 'deep', 'f.json');
  t.equal(peopleFileFor(flow, undefined, {}), join(dir, 'data', 'people.json'));
  t.same(validate(flow, {}), { code: 0, lines: [`${flow}: valid`] });
  t.equal(peopleFileFor(flow, 'given.json', {}), 'given.json', '--people wins');
});

t.test('no workspace file: the configured people file when it exists, else built-in attributes only', async (t) => {
  const dir = t.testdir({ 'f.json': JSON.stringify(FLOW), 'people.json': JSON.stringify(PEOPLE) });
  const flow = join(dir, 'f.json');
  t.equal(validate(flow, { JUNCTION_PEOPLE: join(dir, 'people.json') }).code, 0);
  const without = validate(flow, { JUNCTION_PEOPLE: '' });
  t.equal(without.code, 1);
  t.match(without.lines.join('\n'), /JCT_ATTRIBUTE_UNKNOWN/);
  t.equal(peopleFileFor(flow, undefined, { JUNCTION_PEOPLE: join(dir, 'missing.json') }), undefined, 'a configured file that does not exist is not used');
});

t.test('with a configuration, an Outbound call whose provider cannot place calls there is refused, naming it', async (t) => {
  const CALLS = {
    ...FLOW,
    entryPoints: [{ id: 's', type: 'flowApi', config: {}, branches: { next: 'dial' } }],
    elements: [{ id: 'dial', type: 'outboundCall', config: { provider: 'twilio', from: '+14155550100' }, branches: {} }],
  };
  const twilio = { authToken: 'a-token', accountSid: 'AC11111111111111111111111111111111', publicBaseUrl: 'https://ivr.example.com' };
  const dir = t.testdir({
    lost: { 'junction.json': JSON.stringify({ people: '', modules: { 'twilio-voice': { authToken: 'a-token' } } }), 'f.json': JSON.stringify(CALLS) },
    set: { 'junction.json': JSON.stringify({ people: '', modules: { 'twilio-voice': twilio } }), 'f.json': JSON.stringify(CALLS) },
    alone: { 'f.json': JSON.stringify(CALLS) },
  });
  const lost = validate(join(dir, 'lost', 'f.json'), {});
  t.equal(lost.code, 1);
  t.match(lost.lines.join('\n'), /\$\.elements\[0\]\.config\.provider {2}JCT_CALL_PROVIDER_UNCONFIGURED {2}outbound calls through twilio need the settings "publicBaseUrl", "accountSid" of the module "twilio-voice"/);
  t.equal(validate(join(dir, 'set', 'f.json'), {}).code, 0, 'configured: valid');
  t.equal(validate(join(dir, 'alone', 'f.json'), { JUNCTION_PEOPLE: '' }).code, 0, 'no configuration known: not checked');
  t.equal(validate(join(dir, 'alone', 'f.json'), { JUNCTION_PEOPLE: '' }, join(dir, 'lost', 'junction.json')).code, 1, '--config names one');
});

t.test('by default, the package’s example people, as start uses them, from whatever folder the command runs in', async (t) => {
  const examples = resolve('examples');
  const elsewhere = t.testdir();
  process.chdir(elsewhere);
  t.teardown(() => process.chdir(dirname(examples)));
  t.equal(peopleFileFor(join(examples, 'flows', 'welcome.json'), undefined, {}), join(examples, 'people.json'));
  t.same(validate(join(examples, 'flows', 'welcome.json'), {}), { code: 0, lines: [`${join(examples, 'flows', 'welcome.json')}: valid`] }, 'the README’s example validates from another folder');
});
