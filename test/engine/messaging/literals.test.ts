// Literal search and required literals, and the compiled matcher agreeing with the naive scan
// on random rules and messages.
import t from 'tap';
import fc from 'fast-check';
import { LiteralSearch, requiredLiteral } from '../../../engine/messaging/literals.js';
import { KeywordIndex, type KeywordCondition, type KeywordRule } from '../../../engine/messaging/keywords.js';
import { LinearScan } from '../../../bench/lib/keyword-scan.js';

t.test('every needle a text contains is found, overlapping ones too', async (t) => {
  const search = new LiteralSearch(['he', 'she', 'his', 'hers', 'x']);
  t.same([...search.find('ushers')].sort(), [0, 1, 3]);
  t.same(search.find('nothing here'), [0]);
  t.same(new LiteralSearch([]).find('abc'), []);
  t.ok(new LiteralSearch([]).empty);
});

t.test('a required literal is what every match must contain', async (t) => {
  t.equal(requiredLiteral('^promo12\\s+(\\d+)$'), 'promo12');
  t.equal(requiredLiteral('(?i)Start now'), 'start', 'inline flags are a group; the space ends the run');
  t.equal(requiredLiteral('colou?r'), 'colo', 'an optional letter ends the run before it');
  t.equal(requiredLiteral('abc+def'), 'abc', 'a repeated letter ends the run after it');
  t.equal(requiredLiteral('yes|no'), undefined, 'alternation at the top: nothing is required');
  t.equal(requiredLiteral('(yes|no)please'), 'please');
  t.equal(requiredLiteral('[abc]{3}xy'), undefined, 'too short');
  t.equal(requiredLiteral('\\bcode\\d{4}'), 'code');
  t.equal(requiredLiteral('a{2}bcdx'), 'bcdx');
});

const word = fc.constantFrom('start', 'stop', 'help', 'yes', 'no', 'promo', 'code', '42', 'x');
const condition: fc.Arbitrary<KeywordCondition> = fc.oneof(
  fc.constant({ operator: 'anything' as const }),
  fc.array(word, { minLength: 1, maxLength: 3 }).map((values) => ({ operator: 'matchesText' as const, values })),
  fc.array(word, { minLength: 1, maxLength: 3 }).map((values) => ({ operator: 'containsText' as const, values })),
  fc.tuple(word, word).map(([a, b]) => ({ operator: 'matchesRegex' as const, pattern: `${a}\\s*(\\d*)|${b}$` })),
  word.map((a) => ({ operator: 'matchesRegex' as const, pattern: `^${a}+ ?[0-9]{1,3}$` })),
);
const number = fc.constantFrom('+385800100', '+385800200');

t.test('the compiled matcher answers what the naive scan answers', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ condition, number }), { maxLength: 30 }),
      fc.array(fc.record({ to: number, text: fc.array(word, { maxLength: 4 }).map((w) => w.join(fc.sample(fc.constantFrom(' ', '', '  '), 1)[0])) }), { maxLength: 20 }),
      (rules, messages) => {
        const list: KeywordRule<number>[] = rules.map((r, i) => ({ channel: 'sms', number: r.number, condition: r.condition, order: i, target: i }));
        const index = new KeywordIndex(list);
        const scan = new LinearScan(list);
        for (const m of messages) {
          const message = { channel: 'sms' as const, ...m };
          if (index.match(message, undefined)?.target !== scan.match(message)) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass('agreed on every run');
});
