import t from 'tap';
import { compileFlow, RULES_ADDED_LATER } from '../../../engine/flow/compile.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import { EventCatalog } from '../../../engine/people/events.js';
import type { Registry } from '../../../engine/module.js';
import type { Problem } from '../../../engine/vocabulary.js';
import { registryWith } from '../helpers.js';

const core = registryWith();
const problemsOf = (doc: unknown, attributes?: AttributeCatalog, registry: Registry = core): Problem[] => {
  const r = compileFlow(doc, { registry, attributes });
  return r.ok ? [] : r.problems;
};
const compileProblems = (doc: unknown, now: number): Problem[] => {
  const r = compileFlow(doc, { registry: core, now });
  return r.ok ? [] : r.problems;
};
const codes = (ps: Problem[]): string[] => ps.map((p) => `${p.code} ${p.path}`);

const base = () => ({
  schemaVersion: 1,
  id: 'f',
  name: 'F',
  entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'a' } }],
  elements: [
    { id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'b' } },
    { id: 'b', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } },
  ],
});

t.test('a valid flow compiles, with an automatic exit on every unconnected branch', async (t) => {
  const r = compileFlow(base(), { registry: core });
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.flow.nodes.map((n) => n.id), ['start', 'a', 'b', 'b.next.exit']);
  t.equal(r.flow.nodes[3]!.automatic, true);
  t.same(r.flow.nodes[2]!.next, [3]);
  t.same(r.flow.entries, [0]);
  t.equal(r.flow.settings.timeZone, 'UTC');
  t.equal(r.flow.settings.reentry.enabled, true);
});

t.test('a time zone written in another case compiles to its canonical spelling', async (t) => {
  const r = compileFlow({ ...base(), settings: { timeZone: 'europe/paris' } }, { registry: core });
  t.ok(r.ok);
  if (r.ok) t.equal(r.flow.settings.timeZone, 'Europe/Paris');
});

t.test('re-entry durations longer than 100 years are found at validation: the times they reach would not be dates', async (t) => {
  const reentry = {
    enabled: true,
    delay: { amount: 200000000, unit: 'days' },
    limits: [{ count: 2, within: { amount: 7, unit: 'days' } }, { count: 3, within: { amount: 1e308, unit: 'seconds' } }],
  };
  t.same(codes(problemsOf({ ...base(), settings: { reentry } })), [
    'JCT_DURATION_TOO_LONG $.settings.reentry.delay.amount',
    'JCT_DURATION_TOO_LONG $.settings.reentry.limits[1].within.amount',
  ]);
  t.same(codes(problemsOf({ ...base(), settings: { reentry: { enabled: true, delay: { amount: 36_525, unit: 'days' } } } })), [], '100 years is allowed');
});

t.test('re-entry off with a delay or limits is refused: they would never apply', async (t) => {
  const off = (extra: object) => codes(problemsOf({ ...base(), settings: { reentry: { enabled: false, ...extra } } }));
  t.same(off({ delay: { amount: 1, unit: 'days' } }), ['JCT_REENTRY_CONFLICT $.settings.reentry.enabled']);
  t.same(off({ limits: [{ count: 2, within: { amount: 7, unit: 'days' } }] }), ['JCT_REENTRY_CONFLICT $.settings.reentry.enabled']);
  t.same(off({ limits: [] }), [], 'no limits is fine');
  t.same(off({}), []);
  const r = compileFlow({ ...base(), settings: { reentry: { enabled: false, delay: { amount: 1, unit: 'days' } } } }, { registry: core, tolerate: RULES_ADDED_LATER });
  t.ok(r.ok, 'a version launched before the rule still compiles');
});

t.test('a schedule that has ended is refused against the clock, only when the compile is given one', async (t) => {
  const doc = { ...base(), settings: { schedule: { end: '2026-01-01T00:00' } } };
  const before = Date.parse('2025-12-31T23:59:59Z');
  t.same(codes(compileProblems(doc, before)), []);
  const ps = compileProblems(doc, Date.parse('2026-01-01T00:00:00Z'));
  t.same(codes(ps), ['JCT_SCHEDULE_ENDED $.settings.schedule.end']);
  t.match(ps[0]!.message, /ended at 2026-01-01T00:00/);
  t.same(codes(problemsOf(doc)), [], 'no clock (a launched version recovering): not checked');
});

t.test('a condition duration longer than 100 years: refused in a new version, told in one launched before', async (t) => {
  const doc = base();
  doc.elements[0] = {
    id: 'a',
    type: 'segmentAudience',
    config: {
      segments: [{ conditions: { all: [{ attribute: 'createdAt', operator: 'wasWithin', value: { amount: 1e9, unit: 'days' } }, { event: 'flow.entered', happened: true, within: { amount: 1e9, unit: 'days' } }] } }],
    },
    branches: { '1': 'b' },
  } as never;
  t.same(codes(problemsOf(doc)), [
    'JCT_DURATION_TOO_LONG $.elements[0].config.segments[0].conditions.all[0].value.amount',
    'JCT_DURATION_TOO_LONG $.elements[0].config.segments[0].conditions.all[1].within.amount',
  ]);
  const r = compileFlow(doc, { registry: core, tolerate: RULES_ADDED_LATER });
  t.ok(r.ok, 'compiles');
  if (r.ok) t.equal(r.tolerated.length, 2);
});

t.test('not an object, wrong or future schemaVersion', async (t) => {
  t.same(codes(problemsOf(null)), ['JCT_FLOW_SHAPE $']);
  t.same(codes(problemsOf([])), ['JCT_FLOW_SHAPE $']);
  t.same(codes(problemsOf({ ...base(), schemaVersion: 99 })), ['JCT_SCHEMA_VERSION $.schemaVersion']);
  t.same(codes(problemsOf({ ...base(), schemaVersion: '1' })), ['JCT_SCHEMA_VERSION $.schemaVersion']);
});

t.test('shape problems name the JSON path', async (t) => {
  const doc = { ...base(), name: '', extra: 1, entryPoints: [] };
  t.same(codes(problemsOf(doc)).sort(), ['JCT_FLOW_SHAPE $.entryPoints', 'JCT_FLOW_SHAPE $.extra', 'JCT_FLOW_SHAPE $.name'].sort());
  const bad = base();
  (bad.elements[0] as Record<string, unknown>)['id'] = '1bad id';
  t.same(codes(problemsOf(bad)), ['JCT_FLOW_SHAPE $.elements[0].id']);
});

t.test('every structural problem is reported at once', async (t) => {
  const doc = {
    schemaVersion: 1,
    id: 'f',
    name: 'F',
    entryPoints: [
      { id: 'aud1', type: 'predefinedAudience', config: { audience: { tags: ['t'] }, updateAfterLaunch: 'never' }, branches: { next: 'a' } },
      { id: 'aud2', type: 'predefinedAudience', config: { audience: { tags: ['u'] }, updateAfterLaunch: 'never' }, branches: { next: 'a' } },
      { id: 'wrong', type: 'addTag', config: { tags: ['x'] } },
    ],
    elements: [
      { id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'missing', sideways: 'b' } },
      { id: 'b', type: 'mystery', config: {} },
      { id: 'a', type: 'exit', config: {} },
      { id: 'c', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'aud1' } },
      { id: 'd', type: 'addTag', config: { tags: 'x' } },
    ],
    settings: {
      timeZone: 'Mars/Olympus',
      variables: [
        { name: 'v', type: 'whole', default: 'lots' },
        { name: 'v', type: 'text' },
      ],
      schedule: { start: '2026-02-01T00:00', end: '2026-01-01T00:00' },
    },
  };
  t.same(codes(problemsOf(doc)).sort(), [
    'JCT_BRANCH_TARGET_ENTRY $.elements[3].branches.next',
    'JCT_BRANCH_TARGET_UNKNOWN $.elements[0].branches.next',
    'JCT_BRANCH_UNKNOWN $.elements[0].branches.sideways',
    'JCT_CONFIG_INVALID $.elements[4].config.tags',
    'JCT_ELEMENT_ID_DUPLICATE $.elements[2].id',
    'JCT_ELEMENT_LIMIT $.entryPoints[1]',
    'JCT_ELEMENT_ROLE $.entryPoints[2].type',
    'JCT_ELEMENT_TYPE_UNKNOWN $.elements[1].type',
    'JCT_SCHEDULE_INVALID $.settings.schedule.end',
    'JCT_TIMEZONE_INVALID $.settings.timeZone',
    'JCT_VARIABLE_DUPLICATE $.settings.variables[1].name',
    'JCT_VARIABLE_TYPE $.settings.variables[0].default',
  ].sort());
  const dup = problemsOf(doc).find((p) => p.code === 'JCT_ELEMENT_LIMIT')!;
  t.equal(dup.elementId, 'aud2');
  t.match(dup.message, /at most 1 "predefinedAudience"/);
});

t.test('unreachable elements', async (t) => {
  const doc = base();
  doc.elements.push({ id: 'orphan', type: 'addTag', config: { tags: ['y'] } } as never);
  t.same(codes(problemsOf(doc)), ['JCT_ELEMENT_UNREACHABLE $.elements[2]']);
});

t.test('a loop with no waiting element is rejected; a loop through a pause is fine', async (t) => {
  const loop = base();
  loop.elements = [
    { id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'b' } },
    { id: 'b', type: 'removeTag', config: { tags: ['x'] }, branches: { next: 'a' } },
  ] as never;
  const ps = problemsOf(loop);
  t.same(codes(ps), ['JCT_CYCLE_WITHOUT_WAIT $.elements[0]']);
  t.match(ps[0]!.message, /a → b/);
  t.match(ps[0]!.message, /a counter variable may not.*put a waiting element such as a Pause in the loop/, 'why a counter is not enough, and what to do');

  const self = base();
  self.elements = [{ id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'a' } }] as never;
  t.same(codes(problemsOf(self)), ['JCT_CYCLE_WITHOUT_WAIT $.elements[0]']);

  const waiting = base();
  waiting.elements = [
    { id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'b' } },
    { id: 'b', type: 'pause', config: { kind: 'untilDayTime', time: '09:00' }, branches: { next: 'a' } },
  ] as never;
  t.same(problemsOf(waiting), []);
});

t.test('more than 100 elements', async (t) => {
  const doc = base();
  doc.elements = Array.from({ length: 101 }, (_, i) => ({
    id: `e${i}`,
    type: 'addTag',
    config: { tags: ['x'] },
    ...(i < 100 ? { branches: { next: `e${i + 1}` } } : {}),
  })) as never;
  doc.entryPoints[0]!.branches = { next: 'e0' };
  t.same(codes(problemsOf(doc)), ['JCT_TOO_MANY_ELEMENTS $.elements']);
});

t.test('a misspelt or missing field is named, with the fields that belong there', async (t) => {
  t.match(problemsOf({ ...base(), elements: [{ id: 'a', type: 'addTag', config: { tag: ['x'] } }] }), [
    { path: '$.elements[0].config.tags', message: '"tags" is required here' },
    { path: '$.elements[0].config.tag', message: 'unknown field "tag"; the fields here are tags' },
  ]);
  t.match(problemsOf({ ...base(), settings: { reentry: { enabled: true, limit: [] } } }), [
    { path: '$.settings.reentry.limit', message: 'unknown field "limit"; the fields here are enabled, delay, limits' },
  ]);
});

t.test('the goal is an event Junction records or a defined custom one', async (t) => {
  const withGoal = (event: string) => ({ ...base(), settings: { goal: { event } } });
  t.same(codes(problemsOf(withGoal('purchse'))), ['JCT_GOAL_UNKNOWN $.settings.goal.event']);
  t.same(problemsOf(withGoal('person.tagAdded')), []);
  const custom = compileFlow(withGoal('purchase'), { registry: core, events: new EventCatalog([], [{ name: 'purchase', properties: [] }]) });
  t.ok(custom.ok, 'a custom event the people store defines');
});

t.test('variables: defaults are typed, formulas are type-checked', async (t) => {
  const doc = {
    ...base(),
    settings: {
      variables: [
        { name: 'count', type: 'whole', default: 3 },
        { name: 'label', type: 'text', defaultFormula: '"n=" + string(count)' },
        { name: 'bad', type: 'whole', defaultFormula: '"text"' },
        { name: 'both', type: 'whole', default: 1, defaultFormula: '2' },
      ],
    },
  };
  t.same(codes(problemsOf(doc)), ['JCT_EXPRESSION_RESULT_TYPE $.settings.variables[2].defaultFormula', 'JCT_VARIABLE_DEFAULT $.settings.variables[3]']);
});

t.test('variable names must be usable in expressions', async (t) => {
  const doc = { ...base(), settings: { variables: [{ name: 'person', type: 'text' }, { name: 'int', type: 'whole' }, { name: 'order-id', type: 'text' }, { name: 'orderId', type: 'text' }] } };
  t.same(codes(problemsOf(doc)), [
    'JCT_FLOW_SHAPE $.settings.variables[2].name',
  ]);
  doc.settings.variables.splice(2, 1);
  t.same(codes(problemsOf(doc)), ['JCT_VARIABLE_NAME $.settings.variables[0].name', 'JCT_VARIABLE_NAME $.settings.variables[1].name']);
});

t.test('custom attributes come from the catalog given', async (t) => {
  const doc = {
    ...base(),
    elements: [
      {
        id: 'a',
        type: 'segmentAudience',
        config: { segments: [{ conditions: { all: [{ attribute: 'loyaltyPoints', operator: 'greaterThan', value: 10 }] } }] },
      },
    ],
  };
  t.same(codes(problemsOf(doc)), ['JCT_ATTRIBUTE_UNKNOWN $.elements[0].config.segments[0].conditions.all[0].attribute']);
  t.same(problemsOf(doc, new AttributeCatalog([{ name: 'loyaltyPoints', type: 'whole' }])), []);
});

t.test('hostile nesting is refused before validation recurses into it', async (t) => {
  let group: unknown = { attribute: 'city', operator: 'is', value: 'x' };
  for (let i = 0; i < 3000; i++) group = { all: [group] };
  const doc = { ...base(), elements: [{ id: 'a', type: 'segmentAudience', config: { segments: [{ conditions: group }] } }] };
  const ps = problemsOf(doc);
  t.equal(ps.length, 1);
  t.equal(ps[0]!.code, 'JCT_FLOW_SHAPE');
  t.equal(ps[0]!.message, 'nested more than 64 levels deep');
  t.match(ps[0]!.path, /^\$\.elements\[0\]\.config\.segments\[0\]\.conditions(\.all\[0\])+$/);
});

t.test('an element whose compile() throws is reported, not thrown', async (t) => {
  const { defineElement } = await import('../../../engine/element.js');
  const { Type } = await import('@sinclair/typebox');
  const broken = defineElement({
    type: 'testBrokenCompile',
    role: 'element',
    title: 'Broken compile (test only)',
    description: 'Throws while compiling.',
    config: Type.Object({}),
    example: {},
    branches: () => ['next'],
    compile: () => {
      throw new Error('compile bug');
    },
    execute: () => 0,
  });
  const registry = registryWith([{ name: 'test', elements: [broken] }]);
  const doc = { ...base(), elements: [{ id: 'a', type: 'testBrokenCompile', config: {} }] };
  t.same(codes(problemsOf(doc, undefined, registry)), ['JCT_INTERNAL $']);
  t.match(problemsOf(doc, undefined, registry)[0]!.message, /compile bug/);
  t.same(codes(problemsOf(doc)), ['JCT_ELEMENT_TYPE_UNKNOWN $.elements[0].type'], 'defining an element registers nothing: only the registry given knows it');
});

t.test('a typo in a top-level field hides no other problem', async (t) => {
  const doc = {
    schemaVersion: 1,
    id: 'typo',
    nmae: 'Typo',
    entryPoints: [{ id: 's', type: 'flowApi', config: {}, branches: { next: 'p' } }],
    elements: [{ id: 'p', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 3, unit: 'months' } } }],
  };
  const r = compileFlow(doc, { registry: registryWith() });
  t.notOk(r.ok);
  t.same(r.ok ? [] : r.problems.map((p) => p.path), ['$.name', '$.nmae', '$.elements[0].config.duration.unit']);
  const structural = compileFlow({ ...doc, elemnts: doc.elements, elements: undefined }, { registry: registryWith() });
  t.same(structural.ok ? [] : structural.problems.map((p) => p.path).sort(), ['$.elemnts', '$.elements', '$.name', '$.nmae'].sort(), 'a missing structure stops there');
});

t.test('an unknown type names the type it is likely a typo of, else every type of its role', async (t) => {
  const doc = {
    ...base(),
    entryPoints: [{ id: 'start', type: 'flowAPI', config: {}, branches: { next: 'a' } }],
    elements: [
      { id: 'a', type: 'addTga', config: { tags: ['x'] }, branches: { next: 'b' } },
      { id: 'b', type: 'teleport', config: {} },
    ],
  };
  const messages = problemsOf(doc).filter((p) => p.code === 'JCT_ELEMENT_TYPE_UNKNOWN').map((p) => p.message);
  t.equal(messages[0], 'unknown entry point type "flowAPI"; did you mean "flowApi"?', 'case does not count');
  t.equal(messages[1], 'unknown element type "addTga"; did you mean "addTag"?', 'two letters swapped');
  t.match(messages[2], /^unknown element type "teleport"; the element types are (\w+, )+\w+$/);
  t.match(messages[2], /\baddTag\b.*\bpause\b|\bpause\b.*\baddTag\b/, 'the elements are listed');
  t.notMatch(messages[2], /\bflowApi\b/, 'entry points are not');
});

t.test('one missing branch is one unreachable problem, counting the elements behind it; a loop with no way in is one too', async (t) => {
  const doc = base();
  doc.elements = [
    { id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'nowhere' } },
    { id: 'b', type: 'addTag', config: { tags: ['y'] }, branches: { next: 'c' } },
    { id: 'c', type: 'addTag', config: { tags: ['z'] }, branches: { next: 'd' } },
    { id: 'd', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } }, branches: { next: 'b' } },
    { id: 'lone', type: 'addTag', config: { tags: ['w'] } },
  ] as never;
  const problems = problemsOf(doc);
  t.same(codes(problems), ['JCT_BRANCH_TARGET_UNKNOWN $.elements[0].branches.next', 'JCT_ELEMENT_UNREACHABLE $.elements[1]', 'JCT_ELEMENT_UNREACHABLE $.elements[4]']);
  t.equal(problems[1]!.message, 'no entry point leads to "b" (nor to the 2 elements after it)');
  t.equal(problems[2]!.message, 'no entry point leads to "lone"');
  const sideways = base();
  sideways.elements[0] = { ...sideways.elements[0]!, branches: { nxt: 'b' } as never };
  sideways.elements.push({ id: 'after', type: 'addTag', config: { tags: ['v'] } } as never);
  (sideways.elements[1] as { branches?: Record<string, string> }).branches = { next: 'after' };
  t.same(
    problemsOf(sideways).map((p) => `${p.code} ${p.path}: ${p.message}`),
    ['JCT_BRANCH_UNKNOWN $.elements[0].branches.nxt: "addTag" has no branch "nxt" (its branches: next)', 'JCT_ELEMENT_UNREACHABLE $.elements[1]: no entry point leads to "b" (nor to the 1 element after it)'],
    'a misnamed branch: its target is named once',
  );
});

t.test('an id used twice is the one problem: no element is called unreachable because a branch found its twin', async (t) => {
  const doc = base();
  doc.elements.push({ id: 'a', type: 'addTag', config: { tags: ['x'] }, branches: { next: 'b' } } as never);
  t.same(codes(problemsOf(doc)), ['JCT_ELEMENT_ID_DUPLICATE $.elements[2].id']);
});

t.test('an audience naming an unknown segment is refused only when the segments are known, and tolerated in a version launched before', async (t) => {
  const doc = { ...base(), entryPoints: [{ id: 'aud', type: 'predefinedAudience', config: { audience: { segments: ['gold', 'ghost'] }, updateAfterLaunch: 'realtime' }, branches: { next: 'a' } }] };
  const segmentExists = (id: string) => id === 'gold';
  t.same(codes(problemsOf(doc)), [], 'segments not known: not checked');
  const r = compileFlow(doc, { registry: core, segmentExists });
  t.same(r.ok ? [] : codes(r.problems), ['JCT_SEGMENT_UNKNOWN $.entryPoints[0].config.audience.segments[1]']);
  const launched = compileFlow(doc, { registry: core, segmentExists, tolerate: RULES_ADDED_LATER });
  t.ok(launched.ok, 'a version launched before the rule still compiles');
});
