// One runner for every element's table of cases. Fails when an element type of the core or
// messaging module has no case file, so a new element cannot land without its cases.
import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ElementDefinition } from '../../engine/element.js';
import { compileFlow } from '../../engine/flow/compile.js';
import { CaseRun, CASE_REGISTRY, type ElementCase, type Expectation, type Observed } from './harness.js';

/** The case files stay beside the sources (tests run compiled, from the project's root). */
const dir = resolve('test/elements');

for (const def of CASE_REGISTRY.all()) {
  const file = resolve(dir, `${def.type}.cases.json`);
  t.test(`${def.type}: the documented example is a valid config`, async (t) => {
    t.same(compileExample(def), []);
  });
  t.test(def.type, async (t) => {
    if (!existsSync(file)) return t.fail(`no cases for element type "${def.type}": add test/elements/${def.type}.cases.json`);
    const cases = JSON.parse(readFileSync(file, 'utf8')) as ElementCase[];
    t.ok(cases.length > 0, 'has cases');
    for (const c of cases) {
      t.test(c.description, async (t) => {
        const run = new CaseRun(def.type, c);
        t.teardown(() => run.close());
        check(t, run, await run.start(), c.expect, 'start');
        for (const [i, s] of (c.then ?? []).entries()) check(t, run, await run.apply(s), s.expect, `then[${i}]`);
      });
    }
  });
}

/** Problems of a flow holding the element's example (variables `status` and `count` declared). */
function compileExample(def: ElementDefinition): unknown[] {
  const node = { id: 'example', type: def.type, config: def.example };
  const doc = {
    schemaVersion: 1,
    id: 'example',
    name: 'example',
    entryPoints: def.role === 'entry' ? [node] : [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'example' } }],
    elements: def.role === 'entry' ? [] : [node],
    settings: { variables: [{ name: 'status', type: 'text' }, { name: 'count', type: 'whole', default: 0 }] },
  };
  const r = compileFlow(doc, { registry: CASE_REGISTRY });
  return r.ok ? [] : r.problems;
}

/** Same length, and each item matches its pattern. */
function matchList(t: Test, got: readonly unknown[], want: readonly unknown[], what: string): void {
  t.equal(got.length, want.length, `${what} count ${JSON.stringify(got)}`);
  t.match(got, want, what);
}

function check(t: Test, run: CaseRun, got: Observed, want: Expectation, at: string): void {
  if (want.problems) matchList(t, got.problems, want.problems, `${at}: problems`);
  else t.same(got.problems, [], `${at}: no problems`);
  if ('error' in want) t.equal(got.error, want.error, `${at}: error`);
  else t.equal(got.error, undefined, `${at}: no error`);
  if ('branch' in want) t.equal(got.branch, want.branch, `${at}: branch`);
  if ('exited' in want) t.equal(got.exited, want.exited, `${at}: exited`);
  if ('waitUntil' in want) t.equal(got.waitUntil, want.waitUntil, `${at}: waitUntil`);
  if (want.vars) t.match(got.vars, want.vars, `${at}: vars`);
  if (want.person) t.match(got.person, want.person, `${at}: person`);
  if (want.profile) t.same(got.profile, want.profile, `${at}: profile changes`);
  if (want.doNotContact) t.same(got.doNotContact, want.doNotContact, `${at}: do-not-contact changes`);
  if (want.effects) matchList(t, got.effects, want.effects, `${at}: effects`);
  if (want.performed) matchList(t, got.performed, want.performed, `${at}: effects performed`);
  if (want.effectFailures) t.same(got.effectFailures, want.effectFailures, `${at}: effects failed for good`);
  if (want.failures) t.same(got.failures, want.failures, `${at}: failures`);
  if (want.entered) t.same([...got.entered].sort(), [...want.entered].sort(), `${at}: entered`);
  if (want.inside) t.same([...got.inside].sort(), [...want.inside].sort(), `${at}: inside`);
  if (want.blocked) t.same(run.blocked(want.blocked), want.blocked, `${at}: do-not-contact`);
  if (want.counters) t.same(got.counters, want.counters, `${at}: counters`);
}
