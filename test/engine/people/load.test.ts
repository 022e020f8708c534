import t from 'tap';
import { VirtualClock } from '../../../engine/clock.js';
import { JunctionError } from '../../../engine/errors.js';
import { loadPeopleFile } from '../../../engine/people-file.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import type { SegmentRule } from '../../../engine/store/interfaces.js';

/** A stand-in rule compiler: `{ "city": "Zagreb" }` matches people in that city. */
function compileRule(rules: unknown, path: string): SegmentRule {
  const city = (rules as { city?: unknown }).city;
  if (typeof city !== 'string') throw new JunctionError('JCT_RULE_INVALID', `${path}: needs a city`);
  return { test: (p) => p.standard.city === city };
}

function load(doc: unknown) {
  const store = new MemoryPeopleStore(new VirtualClock('2026-03-01T10:00:00Z'));
  loadPeopleFile(doc, store, compileRule);
  return store;
}

/** The problems' paths and messages; every one must carry the people-file code. */
function problemsOf(doc: unknown): unknown {
  try {
    load(doc);
  } catch (err) {
    const problems = (err as JunctionError).details?.problems as Array<{ code: string; path: string; message: string }>;
    if (!problems.every((p) => p.code === 'JCT_PEOPLE_FILE_INVALID')) throw new Error('a problem without the people-file code');
    return problems.map(({ path, message }) => ({ path, message }));
  }
  return undefined;
}

t.test('loads every section in order', async (t) => {
  const store = load({
    attributes: [{ name: 'plan', type: 'text', description: 'billing plan' }],
    companies: [{ id: 'acme', name: 'Acme' }],
    people: [
      { id: 'a', standard: { firstName: 'Ana', city: 'Zagreb' }, custom: { plan: 'gold' }, phones: ['+385 91 234 5678'], companies: ['acme'] },
      { id: 'b', standard: { city: 'Split' }, emails: ['bo@example.com'], tags: ['lead'], lastContacted: { sms: '2026-02-01T00:00:00Z' } },
    ],
    segments: [
      { id: 'first', name: 'First', kind: 'static', members: ['a', 'b'] },
      { id: 'zg', name: 'Zagreb', kind: 'realtime', rules: { city: 'Zagreb' } },
    ],
    doNotContact: [{ channel: 'sms', contact: '+385 91 234 5678', senders: ['ACME'] }],
  });
  t.equal(store.size(), 2);
  t.equal(store.get('a')?.custom.plan, 'gold');
  t.same([...store.inCompany('acme')], ['a']);
  t.same([...store.withTag('lead')], ['b']);
  t.equal(store.get('b')?.lastContacted.sms, '2026-02-01T00:00:00.000Z');
  t.same([...store.segmentMembers('first')], ['a', 'b']);
  t.same([...store.segmentMembers('zg')], ['a']);
  t.ok(store.isBlocked('sms', '+385912345678', 'ACME'));
  t.notOk(store.isBlocked('sms', '+385912345678', 'OTHER'));
});

t.test('an empty document loads nothing', async (t) => {
  t.equal(load({}).size(), 0);
});

t.test('every shape problem is listed with its path, the first per path', async (t) => {
  const problems = problemsOf({
    attributes: [{ name: 'plan', type: 'string' }],
    companies: [{ id: 'acme' }],
    people: [{ phones: '+385912345678' }, { standard: { shoeSize: 42 } }, { lastContacted: { pigeon: 'x' } }, { custom: { 'a b': 1 }, tags: [1] }],
    doNotContact: [{ channel: 'fax', contact: 'a@b.co', senders: [] }],
    extra: true,
  });
  t.equal((problems as unknown[]).length, 8);
  t.match(problems, [
    { path: '$.extra', message: /^unknown field "extra"; the fields here are attributes, / },
    { path: '$.attributes[0].type', message: 'Expected boolean, text, decimal, whole (number), date, datetime or list' },
    { path: '$.companies[0].name', message: '"name" is required here' },
    { path: '$.people[0].phones', message: 'Expected array' },
    { path: '$.people[1].standard.shoeSize', message: /^unknown field "shoeSize"; the fields here are firstName, / },
    { path: '$.people[2].lastContacted.pigeon', message: /^unknown field "pigeon"; the fields here are sms, whatsapp, / },
    { path: '$.people[3].tags[0]', message: 'Expected string' },
    { path: '$.doNotContact[0].channel', message: 'Expected sms, whatsapp, email, voice, viber, push, telegram, messenger' },
  ]);
});

t.test('the error says what is wrong in its message too', async (t) => {
  t.throws(() => load({ people: {} }), {
    code: 'JCT_PEOPLE_FILE_INVALID',
    message: 'the people file has 1 problem(s): $.people: Expected array',
  });
  t.throws(() => load([]), { code: 'JCT_PEOPLE_FILE_INVALID', details: { problems: [{ path: '$', message: 'Expected object' }] } });
});

t.test('segments are checked against the schema of their kind', async (t) => {
  t.same(
    problemsOf({
      segments: [
        { id: 's', name: 'S', kind: 'static', rules: {} },
        { id: 'r', name: 'R', kind: 'realtime' },
        { id: 'x', name: 'X', kind: 'weekly' },
      ],
    }),
    [{ path: '$.segments[2].kind', message: 'Expected static or realtime' }],
    'an unknown kind first',
  );
  t.same(
    problemsOf({
      segments: [
        { id: 's', name: 'S', kind: 'static', rules: {} },
        { id: 'r', name: 'R', kind: 'realtime' },
      ],
    }),
    [
      { path: '$.segments[0].members', message: '"members" is required here' },
      { path: '$.segments[0].rules', message: 'unknown field "rules"; the fields here are id, name, kind, members' },
      { path: '$.segments[1].rules', message: '"rules" is required here' },
    ],
  );
});

t.test('odd keys are quoted in paths', async (t) => {
  t.match(problemsOf({ people: [{ standard: { 'first name': 'A' } }] }), [
    { path: '$.people[0].standard["first name"]', message: /^unknown field "first name"; the fields here are firstName, / },
  ]);
});

t.test("a person the store refuses is named by index, keeping the store's code", async (t) => {
  t.throws(() => load({ people: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { phones: ['12'] }] }), {
    code: 'JCT_CONTACT_INVALID',
    message: /^\$\.people\[3\]: "12" is not a valid phone/,
    details: { path: '$.people[3]', kind: 'phone' },
  });
  t.throws(() => load({ people: [{ custom: { plan: 'gold' } }] }), { code: 'JCT_ATTRIBUTE_UNKNOWN', details: { path: '$.people[0]' } });
  t.throws(() => load({ people: [{ standard: { birthDate: 'May' } }] }), { code: 'JCT_ATTRIBUTE_TYPE', details: { path: '$.people[0]' } });
  t.throws(() => load({ people: [{ companies: ['acme'] }] }), { code: 'JCT_COMPANY_UNKNOWN', details: { path: '$.people[0]' } });
});

t.test('a number or true/false for a text attribute is refused where it is, as JSON typed it', async (t) => {
  const file = (plan: unknown) => ({ attributes: [{ name: 'plan', type: 'text' }, { name: 'seats', type: 'whole' }], people: [{ id: 'a', custom: { seats: 3 } }, { id: 'b', custom: { seats: 1, plan } }] });
  for (const plan of [42, true]) {
    t.throws(() => load(file(plan)), { code: 'JCT_ATTRIBUTE_TYPE', message: `$.people[1].custom.plan: attribute "plan": ${plan} is not a valid text`, details: { path: '$.people[1].custom.plan', attribute: 'plan', type: 'text' } }, String(plan));
  }
  t.equal(load(file('42')).get('b')?.custom['plan'], '42', 'text is text');
  t.equal(load({ people: [{ id: 'a', standard: { externalId: 42 } }] }).findByExternalId('42')?.id, 'a', "a standard external id given as a number is still read as its digits");
});

t.test('people with the same external id: merged without ids, refused with different ones', async (t) => {
  const merged = load({ people: [{ standard: { externalId: 'crm-1', city: 'Split' } }, { standard: { externalId: 'crm-1', city: 'Zadar' } }] });
  t.equal(merged.size(), 1);
  t.equal(merged.findByExternalId('crm-1')?.standard.city, 'Zadar');
  t.throws(() => load({ people: [{ id: 'a', standard: { externalId: 'crm-1' } }, { id: 'b', standard: { externalId: 'crm-1' } }] }), {
    code: 'JCT_EXTERNAL_ID_TAKEN',
    message: /^\$\.people\[1\]: external id "crm-1" already belongs to person "a"/,
    details: { path: '$.people[1]', externalId: 'crm-1', personId: 'a' },
  });
});

t.test('other sections name the failing item too', async (t) => {
  t.throws(() => load({ attributes: [{ name: 'city', type: 'text' }] }), {
    code: 'JCT_ATTRIBUTE_CONFLICT',
    details: { path: '$.attributes[0]' },
  });
  t.throws(() => load({ segments: [{ id: 's', name: 'S', kind: 'static', members: ['ghost'] }] }), {
    code: 'JCT_PERSON_UNKNOWN',
    details: { path: '$.segments[0]' },
  });
  t.throws(() => load({ doNotContact: [{ channel: 'email', contact: 'nope', senders: [] }] }), {
    code: 'JCT_CONTACT_INVALID',
    details: { path: '$.doNotContact[0]' },
  });
  t.throws(() => load({ segments: [{ id: 'r', name: 'R', kind: 'realtime', rules: {} }] }), {
    code: 'JCT_RULE_INVALID',
    message: '$.segments[0].rules: needs a city',
  }, 'the rule compiler gets the path of the rules');
});

t.test('a people file nested too deeply is refused with a path, not a crash', async (t) => {
  let rules: unknown = { attribute: 'city', operator: 'is', value: 'x' };
  for (let i = 0; i < 3000; i++) rules = { any: [rules] };
  const problems = problemsOf({ segments: [{ id: 's', name: 'S', kind: 'realtime', rules }] }) as Array<{ path: string; message: string }>;
  t.equal(problems.length, 1);
  t.match(problems[0]!.message, /nested more than 64 levels deep/);
});

t.test('a part of the file: only the profiles it takes; a static segment keeps the members held, leaves out those elsewhere, refuses the others', async (t) => {
  const doc = {
    people: [{ id: 'ana', phones: ['+385911234567'] }, { id: 'ivo' }, { id: 'eva' }],
    segments: [{ id: 'vip', name: 'VIP', kind: 'static', members: ['ana', 'ivo', 'eva'] }],
  };
  const part = (elsewhere: string[]) => ({ profile: (i: number) => i === 0, elsewhere: (id: string) => elsewhere.includes(id) });
  const store = new MemoryPeopleStore(new VirtualClock('2026-03-01T10:00:00Z'));
  loadPeopleFile(doc, store, compileRule, part(['ivo', 'eva']));
  t.same([store.get('ana')?.id, store.get('ivo'), store.get('eva')], ['ana', undefined, undefined], 'only the profile taken');
  t.same([...store.segmentMembers('vip')], ['ana'], 'the members held; those elsewhere left out');
  const another = new MemoryPeopleStore(new VirtualClock('2026-03-01T10:00:00Z'));
  t.throws(() => loadPeopleFile(doc, another, compileRule, part(['ivo'])), { code: 'JCT_PERSON_UNKNOWN', details: { path: '$.segments[0]', people: ['eva'] } }, 'a member that should be here and is not is refused');
});

t.test("a store's own ids: a profile without one gets the store's prefix", async (t) => {
  const store = new MemoryPeopleStore(new VirtualClock('2026-03-01T10:00:00Z'), '3-');
  loadPeopleFile({ people: [{ phones: ['+385911234567'] }, { emails: ['ana@example.com'] }] }, store, compileRule);
  t.same([...store.all()].map((p) => p.id), ['3-p_1', '3-p_2']);
});
