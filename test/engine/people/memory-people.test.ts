import t from 'tap';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import type { PeopleChange, SegmentRule } from '../../../engine/store/interfaces.js';
import type { Person } from '../../../engine/person.js';

function setup() {
  const clock = new VirtualClock('2026-03-01T10:00:00Z');
  const store = new MemoryPeopleStore(clock);
  const events: PeopleChange[] = [];
  /** The profiles as they were before each update (PeopleChange.before), kept apart from `events`. */
  const befores: Person[] = [];
  store.onChange(({ before, ...change }) => {
    events.push(change);
    if (before) befores.push(before);
  });
  return { clock, store, events, befores };
}

const inZagreb: SegmentRule = { test: (p) => p.standard.city === 'Zagreb' };

t.test('upsert creates people with generated or given ids', async (t) => {
  const { store, events } = setup();
  const a = store.upsert({ standard: { firstName: 'Ana' }, phones: ['+385 91 234 5678'], tags: ['lead'] });
  const b = store.upsert({ id: 'crm-7', emails: ['Bo@Example.com'] });
  const c = store.upsert({});
  t.equal(a.id, 'p_1');
  t.equal(b.id, 'crm-7');
  t.equal(c.id, 'p_2');
  t.equal(store.size(), 3);
  t.equal(store.get('p_1'), a);
  t.same([...store.all()].map((p) => p.id), ['p_1', 'crm-7', 'p_2']);
  t.equal(a.standard.createdAt, '2026-03-01T10:00:00.000Z');
  t.same(events, [
    { personId: 'p_1', kind: 'created' },
    { personId: 'p_1', kind: 'tagAdded', tag: 'lead' },
    { personId: 'crm-7', kind: 'created' },
    { personId: 'p_2', kind: 'created' },
  ]);
});

t.test('generated ids skip ids already taken', async (t) => {
  const { store } = setup();
  store.upsert({ id: 'p_1' });
  t.equal(store.upsert({}).id, 'p_2');
});

t.test('findByContact reads any format', async (t) => {
  const { store } = setup();
  const a = store.upsert({ phones: ['+385912345678'], emails: ['ana@example.com'] });
  t.equal(store.findByContact('+385 91 234 5678'), a);
  t.equal(store.findByContact(' ANA@example.com'), a);
  t.equal(store.findByContact('+44 20 7946 0958'), undefined);
  t.equal(store.findByContact('rubbish'), undefined);
});

t.test('upsert merges by id or by contact', async (t) => {
  const { clock, store, events, befores } = setup();
  store.defineCompany({ id: 'acme', name: 'Acme' });
  store.defineCompany({ id: 'globex', name: 'Globex' });
  store.upsert({ standard: { firstName: 'Ana', city: 'Split' }, phones: ['+385912345678'], tags: ['lead'], companies: ['acme'] });
  events.length = 0;
  clock.advance(1000);

  const merged = store.upsert({
    standard: { city: 'Zagreb' },
    phones: ['+385 91 234 5678'],
    emails: ['ana@example.com'],
    tags: ['lead', 'vip'],
    companies: ['globex'],
  });
  t.equal(merged.id, 'p_1');
  t.equal(store.size(), 1);
  t.same(merged.standard.firstName, 'Ana', 'attributes not in the input stay');
  t.equal(merged.standard.city, 'Zagreb', 'attributes in the input overwrite');
  t.same(merged.tags, ['lead', 'vip']);
  t.same(merged.emails, ['ana@example.com']);
  t.same(merged.companies, ['acme', 'globex']);
  t.equal(merged.standard.modifiedAt, '2026-03-01T10:00:01.000Z');
  t.equal(merged.standard.createdAt, '2026-03-01T10:00:00.000Z');
  t.same(events, [
    { personId: 'p_1', kind: 'updated', attributes: ['city', 'email'] },
    { personId: 'p_1', kind: 'tagAdded', tag: 'vip' },
  ]);
  t.same([befores.at(-1)?.standard.city, befores.at(-1)?.emails], ['Split', []], 'the update tells the profile as it was');
  t.same([...store.inCompany('globex')], ['p_1']);

  t.equal(store.upsert({ id: 'p_1', emails: ['second@example.com'] }).emails.length, 2, 'merge by id');
  t.equal(store.findByContact('second@example.com')?.id, 'p_1');
});

t.test('a merge that changes nothing emits nothing', async (t) => {
  const { store, events } = setup();
  const a = store.upsert({ phones: ['+385912345678'], standard: { city: 'Split' } });
  events.length = 0;
  t.equal(store.upsert({ phones: ['+385912345678'], standard: { city: 'Split' } }), a);
  t.same(events, []);
});

t.test('a contact belongs to one person', async (t) => {
  const { store } = setup();
  store.upsert({ id: 'a', phones: ['+385912345678'] });
  store.upsert({ id: 'b', emails: ['b@example.com'] });
  t.throws(() => store.update('b', [{ op: 'addPhone', phone: '+385 91 234 5678' }]), {
    code: 'JCT_CONTACT_TAKEN',
    details: { contact: '+385912345678', personId: 'a' },
  });
  t.throws(() => store.upsert({ id: 'c', emails: ['b@example.com'] }), { code: 'JCT_CONTACT_TAKEN' });
  t.throws(() => store.upsert({ phones: ['+385912345678'], emails: ['b@example.com'] }), { code: 'JCT_CONTACT_TAKEN' });
  t.same(store.get('b')?.phones, [], 'nothing applied');
  t.equal(store.get('c'), undefined);
  t.equal(store.size(), 2);
});

t.test('an external id belongs to one person', async (t) => {
  const { store, events } = setup();
  store.upsert({ id: 'a', standard: { externalId: 'crm-1' } });
  store.upsert({ id: 'b', standard: { city: 'Split' } });
  events.length = 0;
  t.throws(() => store.update('b', [{ op: 'set', attribute: 'externalId', value: 'crm-1' }]), {
    code: 'JCT_EXTERNAL_ID_TAKEN',
    message: 'external id "crm-1" already belongs to person "a"; an external id belongs to one person only',
    details: { externalId: 'crm-1', personId: 'a' },
  });
  t.throws(() => store.upsert({ id: 'c', standard: { externalId: 'crm-1' } }), { code: 'JCT_EXTERNAL_ID_TAKEN' });
  t.same(store.get('b')?.standard.externalId, undefined, 'nothing applied');
  t.equal(store.get('c'), undefined);
  t.same(events, []);
  t.equal(store.upsert({ standard: { externalId: 'crm-1', city: 'Zadar' } }).id, 'a', 'without an id, the input merges into the one with its external id');
  t.equal(store.update('a', [{ op: 'set', attribute: 'externalId', value: 'crm-2' }]).standard.externalId, 'crm-2');
  t.equal(store.update('b', [{ op: 'set', attribute: 'externalId', value: 'crm-1' }]).standard.externalId, 'crm-1', 'a freed external id is free');
  t.equal(store.findByExternalId('crm-1')?.id, 'b');
  t.equal(store.findByExternalId('crm-2')?.id, 'a');
});

t.test('a blank external id set on a profile removes it; one stored blank before names nobody', async (t) => {
  const { store } = setup();
  store.upsert({ id: 'a', standard: { externalId: 'crm-1' } });
  store.upsert({ id: 'b', standard: { externalId: 'crm-2' } });
  t.same(store.update('a', [{ op: 'set', attribute: 'externalId', value: '' }]).standard.externalId, undefined, '"" removes it');
  t.same(store.update('b', [{ op: 'set', attribute: 'externalId', value: '   ' }]).standard.externalId, undefined, 'spaces too: no second blank "taken"');
  t.equal(store.findByExternalId('crm-1'), undefined, 'the old one is freed');
  t.equal(store.update('b', [{ op: 'set', attribute: 'externalId', value: 'crm-1' }]).standard.externalId, 'crm-1');
  store.restore({ id: 'c', standard: { externalId: '' }, custom: {}, phones: [], emails: [], tags: [], companies: [], lastContacted: {} });
  store.restore({ id: 'd', standard: { externalId: '' }, custom: {}, phones: [], emails: [], tags: [], companies: [], lastContacted: {} });
  t.equal(store.findByExternalId(''), undefined, 'a blank one stored before finds nobody');
  t.equal(store.update('c', [{ op: 'set', attribute: 'city', value: 'Split' }]).standard.city, 'Split', 'and is nobody else\'s to take');
});

t.test('people restored with the same external id: the later one is found, and nothing fails', async (t) => {
  const { store } = setup();
  const restored = (id: string, city: string): Person => ({ id, standard: { externalId: 'crm-1', city }, custom: {}, phones: [], emails: [], tags: [], companies: [], lastContacted: {} });
  store.restore(restored('a', 'Split'));
  store.restore(restored('b', 'Zadar'));
  t.equal(store.findByExternalId('crm-1')?.id, 'b');
  store.update('a', [{ op: 'set', attribute: 'city', value: 'Pula' }]);
  t.equal(store.findByExternalId('crm-1')?.id, 'b', 'a write that leaves the external id alone does not take it over');
  t.throws(() => store.upsert({ id: 'c', standard: { externalId: 'crm-1' } }), { code: 'JCT_EXTERNAL_ID_TAKEN', details: { personId: 'b' } });
});

t.test('upsert refuses unknown companies and bad input before changing anything', async (t) => {
  const { store, events } = setup();
  t.throws(() => store.upsert({ companies: ['nope', 'nada'] }), {
    code: 'JCT_COMPANY_UNKNOWN',
    details: { companies: ['nope', 'nada'] },
  });
  t.throws(() => store.upsert({ phones: ['12'] }), { code: 'JCT_CONTACT_INVALID' });
  t.throws(() => store.upsert({ custom: { shoeSize: 42 } }), { code: 'JCT_ATTRIBUTE_UNKNOWN' });
  t.equal(store.size(), 0);
  t.same(events, []);
  t.equal(store.upsert({}).id, 'p_1', 'failed creations use up no ids');
});

t.test('update applies changes atomically and emits events in order', async (t) => {
  const { store, events } = setup();
  store.defineAttribute({ name: 'visits', type: 'whole' });
  store.upsert({ id: 'a', tags: ['lead'] });
  events.length = 0;
  const before = store.get('a');
  t.throws(
    () => store.update('a', [{ op: 'set', attribute: 'city', value: 'Zagreb' }, { op: 'set', attribute: 'visits', value: 'lots' }]),
    { code: 'JCT_ATTRIBUTE_TYPE' },
  );
  t.equal(store.get('a'), before, 'all or nothing');
  t.same(events, []);

  store.update('a', [
    { op: 'removeTag', tag: 'lead' },
    { op: 'addTag', tag: 'customer' },
    { op: 'set', attribute: 'visits', value: 2 },
    { op: 'contacted', channel: 'sms', at: '2026-03-01T09:00:00Z' },
  ]);
  t.same(events, [
    { personId: 'a', kind: 'updated', attributes: ['visits', 'sms.lastContactedAt'] },
    { personId: 'a', kind: 'tagAdded', tag: 'customer' },
    { personId: 'a', kind: 'tagRemoved', tag: 'lead' },
  ]);
  t.throws(() => store.update('zz', []), { code: 'JCT_PERSON_UNKNOWN' });
});

t.test('tag index follows tag changes', async (t) => {
  const { store } = setup();
  store.upsert({ id: 'a', tags: ['lead'] });
  store.upsert({ id: 'b', tags: ['lead', 'vip'] });
  t.same([...store.withTag('lead')], ['a', 'b']);
  store.update('a', [{ op: 'removeTag', tag: 'lead' }]);
  store.update('b', [{ op: 'removeTag', tag: 'vip' }]);
  t.same([...store.withTag('lead')], ['b']);
  t.same([...store.withTag('vip')], []);
  t.same([...store.withTag('never')], []);
});

t.test('companies', async (t) => {
  const { store } = setup();
  store.defineCompany({ id: 'acme', name: 'Acme' });
  t.same(store.company('acme'), { id: 'acme', name: 'Acme' });
  t.equal(store.company('nope'), undefined);
  store.upsert({ id: 'a', companies: ['acme'] });
  store.upsert({ id: 'b' });
  t.same([...store.inCompany('acme')], ['a']);
  t.same([...store.inCompany('nope')], []);
  store.defineCompany({ id: 'acme', name: 'Acme Corp' });
  t.equal(store.company('acme')?.name, 'Acme Corp', 'redefining renames');
});

t.test('attribute definitions and the catalog', async (t) => {
  const { store } = setup();
  const catalog = store.catalog();
  t.equal(catalog.get('plan'), undefined);
  store.defineAttribute({ name: 'plan', type: 'text', description: 'billing plan' });
  t.not(store.catalog(), catalog, 'rebuilt on a new definition');
  t.same(store.catalog().get('plan'), { name: 'plan', type: 'text', kind: 'custom' });
  const rebuilt = store.catalog();
  t.equal(store.catalog(), rebuilt, 'cached between definitions');
  t.same([...store.attributes().values()], [{ name: 'plan', type: 'text', description: 'billing plan' }]);

  store.defineAttribute({ name: 'plan', type: 'text', description: 'the plan' });
  t.equal(store.attributes().get('plan')?.description, 'the plan', 'same type: redefinition updates the description');
  t.throws(() => store.defineAttribute({ name: 'plan', type: 'whole' }), {
    code: 'JCT_ATTRIBUTE_CONFLICT',
    message: /already defined as text/,
  });
  for (const name of ['firstName', 'phone', 'sms.lastContactedAt']) {
    t.throws(() => store.defineAttribute({ name, type: 'text' }), { code: /JCT_ATTRIBUTE_(CONFLICT|NAME_INVALID)/ }, name);
  }
  t.throws(() => store.defineAttribute({ name: 'city', type: 'text' }), { code: 'JCT_ATTRIBUTE_CONFLICT', message: /built-in/ });
  t.throws(() => store.defineAttribute({ name: '__proto__', type: 'text' }), { code: 'JCT_ATTRIBUTE_NAME_INVALID' });
  t.throws(() => store.defineAttribute({ name: 'shoe size', type: 'text' }), { code: 'JCT_ATTRIBUTE_NAME_INVALID' });
  t.same([...store.attributes().keys()], ['plan']);

  store.upsert({ id: 'a', custom: { plan: 'gold' } });
  t.equal(store.get('a')?.custom.plan, 'gold');
});

t.test('static segments are snapshots', async (t) => {
  const { store, events } = setup();
  store.upsert({ id: 'a', standard: { city: 'Zagreb' } });
  store.upsert({ id: 'b' });
  store.defineSegment({ id: 'vips', name: 'VIPs', kind: 'static', members: ['a', 'b'] });
  t.same([...store.segmentMembers('vips')], ['a', 'b']);
  t.same(store.segment('vips'), { id: 'vips', name: 'VIPs', kind: 'static', members: ['a', 'b'] });
  events.length = 0;
  store.update('b', [{ op: 'set', attribute: 'city', value: 'Split' }]);
  t.same([...store.segmentMembers('vips')], ['a', 'b'], 'profile changes do not move static members');
  t.notOk(events.some((e) => e.segmentId), 'no segment events');
  t.throws(() => store.defineSegment({ id: 's', name: 'S', kind: 'static', members: ['a', 'ghost'] }), {
    code: 'JCT_PERSON_UNKNOWN',
    details: { people: ['ghost'] },
  });
  t.throws(() => store.defineSegment({ id: 's', name: 'S', kind: 'static' }), { code: 'JCT_SEGMENT_INVALID' });
  t.throws(() => store.defineSegment({ id: 's', name: 'S', kind: 'static', members: [], rule: inZagreb }), { code: 'JCT_SEGMENT_INVALID' });
  t.throws(() => store.segmentMembers('s'), { code: 'JCT_SEGMENT_UNKNOWN' });
  t.equal(store.segment('s'), undefined);
});

t.test('real-time segments follow profile changes', async (t) => {
  const { store, events } = setup();
  store.upsert({ id: 'a', standard: { city: 'Zagreb' } });
  store.upsert({ id: 'b', standard: { city: 'Split' } });
  events.length = 0;
  store.defineSegment({ id: 'zg', name: 'In Zagreb', kind: 'realtime', rule: inZagreb });
  t.same([...store.segmentMembers('zg')], ['a'], 'everyone evaluated on definition');
  t.same(events, [], 'defining a segment emits no events');

  store.update('b', [{ op: 'set', attribute: 'city', value: 'Zagreb' }]);
  store.update('a', [{ op: 'set', attribute: 'city', value: 'Osijek' }]);
  store.upsert({ id: 'c', standard: { city: 'Zagreb' }, tags: ['new'] });
  t.same(events, [
    { personId: 'b', kind: 'updated', attributes: ['city'] },
    { personId: 'b', kind: 'segmentJoined', segmentId: 'zg' },
    { personId: 'a', kind: 'updated', attributes: ['city'] },
    { personId: 'a', kind: 'segmentLeft', segmentId: 'zg' },
    { personId: 'c', kind: 'created' },
    { personId: 'c', kind: 'tagAdded', tag: 'new' },
    { personId: 'c', kind: 'segmentJoined', segmentId: 'zg' },
  ]);
  t.same([...store.segmentMembers('zg')].sort(), ['b', 'c']);

  events.length = 0;
  store.update('b', [{ op: 'addTag', tag: 'x' }]);
  t.same(events, [{ personId: 'b', kind: 'tagAdded', tag: 'x' }], 'staying in is no event');
  t.throws(() => store.defineSegment({ id: 's', name: 'S', kind: 'realtime' }), { code: 'JCT_SEGMENT_INVALID' });
});

t.test('replacing a segment announces who left it, then who joined it', async (t) => {
  const { store, events } = setup();
  for (const [id, city] of [['a', 'Zagreb'], ['b', 'Split'], ['c', 'Osijek']]) store.upsert({ id, standard: { city } });
  store.defineSegment({ id: 'zg', name: 'In Zagreb', kind: 'realtime', rule: inZagreb });
  store.defineSegment({ id: 'few', name: 'Few', kind: 'static', members: ['a', 'b'] });
  events.length = 0;
  store.defineSegment({ id: 'zg', name: 'Coast', kind: 'realtime', rule: { test: (p) => p.standard.city === 'Split' } });
  store.defineSegment({ id: 'few', name: 'Few', kind: 'static', members: ['b', 'c'] });
  t.same(events, [
    { personId: 'a', kind: 'segmentLeft', segmentId: 'zg' },
    { personId: 'b', kind: 'segmentJoined', segmentId: 'zg' },
    { personId: 'a', kind: 'segmentLeft', segmentId: 'few' },
    { personId: 'c', kind: 'segmentJoined', segmentId: 'few' },
  ]);
  t.same([...store.segmentMembers('zg')], ['b']);
});

t.test('real-time rules see the clock'
, async (t) => {
  const { clock, store } = setup();
  const dueAt = clock.now() + 1000;
  store.defineSegment({ id: 'due', name: 'Due', kind: 'realtime', rule: { test: (_p, now) => now >= dueAt } });
  store.upsert({ id: 'a' });
  t.same([...store.segmentMembers('due')], []);
  clock.advance(1000);
  store.update('a', [{ op: 'addTag', tag: 'poke' }]);
  t.same([...store.segmentMembers('due')], ['a']);
});

t.test('a throwing rule aborts the write', async (t) => {
  const { store } = setup();
  store.upsert({ id: 'a' });
  const broken: SegmentRule = {
    test: (p) => {
      if (p.tags.includes('boom')) throw new Error('kaput');
      return false;
    },
  };
  store.defineSegment({ id: 'bad', name: 'Bad', kind: 'realtime', rule: broken });
  t.throws(() => store.update('a', [{ op: 'addTag', tag: 'boom' }]), {
    code: 'JCT_SEGMENT_RULE_FAILED',
    message: /segment "bad" failed for person "a": kaput/,
  });
  t.same(store.get('a')?.tags, []);
  t.same([...store.withTag('boom')], []);
});

t.test('listeners: isolation, counting, unsubscribe', async (t) => {
  const { store, events } = setup();
  const seen: string[] = [];
  store.onChange(() => {
    throw new Error('listener bug');
  });
  const off = store.onChange((c) => seen.push(c.kind));
  store.upsert({ id: 'a', tags: ['x'] });
  t.equal(store.listenerErrors, 2);
  t.same(seen, ['created', 'tagAdded']);
  t.equal(events.length, 2, 'the listener before the thrower still heard everything');
  t.ok(store.get('a'), 'the write stands');
  off();
  store.update('a', [{ op: 'addTag', tag: 'y' }]);
  t.same(seen, ['created', 'tagAdded'], 'unsubscribed');
  t.equal(store.listenerErrors, 3);
});

t.test('a listener sees the store consistent', async (t) => {
  const { store } = setup();
  store.defineSegment({ id: 'zg', name: 'ZG', kind: 'realtime', rule: inZagreb });
  const views: unknown[] = [];
  store.onChange((c) => views.push([c.kind, store.get(c.personId)?.standard.city, [...store.segmentMembers('zg')], [...store.withTag('t')]]));
  store.upsert({ id: 'a', standard: { city: 'Zagreb' }, tags: ['t'] });
  t.same(views, [
    ['created', 'Zagreb', ['a'], ['a']],
    ['tagAdded', 'Zagreb', ['a'], ['a']],
    ['segmentJoined', 'Zagreb', ['a'], ['a']],
  ]);
});

/** The do-not-contact entries in the list's order. */
function blocks(store: MemoryPeopleStore) {
  return [...store.doNotContact().after()].map(([, entry]) => entry);
}

t.test('do-not-contact: per channel, all senders', async (t) => {
  const { store } = setup();
  store.addDoNotContact({ channel: 'sms', contact: '+385 91 234 5678', senders: [] });
  t.ok(store.isBlocked('sms', '+385912345678'));
  t.ok(store.isBlocked('sms', '+385-91-234-5678', 'ACME'), 'any format, any sender');
  t.notOk(store.isBlocked('whatsapp', '+385912345678'), 'other channels are open');
  t.notOk(store.isBlocked('sms', '+44 20 7946 0958'));
  t.notOk(store.isBlocked('sms', 'not a number'));
  store.addDoNotContact({ channel: 'email', contact: 'Ana@Example.com', senders: [] });
  t.ok(store.isBlocked('email', 'ana@example.COM'));
  t.same(blocks(store), [
    { channel: 'email', contact: 'ana@example.com', senders: [] },
    { channel: 'sms', contact: '+385912345678', senders: [] },
  ], 'by channel, then contact');
  t.throws(() => store.addDoNotContact({ channel: 'sms', contact: '12', senders: [] }), { code: 'JCT_CONTACT_INVALID' });
});

t.test('do-not-contact: per sender', async (t) => {
  const { store } = setup();
  const contact = '+385912345678';
  store.addDoNotContact({ channel: 'sms', contact, senders: ['ACME'] });
  store.addDoNotContact({ channel: 'sms', contact, senders: ['GLOBEX', 'ACME'] });
  t.same(blocks(store), [{ channel: 'sms', contact, senders: ['ACME', 'GLOBEX'] }], 'senders are unioned');
  t.ok(store.isBlocked('sms', contact, 'ACME'));
  t.notOk(store.isBlocked('sms', contact, 'INITECH'));
  t.notOk(store.isBlocked('sms', contact), 'no sender: only an all-senders block applies');

  store.removeDoNotContact({ channel: 'sms', contact, senders: ['ACME'] });
  t.notOk(store.isBlocked('sms', contact, 'ACME'));
  t.ok(store.isBlocked('sms', contact, 'GLOBEX'));
  store.removeDoNotContact({ channel: 'sms', contact, senders: ['GLOBEX'] });
  t.same(blocks(store), [], 'removing the last sender removes the entry, it does not widen it');
  t.notOk(store.isBlocked('sms', contact, 'GLOBEX'));
  store.removeDoNotContact({ channel: 'sms', contact, senders: [] });
  t.same(blocks(store), [], 'removing what is not there is fine');
});

t.test('do-not-contact: a sender is read as a send reads its own (phone in E.164, email lower-cased)', async (t) => {
  const { store } = setup();
  const contact = '+385912345678';
  store.addDoNotContact({ channel: 'sms', contact, senders: ['+385 1 555 0000', 'Shop SMS'] });
  store.addDoNotContact({ channel: 'email', contact: 'ana@example.com', senders: ['News@Shop.example'] });
  t.ok(store.isBlocked('sms', contact, '+38515550000'), 'the number in any format');
  t.ok(store.isBlocked('sms', contact, 'Shop SMS'), 'an alphanumeric sender id as written');
  t.ok(store.isBlocked('email', 'ana@example.com', 'news@shop.example'));
  store.removeDoNotContact({ channel: 'sms', contact, senders: ['+385-1-555-0000'] });
  t.same(blocks(store), [
    { channel: 'email', contact: 'ana@example.com', senders: ['news@shop.example'] },
    { channel: 'sms', contact, senders: ['Shop SMS'] },
  ]);
});

t.test('do-not-contact: all-senders blocks replace and outlast sender-specific ones', async (t) => {
  const { store } = setup();
  const contact = 'ana@example.com';
  store.addDoNotContact({ channel: 'email', contact, senders: ['news'] });
  store.addDoNotContact({ channel: 'email', contact, senders: [] });
  t.same(blocks(store), [{ channel: 'email', contact, senders: [] }], 'all senders replaces');
  store.addDoNotContact({ channel: 'email', contact, senders: ['news'] });
  t.same(blocks(store), [{ channel: 'email', contact, senders: [] }], 'adding a sender to an all-senders block keeps it');
  store.removeDoNotContact({ channel: 'email', contact, senders: ['news'] });
  t.ok(store.isBlocked('email', contact, 'news'), 'an all-senders block is not partially lifted');
  store.removeDoNotContact({ channel: 'email', contact: 'ANA@example.com', senders: [] });
  t.notOk(store.isBlocked('email', contact, 'news'));
  t.same(blocks(store), []);
});

t.test('restore puts a stored profile back, indexed and compact, telling no one', async (t) => {
  const { store, events } = setup();
  store.defineCompany({ id: 'acme', name: 'Acme' });
  store.defineSegment({ id: 'zg', name: 'ZG', kind: 'realtime', rule: inZagreb });
  const stored = {
    id: 'p_1',
    standard: { modifiedAt: '2026-02-01T00:00:00.000Z', city: 'Zagreb', createdAt: '2026-01-01T00:00:00.000Z' },
    custom: {},
    phones: ['+385912345678'],
    emails: [],
    tags: ['lead', 'lead'],
    companies: ['acme'],
    lastContacted: {},
  };
  store.restore(JSON.parse(JSON.stringify(stored)));
  const person = store.get('p_1')!;
  t.same(person, { ...stored, tags: ['lead'] });
  t.same(Object.keys(person.standard), ['city', 'createdAt', 'modifiedAt'], 'laid out like any other profile');
  t.equal(store.findByContact('+385 91 234 5678'), person);
  t.same([...store.withTag('lead')], ['p_1']);
  t.same([...store.inCompany('acme')], ['p_1']);
  t.same([...store.segmentMembers('zg')], ['p_1']);
  t.same(events, []);
  store.restore({ ...stored, standard: { city: 'Split' }, phones: ['+385917654321'], tags: ['vip'] });
  t.same([...store.withTag('lead')], [], 'restoring again moves the indexes');
  t.equal(store.findByContact('+385912345678'), undefined);
  t.equal(store.findByContact('+385917654321')?.id, 'p_1');
  t.same([...store.withTag('vip')], ['p_1']);
  t.same([...store.segmentMembers('zg')], []);
  t.equal(store.upsert({}).id, 'p_2', 'generated ids skip restored ones');
});

t.test('restore keeps the parts of a stored profile that are laid out already, and lays out the others', async (t) => {
  const { store } = setup();
  const row = JSON.parse(JSON.stringify({
    id: 'p_1',
    standard: { city: 'Zagreb' },
    custom: { age: 30, plan: 'gold' },
    phones: [],
    emails: ['a@example.com', 'b@example.com'],
    tags: ['lead', 'vip'],
    companies: [],
    lastContacted: {},
  })) as Person;
  store.restore(row);
  const kept = store.get('p_1')!;
  t.equal(kept.standard, row.standard);
  t.equal(kept.custom, row.custom);
  t.equal(kept.emails, row.emails);
  t.equal(kept.tags, row.tags);
  store.restore({ ...row, custom: { plan: 'gold', age: 30 } });
  const rebuilt = store.get('p_1')!;
  t.same(Object.keys(rebuilt.custom), ['age', 'plan'], 'custom attributes by name');
  t.not(rebuilt.custom, row.custom);
});

t.test('restored contacts are indexed in the background, or at once by a lookup or write before it ends', async (t) => {
  const restoreMany = (store: MemoryPeopleStore, n: number) => {
    for (let i = 0; i < n; i++) {
      const phone = `+3859100${String(i).padStart(5, '0')}`;
      store.restore({ id: `p_${i}`, standard: {}, custom: {}, phones: [phone], emails: [`${i}@example.com`], tags: [], companies: [], lastContacted: {} });
    }
  };
  const background = setup().store;
  restoreMany(background, 45_000); // three slices
  t.equal(await background.indexContactsInBackground(), 45_000);
  t.equal(background.findByContact('+385910044999')?.id, 'p_44999');
  t.equal(background.findByContact('44999@example.com')?.id, 'p_44999');
  t.equal(await background.indexContactsInBackground(), 0, 'nothing left');

  const replaced = setup().store;
  restoreMany(replaced, 10);
  replaced.restore({ id: 'p_7', standard: {}, custom: {}, phones: ['+385917654321'], emails: [], tags: [], companies: [], lastContacted: {} });
  t.equal(replaced.findByContact('+385910000007'), undefined, 'a profile restored again takes the place of the deferred one');
  t.equal(replaced.findByContact('+385917654321')?.id, 'p_7');

  const early = setup().store;
  restoreMany(early, 30_000);
  const indexing = early.indexContactsInBackground();
  t.equal(early.findByContact('+385910029999')?.id, 'p_29999', 'a lookup finishes the index');
  t.throws(() => early.upsert({ id: 'p_new', phones: ['+385910012345'] }), { code: 'JCT_CONTACT_TAKEN' });
  t.equal(await indexing, 30_000);

  const written = setup().store;
  restoreMany(written, 10);
  t.throws(() => written.update('p_3', [{ op: 'addPhone', phone: '+385910000004' }]), { code: 'JCT_CONTACT_TAKEN' }, 'a write sees every restored contact');
  written.update('p_3', [{ op: 'addPhone', phone: '+385917654321' }]);
  t.equal(written.findByContact('+385917654321')?.id, 'p_3');
  t.equal(written.findByContact('+385910000004')?.id, 'p_4');
});

t.test('blockOf reads one do-not-contact entry', async (t) => {
  const { store } = setup();
  store.addDoNotContact({ channel: 'sms', contact: '+385 91 234 5678', senders: ['ACME'] });
  t.same(store.blockOf('sms', '+385912345678'), { channel: 'sms', contact: '+385912345678', senders: ['ACME'] });
  t.equal(store.blockOf('whatsapp', '+385912345678'), undefined);
  t.equal(store.blockOf('sms', 'not a number'), undefined);
});

t.test('an email typed with a combining accent is the same address as with the composed letter: one person', async (t) => {
  const store = new MemoryPeopleStore(new VirtualClock('2026-03-02T09:00:00Z'));
  const first = store.upsert({ emails: ['Jose\u0301@Example.com'] });
  t.same(first.emails, ['jos\u00e9@example.com'], 'kept composed');
  t.equal(store.findByContact('jos\u00e9@example.com')?.id, first.id);
  t.equal(store.upsert({ emails: ['jos\u00e9@example.com'], standard: { firstName: 'José' } }).id, first.id, 'the composed form merges into the same person');
  t.equal(store.size(), 1);
});
