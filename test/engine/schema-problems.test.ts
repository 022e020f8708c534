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

t.test('an object that fits no member of a described union is explained where it goes wrong, by the member it comes closest to', async (t) => {
  const Leaf = Type.Object({ attribute: Type.String(), operator: Type.String() }, { additionalProperties: false });
  const Group = Type.Object({ all: Type.Array(Leaf) }, { additionalProperties: false });
  const Conditions = Type.Union([Group, Leaf], { description: 'conditions combined with all' });
  t.same(schemaProblems(Type.Object({ c: Conditions }), { c: { all: [{ attribute: 'city', operator: 'is' }, { segment: 'x', operator: 'is' }] } }, '$', 'X'), [
    { code: 'X', message: '"attribute" is required here', path: '$.c.all[1].attribute' },
    { code: 'X', message: 'unknown field "segment"; the fields here are attribute, operator', path: '$.c.all[1].segment' },
  ]);
  t.same(schemaProblems(Type.Object({ c: Conditions }), { c: 'city is Zagreb' }, '$', 'X')[0]?.message, 'Expected conditions combined with all', 'a text is still told what is expected');
});
