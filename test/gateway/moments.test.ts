// The commercial product's Flow participants API over real HTTP, beyond adding (participants.test.ts):
// each refusal's errorReason, the person's type, removing people, and numeric campaign ids.
import t from 'tap';
import { flow, pauseDays, world } from '../engine/helpers.js';
import { addThroughMoments, api, promoWorld } from './api-helper.js';

const MOMENTS = '/moments/1';
const DAY = 86_400_000;
const REENTRY_AFTER_TWO_DAYS = { reentry: { enabled: true, delay: { amount: 2, unit: 'days' } } };

t.test('still inside and within the re-entry delay are told apart', async (t) => {
  const w = promoWorld(REENTRY_AFTER_TWO_DAYS);
  const { call } = await api(t, w);
  const add = async () => (await addThroughMoments(call, 'promo', { participants: [{ identifyBy: { identifier: '385912345678', type: 'PHONE' } }] })).report.json.participants[0];
  t.match(await add(), { status: 'ACCEPTED' });
  t.match(await add(), { status: 'REJECTED', errorReason: 'REJECTED_PERSON_IN_FLOW' }, 'still inside');
  w.clock.advance(DAY); // leaves the flow
  t.match(await add(), { status: 'REJECTED', errorReason: 'REJECTED_PERSON_NOT_ALLOWED_TO_REENTER' }, 'left less than the delay ago');
});

t.test('person.type: CUSTOMER or LEAD is taken (and not kept); another value rejects that participant', async (t) => {
  const w = promoWorld();
  const { call } = await api(t, w);
  const { report } = await addThroughMoments(call, 'promo', {
    participants: [
      { identifyBy: { identifier: 'ann@example.com', type: 'EMAIL' }, person: { type: 'LEAD' } },
      { identifyBy: { identifier: 'ben@example.com', type: 'EMAIL' }, person: { type: 'PARTNER' } },
    ],
  });
  t.match(report.json.participants, [{ status: 'ACCEPTED' }, { status: 'REJECTED', errorReason: 'REJECTED_ATTRIBUTE_MISSED' }]);
  t.equal(w.people.findByContact('ben@example.com'), undefined, 'the refused one changed nobody');
});

t.test('DELETE /communication/1/flows/{id}/participants takes the person out, as removed', async (t) => {
  const w = promoWorld(REENTRY_AFTER_TWO_DAYS);
  const { call, keys } = await api(t, w);
  const app = `App ${keys.create('crm', ['flow-api']).key}`;
  const added = await call('POST', '/flows/promo/participants', {
    participants: [
      { identifyBy: { identifier: '385912345678', type: 'PHONE' }, person: { externalId: 'crm-42' } },
      { identifyBy: { identifier: 'ben@example.com', type: 'EMAIL' } },
    ],
  }, app, {}, MOMENTS);
  t.equal(added.status, 200);
  const ana = w.people.findByContact('+385912345678')!;
  const steps: Array<string | undefined> = [];
  w.engine.watchSteps((s) => steps.push(s.participant.exitReason));
  const removed = await call('DELETE', '/flows/promo/participants?phone=385912345678', undefined, app, {}, '/communication/1');
  t.same([removed.status, removed.json], [200, { campaignId: 'promo', personId: ana.id, removed: 1 }]);
  t.same(w.engine.journeysOf(ana.id), [], 'no longer inside');
  t.same(steps, ['removed'], 'the live feed hears of it');
  t.equal(w.engine.journeysOf(w.people.findByContact('ben@example.com')!.id).length, 1, 'the others stay');
  t.same((await call('DELETE', '/flows/promo/participants?externalId=crm-42', undefined, app, {}, '/communication/1')).json.removed, 0, 'again: nobody left to remove');
  t.equal((await call('DELETE', '/flows/promo/participants?email=ben%40example.com', undefined, app, {}, '/communication/1')).json.removed, 1, 'by email');

  const { report } = await addThroughMoments(call, 'promo', { participants: [{ identifyBy: { identifier: '385912345678', type: 'PHONE' } }] }, app);
  t.match(report.json.participants, [{ errorReason: 'REJECTED_PERSON_NOT_ALLOWED_TO_REENTER' }], 'the re-entry delay counts from the removal');

  const refused = (path: string, auth = app) => call('DELETE', path, undefined, auth, {}, '/communication/1').then((r) => [r.status, r.json.error.code]);
  t.same(await refused('/flows/promo/participants?phone=385917654321'), [404, 'JCT_PERSON_UNKNOWN']);
  t.same(await refused('/flows/nope/participants?phone=385912345678'), [404, 'JCT_FLOW_UNKNOWN']);
  t.same(await refused('/flows/promo/participants'), [400, 'JCT_LOOKUP_EMPTY']);
  t.same(await refused('/flows/promo/participants?phone=385912345678&email=ben%40example.com'), [400, 'JCT_LOOKUP_AMBIGUOUS']);
  t.same(await refused('/flows/promo/participants?phone=385912345678', `App ${keys.create('crm', ['people']).key}`), [403, 'JCT_SCOPE_MISSING']);
});

t.test('a numeric campaign id names the Flow API entry point that declares it', async (t) => {
  const w = world();
  const promo = (id: string) => ({
    ...flow(id, [pauseDays('p', 1)]),
    entryPoints: [
      { id: 'web', type: 'flowApi', config: {}, branches: { next: 'p' } },
      { id: 'crm', type: 'flowApi', config: { campaignId: '200000000000001' }, branches: { next: 'p' } },
    ],
  });
  w.engine.save(promo('promo'));
  w.engine.launch('promo');
  const { call } = await api(t, w);
  const r = await call('POST', '/flows/200000000000001/participants', { participants: [{ identifyBy: { identifier: '385912345678', type: 'PHONE' } }] }, undefined, {}, MOMENTS);
  t.equal(r.status, 200);
  const ana = w.people.findByContact('+385912345678')!;
  const [journey] = w.engine.journeysOf(ana.id);
  t.equal(journey?.flowId, 'promo');
  t.equal(w.engine.compiled('promo')!.nodes[journey!.node]!.id, 'p');
  const report = await call('GET', `/flows/200000000000001/participants/report?operationId=${r.json.operationId}`, undefined, undefined, {}, MOMENTS);
  t.match(report.json, { campaignId: 200000000000001, participants: [{ status: 'ACCEPTED' }] }, 'the report answers by the number, written as a number');
  t.equal(w.engine.operation(r.json.operationId)!.entry, 'crm', 'through the entry point that declares it');
  const removed = await call('DELETE', '/flows/200000000000001/participants?phone=385912345678', undefined, undefined, {}, '/communication/1');
  t.same(removed.json, { campaignId: 200000000000001, personId: ana.id, removed: 1 });

  const unknown = await call('POST', '/flows/999/participants', { participants: [{ identifyBy: { identifier: '385912345678', type: 'PHONE' } }] }, undefined, {}, MOMENTS);
  t.same([unknown.status, unknown.json.error.code], [404, 'JCT_FLOW_UNKNOWN']);
  w.engine.save(promo('copy'));
  t.throws(() => w.engine.launch('copy'), { code: 'JCT_CAMPAIGN_TAKEN' }, 'one running flow at a time declares a number');
  const bad = await call('POST', '/flows/validate', { ...promo('x'), entryPoints: [{ id: 'web', type: 'flowApi', config: { campaignId: 'abc' }, branches: { next: 'p' } }] });
  t.match(bad.json, { valid: false, problems: [{ path: /campaignId/ }] }, 'a campaign id is digits');
});

t.test('the API document describes the removal and the person type', async (t) => {
  const { call } = await api(t);
  const doc = (await call('GET', '/openapi.json', undefined, undefined, {}, '')).json;
  const remove = doc.paths['/communication/1/flows/{campaignId}/participants']?.delete;
  t.same(remove?.security, [{ apiKey: ['flow-api'] }], 'the scope of adding');
  t.same(remove.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name).sort(), ['email', 'externalId', 'phone']);
  t.match(JSON.stringify(doc.paths['/moments/1/flows/{campaignId}/participants'].post.requestBody), /"type":\{"description":"Checked, then ignored[^"]*","anyOf":\[\{"type":"string","enum":\["CUSTOMER"\]\},\{"type":"string","enum":\["LEAD"\]\}\]/);
});

t.test('a phone written with the international prefix 00 is the same number on every route, and a refused one is quoted as sent', async (t) => {
  const w = world();
  w.engine.save(flow('promo', [pauseDays('p', 1)], { reentry: { enabled: false } }));
  w.engine.launch('promo');
  const { call } = await api(t, w);
  const r = await call('POST', '/flows/promo/participants', {
    participants: [
      { identifyBy: { identifier: '00447911123457', type: 'PHONE' }, person: { contactInformation: { phone: [{ number: '00385912345678' }] } } },
      { identifyBy: { identifier: '07911123457', type: 'PHONE' } },
    ],
  }, undefined, {}, MOMENTS);
  const report = await call('GET', `/flows/promo/participants/report?operationId=${r.json.operationId}`, undefined, undefined, {}, MOMENTS);
  t.same(report.json.participants, [
    { identifyBy: { identifier: '00447911123457', type: 'PHONE' }, status: 'ACCEPTED' },
    { identifyBy: { identifier: '07911123457', type: 'PHONE' }, status: 'REJECTED', errorReason: 'REJECTED_INVALID_CONTACT' },
  ]);
  const jane = w.people.findByContact('+447911123457')!;
  t.same(jane.phones, ['+447911123457', '+385912345678']);
  const again = await call('POST', '/flows/promo/participants', { participants: [{ identifyBy: { identifier: '447911123457', type: 'PHONE' } }] }, undefined, {}, MOMENTS);
  const second = await call('GET', `/flows/promo/participants/report?operationId=${again.json.operationId}`, undefined, undefined, {}, MOMENTS);
  t.match(second.json.participants, [{ errorReason: 'REJECTED_PERSON_IN_FLOW' }], 'digits only: the same person');
  const native = await call('POST', '/flows/promo/participants', { participants: [{ person: { phones: ['0044 7911 123457'] } }] });
  t.match(native.json.participants, [{ status: 'rejected', reason: 'JCT_PERSON_IN_FLOW', personId: jane.id }], 'the native route reads it alike');
  t.equal((await call('GET', '/people?phone=00447911123457')).json.id, jane.id, 'and so does the people lookup');

  const bad = await call('DELETE', '/flows/promo/participants?phone=0079111', undefined, undefined, {}, '/communication/1');
  t.same([bad.status, bad.json.error.code], [400, 'JCT_CONTACT_INVALID']);
  t.match(bad.json.error.message, /^"0079111" is not a valid phone: give a valid number in international format/, 'quoted as sent, no + added');
  const removed = await call('DELETE', '/flows/promo/participants?phone=00447911123457', undefined, undefined, {}, '/communication/1');
  t.same([removed.status, removed.json.removed], [200, 1]);
});

t.test('a campaign id with a leading zero is answered as it was written', async (t) => {
  const w = world();
  w.engine.save({ ...flow('promo', [pauseDays('p', 1)]), entryPoints: [{ id: 'crm', type: 'flowApi', config: { campaignId: '0042' }, branches: { next: 'p' } }] });
  w.engine.launch('promo');
  const { call } = await api(t, w);
  const r = await call('POST', '/flows/0042/participants', { participants: [{ identifyBy: { identifier: '385912345678', type: 'PHONE' } }] }, undefined, {}, MOMENTS);
  const report = await call('GET', `/flows/0042/participants/report?operationId=${r.json.operationId}`, undefined, undefined, {}, MOMENTS);
  t.equal(report.json.campaignId, '0042', 'not 42: the client never named a campaign 42');
  const removed = await call('DELETE', '/flows/0042/participants?phone=385912345678', undefined, undefined, {}, '/communication/1');
  t.same(removed.json.campaignId, '0042');
});
