// Schema problems read well: a choice of words names every allowed word (or the choice's own
// description), and a text that misses its pattern is explained by the field's description.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { schemaProblems } from '../../engine/schema-problems.js';

const Unit = Type.Union([Type.Literal('seconds'), Type.Literal('minutes'), Type.Literal('hours')]);

t.test('a word outside a choice lists every allowed word', async (t) => {
  t.same(schemaProblems(Type.Object({ unit: Unit }), { unit: 'months' }, '$', 'X'), [{ code: 'X', message: 'Expected one of "seconds", "minutes", "hours"', path: '$.unit' }]);
});

t.test("a choice's description wins over the list", async (t) => {
  const described = Type.Union([Type.Literal('a'), Type.Literal('b')], { description: 'a or b' });
  t.same(schemaProblems(Type.Object({ v: described }), { v: 'c' }, '$', 'X')[0]?.message, 'Expected a or b');
});

t.test("a text that misses its pattern is explained by the field's description, else the pattern", async (t) => {
  const described = Type.String({ pattern: '^https?://[^/]+$', description: 'a scheme and host, e.g. https://junction.example.com' });
  t.same(schemaProblems(Type.Object({ base: described }), { base: 'ftp://x' }, '$', 'X')[0]?.message, 'Expected a scheme and host, e.g. https://junction.example.com');
  t.match(schemaProblems(Type.Object({ base: Type.String({ pattern: '^a+$' }) }), { base: 'b' }, '$', 'X')[0]?.message, /\^a\+\$/);
});
