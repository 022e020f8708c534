// Event conditions at validation: what engine.validate(doc) reports for event conditions in
// the People Real-Time Event entry, Wait for an event and Segment Audience (unknown events and
// properties, operators and values that do not fit a property's type, `times` without
// `happened`, `element` on events that are not channel events or naming no element, a "not
// happened" condition alone, a wait that could never decide, variable mappings), the refusal
// of event conditions in a people file's real-time segment, and the event catalog itself
// (definitions, what apps may send).
import t, { type Test } from 'tap';
import { eventsModule } from '../../../engine/events/index.js';
import { messagingModule } from '../../../engine/messaging/index.js';
import { EventCatalog, checkEventDefinition } from '../../../engine/people/events.js';
import { compileEventCondition } from '../../../engine/conditions/events.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { VirtualClock } from '../../../engine/clock.js';
import { loadPeople } from '../../../engine/people-file.js';
import { JunctionError } from '../../../engine/errors.js';
import type { Problem } from '../../../engine/vocabulary.js';
import { world, type World } from '../helpers.js';

function shop(): World {
  const w = world({ modules: [messagingModule, eventsModule] });
  w.people.defineEvent({
    name: 'viewItem',
    properties: [
      { name: 'itemId', type: 'text' },
      { name: 'price', type: 'decimal' },
      { name: 'quantity', type: 'whole' },
      { name: 'at', type: 'date' },
      { name: 'gift', type: 'boolean' },
      { name: 'sizes', type: 'list' },
    ],
  });
  w.people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }, { name: 'total', type: 'decimal' }] });
  w.people.defineEvent({ name: 'unsubscribe', properties: [] });
  return w;
}

const VARIABLES = [
  { name: 'item', type: 'text' },
  { name: 'qty', type: 'whole' },
  { name: 'amount', type: 'decimal' },
  { name: 'flag', type: 'boolean' },
  { name: 'sizes', type: 'list' },
];

/** A flow whose Flow API entry leads to a Wait for an event `w` (then a send element `sms`, for `element`). */
function waitFlow(config: unknown): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'w' } }],
    elements: [
      { id: 'w', type: 'waitForEvent', config, branches: { happened: 'sms' } },
      { id: 'sms', type: 'sendSms', config: { from: '+385800100', text: 'hi' } },
    ],
    settings: { variables: VARIABLES },
  };
}

/** A flow started by a People Real-Time Event entry `e`. */
function entryFlow(config: unknown): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'e', type: 'realTimeEvent', config, branches: { next: 'sms' } }],
    elements: [{ id: 'sms', type: 'sendSms', config: { from: '+385800100', text: 'hi' } }],
    settings: { variables: VARIABLES },
  };
}

/** A flow with one Segment Audience `s` of one segment whose `all` group holds `conditions`. */
function segmentFlow(conditions: unknown[]): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'sms' } }],
    elements: [
      { id: 'sms', type: 'sendSms', config: { from: '+385800100', text: 'hi' }, branches: { next: 's' } },
      { id: 's', type: 'segmentAudience', config: { segments: [{ conditions: { all: conditions } }] } },
    ],
    settings: { variables: VARIABLES },
  };
}

const W = '$.elements[0].config';
const E = '$.entryPoints[0].config';
const S = '$.elements[1].config.segments[0].conditions';

function expectProblems(t: Test, got: Problem[], want: Array<{ code: string; path?: string }>, what?: string): void {
  t.equal(got.length, want.length, `${what ?? 'problems'}: ${JSON.stringify(got.map((p) => [p.code, p.path]))}`);
  t.match(got, want, what ?? 'problems');
}

t.test('valid conditions in every place validate', async (t) => {
  const w = shop();
  const full = {
    event: 'viewItem',
    happened: true,
    times: { operator: 'exactly', count: 3 },
    within: { amount: 7, unit: 'days' },
    where: [
      { property: 'itemId', operator: 'is', value: 'A-1' },
      { property: 'price', operator: 'greaterThan', value: 10 },
    ],
  };
  t.same(w.engine.validate(entryFlow({ conditions: [full], variables: [{ event: 'viewItem', property: 'itemId', variable: 'item' }] })), []);
  t.same(
    w.engine.validate(waitFlow({ conditions: [full, { event: 'unsubscribe', happened: false }], waitFor: { amount: 2, unit: 'days' } })),
    [],
  );
  t.same(w.engine.validate(segmentFlow([full, { event: 'message.delivered', happened: true, element: 'sms' }])), []);
  t.same(w.engine.validate(waitFlow({ conditions: [{ event: 'message.clicked', happened: true, element: 'sms' }] })), [], 'an indefinite wait on happened only');
  t.same(w.engine.validate(entryFlow({ conditions: [{ event: 'person.tagAdded', happened: true, where: [{ property: 'tag', operator: 'is', value: 'vip' }] }] })), []);
  t.same(w.engine.validate(entryFlow({ conditions: [{ event: 'flow.exited', happened: true, where: [{ property: 'version', operator: 'greaterOrEqual', value: 2 }] }] })), []);
});

t.test('an unknown event', async (t) => {
  const w = shop();
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ event: 'viewedItem', happened: true }] })), [{ code: 'JCT_EVENT_UNKNOWN', path: `${W}.conditions[0].event` }]);
  expectProblems(t, w.engine.validate(entryFlow({ conditions: [{ event: 'flow.left', happened: true }] })), [{ code: 'JCT_EVENT_UNKNOWN', path: `${E}.conditions[0].event` }]);
  expectProblems(t, w.engine.validate(segmentFlow([{ event: 'nope', happened: false }])), [{ code: 'JCT_EVENT_UNKNOWN', path: `${S}.all[0].event` }]);
});

t.test('channel events are known only with the module that declares them', async (t) => {
  const w = world({ modules: [eventsModule] });
  const doc = {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'e', type: 'realTimeEvent', config: { conditions: [{ event: 'message.delivered', happened: true }] }, branches: { next: 't' } }],
    elements: [{ id: 't', type: 'addTag', config: { tags: ['x'] } }],
  };
  expectProblems(t, w.engine.validate(doc), [{ code: 'JCT_EVENT_UNKNOWN', path: `${E}.conditions[0].event` }], 'without the messaging module');
});

t.test('an unknown property', async (t) => {
  const w = shop();
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ event: 'purchase', happened: true, where: [{ property: 'colour', operator: 'is', value: 'red' }] }] })), [
    { code: 'JCT_EVENT_PROPERTY_UNKNOWN', path: `${W}.conditions[0].where[0].property` },
  ]);
  expectProblems(t, w.engine.validate(segmentFlow([{ event: 'unsubscribe', happened: true, where: [{ property: 'reason', operator: 'isEmpty' }] }])), [
    { code: 'JCT_EVENT_PROPERTY_UNKNOWN', path: `${S}.all[0].where[0].property` },
  ]);
});

t.test('an operator that does not fit the property type, and a value that does not fit the operator', async (t) => {
  const w = shop();
  const where = [
    { property: 'price', operator: 'startsWith', value: '1' },
    { property: 'itemId', operator: 'greaterThan', value: 3 },
    { property: 'quantity', operator: 'greaterThan', value: 'many' },
    { property: 'gift', operator: 'contains', value: 'x' },
    { property: 'itemId', operator: 'is', value: 'A-1' },
  ];
  expectProblems(t, w.engine.validate(entryFlow({ conditions: [{ event: 'viewItem', happened: true, where }] })), [
    { code: 'JCT_OPERATOR_INVALID', path: `${E}.conditions[0].where[0].operator` },
    { code: 'JCT_OPERATOR_INVALID', path: `${E}.conditions[0].where[1].operator` },
    { code: 'JCT_CONDITION_VALUE', path: `${E}.conditions[0].where[2].value` },
    { code: 'JCT_OPERATOR_INVALID', path: `${E}.conditions[0].where[3].operator` },
  ]);
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'sometimes', value: 'x' }] }] })), [
    { code: 'JCT_OPERATOR_INVALID', path: `${W}.conditions[0].where[0].operator` },
  ], 'an operator that is no operator at all');
});

t.test('an event window or a property filter duration longer than 100 years', async (t) => {
  const w = shop();
  const huge = { amount: 1e12, unit: 'hours' };
  const condition = { event: 'viewItem', happened: true, within: huge, where: [{ property: 'at', operator: 'wasWithin', value: huge }] };
  expectProblems(t, w.engine.validate(segmentFlow([condition])), [
    { code: 'JCT_DURATION_TOO_LONG', path: `${S}.all[0].within.amount` },
    { code: 'JCT_DURATION_TOO_LONG', path: `${S}.all[0].where[0].value.amount` },
  ]);
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ ...condition, within: { amount: 100, unit: 'weeks' } }] })), [
    { code: 'JCT_DURATION_TOO_LONG', path: `${W}.conditions[0].where[0].value.amount` },
  ]);
});

t.test('property filters fill in {{placeholders}}; unknown ones are reported', async (t) => {
  const w = shop();
  const problems: Array<[string, string]> = [];
  const ctx = {
    attributes: w.people.catalog(),
    variables: new Map([['item', 'text'] as const]),
    events: w.engine.eventCatalog(),
    problem: (code: string, _: string, path = '') => problems.push([code, path]),
  };
  const scope = (item: string) => ({ person: { id: 'p', standard: {}, custom: {}, phones: [], emails: [], tags: [], companies: [], lastContacted: {} }, vars: { item }, now: 0, timeZone: 'UTC' });
  const filled = compileEventCondition({ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'is', value: '{{item}}' }] }, ctx, '$.c')!;
  t.same(problems, []);
  t.ok(filled.accepts({ itemId: 'A-1' }, scope('a-1')));
  t.notOk(filled.accepts({ itemId: 'A-1' }, scope('B-2')));
  const unknown = compileEventCondition({ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'is', value: '{{person.budget}}' }] }, ctx, '$.c')!;
  t.same(problems, [['JCT_PLACEHOLDER_UNKNOWN', '$.c.where[0].value']], 'the catalog has no budget attribute');
  t.ok(unknown.accepts({ itemId: '{{person.budget}}' }, scope('')), 'an unknown one is compared as written, as a flow launched before did');
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'is', value: '{{nope}}' }] }] })), [
    { code: 'JCT_PLACEHOLDER_UNKNOWN', path: `${W}.conditions[0].where[0].value` },
  ]);
  const byItem = { event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'is', value: '{{item}}' }] };
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [byItem] })), [], 'a wait reads the participant\'s variables');
  expectProblems(t, w.engine.validate(entryFlow({ conditions: [byItem] })), [
    { code: 'JCT_PLACEHOLDER_UNKNOWN', path: `${E}.conditions[0].where[0].value` },
  ], 'an entry point has no participant whose variables it could read');
  expectProblems(t, w.engine.validate(entryFlow({ conditions: [{ ...byItem, where: [{ property: 'itemId', operator: 'is', value: '{{person.firstName}}' }] }] })), [], 'attributes it can');
});

t.test('"times" with "happened": false', async (t) => {
  const w = shop();
  const conditions = [
    { event: 'purchase', happened: true },
    { event: 'viewItem', happened: false, times: { operator: 'atLeast', count: 2 } },
  ];
  expectProblems(t, w.engine.validate(waitFlow({ conditions, waitFor: { amount: 1, unit: 'days' } })), [{ code: 'JCT_CONDITION_INVALID', path: `${W}.conditions[1].times` }]);
  expectProblems(t, w.engine.validate(segmentFlow([conditions[1]])), [{ code: 'JCT_CONDITION_INVALID', path: `${S}.all[0].times` }]);
});

t.test('shape problems of an event condition', async (t) => {
  const w = shop();
  const bad: Array<[unknown, string]> = [
    [{ event: 'purchase' }, '.happened'],
    [{ event: 'purchase', happened: true, times: { operator: 'atLeast', count: 0 } }, '.times.count'],
    [{ event: 'purchase', happened: true, times: { operator: 'around', count: 2 } }, '.times.operator'],
    [{ event: 'purchase', happened: true, within: { amount: 2, unit: 'fortnights' } }, '.within.unit'],
    [{ event: 'purchase', happened: true, colour: 'red' }, '.colour'],
  ];
  for (const [c, path] of bad) {
    expectProblems(t, w.engine.validate(waitFlow({ conditions: [c] })), [{ code: 'JCT_CONFIG_INVALID', path: `${W}.conditions[0]${path}` }], `wait ${path}`);
    expectProblems(t, w.engine.validate(segmentFlow([c])), [{ code: 'JCT_CONFIG_INVALID', path: S }], `segment ${path}: refused by the group's shape`);
  }
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [] })), [{ code: 'JCT_CONFIG_INVALID', path: `${W}.conditions` }], 'an empty list');
});

t.test('"element" applies to channel events only, and must name an element of the flow', async (t) => {
  const w = shop();
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ event: 'purchase', happened: true, element: 'sms' }] })), [{ code: 'JCT_CONDITION_INVALID', path: `${W}.conditions[0].element` }]);
  expectProblems(t, w.engine.validate(entryFlow({ conditions: [{ event: 'flow.exited', happened: true, element: 'sms' }] })), [{ code: 'JCT_CONDITION_INVALID', path: `${E}.conditions[0].element` }]);
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [{ event: 'message.delivered', happened: true, element: 'email' }] })), [{ code: 'JCT_ELEMENT_UNKNOWN', path: `${W}.conditions[0].element` }]);
  expectProblems(t, w.engine.validate(segmentFlow([{ event: 'message.clicked', happened: true, element: 'nowhere' }])), [{ code: 'JCT_ELEMENT_UNKNOWN', path: `${S}.all[0].element` }]);
});

t.test('a "not happened" condition alone cannot start or end anything', async (t) => {
  const w = shop();
  const alone = [{ event: 'purchase', happened: false, within: { amount: 30, unit: 'days' } }];
  expectProblems(t, w.engine.validate(entryFlow({ conditions: alone })), [{ code: 'JCT_NOT_HAPPENED_ALONE', path: `${E}.conditions` }]);
  expectProblems(t, w.engine.validate(waitFlow({ conditions: alone, waitFor: { amount: 1, unit: 'days' } })), [{ code: 'JCT_NOT_HAPPENED_ALONE', path: `${W}.conditions` }]);
  expectProblems(t, w.engine.validate(waitFlow({ conditions: [...alone, { event: 'unsubscribe', happened: false }], waitFor: { amount: 1, unit: 'days' } })), [
    { code: 'JCT_NOT_HAPPENED_ALONE' },
  ], 'two of them neither');
  t.same(w.engine.validate(segmentFlow(alone)), [], 'in a segment it is fine: it only reads the history');
});

t.test('a wait without waitFor cannot hold a "not happened" condition', async (t) => {
  const w = shop();
  const conditions = [{ event: 'purchase', happened: true }, { event: 'unsubscribe', happened: false }];
  expectProblems(t, w.engine.validate(waitFlow({ conditions })), [{ code: 'JCT_WAIT_NEVER_DECIDES', path: `${W}.conditions` }]);
  t.same(w.engine.validate(waitFlow({ conditions, waitFor: { amount: 3, unit: 'days' } })), []);
});

t.test('variable mappings', async (t) => {
  const w = shop();
  const conditions = [
    { event: 'viewItem', happened: true },
    { event: 'purchase', happened: false },
  ];
  const check = (variables: unknown[]) => w.engine.validate(waitFlow({ conditions, variables, waitFor: { amount: 1, unit: 'days' } }));
  t.same(
    check([
      { event: 'viewItem', property: 'itemId', variable: 'item' },
      { event: 'viewItem', property: 'quantity', variable: 'amount' },
      { event: 'viewItem', property: 'price', variable: 'item' },
      { event: 'viewItem', property: 'sizes', variable: 'sizes' },
    ]),
    [],
    'same type; whole into decimal; anything but a list into text; a list into a list',
  );
  expectProblems(t, check([{ event: 'viewItem', property: 'price', variable: 'qty' }]), [{ code: 'JCT_VARIABLE_TYPE', path: `${W}.variables[0].variable` }], 'decimal into whole');
  expectProblems(t, check([{ event: 'viewItem', property: 'itemId', variable: 'flag' }]), [{ code: 'JCT_VARIABLE_TYPE', path: `${W}.variables[0].variable` }], 'text into boolean');
  expectProblems(t, check([{ event: 'viewItem', property: 'sizes', variable: 'item' }]), [{ code: 'JCT_VARIABLE_TYPE' }], 'a list into text');
  expectProblems(t, check([{ event: 'viewItem', property: 'colour', variable: 'item' }]), [{ code: 'JCT_EVENT_PROPERTY_UNKNOWN', path: `${W}.variables[0].property` }]);
  expectProblems(t, check([{ event: 'viewItem', property: 'itemId', variable: 'nothing' }]), [{ code: 'JCT_VARIABLE_UNKNOWN', path: `${W}.variables[0].variable` }]);
  expectProblems(t, check([{ event: 'purchase', property: 'orderId', variable: 'item' }]), [{ code: 'JCT_MAPPING_EVENT', path: `${W}.variables[0].event` }], 'a not-happened event has no properties to map');
  expectProblems(t, check([{ event: 'unsubscribe', property: 'x', variable: 'item' }]), [{ code: 'JCT_MAPPING_EVENT' }], 'an event no condition names');
  expectProblems(
    t,
    w.engine.validate(entryFlow({ conditions: [{ event: 'purchase', happened: true }], variables: [{ event: 'purchase', property: 'total', variable: 'qty' }] })),
    [{ code: 'JCT_VARIABLE_TYPE', path: `${E}.variables[0].variable` }],
    'in the entry too',
  );
  const badFilter = [{ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'greaterThan', value: 3 }] }];
  expectProblems(
    t,
    w.engine.validate(waitFlow({ conditions: badFilter, variables: [{ event: 'viewItem', property: 'itemId', variable: 'item' }] })),
    [{ code: 'JCT_OPERATOR_INVALID', path: `${W}.conditions[0].where[0].operator` }],
    'a broken condition is reported once, not again by the mappings of its event',
  );
});

t.test('every problem of a condition list is reported at once', async (t) => {
  const w = shop();
  const problems = w.engine.validate(
    waitFlow({
      conditions: [
        { event: 'nope', happened: true },
        { event: 'purchase', happened: true, where: [{ property: 'colour', operator: 'is', value: 'x' }] },
        { event: 'purchase', happened: false, times: { operator: 'exactly', count: 1 } },
      ],
    }),
  );
  t.same(
    problems.map((p) => p.code),
    ['JCT_EVENT_UNKNOWN', 'JCT_EVENT_PROPERTY_UNKNOWN', 'JCT_CONDITION_INVALID'],
  );
});

t.test('launching a flow with a bad event condition is refused', async (t) => {
  const w = shop();
  w.engine.save(entryFlow({ conditions: [{ event: 'nope', happened: true }] }));
  t.throws(() => w.engine.launch('f'), { code: 'JCT_FLOW_INVALID' });
});

t.test('event conditions in a people file\'s real-time segment are refused', async (t) => {
  const store = new MemoryPeopleStore(new VirtualClock('2026-01-05T09:00:00Z'));
  const doc = {
    events: [{ name: 'purchase', properties: [{ name: 'total', type: 'decimal' }] }],
    segments: [{ id: 'buyers', name: 'Buyers', kind: 'realtime', rules: { all: [{ event: 'purchase', happened: true }] } }],
  };
  let error: unknown;
  try {
    loadPeople(doc, store);
  } catch (err) {
    error = err;
  }
  t.type(error, JunctionError);
  t.match(error, { code: 'JCT_SEGMENT_RULE_INVALID', details: { problems: [{ code: 'JCT_EVENT_CONDITION_NOT_HERE', path: '$.segments[0].rules.all[0]' }] } });
  t.equal(store.segment('buyers'), undefined, 'the segment was not defined');
  t.ok(store.events().has('purchase'), 'the events before it were loaded');
  const nested = { segments: [{ id: 'x', name: 'X', kind: 'realtime', rules: { any: [{ attribute: 'city', operator: 'is', value: 'Zagreb' }, { all: [{ event: 'person.tagAdded', happened: true }] }] } }] };
  t.throws(() => loadPeople(nested, store), { code: 'JCT_SEGMENT_RULE_INVALID', details: { problems: [{ code: 'JCT_EVENT_CONDITION_NOT_HERE', path: '$.segments[0].rules.any[1].all[0]' }] } }, 'nested too');
});

t.test('a people file defines custom events; bad definitions are refused with their path', async (t) => {
  const store = new MemoryPeopleStore(new VirtualClock('2026-01-05T09:00:00Z'));
  loadPeople({ events: [{ name: 'signup' }, { name: 'purchase', description: 'Bought', properties: [{ name: 'total', type: 'decimal' }] }] }, store);
  t.same([...store.events().keys()], ['signup', 'purchase']);
  t.same(store.events().get('signup')!.properties, []);
  t.throws(() => loadPeople({ events: [{ name: 'ok' }, { name: 'my.event' }] }, store), { code: 'JCT_EVENT_DEFINITION_INVALID', details: { path: '$.events[1]' } });
  t.throws(() => loadPeople({ events: [{ name: 'e', properties: [{ name: 'x', type: 'colour' }] }] }, store), { code: 'JCT_PEOPLE_FILE_INVALID' });
});

t.test('checkEventDefinition', async (t) => {
  const bad = (name: string, properties: Array<{ name: string; type: string }> = []) =>
    t.throws(() => checkEventDefinition({ name, properties } as never), { code: 'JCT_EVENT_DEFINITION_INVALID' }, `${name} ${JSON.stringify(properties)}`);
  checkEventDefinition({ name: 'add_to-cart2', properties: [{ name: 'item_id', type: 'text' }, { name: 'sizes', type: 'list' }] });
  t.pass('a good definition');
  bad('flow.entered');
  bad('my.event');
  bad('');
  bad('1st');
  bad('with space');
  bad('x'.repeat(101));
  bad('ok', [{ name: 'a-b', type: 'text' }]);
  bad('ok', [{ name: '', type: 'text' }]);
  bad('ok', [{ name: 'a', type: 'text' }, { name: 'a', type: 'whole' }]);
  bad('ok', [{ name: 'a', type: 'list' }, { name: 'b', type: 'list' }]);
  const store = new MemoryPeopleStore(new VirtualClock('2026-01-05T09:00:00Z'));
  t.throws(() => store.defineEvent({ name: 'a.b', properties: [] }), { code: 'JCT_EVENT_DEFINITION_INVALID' }, 'the store checks definitions');
  const before = store.events();
  store.defineEvent({ name: 'ab', properties: [] });
  t.not(store.events(), before, 'a new map after a change');
});

t.test('the catalog: built-in, channel and custom events; what apps may send', async (t) => {
  const catalog = new EventCatalog([{ name: 'message.delivered', properties: [{ name: 'channel', type: 'text' }] }], [
    { name: 'purchase', properties: [{ name: 'total', type: 'decimal' }, { name: 'items', type: 'list' }, { name: 'when', type: 'date' }] },
  ]);
  t.equal(catalog.get('person.tagAdded')?.group, 'people');
  t.equal(catalog.get('flow.exited')?.group, 'product');
  t.equal(catalog.get('message.delivered')?.group, 'channel');
  t.equal(catalog.get('purchase')?.group, 'custom');
  t.equal(catalog.get('purchase')?.byName.get('total'), 'decimal');
  t.equal(catalog.all().length, 7);
  t.same(catalog.check('purchase', { total: '19.90', items: ['a', 'b'] }), { total: 19.9, items: ['a', 'b'] }, 'typed');
  t.same(catalog.check('purchase', undefined), {}, 'no properties');
  t.same(catalog.check('purchase', { total: null }), {}, 'an empty value is left out');
  t.throws(() => catalog.check('purchased', {}), { code: 'JCT_EVENT_UNKNOWN' });
  t.throws(() => catalog.check('', {}), { code: 'JCT_EVENT_INVALID' });
  t.throws(() => catalog.check(42, {}), { code: 'JCT_EVENT_INVALID' });
  t.throws(() => catalog.check('flow.entered', {}), { code: 'JCT_EVENT_RESERVED' });
  t.throws(() => catalog.check('person.changed', {}), { code: 'JCT_EVENT_RESERVED' });
  t.throws(() => catalog.check('message.delivered', {}), { code: 'JCT_EVENT_RESERVED' });
  t.throws(() => catalog.check('purchase', { total: 'lots' }), { code: 'JCT_EVENT_PROPERTY', details: { property: 'total' } });
  t.throws(() => catalog.check('purchase', { colour: 'red' }), { code: 'JCT_EVENT_PROPERTY', details: { property: 'colour' } });
  t.throws(() => catalog.check('purchase', ['x']), { code: 'JCT_EVENT_PROPERTY' });
  t.throws(() => catalog.check('purchase', 'x'), { code: 'JCT_EVENT_PROPERTY' });
  t.throws(() => new EventCatalog([], [{ name: 'purchase', properties: [] }, { name: 'purchase', properties: [] }]), { code: 'JCT_EVENT_CONFLICT' });
  t.throws(() => new EventCatalog([{ name: 'flow.entered', properties: [] }]), { code: 'JCT_EVENT_CONFLICT' }, 'a module cannot redeclare a built-in');
});
