// POST /events through the gateway: one event (202 with its receipt), a batch (200 with one
// result per item, bad items refused with their code and the rest taken), unknown people
// refused unless the module's createPeople setting creates them from a phone or email,
// batches over 1,000 and bodies of the wrong shape refused with 400.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../gateway/app.js';
import { adminHeaders } from '../../gateway/auth-helper.js';
import { eventsModule, MAX_BATCH } from '../../../engine/events/index.js';
import { world, type World } from '../helpers.js';

function shop(settings: Record<string, unknown> = {}): { w: World; app: FastifyInstance } {
  const w = world({ modules: [eventsModule], settings: { events: settings } });
  w.people.defineEvent({ name: 'addToCart', properties: [{ name: 'itemId', type: 'text' }, { name: 'price', type: 'decimal' }] });
  w.people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }] });
  w.people.upsert({ id: 'ana', phones: ['+385911234567'], emails: ['ana@shop.example'] });
  w.engine.save({
    schemaVersion: 1,
    id: 'cart',
    name: 'cart',
    entryPoints: [{ id: 'e', type: 'realTimeEvent', config: { conditions: [{ event: 'addToCart', happened: true }] }, branches: { next: 'w' } }],
    elements: [
      { id: 'w', type: 'waitForEvent', config: { conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 2, unit: 'hours' } }, branches: { happened: 'thanks' } },
      { id: 'thanks', type: 'addTag', config: { tags: ['bought'] } },
    ],
  });
  w.engine.launch('cart');
  return { w, app: buildApp(w.engine) };
}

const post = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/events', headers: adminHeaders(app), payload: payload as object });

t.test('one event: 202 with the receipt', async (t) => {
  const { w, app } = shop();
  const r = await post(app, { person: { id: 'ana' }, name: 'addToCart', properties: { itemId: 'A-1', price: 19.9 } });
  t.equal(r.statusCode, 202);
  t.same(r.json(), { accepted: true, personId: 'ana', delivered: 0 });
  t.equal([...w.engine.participantsOf('cart', 1)].length, 1, 'the event started the flow');
  const bought = await post(app, { person: { phone: '+385911234567' }, name: 'purchase', properties: { orderId: 'o-1' } });
  t.equal(bought.statusCode, 202);
  t.same(bought.json(), { accepted: true, personId: 'ana', delivered: 1 }, 'found by phone; the waiting participant took it');
  t.same(w.people.get('ana')!.tags, ['bought']);
  const byEmail = await post(app, { person: { email: 'ana@shop.example' }, name: 'purchase' });
  t.match(byEmail.json(), { accepted: true, personId: 'ana' }, 'found by email, no properties');
});

t.test('an event with its time', async (t) => {
  const { w, app } = shop();
  const at = new Date(w.clock.now() - 3_600_000).toISOString();
  t.equal((await post(app, { person: { id: 'ana' }, name: 'purchase', at })).statusCode, 202);
  const future = new Date(w.clock.now() + 3_600_000).toISOString();
  const r = await post(app, { person: { id: 'ana' }, name: 'purchase', at: future });
  t.equal(r.statusCode, 400);
  t.equal(r.json().error.code, 'JCT_EVENT_TIME');
  t.equal((await post(app, { person: { id: 'ana' }, name: 'purchase', at: 'yesterday' })).statusCode, 400, 'not a date-time');
  const micro = await post(app, { person: { id: 'ana' }, name: 'purchase', at: at.replace(/\.(\d{3})Z$/, '.$1456+00:00') });
  t.equal(micro.statusCode, 202, 'microseconds and an offset, as Python\'s isoformat() writes them');
  t.equal((await post(app, { person: { id: 'ana' }, name: 'purchase', at: at.replace(/\.(\d{3})Z$/, '.$1456789Z') })).statusCode, 202, 'nanoseconds, as Java and Go write them');
  t.equal((await post(app, { person: { id: 'ana' }, name: 'purchase', at: at.replace(/\.(\d{3})Z$/, '.$14567890Z') })).statusCode, 400, 'not more than 9 digits');
  const local = await post(app, { person: { id: 'ana' }, name: 'purchase', at: at.slice(0, 16) });
  t.equal(local.statusCode, 400, 'a wall time without an offset: no zone to read it in');
  t.match(local.json().error.message, /with Z or an offset/);
  const yesterday = new Date(w.clock.now() - 86_400_000).toISOString().slice(0, 10);
  for (const text of [`${yesterday}T24:00:00Z`, `${yesterday}T10:00:00+25:00`]) {
    const wrong = await post(app, { person: { id: 'ana' }, name: 'purchase', at: text });
    t.equal(wrong.statusCode, 400, `${text}: no such time, not taken as another one`);
    t.same(wrong.json().error, { code: 'JCT_EVENT_TIME', message: `event "purchase": "${text}" is not a valid datetime`, details: { at: text } });
  }
});

t.test('refused single events answer with their code', async (t) => {
  const { w, app } = shop();
  const cases: Array<[unknown, number, string]> = [
    [{ person: { id: 'nobody' }, name: 'purchase' }, 404, 'JCT_PERSON_UNKNOWN'],
    [{ person: { phone: '+385919999999' }, name: 'purchase' }, 404, 'JCT_PERSON_UNKNOWN'],
    [{ person: {}, name: 'purchase' }, 400, 'JCT_PERSON_EMPTY'],
    [{ person: { id: 'ana' }, name: 'refund' }, 400, 'JCT_EVENT_UNKNOWN'],
    [{ person: { id: 'ana' }, name: 'flow.entered' }, 400, 'JCT_EVENT_RESERVED'],
    [{ person: { id: 'ana' }, name: 'addToCart', properties: { price: 'cheap' } }, 400, 'JCT_EVENT_PROPERTY'],
    [{ person: { id: 'ana' }, name: 'addToCart', properties: { colour: 'red' } }, 400, 'JCT_EVENT_PROPERTY'],
    [{ person: { phone: 'not a phone' }, name: 'purchase' }, 400, 'JCT_CONTACT_INVALID'],
    [{ person: { email: 'nobody-at-example' }, name: 'purchase' }, 400, 'JCT_CONTACT_INVALID'],
  ];
  for (const [payload, status, code] of cases) {
    const r = await post(app, payload);
    t.equal(r.statusCode, status, JSON.stringify(payload));
    t.equal(r.json().error.code, code);
  }
  t.equal(w.people.size(), 1, 'nobody created');
  t.equal([...w.engine.participantsOf('cart', 1)].length, 0);
});

t.test('an unknown person named by a contact is refused naming that contact, not an id', async (t) => {
  const { app } = shop();
  const byPhone = await post(app, { person: { phone: '+385919999999' }, name: 'purchase' });
  t.equal(byPhone.statusCode, 404);
  t.match(byPhone.json().error, { code: 'JCT_PERSON_UNKNOWN', message: /^no person with phone "\+385919999999" \(/, details: { phone: '+385919999999' } });
  const both = await post(app, { person: { phone: '+385919999999', email: 'nobody@shop.example' }, name: 'purchase' });
  t.match(both.json().error.message, /^no person with phone "\+385919999999" or email "nobody@shop.example" \(/);
  const byId = await post(app, { person: { id: 'nobody' }, name: 'purchase' });
  t.match(byId.json().error.message, /^no person with id "nobody"/, 'an id given is named as it is');
});

t.test('an id and a contact of someone else: refused, since which person is meant cannot be told', async (t) => {
  const { w, app } = shop();
  w.people.upsert({ id: 'ben', phones: ['+385917654321'] });
  const r = await post(app, { person: { id: 'ben', email: 'ana@shop.example' }, name: 'addToCart', properties: { itemId: 'A-1', price: 1 } });
  t.equal(r.statusCode, 400);
  t.same(r.json().error, { code: 'JCT_PERSON_MISMATCH', message: '"ana@shop.example" belongs to person "ana", not to "ben": name one person', details: { personId: 'ben', owner: 'ana' } });
  t.equal([...w.engine.participantsOf('cart', 1)].length, 0, 'nothing recorded');
  const same = await post(app, { person: { id: 'ana', phone: '+385 91 123 4567' }, name: 'addToCart', properties: { itemId: 'A-1', price: 1 } });
  t.equal(same.statusCode, 202, 'an id and its own phone, in any format');
  const unknown = await post(app, { person: { id: 'ben', email: 'new@shop.example' }, name: 'addToCart', properties: { itemId: 'A-2', price: 1 } });
  t.equal(unknown.statusCode, 202, 'a contact nobody has: the id decides');
});

t.test('a batch with one bad item: 200, the others taken, one result per item in order', async (t) => {
  const { w, app } = shop();
  const r = await post(app, {
    events: [
      { person: { id: 'ana' }, name: 'addToCart', properties: { itemId: 'A-1' } },
      { person: { id: 'ana' }, name: 'addToCart', properties: { price: 'cheap' } },
      { person: { id: 'nobody' }, name: 'purchase' },
      { person: { id: 'ana' }, name: 'purchase', properties: { orderId: 'o-1' } },
    ],
  });
  t.equal(r.statusCode, 200);
  const body = r.json();
  t.match(body, {
    accepted: 2,
    refused: 2,
    results: [
      { accepted: true, personId: 'ana', delivered: 0 },
      { accepted: false, code: 'JCT_EVENT_PROPERTY' },
      { accepted: false, code: 'JCT_PERSON_UNKNOWN' },
      { accepted: true, personId: 'ana', delivered: 1 },
    ],
  });
  t.type(body.results[1].message, 'string');
  t.same(w.people.get('ana')!.tags, ['bought'], 'the items were applied in order');
  t.equal(w.engine.refusedInputs.get('event JCT_EVENT_PROPERTY'), 1);
  t.equal(w.engine.refusedInputs.get('event JCT_PERSON_UNKNOWN'), 1);
});

t.test('createPeople: an event for an unknown phone or email creates the profile', async (t) => {
  const { w, app } = shop({ createPeople: true });
  const r = await post(app, { person: { phone: '+385 91 765 4321' }, name: 'addToCart', properties: { itemId: 'B-2' } });
  t.equal(r.statusCode, 202);
  const { personId } = r.json();
  const created = w.people.findByContact('+385917654321');
  t.ok(created, 'created with the phone');
  t.equal(created!.id, personId);
  t.equal([...w.engine.participantsOf('cart', 1)].length, 1, 'and the event started the flow');
  const batch = await post(app, {
    events: [
      { person: { email: 'new@shop.example' }, name: 'addToCart' },
      { person: { email: 'new@shop.example' }, name: 'purchase' },
    ],
  });
  t.equal(batch.statusCode, 200);
  const [first, second] = batch.json().results;
  t.equal(first.personId, second.personId, 'one profile for both items');
  t.equal(w.people.findByContact('new@shop.example')!.id, first.personId);
  t.equal(second.delivered, 1);
  const byId = await post(app, { person: { id: 'ghost' }, name: 'purchase' });
  t.equal(byId.statusCode, 404, 'an unknown id alone is still refused: nothing to create the profile from');
  t.equal(byId.json().error.code, 'JCT_PERSON_UNKNOWN');
  t.equal(w.people.get('ghost'), undefined);
});

t.test('without createPeople an unknown phone is refused and nobody is created', async (t) => {
  const { w, app } = shop({ createPeople: false });
  const r = await post(app, { person: { phone: '+385917654321' }, name: 'purchase' });
  t.equal(r.statusCode, 404);
  t.equal(w.people.findByContact('+385917654321'), undefined);
});

t.test('a batch over 1,000 events is refused whole', async (t) => {
  const { w, app } = shop();
  const item = { person: { id: 'ana' }, name: 'purchase' };
  const r = await post(app, { events: Array.from({ length: MAX_BATCH + 1 }, () => item) });
  t.equal(r.statusCode, 400);
  t.equal(r.json().error.code, 'JCT_REQUEST_INVALID');
  await w.engine.idle();
  t.equal(w.backend.tables.get('event')!.size, 0, 'nothing kept');
  const full = await post(app, { events: Array.from({ length: MAX_BATCH }, () => item) });
  t.equal(full.statusCode, 200, '1,000 are fine');
  t.match(full.json(), { accepted: MAX_BATCH, refused: 0 });
});

t.test('bodies of the wrong shape are refused with 400', async (t) => {
  const { app } = shop();
  const bad: unknown[] = [
    { person: { id: 'ana' } },
    { person: { id: 'ana' }, name: 42 },
    { person: 'ana', name: 'purchase' },
    { person: { id: 'ana' }, name: 'purchase', properties: 'x' },
    { person: { id: 'ana' }, name: 'purchase', properties: ['x'] },
    { person: { id: 'ana', nickname: 'A' }, name: 'purchase' },
    { person: { id: 'ana' }, name: '' },
    { person: { id: 'ana' }, name: 'purchase', extra: 1 },
    { events: [] },
    { events: 'all' },
    { events: [{ person: { id: 'ana' }, name: 7 }] },
    { person: { id: 'a'.repeat(201) }, name: 'purchase' },
    { person: { phone: '1'.repeat(51) }, name: 'purchase' },
    { person: { email: `${'a'.repeat(320)}@shop.example` }, name: 'purchase' },
    [],
  ];
  for (const payload of bad) {
    const r = await post(app, payload);
    t.equal(r.statusCode, 400, JSON.stringify(payload));
    t.equal(r.json().error.code, 'JCT_REQUEST_INVALID');
    t.ok(r.body.length < 1000, 'the answer does not echo a long value');
  }
  const notJson = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': 'application/json', ...adminHeaders(app) }, payload: '{"person":' });
  t.equal(notJson.statusCode, 400);
  t.equal(notJson.json().error.code, 'JCT_JSON_INVALID');
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const other = await app.inject({ method: 'POST', url: '/events', headers: { 'content-type': type, ...adminHeaders(app) }, payload: 'person=ana' });
    t.same([other.statusCode, other.json().error.code], [415, 'JCT_UNSUPPORTED_MEDIA_TYPE'], `${type}, as on the API's own routes`);
  }
});
