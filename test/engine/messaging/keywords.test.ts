// The keyword matcher: the seed's priority across flows on one number, exact beats Anything,
// ties to the flow launched first, folding of case, width and white space, RE2 patterns with
// groups, and rules of other numbers and channels never consulted.
import t from 'tap';
import { KeywordIndex, foldText, compilePattern, type KeywordCondition, type KeywordRule } from '../../../engine/messaging/keywords.js';
import type { Person } from '../../../engine/person.js';

const rule = (order: number, condition: KeywordCondition, target = `r${order}`, number = '+385800100', channel = 'sms'): KeywordRule<string> => ({
  channel,
  number,
  condition,
  order,
  target,
});
const sms = (text: string, to = '+385800100') => ({ channel: 'sms' as const, to, text });
const person = { id: 'ana', standard: { firstName: 'Ana' }, custom: { code: 'BLUE-42' }, phones: [], emails: [], tags: [], companies: [], lastContacted: {} } as unknown as Person;

t.test('folding: NFKC, trimmed, one space, lower case', async (t) => {
  t.equal(foldText('  Hello\t\n  WORLD  '), 'hello world');
  t.equal(foldText('ＳＴＡＲＴ'), 'start');
});

t.test('the seed order decides between classes, whatever the flows', async (t) => {
  const index = new KeywordIndex([
    rule(0, { operator: 'anything' }, 'anything'),
    rule(1, { operator: 'containsText', values: ['blue'] }, 'contains'),
    rule(2, { operator: 'matchesRegex', pattern: '^blue-(\\d+)$' }, 'regex'),
    rule(3, { operator: 'matchesText', values: ['blue-42', 'azul'] }, 'text'),
    rule(4, { operator: 'equalsAttribute', attribute: 'code' }, 'attribute'),
  ]);
  t.match(index.match(sms('blue-42'), person), { target: 'attribute', operator: 'equalsAttribute' });
  t.match(index.match(sms('BLUE-42'), undefined), { target: 'text', operator: 'matchesText' }, 'no person: no attribute rule');
  t.match(index.match(sms('blue-7'), person), { target: 'regex', groups: ['blue-7', '7'] });
  t.match(index.match(sms('I like blue'), person), { target: 'contains' });
  t.match(index.match(sms('hello'), person), { target: 'anything', operator: 'anything' });
  t.equal(index.match(sms('hello', '+385800999'), person), undefined, 'another number has no rules');
  t.equal(index.match({ channel: 'whatsapp', to: '+385800100', text: 'azul' }, person), undefined, 'another channel neither');
});

t.test('an exact keyword beats Anything across flows; ties go to the lower order', async (t) => {
  const index = new KeywordIndex([rule(0, { operator: 'anything' }, 'flow-a'), rule(5, { operator: 'matchesText', values: ['Start'] }, 'flow-b'), rule(9, { operator: 'matchesText', values: ['start'] }, 'flow-c')]);
  t.match(index.match(sms(' start '), undefined), { target: 'flow-b' });
  const twoAnything = new KeywordIndex([rule(7, { operator: 'anything' }, 'late'), rule(3, { operator: 'anything' }, 'early')]);
  t.match(twoAnything.match(sms('x'), undefined), { target: 'early' });
  const twoPatterns = new KeywordIndex([rule(8, { operator: 'matchesRegex', pattern: 'a' }, 'late'), rule(2, { operator: 'matchesRegex', pattern: 'a+' }, 'early')]);
  t.match(twoPatterns.match(sms('aaa'), undefined), { target: 'early' });
});

t.test('WhatsApp buttons: payload before button text, both before texts', async (t) => {
  const index = new KeywordIndex([
    rule(0, { operator: 'matchesText', values: ['yes'] }, 'text', '+385800100', 'whatsapp'),
    rule(1, { operator: 'buttonText', values: ['Yes'] }, 'button', '+385800100', 'whatsapp'),
    rule(2, { operator: 'buttonPayload', values: ['confirm-1'] }, 'payload', '+385800100', 'whatsapp'),
  ]);
  const reply = (text: string, payload?: string) => ({ channel: 'whatsapp' as const, to: '+385800100', text, button: { text, ...(payload ? { payload } : {}) } });
  t.match(index.match(reply('Yes', 'confirm-1'), undefined), { target: 'payload' });
  t.match(index.match(reply('YES'), undefined), { target: 'button' });
  t.match(index.match({ channel: 'whatsapp', to: '+385800100', text: 'yes' }, undefined), { target: 'text' });
});

t.test('contains texts are literal, not patterns', async (t) => {
  const index = new KeywordIndex([rule(0, { operator: 'containsText', values: ['a.b', '(?'] })]);
  t.ok(index.match(sms('x a.b y'), undefined));
  t.notOk(index.match(sms('x axb y'), undefined));
  t.ok(index.match(sms('what (?'), undefined));
});

t.test('patterns run on RE2: no backtracking, and what RE2 cannot do is refused at compile', async (t) => {
  const index = new KeywordIndex([rule(0, { operator: 'matchesRegex', pattern: '(a+)+$' })]);
  const started = process.hrtime.bigint();
  t.notOk(index.match(sms(`${'a'.repeat(50_000)}!`), undefined));
  t.ok(Number(process.hrtime.bigint() - started) / 1e6 < 1000, 'a classic catastrophic pattern stays linear');
  t.throws(() => compilePattern('(a)\\1'), SyntaxError, 'backreferences are refused');
  t.throws(() => compilePattern('(?=a)'), SyntaxError, 'lookarounds are refused');
});

t.test('an attribute rule needs a non-empty text and value', async (t) => {
  const index = new KeywordIndex([rule(0, { operator: 'equalsAttribute', attribute: 'lastName' })]);
  t.notOk(index.match(sms(''), person));
  t.notOk(index.match(sms('Horvat'), person));
  t.equal(index.size, 1);
});
