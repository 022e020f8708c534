// Every operator of every value type, table-driven: a stored attribute value, an operator
// with its value, a moment and a time zone, and the expected result.
import t from 'tap';
import { compileGroup } from '../../../engine/conditions/compile.js';
import { attributeOperators, operatorsFor } from '../../../engine/conditions/operators.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import type { Person } from '../../../engine/person.js';
import type { Value, ValueType } from '../../../engine/values.js';

type Kind = ValueType | 'phone' | 'email';

interface Case {
  readonly kind: Kind;
  /** The stored attribute value; undefined: the attribute is absent. */
  readonly stored: Value | undefined;
  readonly op: string;
  readonly value?: unknown;
  readonly now?: string;
  readonly tz?: string;
  readonly expected: boolean;
}

// Friday 2026-03-27 10:00 in Zagreb (CET, +01:00); clocks go forward on Sunday the 29th.
const NOW = '2026-03-27T09:00:00Z';
const ZG = 'Europe/Zagreb';
const NY = 'America/New_York';

const ATTRIBUTE: Record<Kind, string> = {
  boolean: 'subscribed',
  text: 'nickname',
  decimal: 'balance',
  whole: 'visits',
  date: 'renewal',
  datetime: 'lastOrder',
  list: 'interests',
  phone: 'phone',
  email: 'email',
};

const catalog = new AttributeCatalog(
  (['boolean', 'text', 'decimal', 'whole', 'date', 'datetime', 'list'] as const).map((type) => ({ name: ATTRIBUTE[type], type })),
);

/** Cases of one kind: [stored, operator, value, expected, now?, tz?]. */
function cases(kind: Kind, rows: ReadonlyArray<[Value | undefined, string, unknown, boolean, string?, string?]>): Case[] {
  return rows.map(([stored, op, value, expected, now, tz]) => ({ kind, stored, op, value, expected, now, tz }));
}

const d = (amount: number, unit: string): { amount: number; unit: string } => ({ amount, unit });
const NONE = undefined;

const CASES: Case[] = [
  ...cases('boolean', [
    [true, 'is', true, true],
    [false, 'is', true, false],
    [null, 'is', false, false],
    [undefined, 'is', true, false],
    [false, 'isNot', true, true],
    [true, 'isNot', true, false],
    [null, 'isNot', true, true],
    [null, 'isEmpty', NONE, true],
    [false, 'isEmpty', NONE, false],
    [false, 'isNotEmpty', NONE, true],
    [undefined, 'isNotEmpty', NONE, false],
  ]),
  ...cases('text', [
    ['Zagreb', 'is', 'zagreb', true],
    ['Zagreb', 'is', ' ZAGREB ', true],
    [' Zagreb ', 'is', 'Zagreb', true],
    ['ČAKOVEC', 'is', 'čakovec', true],
    ['Split', 'is', 'zagreb', false],
    [null, 'is', 'zagreb', false],
    ['Split', 'isNot', 'zagreb', true],
    ['ZAGREB', 'isNot', 'zagreb', false],
    [null, 'isNot', 'zagreb', true],
    ['   ', 'isNot', 'zagreb', true],
    ['Zagreb', 'contains', 'GREB', true],
    ['Zagreb', 'contains', 'split', false],
    [undefined, 'contains', 'a', false],
    ['Zagreb', 'startsWith', 'zag', true],
    ['Zagreb', 'startsWith', 'greb', false],
    ['Zagreb', 'endsWith', 'GREB', true],
    ['Zagreb', 'endsWith', 'zag', false],
    [null, 'endsWith', 'zag', false],
    [null, 'isEmpty', NONE, true],
    [undefined, 'isEmpty', NONE, true],
    ['', 'isEmpty', NONE, true],
    ['  ', 'isEmpty', NONE, true],
    ['a', 'isEmpty', NONE, false],
    ['a', 'isNotEmpty', NONE, true],
    ['  ', 'isNotEmpty', NONE, false],
  ]),
  ...cases('decimal', [
    [1.5, 'is', 1.5, true],
    [1.5, 'is', '1.5', true],
    [2, 'is', 1.5, false],
    [null, 'is', 0, false],
    [2, 'isNot', 1.5, true],
    [1.5, 'isNot', 1.5, false],
    [null, 'isNot', 1.5, true],
    [9.99, 'lessThan', 10, true],
    [10, 'lessThan', 10, false],
    [-1, 'lessThan', 0, true],
    [null, 'lessThan', 10, false],
    [10, 'lessOrEqual', 10, true],
    [10.01, 'lessOrEqual', 10, false],
    [10, 'greaterOrEqual', 10, true],
    [9.99, 'greaterOrEqual', 10, false],
    [10.5, 'greaterThan', 10, true],
    [10, 'greaterThan', 10, false],
    [null, 'greaterThan', -100, false],
    [null, 'isEmpty', NONE, true],
    [0, 'isEmpty', NONE, false],
    [0, 'isNotEmpty', NONE, true],
    [null, 'isNotEmpty', NONE, false],
  ]),
  ...cases('whole', [
    [3, 'is', 3, true],
    [4, 'is', 3, false],
    [4, 'isNot', 3, true],
    [3, 'isNot', 3, false],
    [undefined, 'isNot', 3, true],
    [2, 'lessThan', 3, true],
    [3, 'lessThan', 3, false],
    [3, 'lessOrEqual', 3, true],
    [4, 'lessOrEqual', 3, false],
    [3, 'greaterOrEqual', 3, true],
    [2, 'greaterOrEqual', 3, false],
    [18, 'greaterThan', 17.5, true],
    [17, 'greaterThan', 17.5, false],
    [undefined, 'greaterThan', 0, false],
    [undefined, 'isEmpty', NONE, true],
    [0, 'isEmpty', NONE, false],
    [0, 'isNotEmpty', NONE, true],
    [null, 'isNotEmpty', NONE, false],
  ]),
  ...cases('date', [
    // absolute: a date operand is the day itself; a date-time operand its local day
    ['2026-03-27', 'is', '2026-03-27', true],
    ['2026-03-28', 'is', '2026-03-27', false],
    ['2026-03-27', 'is', '2026-03-27T15:00', true],
    ['2026-03-28', 'is', '2026-03-27T23:30:00Z', true, NOW, ZG],
    ['2026-03-27', 'is', '2026-03-27T23:30:00Z', true, NOW, NY],
    [null, 'is', '2026-03-27', false],
    ['2026-03-28', 'isNot', '2026-03-27', true],
    ['2026-03-27', 'isNot', '2026-03-27', false],
    [null, 'isNot', '2026-03-27', true],
    ['2026-03-26', 'before', '2026-03-27', true],
    ['2026-03-27', 'before', '2026-03-27', false],
    ['2026-03-27', 'until', '2026-03-27', true],
    ['2026-03-28', 'until', '2026-03-27', false],
    ['2026-03-27', 'since', '2026-03-27', true],
    ['2026-03-26', 'since', '2026-03-27', false],
    ['2026-03-28', 'after', '2026-03-27', true],
    ['2026-03-27', 'after', '2026-03-27', false],
    [null, 'after', '2000-01-01', false],
    // years 0001 to 0099 are those years, not 1901 to 1999
    ['0050-03-01', 'is', '0050-03-01', true],
    ['1950-03-01', 'is', '0050-03-01T10:00', false],
    ['0050-03-01', 'is', '0050-03-01T10:00', true, NOW, ZG],
    ['0050-03-01', 'before', '1900-01-01', true],
    // relative, from Friday 10:00: days are local calendar days, across the spring change too
    ['2026-03-30', 'willBeIn', d(3, 'days'), true],
    ['2026-03-29', 'willBeIn', d(3, 'days'), false],
    ['2026-04-03', 'willBeIn', d(1, 'weeks'), true],
    ['2026-03-27', 'willBeIn', d(0, 'days'), true],
    ['2026-03-28', 'willBeIn', d(20, 'hours'), true],
    ['2026-03-27', 'willBeIn', d(20, 'hours'), false],
    [null, 'willBeIn', d(1, 'days'), false],
    ['2026-03-27', 'willBeWithin', d(2, 'days'), true],
    ['2026-03-29', 'willBeWithin', d(2, 'days'), true],
    ['2026-03-30', 'willBeWithin', d(2, 'days'), false],
    ['2026-03-26', 'willBeWithin', d(2, 'days'), false],
    ['2026-03-30', 'willBeMoreThan', d(2, 'days'), true],
    ['2026-03-29', 'willBeMoreThan', d(2, 'days'), false],
    ['2026-03-26', 'was', d(1, 'days'), true],
    ['2026-03-27', 'was', d(1, 'days'), false],
    ['2026-03-27', 'was', d(3, 'days'), true, '2026-03-30T08:00:00Z'],
    ['2026-03-25', 'wasWithin', d(2, 'days'), true],
    ['2026-03-27', 'wasWithin', d(2, 'days'), true],
    ['2026-03-24', 'wasWithin', d(2, 'days'), false],
    ['2026-03-28', 'wasWithin', d(2, 'days'), false],
    ['2026-03-24', 'wasMoreThan', d(2, 'days'), true],
    ['2026-03-25', 'wasMoreThan', d(2, 'days'), false],
    ['2026-03-27', 'wasToday', NONE, true],
    ['2026-03-26', 'wasToday', NONE, false],
    // 2026-03-28T02:00Z is already Saturday in Zagreb but still Friday evening in New York
    ['2026-03-27', 'wasToday', NONE, false, '2026-03-28T02:00:00Z', ZG],
    ['2026-03-27', 'was', d(1, 'days'), true, '2026-03-28T02:00:00Z', ZG],
    ['2026-03-27', 'wasToday', NONE, true, '2026-03-28T02:00:00Z', NY],
    [null, 'wasToday', NONE, false],
    [null, 'isEmpty', NONE, true],
    ['2026-03-27', 'isEmpty', NONE, false],
    ['2026-03-27', 'isNotEmpty', NONE, true],
    [undefined, 'isNotEmpty', NONE, false],
  ]),
  ...cases('datetime', [
    ['0050-03-01T10:00:00.000Z', 'is', '0050-03-01T10:00', true, NOW, 'UTC'],
    ['1950-03-01T10:00:00.000Z', 'is', '0050-03-01T10:00', false, NOW, 'UTC'],
    ['0050-03-01T10:00:00.000Z', 'since', '0050-03-01', true, NOW, 'UTC'],
    // a date operand is the whole local day: [2026-03-26T23:00Z, 2026-03-27T23:00Z) in Zagreb
    ['2026-03-26T23:00:00.000Z', 'is', '2026-03-27', true],
    ['2026-03-27T22:59:59.999Z', 'is', '2026-03-27', true],
    ['2026-03-26T22:59:59.999Z', 'is', '2026-03-27', false],
    ['2026-03-27T23:00:00.000Z', 'is', '2026-03-27', false],
    ['2026-03-27T23:30:00.000Z', 'is', '2026-03-27', true, NOW, NY],
    // the spring-forward day has 23 hours, the fall-back day 25
    ['2026-03-29T21:59:59.000Z', 'is', '2026-03-29', true],
    ['2026-03-29T22:00:00.000Z', 'is', '2026-03-29', false],
    ['2026-10-25T22:30:00.000Z', 'is', '2026-10-25', true],
    // a date-time operand is the minute, second or millisecond it is written to
    ['2026-03-27T09:00:45.000Z', 'is', '2026-03-27T10:00', true],
    ['2026-03-27T09:01:00.000Z', 'is', '2026-03-27T10:00', false],
    ['2026-03-27T09:00:00.500Z', 'is', '2026-03-27T09:00:00Z', true],
    ['2026-03-27T09:00:01.000Z', 'is', '2026-03-27T09:00:00Z', false],
    ['2026-03-27T09:00:00.251Z', 'is', '2026-03-27T09:00:00.250Z', false],
    [null, 'is', '2026-03-27', false],
    ['2026-03-28T10:00:00.000Z', 'isNot', '2026-03-27', true],
    ['2026-03-27T10:00:00.000Z', 'isNot', '2026-03-27', false],
    [null, 'isNot', '2026-03-27', true],
    ['2026-03-26T22:59:59.999Z', 'before', '2026-03-27', true],
    ['2026-03-26T23:00:00.000Z', 'before', '2026-03-27', false],
    ['2026-03-27T22:59:59.999Z', 'until', '2026-03-27', true],
    ['2026-03-27T23:00:00.000Z', 'until', '2026-03-27', false],
    ['2026-03-26T23:00:00.000Z', 'since', '2026-03-27', true],
    ['2026-03-26T22:59:59.999Z', 'since', '2026-03-27', false],
    ['2026-03-27T23:00:00.000Z', 'after', '2026-03-27', true],
    ['2026-03-27T22:59:59.999Z', 'after', '2026-03-27', false],
    ['2026-03-27T09:01:00.000Z', 'after', '2026-03-27T10:00+01:00', true],
    ['2026-03-27T09:00:30.000Z', 'after', '2026-03-27T10:00+01:00', false],
    [null, 'before', '2030-01-01', false],
    // willBeIn: days → the local day (Monday, after the change); hours → [now+N, now+N+1h)
    ['2026-03-29T22:00:00.000Z', 'willBeIn', d(3, 'days'), true],
    ['2026-03-30T21:59:59.000Z', 'willBeIn', d(3, 'days'), true],
    ['2026-03-29T21:59:59.000Z', 'willBeIn', d(3, 'days'), false],
    ['2026-03-09T04:00:00.000Z', 'willBeIn', d(3, 'days'), true, '2026-03-06T15:00:00Z', NY],
    ['2026-03-09T03:59:59.000Z', 'willBeIn', d(3, 'days'), false, '2026-03-06T15:00:00Z', NY],
    ['2026-03-27T11:00:00.000Z', 'willBeIn', d(2, 'hours'), true],
    ['2026-03-27T11:59:59.999Z', 'willBeIn', d(2, 'hours'), true],
    ['2026-03-27T12:00:00.000Z', 'willBeIn', d(2, 'hours'), false],
    ['2026-03-27T10:59:59.999Z', 'willBeIn', d(2, 'hours'), false],
    ['2026-03-27T09:30:59.000Z', 'willBeIn', d(30, 'minutes'), true],
    ['2026-03-27T09:31:00.000Z', 'willBeIn', d(30, 'minutes'), false],
    [null, 'willBeIn', d(2, 'hours'), false],
    // willBeWithin: now ≤ value ≤ now+N; 3 days from Friday 10:00 CET is Monday 10:00 CEST
    ['2026-03-27T09:00:00.000Z', 'willBeWithin', d(2, 'hours'), true],
    ['2026-03-27T11:00:00.000Z', 'willBeWithin', d(2, 'hours'), true],
    ['2026-03-27T11:00:00.001Z', 'willBeWithin', d(2, 'hours'), false],
    ['2026-03-27T08:59:59.999Z', 'willBeWithin', d(2, 'hours'), false],
    ['2026-03-30T08:00:00.000Z', 'willBeWithin', d(3, 'days'), true],
    ['2026-03-30T08:00:01.000Z', 'willBeWithin', d(3, 'days'), false],
    ['2026-03-09T14:00:00.000Z', 'willBeWithin', d(3, 'days'), true, '2026-03-06T15:00:00Z', NY],
    ['2026-03-09T14:00:01.000Z', 'willBeWithin', d(3, 'days'), false, '2026-03-06T15:00:00Z', NY],
    ['2026-11-01T15:00:00.000Z', 'willBeWithin', d(1, 'days'), true, '2026-10-31T14:00:00Z', NY],
    ['2026-11-01T15:00:01.000Z', 'willBeWithin', d(1, 'days'), false, '2026-10-31T14:00:00Z', NY],
    ['2026-03-27T11:00:00.001Z', 'willBeMoreThan', d(2, 'hours'), true],
    ['2026-03-27T11:00:00.000Z', 'willBeMoreThan', d(2, 'hours'), false],
    // was: days → the local day; hours → (now−N−1h, now−N]
    ['2026-03-27T07:00:00.000Z', 'was', d(2, 'hours'), true],
    ['2026-03-27T06:00:00.001Z', 'was', d(2, 'hours'), true],
    ['2026-03-27T06:00:00.000Z', 'was', d(2, 'hours'), false],
    ['2026-03-27T07:00:00.001Z', 'was', d(2, 'hours'), false],
    ['2026-03-25T23:00:00.000Z', 'was', d(1, 'days'), true],
    ['2026-03-26T22:59:59.000Z', 'was', d(1, 'days'), true],
    ['2026-03-26T23:00:00.000Z', 'was', d(1, 'days'), false],
    ['2026-03-27T22:30:00.000Z', 'was', d(3, 'days'), true, '2026-03-30T08:00:00Z'],
    ['2026-03-27T22:30:00.000Z', 'was', d(1, 'days'), true, '2026-03-28T02:00:00Z', ZG],
    ['2026-10-25T00:30:00.000Z', 'was', d(1, 'days'), true, '2026-10-26T10:00:00Z', ZG],
    // wasWithin: now−N ≤ value ≤ now; 3 days before Monday 10:00 CEST is Friday 10:00 CET
    ['2026-03-27T08:00:00.000Z', 'wasWithin', d(1, 'hours'), true],
    ['2026-03-27T09:00:00.000Z', 'wasWithin', d(1, 'hours'), true],
    ['2026-03-27T07:59:59.999Z', 'wasWithin', d(1, 'hours'), false],
    ['2026-03-27T09:00:00.001Z', 'wasWithin', d(1, 'hours'), false],
    ['2026-03-27T09:00:00.000Z', 'wasWithin', d(3, 'days'), true, '2026-03-30T08:00:00Z'],
    ['2026-03-27T08:59:59.000Z', 'wasWithin', d(3, 'days'), false, '2026-03-30T08:00:00Z'],
    ['2026-03-27T07:59:59.999Z', 'wasMoreThan', d(1, 'hours'), true],
    ['2026-03-27T08:00:00.000Z', 'wasMoreThan', d(1, 'hours'), false],
    // wasToday: the local calendar date is today (later today counts too)
    ['2026-03-26T23:00:00.000Z', 'wasToday', NONE, true],
    ['2026-03-27T22:00:00.000Z', 'wasToday', NONE, true],
    ['2026-03-26T22:59:59.999Z', 'wasToday', NONE, false],
    ['2026-03-27T22:30:00.000Z', 'wasToday', NONE, false, '2026-03-28T02:00:00Z', ZG],
    ['2026-03-27T22:30:00.000Z', 'wasToday', NONE, true, '2026-03-28T02:00:00Z', NY],
    [null, 'wasToday', NONE, false],
    [null, 'isEmpty', NONE, true],
    ['not a date', 'isEmpty', NONE, true],
    ['2026-03-27T09:00:00.000Z', 'isEmpty', NONE, false],
    ['2026-03-27T09:00:00.000Z', 'isNotEmpty', NONE, true],
    [undefined, 'isNotEmpty', NONE, false],
  ]),
  ...cases('list', [
    [['Sports', 'Music'], 'contains', ' MUSIC ', true],
    [['premium'], 'contains', 'prem', false],
    [['Sports', 'Music'], 'contains', 'PORT', false],
    [[], 'contains', 'a', false],
    [null, 'contains', 'a', false],
    [['Sports', 'Music'], 'is', ' sports ', true],
    [['Sports', 'Music'], 'is', 'sport', false],
    [[], 'is', 'sports', false],
    [['Sports', 'Music'], 'isNot', 'art', true],
    [['Sports', 'Music'], 'isNot', 'MUSIC', false],
    [[], 'isNot', 'art', true],
    [null, 'isNot', 'art', true],
    [[], 'isEmpty', NONE, true],
    [null, 'isEmpty', NONE, true],
    [['a'], 'isEmpty', NONE, false],
    [['a'], 'isNotEmpty', NONE, true],
    [[], 'isNotEmpty', NONE, false],
  ]),
  ...cases('phone', [
    [['+385912345678'], 'is', '+385 91 234 5678', true],
    [['+12125550123', '+385912345678'], 'is', '+385912345678', true],
    [['+385912345678'], 'is', '+385 91 234 5679', false],
    [[], 'is', '+385 91 234 5678', false],
    [['+385912345678'], 'isNot', '+385 91 234 5679', true],
    [['+385912345678'], 'isNot', '+385 91 234 5678', false],
    [[], 'isNot', '+385 91 234 5678', true],
    [['+385912345678'], 'contains', '385 91', true],
    [['+385912345678'], 'contains', '(234) 56', true],
    [['+385912345678'], 'contains', '386', false],
    [[], 'contains', '385', false],
    [[], 'isEmpty', NONE, true],
    [['+385912345678'], 'isEmpty', NONE, false],
    [['+385912345678'], 'isNotEmpty', NONE, true],
    [[], 'isNotEmpty', NONE, false],
  ]),
  ...cases('email', [
    [['ana@example.com'], 'is', ' Ana@Example.COM ', true],
    [['ana@example.com'], 'is', 'bob@example.com', false],
    [['ana@example.com'], 'isNot', 'bob@example.com', true],
    [['ana@example.com'], 'isNot', 'ANA@example.com', false],
    [[], 'isNot', 'bob@example.com', true],
    [['ana@example.com'], 'contains', 'EXAMPLE', true],
    [['ana@example.com'], 'contains', 'gmail', false],
    [[], 'isEmpty', NONE, true],
    [['ana@example.com'], 'isEmpty', NONE, false],
    [['ana@example.com'], 'isNotEmpty', NONE, true],
    [[], 'isNotEmpty', NONE, false],
  ]),
];

function personWith(kind: Kind, stored: Value | undefined): Person {
  const list = (stored ?? []) as string[];
  return {
    id: 'p1',
    standard: {},
    custom: stored === undefined || kind === 'phone' || kind === 'email' ? {} : { [ATTRIBUTE[kind]]: stored },
    phones: kind === 'phone' ? list : [],
    emails: kind === 'email' ? list : [],
    tags: [],
    companies: [],
    lastContacted: {},
  };
}

function run(c: Case): boolean {
  const problems: string[] = [];
  const ctx = { attributes: catalog, variables: new Map(), problem: (code: string, message: string) => problems.push(`${code} ${message}`) };
  const condition = { attribute: ATTRIBUTE[c.kind], operator: c.op, value: c.value };
  const compiled = compileGroup({ all: [condition] }, ctx, '');
  if (!compiled) throw new Error(problems.join('; '));
  return compiled.test({ person: personWith(c.kind, c.stored), vars: {}, now: Date.parse(c.now ?? NOW), timeZone: c.tz ?? ZG });
}

function describe(c: Case): string {
  const value = c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`;
  const where = c.now || c.tz ? ` (now ${c.now ?? NOW} in ${c.tz ?? ZG})` : '';
  return `${c.kind} ${JSON.stringify(c.stored) ?? 'absent'} ${c.op}${value}${where} → ${c.expected}`;
}

for (const kind of Object.keys(ATTRIBUTE) as Kind[]) {
  t.test(`${kind} operators`, async (t) => {
    for (const c of CASES.filter((c) => c.kind === kind)) t.equal(run(c), c.expected, describe(c));
  });
}

t.test('the table covers every operator of every type, matching and not', async (t) => {
  for (const kind of Object.keys(ATTRIBUTE) as Kind[]) {
    const info = catalog.get(ATTRIBUTE[kind]);
    const names = info ? attributeOperators(info).names : operatorsFor(kind as ValueType).names;
    for (const op of names) {
      const outcomes = new Set(CASES.filter((c) => c.kind === kind && c.op === op).map((c) => c.expected));
      t.same([...outcomes].sort(), [false, true], `${kind} ${op}`);
    }
  }
});
