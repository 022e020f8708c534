// A custom text attribute sent as a JSON number or true/false (POST and PATCH /people, the Flow
// API's person, one at a time or in a batch) is refused with JCT_ATTRIBUTE_TYPE, nothing
// written, rather than stored as "42": the sender's JSON chose the type. Text is kept as text,
// and a flow that sets the attribute from a number still converts it (coerceValue).
import t from 'tap';
import { coerceJsonValue, coerceValue } from '../../engine/values.js';
import { flow, pauseDays, world } from '../engine/helpers.js';
import { api } from './api-helper.js';

/** A world with the custom attributes `nick` (text) and `visits` (whole) and the launched flow `welcome`. */
function typedWorld() {
  const w = world();
  w.people.defineAttribute({ name: 'nick', type: 'text' });
  w.people.defineAttribute({ name: 'visits', type: 'whole' });
  w.engine.save(flow('welcome', [pauseDays('p', 1)]));
  w.engine.launch('welcome');
  return w;
}

const WRONG = [42, true] as const;

t.test('POST /people refuses a number or true/false for a text attribute, creating nobody', async (t) => {
  const { call, w } = await api(t, typedWorld());
  for (const nick of WRONG) {
    const r = await call('POST', '/people', { id: 'ana', custom: { nick, visits: 3 } });
    t.same([r.status, r.json.error.code, r.json.error.message], [400, 'JCT_ATTRIBUTE_TYPE', `attribute "nick": ${nick} is not a valid text`], String(nick));
  }
  t.equal(w.people.get('ana'), undefined, 'nobody created');
  const ok = await call('POST', '/people', { id: 'ana', custom: { nick: '42', visits: 3 } });
  t.same([ok.status, ok.json.custom], [201, { nick: '42', visits: 3 }], 'text is text');
  t.equal((await call('POST', '/people', { id: 'ana', custom: { nick: 7 } })).status, 400, 'merging into a profile too');
  t.same(w.people.get('ana')?.custom, { nick: '42', visits: 3 }, 'unchanged');
});

t.test('PATCH /people/:id refuses one, all or nothing', async (t) => {
  const { call, w } = await api(t, typedWorld());
  w.people.upsert({ id: 'ana', custom: { nick: 'A' } });
  for (const nick of WRONG) {
    const r = await call('PATCH', '/people/ana', { set: { visits: 2, nick }, addTags: ['x'] });
    t.same([r.status, r.json.error.code, r.json.error.details], [400, 'JCT_ATTRIBUTE_TYPE', { attribute: 'nick', type: 'text' }], String(nick));
  }
  t.same([w.people.get('ana')?.custom, w.people.get('ana')?.tags], [{ nick: 'A' }, []], 'nothing written');
  t.same((await call('PATCH', '/people/ana', { set: { nick: 'true', externalId: 1234 } })).json.custom, { nick: 'true' });
  t.equal(w.people.get('ana')?.standard['externalId'], '1234', 'a standard external id sent as a number is still read as its digits');
});

t.test('the Flow API refuses the person: the single call with 400, a batch item on its own', async (t) => {
  const { call, w } = await api(t, typedWorld());
  for (const nick of WRONG) {
    const r = await call('POST', '/flows/welcome/participants', { person: { id: 'ana', custom: { nick } } }, undefined, {}, '');
    t.same([r.status, r.json.error.code], [400, 'JCT_ATTRIBUTE_TYPE'], String(nick));
  }
  t.equal(w.people.get('ana'), undefined, 'nobody created, nobody entered');
  const batch = await call('POST', '/flows/welcome/entry-points/start/participants', {
    participants: [{ person: { id: 'ben', custom: { nick: 'Ben' } } }, { person: { id: 'cy', custom: { nick: 3 } } }],
  });
  t.equal(batch.status, 200);
  t.match(batch.json.participants, [{ status: 'accepted' }, { status: 'rejected', reason: 'JCT_ATTRIBUTE_TYPE', message: 'attribute "nick": 3 is not a valid text' }]);
  t.equal(w.people.get('cy'), undefined);
});

t.test('a value with no JSON type of its own (a CSV cell, a flow value) is still read as text', async (t) => {
  t.same(coerceValue('text', '42'), { ok: true, value: '42' }, 'a CSV cell');
  t.same(coerceValue('text', 42), { ok: true, value: '42' }, "an expression's result");
  t.same(coerceJsonValue('text', 42), { ok: false, message: '42 is not a valid text' });
  t.same(coerceJsonValue('text', false), { ok: false, message: 'false is not a valid text' });
  t.same(coerceJsonValue('text', '42'), { ok: true, value: '42' });
  t.same(coerceJsonValue('whole', '42'), { ok: true, value: 42 }, 'other types as coerceValue reads them');
  t.same(coerceJsonValue('text', null), { ok: true, value: null }, 'null empties it');
});
