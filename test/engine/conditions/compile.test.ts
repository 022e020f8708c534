import t from 'tap';
import { Value as TypeValue } from '@sinclair/typebox/value';
import { compileGroup, compileSegmentRule, type ConditionContext } from '../../../engine/conditions/compile.js';
import { ConditionGroupSchema } from '../../../engine/conditions/schema.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import type { Person } from '../../../engine/person.js';
import type { Value, ValueType } from '../../../engine/values.js';

const catalog = new AttributeCatalog([
  { name: 'age', type: 'whole' },
  { name: 'plan', type: 'text' },
]);
const NOW = Date.parse('2026-03-27T09:00:00Z');
const ZG = 'Europe/Zagreb';

interface Reported {
  code: string;
  message: string;
  path: string;
}

function context(variables: Record<string, ValueType> = {}): { ctx: ConditionContext; problems: Reported[] } {
  const problems: Reported[] = [];
  const ctx: ConditionContext = {
    attributes: catalog,
    variables: new Map(Object.entries(variables)),
    problem: (code, message, path = '') => problems.push({ code, message, path }),
  };
  return { ctx, problems };
}

function person(p: Partial<Person> = {}): Person {
  return { id: 'p1', standard: {}, custom: {}, phones: [], emails: [], tags: [], companies: [], lastContacted: {}, ...p };
}

function scope(p: Person, vars: Record<string, Value> = {}, now = NOW, timeZone = ZG) {
  return { person: p, vars, now, timeZone };
}

t.test('all and any nest', async (t) => {
  const { ctx, problems } = context({ vip: 'boolean' });
  const group = {
    all: [
      { attribute: 'city', operator: 'is', value: 'Zagreb' },
      {
        any: [
          { attribute: 'age', operator: 'greaterOrEqual', value: 18 },
          { variable: 'vip', operator: 'is', value: true },
          { all: [{ attribute: 'plan', operator: 'is', value: 'gold' }, { attribute: 'email', operator: 'isNotEmpty' }] },
        ],
      },
    ],
  };
  const c = compileGroup(group, ctx, '.conditions');
  t.same(problems, []);
  if (!c) throw new Error('did not compile');
  const adult = person({ standard: { city: 'zagreb' }, custom: { age: 30 } });
  const minor = person({ standard: { city: 'Zagreb' }, custom: { age: 15 } });
  const gold = person({ standard: { city: 'Zagreb' }, custom: { plan: 'Gold' }, emails: ['ana@example.com'] });
  const goldWithoutEmail = person({ standard: { city: 'Zagreb' }, custom: { plan: 'gold' } });
  t.ok(c.test(scope(adult)), 'city and age');
  t.notOk(c.test(scope(minor)), 'city but none of the any');
  t.ok(c.test(scope(minor, { vip: true })), 'city and the variable');
  t.ok(c.test(scope(gold)), 'city and the nested all');
  t.notOk(c.test(scope(goldWithoutEmail)), 'nested all fails on one item');
  t.notOk(c.test(scope(person({ standard: { city: 'Split' }, custom: { age: 30 } }))), 'all fails on the first item');
});

t.test('reads standard, custom, contact and channel attributes and variables', async (t) => {
  const { ctx } = context({ score: 'decimal', due: 'datetime' });
  const check = (condition: object, p: Person, vars: Record<string, Value> = {}): boolean => {
    const c = compileGroup({ any: [condition] }, ctx, '');
    if (!c) throw new Error('did not compile');
    return c.test(scope(p, vars));
  };
  const ana = person({
    standard: { birthDate: '1990-03-30', createdAt: '2026-03-27T08:00:00.000Z' },
    custom: { age: 36 },
    phones: ['+385912345678'],
    lastContacted: { sms: '2026-03-24T12:00:00.000Z' },
  });
  t.ok(check({ attribute: 'birthDate', operator: 'was', value: { amount: 36, unit: 'weeks' } }, person({ standard: { birthDate: '2025-07-18' } })));
  t.notOk(check({ attribute: 'birthDate', operator: 'willBeIn', value: { amount: 3, unit: 'days' } }, ana), 'birthDate is a date, not an anniversary');
  t.ok(check({ attribute: 'createdAt', operator: 'wasToday' }, ana));
  t.ok(check({ attribute: 'sms.lastContactedAt', operator: 'wasWithin', value: { amount: 7, unit: 'days' } }, ana));
  t.ok(check({ attribute: 'whatsapp.lastContactedAt', operator: 'isEmpty' }, ana));
  t.ok(check({ attribute: 'phone', operator: 'contains', value: '91 234' }, ana));
  t.ok(check({ attribute: 'age', operator: 'lessThan', value: 40 }, ana));
  t.ok(check({ variable: 'score', operator: 'greaterThan', value: 2.5 }, ana, { score: 3 }));
  t.ok(check({ variable: 'score', operator: 'isEmpty' }, ana), 'an unset variable is empty');
  t.ok(check({ variable: 'due', operator: 'willBeWithin', value: { amount: 1, unit: 'hours' } }, ana, { due: '2026-03-27T09:30:00.000Z' }));
});

t.test('one compiled condition follows now and the time zone from test to test', async (t) => {
  const { ctx } = context();
  const today = compileGroup({ all: [{ attribute: 'createdAt', operator: 'wasToday' }] }, ctx, '');
  const soon = compileGroup({ all: [{ attribute: 'createdAt', operator: 'willBeWithin', value: { amount: 1, unit: 'hours' } }] }, ctx, '');
  const on27th = compileGroup({ all: [{ attribute: 'createdAt', operator: 'is', value: '2026-03-27' }] }, ctx, '');
  if (!today || !soon || !on27th) throw new Error('did not compile');
  const p = person({ standard: { createdAt: '2026-03-27T23:30:00.000Z' } });
  const late = Date.parse('2026-03-27T23:45:00Z');
  t.notOk(today.test(scope(p, {}, NOW, ZG)), 'Zagreb, Friday morning: it is Saturday there');
  t.ok(today.test(scope(p, {}, late, ZG)), 'Zagreb, Saturday 00:45');
  t.ok(today.test(scope(p, {}, late, 'America/New_York')), 'New York, Friday evening');
  t.notOk(today.test(scope(p, {}, Date.parse('2026-03-28T12:00:00Z'), 'America/New_York')), 'New York, Saturday');
  t.notOk(soon.test(scope(p)), 'far ahead');
  t.ok(soon.test(scope(p, {}, Date.parse('2026-03-27T23:00:00Z'))), 'within the hour');
  t.notOk(soon.test(scope(p, {}, Date.parse('2026-03-28T00:00:00Z'))), 'passed');
  t.notOk(on27th.test(scope(p, {}, NOW, ZG)), 'the 28th in Zagreb');
  t.ok(on27th.test(scope(p, {}, NOW, 'America/New_York')), 'the 27th in New York');
  t.notOk(on27th.test(scope(p, {}, NOW, ZG)), 'Zagreb again');
});

t.test('a condition kept for a day moves on at local midnight, also where midnight is skipped', async (t) => {
  const { ctx } = context();
  const yesterday = compileGroup({ all: [{ attribute: 'createdAt', operator: 'was', value: { amount: 1, unit: 'days' } }] }, ctx, '');
  const soon = compileGroup({ all: [{ attribute: 'birthDate', operator: 'willBeWithin', value: { amount: 2, unit: 'days' } }] }, ctx, '');
  const today = compileGroup({ all: [{ attribute: 'createdAt', operator: 'wasToday' }] }, ctx, '');
  if (!yesterday || !soon || !today) throw new Error('did not compile');
  const p = person({ standard: { createdAt: '2026-03-26T12:00:00.000Z', birthDate: '2026-03-29' } });
  const at = (iso: string) => scope(p, {}, Date.parse(iso), ZG);
  t.ok(yesterday.test(at('2026-03-27T09:00:00Z')), 'Friday morning');
  t.ok(yesterday.test(at('2026-03-27T22:59:59Z')), 'Friday 23:59:59');
  t.notOk(yesterday.test(at('2026-03-27T23:00:00Z')), 'Saturday 00:00');
  t.notOk(soon.test(at('2026-03-26T22:59:59Z')), 'Thursday 23:59:59: Sunday is 3 days away');
  t.ok(soon.test(at('2026-03-26T23:00:00Z')), 'Friday 00:00');
  t.ok(soon.test(at('2026-03-29T21:59:59Z')), 'Sunday 23:59:59 (CEST)');
  t.notOk(soon.test(at('2026-03-29T22:00:00Z')), 'Monday 00:00');
  // In Chile 2026-09-06 starts at 01:00 (-03:00): clocks jump from 00:00 to 01:00.
  const santiago = (created: string, now: string) => today.test(scope(person({ standard: { createdAt: created } }), {}, Date.parse(now), 'America/Santiago'));
  t.ok(santiago('2026-09-06T04:00:00.000Z', '2026-09-06T12:00:00Z'), '01:00 is the first instant of the day');
  t.notOk(santiago('2026-09-06T03:59:59.000Z', '2026-09-06T12:00:00Z'), '23:59:59 the day before');
  t.ok(santiago('2026-09-06T03:59:59.000Z', '2026-09-06T03:59:59Z'), 'and that was today a moment ago');
});

// [group, expected problems as "CODE path", a word each message must contain]
const PROBLEMS: Array<[unknown, string[], string?]> = [
  [{ attribute: 'city', operator: 'is', value: 'x' }, ['JCT_CONDITION_INVALID .c'], 'group'],
  [[], ['JCT_CONDITION_INVALID .c']],
  [{ all: [] }, ['JCT_CONDITION_INVALID .c.all']],
  [{ all: [{ attribute: 'city', operator: 'isEmpty' }], any: [] }, ['JCT_CONDITION_INVALID .c.any']],
  [{ all: 'city' }, ['JCT_CONDITION_INVALID .c.all']],
  [{ all: [42] }, ['JCT_CONDITION_INVALID .c.all[0]'], 'condition'],
  [{ all: [{ name: 'city' }] }, ['JCT_CONDITION_INVALID .c.all[0]']],
  [{ all: [{ attribute: 'city' }] }, ['JCT_CONDITION_INVALID .c.all[0].operator']],
  [{ all: [{ attribute: 'city', operator: 7 }] }, ['JCT_CONDITION_INVALID .c.all[0].operator']],
  [{ all: [{ attribute: 'city', operator: 'isEmpty', extra: 1 }] }, ['JCT_CONDITION_INVALID .c.all[0].extra']],
  [{ all: [{ attribute: 'city', variable: 'v', operator: 'isEmpty' }] }, ['JCT_CONDITION_INVALID .c.all[0].attribute']],
  [{ any: [{ attribute: 'shoeSize', operator: 'isEmpty' }] }, ['JCT_ATTRIBUTE_UNKNOWN .c.any[0].attribute'], 'shoeSize'],
  [{ all: [{ any: [{ variable: 'missing', operator: 'isEmpty' }] }] }, ['JCT_VARIABLE_UNKNOWN .c.all[0].any[0].variable'], 'vip'],
  [{ all: [{ attribute: 'city', operator: 'lessThan', value: 3 }] }, ['JCT_OPERATOR_INVALID .c.all[0].operator'], 'startsWith'],
  [{ all: [{ attribute: 'age', operator: 'contains', value: 3 }] }, ['JCT_OPERATOR_INVALID .c.all[0].operator'], 'greaterOrEqual'],
  [{ all: [{ attribute: 'createdAt', operator: 'bogus' }] }, ['JCT_OPERATOR_INVALID .c.all[0].operator'], 'wasToday'],
  [{ all: [{ attribute: 'phone', operator: 'startsWith', value: '385' }] }, ['JCT_OPERATOR_INVALID .c.all[0].operator'], 'contains'],
  [{ all: [{ attribute: 'city', operator: 'is' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'needs a value'],
  [{ all: [{ attribute: 'city', operator: 'isEmpty', value: '' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'takes no value'],
  [{ all: [{ attribute: 'city', operator: 'is', value: '  ' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'isEmpty'],
  [{ all: [{ attribute: 'city', operator: 'is', value: ['a'] }] }, ['JCT_CONDITION_VALUE .c.all[0].value']],
  [{ all: [{ attribute: 'age', operator: 'lessThan', value: 'ten' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'a number'],
  [{ all: [{ variable: 'vip', operator: 'is', value: 'yes' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'true or false'],
  [{ all: [{ attribute: 'birthDate', operator: 'before', value: 'tomorrow' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'YYYY-MM-DD'],
  [{ all: [{ attribute: 'createdAt', operator: 'since', value: '2026-02-30' }] }, ['JCT_CONDITION_VALUE .c.all[0].value']],
  [{ all: [{ attribute: 'createdAt', operator: 'wasWithin', value: 3 }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'duration'],
  [{ all: [{ attribute: 'createdAt', operator: 'was', value: { amount: 2, unit: 'months' } }] }, ['JCT_CONDITION_VALUE .c.all[0].value']],
  [{ all: [{ attribute: 'createdAt', operator: 'was', value: { amount: -1, unit: 'days' } }] }, ['JCT_CONDITION_VALUE .c.all[0].value']],
  [{ all: [{ attribute: 'phone', operator: 'is', value: '091 234 5678' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'international'],
  [{ all: [{ attribute: 'phone', operator: 'contains', value: 'abc' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'digits'],
  [{ all: [{ attribute: 'email', operator: 'is', value: 'ana' }] }, ['JCT_CONDITION_VALUE .c.all[0].value'], 'email'],
  [
    {
      any: [
        { attribute: 'shoeSize', operator: 'is', value: 1 },
        { all: [{ attribute: 'age', operator: 'was', value: 1 }, { variable: 'vip', operator: 'isEmpty', value: true }] },
        { attribute: 'city', operator: 'isEmpty' },
      ],
    },
    ['JCT_ATTRIBUTE_UNKNOWN .c.any[0].attribute', 'JCT_OPERATOR_INVALID .c.any[1].all[0].operator', 'JCT_CONDITION_VALUE .c.any[1].all[1].value'],
  ],
];

t.test('problems: every code with its JSON path, all reported at once', async (t) => {
  for (const [group, expected, word] of PROBLEMS) {
    const { ctx, problems } = context({ vip: 'boolean' });
    const label = JSON.stringify(group);
    t.equal(compileGroup(group, ctx, '.c'), undefined, label);
    t.same(problems.map((p) => `${p.code} ${p.path}`), expected, label);
    if (word) t.match(problems[0]?.message, word, `message of ${label}`);
  }
});

t.test('an unknown variable message names the declared ones', async (t) => {
  const { ctx, problems } = context({ vip: 'boolean', score: 'decimal' });
  compileGroup({ all: [{ variable: 'vpi', operator: 'isEmpty' }] }, ctx, '');
  t.match(problems[0]?.message, /unknown variable "vpi"; declared ones: vip, score/);
});

t.test('an operator message names the allowed operators in order', async (t) => {
  const { ctx, problems } = context();
  compileGroup({ all: [{ attribute: 'city', operator: 'after', value: '2026-01-01' }] }, ctx, '');
  t.equal(
    problems[0]?.message,
    '"after" does not apply to attribute "city" (text); use one of: is, isNot, contains, startsWith, endsWith, isEmpty, isNotEmpty',
  );
});

t.test('compileSegmentRule builds a store rule tested in its time zone', async (t) => {
  const rule = compileSegmentRule({ all: [{ attribute: 'createdAt', operator: 'wasToday' }] }, catalog, 'America/New_York', '$.segments[0].rules');
  const p = person({ standard: { createdAt: '2026-03-27T23:30:00.000Z' } });
  t.ok(rule.test(p, Date.parse('2026-03-28T01:00:00Z')), 'still Friday in New York');
  t.notOk(compileSegmentRule({ all: [{ attribute: 'createdAt', operator: 'wasToday' }] }, catalog).test(p, Date.parse('2026-03-28T01:00:00Z')), 'Saturday in UTC');
});

t.test('compileSegmentRule throws every problem at once', async (t) => {
  const rules = {
    all: [
      { attribute: 'shoeSize', operator: 'is', value: 42 },
      { variable: 'vip', operator: 'is', value: true },
    ],
  };
  t.throws(() => compileSegmentRule(rules, catalog, 'UTC', '$.segments[2].rules'), {
    code: 'JCT_SEGMENT_RULE_INVALID',
    message: /2 problem\(s\).*shoeSize.*no variables are declared here/,
    details: {
      problems: [
        { code: 'JCT_ATTRIBUTE_UNKNOWN', path: '$.segments[2].rules.all[0].attribute' },
        { code: 'JCT_VARIABLE_UNKNOWN', path: '$.segments[2].rules.all[1].variable' },
      ],
    },
  });
  t.throws(() => compileSegmentRule({ any: [] }, catalog), { code: 'JCT_SEGMENT_RULE_INVALID', details: { problems: [{ path: '$.any' }] } });
  t.throws(() => compileSegmentRule({ any: [{ attribute: 'city', operator: 'isEmpty' }] }, catalog, 'Europe/Atlantis'), {
    code: 'JCT_TIMEZONE_INVALID',
  });
});

t.test('a duration longer than 100 years is reported, yet the condition compiles (a flow launched before keeps it)', async (t) => {
  const { ctx, problems } = context({ due: 'datetime' });
  const group = {
    any: [
      { attribute: 'createdAt', operator: 'wasWithin', value: { amount: 1e9, unit: 'days' } },
      { variable: 'due', operator: 'willBeMoreThan', value: { amount: 36_525, unit: 'days' } },
    ],
  };
  const c = compileGroup(group, ctx, '.conditions');
  t.match(problems, [{ code: 'JCT_DURATION_TOO_LONG', path: '.conditions.any[0].value.amount', message: /a duration in a condition lasts at most 100 years/ }]);
  t.equal(problems.length, 1, '100 years is allowed');
  t.ok(c);
  t.throws(() => compileSegmentRule({ all: [group.any[0]] }, catalog), {
    code: 'JCT_SEGMENT_RULE_INVALID',
    details: { problems: [{ code: 'JCT_DURATION_TOO_LONG', path: '$.all[0].value.amount' }] },
  });
});

t.test('values fill in {{placeholders}} of variables and attributes, read at each test', async (t) => {
  const { ctx, problems } = context({ home: 'text', min: 'whole', since: 'date' });
  const check = (condition: object, p: Person, vars: Record<string, Value>) => {
    const c = compileGroup({ all: [condition] }, ctx, '.c');
    if (!c) throw new Error(JSON.stringify(problems));
    return c.test(scope(p, vars));
  };
  const ana = person({ standard: { city: 'Zagreb', createdAt: '2026-03-20T10:00:00.000Z' }, custom: { age: 30, plan: 'zagreb' } });
  const home = { attribute: 'city', operator: 'is', value: '{{ home }}' };
  t.ok(check(home, ana, { home: ' zagreb' }), 'text compares as text does: case and spaces aside');
  t.notOk(check(home, ana, { home: 'Split' }));
  t.notOk(check(home, ana, {}), 'an empty placeholder fits no operand: false');
  const c = compileGroup({ all: [{ attribute: 'age', operator: 'greaterOrEqual', value: '{{min}}' }] }, ctx, '.c')!;
  t.same([18, 30, 31, null].map((min) => c.test(scope(ana, { min }))), [true, true, false, false], 'one condition follows the value from test to test');
  t.ok(check({ attribute: 'plan', operator: 'is', value: '{{person.city}}' }, ana, {}), 'an attribute');
  t.ok(check({ attribute: 'createdAt', operator: 'since', value: '{{since}}' }, ana, { since: '2026-03-20' }));
  t.notOk(check({ attribute: 'createdAt', operator: 'since', value: '{{since}}' }, ana, { since: '2026-03-21' }));
  t.ok(check({ attribute: 'city', operator: 'is', value: 'Zagreb {{' }, person({ standard: { city: 'zagreb {{' } }), {}), 'an unclosed brace is text');
  t.same(problems, []);
});

t.test('placeholder problems: unknown names, an operator that takes no value or does not apply', async (t) => {
  const { ctx, problems } = context({ home: 'text' });
  const group = {
    all: [
      { attribute: 'city', operator: 'is', value: '{{nowhere}}' },
      { attribute: 'city', operator: 'isEmpty', value: '{{home}}' },
      { attribute: 'age', operator: 'startsWith', value: '{{home}}' },
    ],
  };
  compileGroup(group, ctx, '.c');
  t.same(problems.map((p) => `${p.code} ${p.path}`), [
    'JCT_PLACEHOLDER_UNKNOWN .c.all[0].value',
    'JCT_CONDITION_VALUE .c.all[1].value',
    'JCT_OPERATOR_INVALID .c.all[2].operator',
  ]);
});

t.test('ConditionGroupSchema describes the same groups', async (t) => {
  const valid = { all: [{ attribute: 'city', operator: 'is', value: 'Zagreb' }, { any: [{ variable: 'vip', operator: 'isEmpty' }] }] };
  t.ok(TypeValue.Check(ConditionGroupSchema, valid));
  t.notOk(TypeValue.Check(ConditionGroupSchema, { all: [] }), 'empty group');
  t.notOk(TypeValue.Check(ConditionGroupSchema, { all: [{ any: [{ attribute: 'city' }] }] }), 'nested condition without operator');
  t.notOk(TypeValue.Check(ConditionGroupSchema, { attribute: 'city', operator: 'isEmpty' }), 'a bare condition is not a group');
});
