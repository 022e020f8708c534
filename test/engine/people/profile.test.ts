import t from 'tap';
import { VirtualClock } from '../../../engine/clock.js';
import { AttributeCatalog } from '../../../engine/people/catalog.js';
import { applyChanges, attributeValue, createPerson, inputChanges, joinCompanies } from '../../../engine/people/profile.js';
import type { Person } from '../../../engine/person.js';
import type { ProfileChange } from '../../../engine/vocabulary.js';

const clock = new VirtualClock('2026-03-01T10:00:00Z');
const T0 = clock.now();
const T1 = T0 + 60_000;
const catalog = new AttributeCatalog([
  { name: 'vip', type: 'boolean' },
  { name: 'score', type: 'decimal' },
  { name: 'visits', type: 'whole' },
  { name: 'renewal', type: 'date' },
  { name: 'lastOrderAt', type: 'datetime' },
  { name: 'interests', type: 'list' },
  { name: 'plan', type: 'text' },
]);

function ana(): Person {
  return createPerson('p_1', { standard: { firstName: 'Ana', city: 'Split' }, phones: ['+385 91 234 5678'], tags: ['lead'] }, catalog, T0);
}

t.test('createPerson normalizes contacts, checks types and stamps times', async (t) => {
  const person = createPerson(
    'p_9',
    {
      standard: { firstName: 'Ana', birthDate: '1990-04-02' },
      custom: { visits: '3', vip: 'true' },
      phones: ['+385 91 234 5678', '+385912345678'],
      emails: [' Ana@Example.com'],
      tags: ['lead', 'lead'],
      companies: ['c1', 'c1'],
      lastContacted: { sms: '2026-02-01T08:00:00+01:00' },
    },
    catalog,
    T0,
  );
  t.same(person, {
    id: 'p_9',
    standard: {
      firstName: 'Ana',
      birthDate: '1990-04-02',
      createdAt: '2026-03-01T10:00:00.000Z',
      modifiedAt: '2026-03-01T10:00:00.000Z',
    },
    custom: { visits: 3, vip: true },
    phones: ['+385912345678'],
    emails: ['ana@example.com'],
    tags: ['lead'],
    companies: ['c1'],
    lastContacted: { sms: '2026-02-01T07:00:00.000Z' },
  });
});

t.test('createPerson keeps an imported createdAt but always stamps modifiedAt', async (t) => {
  const person = createPerson('p_1', { standard: { createdAt: '2020-01-01T00:00:00Z', modifiedAt: '2021-01-01T00:00:00Z' } }, catalog, T0);
  t.equal(person.standard.createdAt, '2020-01-01T00:00:00.000Z');
  t.equal(person.standard.modifiedAt, '2026-03-01T10:00:00.000Z');
  t.throws(() => createPerson('p_1', { standard: { createdAt: 'yesterday' } }, catalog, T0), { code: 'JCT_ATTRIBUTE_TYPE' });
  t.throws(() => createPerson('p_1', { phones: ['12'] }, catalog, T0), { code: 'JCT_CONTACT_INVALID' });
});

t.test('set: standard and custom attributes, canonical values, null empties', async (t) => {
  const before = ana();
  const frozen = structuredClone(before);
  const { person, changed } = applyChanges(
    before,
    [
      { op: 'set', attribute: 'city', value: 'Zagreb' },
      { op: 'set', attribute: 'score', value: '4.5' },
      { op: 'set', attribute: 'lastOrderAt', value: '2026-02-28T12:00:00+02:00' },
      { op: 'set', attribute: 'firstName', value: null },
    ],
    catalog,
    T1,
  );
  t.same(before, frozen, 'the input person is not mutated');
  t.same(changed, ['city', 'score', 'lastOrderAt', 'firstName']);
  t.equal(person.standard.city, 'Zagreb');
  t.notOk('firstName' in person.standard, 'null removes the key');
  t.same(person.custom, { score: 4.5, lastOrderAt: '2026-02-28T10:00:00.000Z' });
  t.equal(person.standard.modifiedAt, new Date(T1).toISOString());
});

t.test('setting the current value, or emptying an empty one, is not a change', async (t) => {
  const before = ana();
  const update = applyChanges(
    before,
    [
      { op: 'set', attribute: 'city', value: 'Split' },
      { op: 'set', attribute: 'plan', value: null },
      { op: 'addTag', tag: 'lead' },
      { op: 'removeTag', tag: 'customer' },
      { op: 'addPhone', phone: '+385 91 234 5678' },
    ],
    catalog,
    T1,
  );
  t.equal(update.person, before, 'the same person comes back');
  t.same(update, { person: before, changed: [], tagsAdded: [], tagsRemoved: [] });
});

t.test('a value set and set back within one batch is not a change', async (t) => {
  const update = applyChanges(
    ana(),
    [
      { op: 'set', attribute: 'city', value: 'Zagreb' },
      { op: 'set', attribute: 'city', value: 'Split' },
      { op: 'addTag', tag: 'x' },
      { op: 'removeTag', tag: 'x' },
    ],
    catalog,
    T1,
  );
  t.same(update.changed, []);
  t.same(update.tagsAdded, []);
});

t.test('lists compare by content', async (t) => {
  const first = applyChanges(ana(), [{ op: 'set', attribute: 'interests', value: ['a', 'b'] }], catalog, T1).person;
  const again = applyChanges(first, [{ op: 'set', attribute: 'interests', value: ['a', 'b'] }], catalog, T1);
  t.same(again.changed, []);
  t.same(applyChanges(first, [{ op: 'set', attribute: 'interests', value: ['b', 'a'] }], catalog, T1).changed, ['interests']);
});

t.test('addTag and removeTag are idempotent and reported', async (t) => {
  const { person, changed, tagsAdded, tagsRemoved } = applyChanges(
    ana(),
    [
      { op: 'addTag', tag: 'vip' },
      { op: 'addTag', tag: 'vip' },
      { op: 'removeTag', tag: 'lead' },
      { op: 'removeTag', tag: 'lead' },
    ],
    catalog,
    T1,
  );
  t.same(person.tags, ['vip']);
  t.same({ changed, tagsAdded, tagsRemoved }, { changed: [], tagsAdded: ['vip'], tagsRemoved: ['lead'] });
  t.equal(person.standard.modifiedAt, new Date(T1).toISOString(), 'a tag change modifies the profile');
  t.throws(() => applyChanges(ana(), [{ op: 'addTag', tag: ' ' }], catalog, T1), { code: 'JCT_TAG_INVALID' });
});

t.test('addPhone and addEmail normalize and de-duplicate', async (t) => {
  const { person, changed } = applyChanges(
    ana(),
    [
      { op: 'addPhone', phone: '+385-91-234-5678' },
      { op: 'addPhone', phone: '+44 20 7946 0958' },
      { op: 'addEmail', email: 'ANA@example.com' },
      { op: 'addEmail', email: 'ana@example.com ' },
    ],
    catalog,
    T1,
  );
  t.same(person.phones, ['+385912345678', '+442079460958']);
  t.same(person.emails, ['ana@example.com']);
  t.same(changed, ['phone', 'email']);
  t.throws(() => applyChanges(ana(), [{ op: 'addPhone', phone: 'call me' }], catalog, T1), { code: 'JCT_CONTACT_INVALID' });
  t.throws(() => applyChanges(ana(), [{ op: 'addEmail', email: 'ana@localhost' }], catalog, T1), { code: 'JCT_CONTACT_INVALID' });
});

t.test('contacted sets the channel time', async (t) => {
  const { person, changed } = applyChanges(ana(), [{ op: 'contacted', channel: 'whatsapp', at: '2026-03-01T11:00:00+01:00' }], catalog, T1);
  t.same(person.lastContacted, { whatsapp: '2026-03-01T10:00:00.000Z' });
  t.same(changed, ['whatsapp.lastContactedAt']);
  t.throws(() => applyChanges(ana(), [{ op: 'contacted', channel: 'sms', at: 'now' }], catalog, T1), {
    code: 'JCT_ATTRIBUTE_TYPE',
    message: /sms\.lastContactedAt/,
  });
  const missing = { op: 'contacted', channel: 'sms' } as unknown as ProfileChange;
  t.throws(() => applyChanges(ana(), [missing], catalog, T1), { code: 'JCT_ATTRIBUTE_TYPE' }, 'a time is required');
  const pigeon = { op: 'contacted', channel: 'pigeon', at: '2026-03-01T10:00:00Z' } as unknown as ProfileChange;
  t.throws(() => applyChanges(ana(), [pigeon], catalog, T1), { code: 'JCT_ATTRIBUTE_UNKNOWN', message: /unknown channel "pigeon"/ });
});

t.test('set refuses unknown and read-only attributes', async (t) => {
  const refuse = (attribute: string, code: string) =>
    t.throws(() => applyChanges(ana(), [{ op: 'set', attribute, value: 'x' }], catalog, T1), { code, details: { attribute } }, attribute);
  refuse('shoeSize', 'JCT_ATTRIBUTE_UNKNOWN');
  refuse('tags', 'JCT_ATTRIBUTE_READONLY');
  refuse('companies', 'JCT_ATTRIBUTE_UNKNOWN');
  refuse('phone', 'JCT_ATTRIBUTE_READONLY');
  refuse('email', 'JCT_ATTRIBUTE_READONLY');
  refuse('sms.lastContactedAt', 'JCT_ATTRIBUTE_READONLY');
  refuse('createdAt', 'JCT_ATTRIBUTE_READONLY');
  refuse('modifiedAt', 'JCT_ATTRIBUTE_READONLY');
});

t.test('set type-checks every value type', async (t) => {
  const wrong: [string, unknown][] = [
    ['vip', 'yes'],
    ['score', 'a lot'],
    ['visits', 2.5],
    ['renewal', '2026-02-30'],
    ['lastOrderAt', '2026-02-28'],
    ['interests', 'a,b'],
    ['plan', { tier: 'gold' }],
    ['birthDate', '02.04.1990'],
  ];
  for (const [attribute, value] of wrong) {
    const change = { op: 'set', attribute, value } as ProfileChange;
    t.throws(() => applyChanges(ana(), [change], catalog, T1), { code: 'JCT_ATTRIBUTE_TYPE', details: { attribute } }, attribute);
  }
});

t.test('a failing change leaves nothing applied', async (t) => {
  const before = ana();
  const frozen = structuredClone(before);
  t.throws(() =>
    applyChanges(before, [{ op: 'set', attribute: 'city', value: 'Zagreb' }, { op: 'set', attribute: 'visits', value: 'many' }], catalog, T1),
  );
  t.same(before, frozen);
});

t.test('attributeValue reads every kind of catalog name', async (t) => {
  const person = applyChanges(
    ana(),
    [
      { op: 'set', attribute: 'plan', value: 'gold' },
      { op: 'addEmail', email: 'ana@example.com' },
      { op: 'contacted', channel: 'voice', at: '2026-03-01T09:00:00Z' },
    ],
    catalog,
    T1,
  ).person;
  t.equal(attributeValue(person, 'firstName'), 'Ana');
  t.equal(attributeValue(person, 'lastName'), null);
  t.equal(attributeValue(person, 'plan'), 'gold');
  t.equal(attributeValue(person, 'vip'), null);
  t.same(attributeValue(person, 'phone'), ['+385912345678']);
  t.same(attributeValue(person, 'email'), ['ana@example.com']);
  t.equal(attributeValue(person, 'voice.lastContactedAt'), '2026-03-01T09:00:00.000Z');
  t.equal(attributeValue(person, 'sms.lastContactedAt'), null);
  t.same(attributeValue(person, 'tags'), person.tags, 'tags read as a list');
  t.equal(attributeValue(person, 'constructor'), null);
});

t.test('inputChanges turns input into changes, leaving system timestamps out', async (t) => {
  t.same(
    inputChanges({
      standard: { city: 'Zagreb', createdAt: '2020-01-01T00:00:00Z', modifiedAt: '2020-01-01T00:00:00Z' },
      custom: { plan: null },
      phones: ['+385912345678'],
      emails: ['a@b.co'],
      tags: ['t'],
      lastContacted: { sms: '2026-01-01T00:00:00Z' },
    }),
    [
      { op: 'set', attribute: 'city', value: 'Zagreb' },
      { op: 'set', attribute: 'plan', value: null },
      { op: 'addPhone', phone: '+385912345678' },
      { op: 'addEmail', email: 'a@b.co' },
      { op: 'addTag', tag: 't' },
      { op: 'contacted', channel: 'sms', at: '2026-01-01T00:00:00Z' },
    ],
  );
});

t.test('joinCompanies adds new ids only', async (t) => {
  const person = ana();
  t.equal(joinCompanies(person, [], T1), person);
  const joined = joinCompanies(person, ['c1', 'c1'], T1);
  t.same(joined.companies, ['c1']);
  t.equal(joined.standard.modifiedAt, new Date(T1).toISOString());
  t.equal(joinCompanies(joined, ['c1'], T1), joined);
});

t.test('profiles are compact: shared empty parts, canonical key order, unwritten parts kept', async (t) => {
  const a = createPerson('a', { custom: { visits: 1, plan: 'gold' }, standard: { city: 'Split', firstName: 'Ana' } }, catalog, T0);
  const b = createPerson('b', {}, catalog, T0);
  t.equal(a.phones, b.emails, 'one shared empty list');
  t.equal(a.lastContacted, b.custom, 'one shared empty record');
  t.ok(Object.isFrozen(b.tags) && Object.isFrozen(b.custom), 'shared parts are frozen');
  t.same(Object.keys(a.standard), ['firstName', 'city', 'createdAt', 'modifiedAt'], 'standard attributes in declared order');
  t.same(Object.keys(a.custom), ['plan', 'visits'], 'custom attributes by name');
  t.equal(a.standard.createdAt, b.standard.modifiedAt, 'one string per instant');
  const { person } = applyChanges(a, [{ op: 'set', attribute: 'city', value: 'Zagreb' }, { op: 'addTag', tag: 'vip' }, { op: 'set', attribute: 'plan', value: 'gold' }], catalog, T1);
  t.equal(person.custom, a.custom, 'a part written with its own values stays the same object');
  t.equal(person.phones, a.phones, 'an unwritten part stays the same object');
  t.same(person.tags, ['vip']);
});
