// Test fixtures for expressions and templates: a CompileContext that records problems, a
// person, and a scope fixed at 2026-03-28 11:00 UTC (the day before Zagreb's DST change).
import { EventCatalog } from '../../../engine/people/events.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import type { Person } from '../../../engine/person.js';
import type { CompileContext } from '../../../engine/element.js';
import type { ExpressionScope } from '../../../engine/expressions/cel.js';
import type { Value, ValueType } from '../../../engine/values.js';

export interface Problem {
  code: string;
  message: string;
  path: string;
}

export interface TestContext extends CompileContext {
  readonly problems: Problem[];
}

export const VARIABLES: ReadonlyMap<string, ValueType> = new Map<string, ValueType>([
  ['count', 'whole'],
  ['price', 'decimal'],
  ['name', 'text'],
  ['vip', 'boolean'],
  ['due', 'date'],
  ['at', 'datetime'],
  ['items', 'list'],
  ['empty', 'whole'],
  ['order-id', 'text'],
]);

export const CATALOG = new AttributeCatalog([
  { name: 'age', type: 'whole' },
  { name: 'score', type: 'decimal' },
  { name: 'loyalty-tier', type: 'text' },
  { name: 'renewal', type: 'date' },
]);

export function context(variables: ReadonlyMap<string, ValueType> = VARIABLES): TestContext {
  const problems: Problem[] = [];
  const path = '$.elements[0].config';
  return {
    flow: {} as CompileContext['flow'],
    node: {} as CompileContext['node'],
    path,
    timeZone: 'Europe/Zagreb',
    variables,
    attributes: CATALOG,
    events: new EventCatalog(),
    problems,
    problem(code, message, subpath = '') {
      problems.push({ code, message, path: path + subpath });
    },
    nodeProblem(code, message) {
      problems.push({ code, message, path: '$.elements[0]' });
    },
    waits: () => false,
    unready: () => undefined,
  };
}

export const PERSON: Person = {
  id: 'p1',
  standard: { firstName: 'Ana', city: 'Zagreb', birthDate: '1990-05-01' },
  custom: { age: 36, score: 4.5, 'loyalty-tier': 'gold', renewal: '2026-04-01' },
  phones: ['+385911234567'],
  emails: ['ana@example.com'],
  tags: [],
  companies: [],
  lastContacted: { sms: '2026-03-01T10:00:00.000Z' },
};

export const NOW = Date.parse('2026-03-28T11:00:00Z');

export function scope(vars: Record<string, Value> = {}): ExpressionScope {
  return {
    vars: {
      count: 3,
      price: 2.5,
      name: 'Ana',
      vip: true,
      due: '2026-03-28',
      at: '2026-03-28T11:00:00.000Z',
      items: ['a', 'b'],
      empty: null,
      'order-id': 'X-1',
      ...vars,
    },
    person: PERSON,
    now: NOW,
  };
}
