import { compileSegmentRule } from '../../../engine/conditions/compile.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
const catalog = new AttributeCatalog([{ name: 'age', type: 'whole' }]);
const rule = compileSegmentRule({ all: [
  { attribute: 'city', operator: 'is', value: 'Zagreb' },
  { attribute: 'age', operator: 'greaterOrEqual', value: 18 },
  { any: [{ attribute: 'createdAt', operator: 'wasWithin', value: { amount: 7, unit: 'days' } }, { attribute: 'birthDate', operator: 'willBeIn', value: { amount: 3, unit: 'days' } }] },
] }, catalog, 'Europe/Zagreb');
const people = Array.from({ length: 100_000 }, (_, i) => ({ id: String(i), standard: { city: i % 2 ? 'Zagreb' : 'Split', createdAt: new Date(Date.UTC(2026, 2, 1 + (i % 30))).toISOString(), birthDate: '1990-03-30' }, custom: { age: i % 60 }, phones: [], emails: [], tags: [], companies: [], lastContacted: {} }));
const now = Date.parse('2026-03-27T09:00:00Z');
let n = 0; const t0 = performance.now();
for (let r = 0; r < 10; r++) for (const p of people) if (rule.test(p, now)) n++;
console.log(n, (performance.now() - t0).toFixed(0), 'ms for 1M tests');
let m = 0; const t1 = performance.now();
for (let r = 0; r < 10; r++) for (const p of people) if (rule.test(p, now + r * 1000 + (p.custom.age))) m++;
console.log(m, (performance.now() - t1).toFixed(0), 'ms for 1M tests, now varying');
