import t from 'tap';
import { compileTemplate, type CompiledTemplate } from '../../../engine/expressions/template.js';
import { context, scope } from './context.js';

const SUBPATH = '.text';
const PATH = '$.elements[0].config.text';

function compile(text: string): CompiledTemplate {
  const ctx = context();
  const compiled = compileTemplate(text, ctx, SUBPATH);
  if (!compiled) throw new Error(`${text}: ${JSON.stringify(ctx.problems)}`);
  return compiled;
}

function render(text: string): string {
  return compile(text).render(scope());
}

t.test('variables by bare name, attributes after person.', async (t) => {
  t.equal(render('Hi {{person.firstName}}, you have {{count}} items'), 'Hi Ana, you have 3 items');
  t.equal(render('{{ person.firstName }}/{{  name  }}'), 'Ana/Ana', 'spaces inside the braces');
  t.equal(render('Tier {{person.loyalty-tier}}, order {{order-id}}'), 'Tier gold, order X-1', 'any catalog or variable name');
  t.equal(render('Last SMS {{person.sms.lastContactedAt}}'), 'Last SMS 2026-03-01T10:00:00.000Z');
  t.same(compile('{{person.firstName}} {{count}} {{person.firstName}}').placeholders, [
    'person.firstName',
    'count',
    'person.firstName',
  ]);
});

t.test('values render canonically; empty ones as nothing', async (t) => {
  t.equal(render('[{{person.lastName}}]'), '[]');
  t.equal(render('[{{empty}}]'), '[]');
  t.equal(render('{{due}} {{at}}'), '2026-03-28 2026-03-28T11:00:00.000Z');
  t.equal(render('{{price}} {{vip}} {{person.birthDate}}'), '2.5 true 1990-05-01');
  t.equal(render('{{items}} / {{person.phone}}'), 'a, b / +385911234567');
});

t.test('text without placeholders, or with an unclosed one, stays as written', async (t) => {
  t.equal(render('plain text'), 'plain text');
  t.equal(render(''), '');
  t.equal(render('{{name and } more'), '{{name and } more');
  t.same(compile('plain').placeholders, []);
});

t.test('unknown names are reported, each with the path', async (t) => {
  const ctx = context();
  t.equal(compileTemplate('{{nope}} {{person.nope}} {{firstName}} {{}} {{count}}', ctx, SUBPATH), undefined);
  t.same(
    ctx.problems.map((p) => [p.code, p.path]),
    Array(4).fill(['JCT_PLACEHOLDER_UNKNOWN', PATH]),
  );
  t.match(ctx.problems[1]?.message, /no attribute nope/);
  t.match(ctx.problems[2]?.message, /person attributes are written \{\{person\.name\}\}/, 'a hint for a bare attribute name');
});

t.test('a text that is exactly one placeholder keeps its value and type', async (t) => {
  const whole = compile('{{count}}');
  t.equal(whole.type, 'whole');
  t.equal(whole.resolve(scope()), 3);
  t.equal(compile(' {{ person.age }} ').resolve(scope()), 36, 'spaces around are ignored');
  t.equal(compile('{{due}}').type, 'date');
  t.equal(compile('{{person.birthDate}}').resolve(scope()), '1990-05-01');
  t.same(compile('{{person.phone}}').resolve(scope()), ['+385911234567']);
  t.equal(compile('{{empty}}').resolve(scope()), null, 'empty stays empty, not ""');
  const mixed = compile('{{count}} items');
  t.equal(mixed.type, 'text');
  t.equal(mixed.resolve(scope()), '3 items');
  t.equal(compile('{{count}}{{count}}').resolve(scope()), '33');
  t.equal(compile('fixed').resolve(scope()), 'fixed');
});
