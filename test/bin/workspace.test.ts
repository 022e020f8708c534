// Without --people, validate and simulate find the people file by themselves: the nearest
// junction.json above the flow (its `people`, relative to it), else the configured one.
import t from 'tap';
import { dirname, join, resolve } from 'node:path';
import { validateCommand } from '../../bin/commands/validate.js';
import { peopleFileFor } from '../../bin/workspace.js';
import { assembleRegistry } from '../../bin/modules.js';

const FLOW = {
  schemaVersion: 1,
  id: 'f',
  name: 'f',
  entryPoints: [{ id: 's', type: 'flowApi', config: {}, branches: { next: 'u' } }],
  elements: [{ id: 'u', type: 'updateProfile', config: { updates: [{ attribute: 'loyaltyTier', value: 'gold' }] } }],
};
const PEOPLE = { attributes: [{ name: 'loyaltyTier', type: 'text' }] };

function validate(flowFile: string, env: NodeJS.ProcessEnv): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = validateCommand(assembleRegistry(), flowFile, undefined, (l) => lines.push(l), env);
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

t.test('by default, the package’s example people, as start uses them, from whatever folder the command runs in', async (t) => {
  const examples = resolve('examples');
  const elsewhere = t.testdir();
  process.chdir(elsewhere);
  t.teardown(() => process.chdir(dirname(examples)));
  t.equal(peopleFileFor(join(examples, 'flows', 'welcome.json'), undefined, {}), join(examples, 'people.json'));
  t.same(validate(join(examples, 'flows', 'welcome.json'), {}), { code: 0, lines: [`${join(examples, 'flows', 'welcome.json')}: valid`] }, 'the README’s example validates from another folder');
});
