// The commercial product's Flow participants API over real HTTP, beyond adding (participants.test.ts):
// each refusal's errorReason, the person's type, removing people, and numeric campaign ids.
import t from 'tap';
import { flow, pauseDays, world } from '../engine/helpers.js';
import { api } from './api-helper.js';

const MOMENTS = '/moments/1';
const DAY = 86_400_000;

t.test('still inside and within the re-entry delay are told apart', async (t) => {
  const w = world();
  w.engine.save(flow('promo', [pauseDays('p', 1)], { reentry: { enabled: true, delay: { amount: 2, unit: 'days' } } }));
  w.engine.launch('promo');
  const { call } = await api(t, w);
  const add = async () => {
    const r = await call('POST', '/flows/promo/participants', { participants: [{ identifyBy: { identifier: '385912345678', type: 'PHONE' } }] }, undefined, {}, MOMENTS);
    const report = await call('GET', `/flows/promo/participants/report?operationId=${r.json.operationId}`, undefined, undefined, {}, MOMENTS);
    return report.json.participants[0];
  };
  t.match(await add(), { status: 'ACCEPTED' });
  t.match(await add(), { status: 'REJECTED', errorReason: 'REJECTED_PERSON_IN_FLOW' }, 'still inside');
  w.clock.advance(DAY); // leaves the flow
  t.match(await add(), { status: 'REJECTED', errorReason: 'REJECTED_PERSON_NOT_ALLOWED_TO_REENTER' }, 'left less than the delay ago');
});

t.test('person.type: CUSTOMER or LEAD is taken (and not kept); another value rejects that participant', async (t) => {
  const w = world();
  w.engine.save(flow('promo', [pauseDays('p', 1)]));
  w.engine.launch('promo');
  const { call } = await api(t, w);
  const r = await call('POST', '/flows/promo/participants', {
    participants: [
      { identifyBy: { identifier: 'ann@example.com', type: 'EMAIL' }, person: { type: 'LEAD' } },
      { identifyBy: { identifier: 'ben@example.com', type: 'EMAIL' }, person: { type: 'PARTNER' } },
    ],
  }, undefined, {}, MOMENTS);
  const report = await call('GET', `/flows/promo/participants/report?operationId=${r.json.operationId}`, undefined, undefined, {}, MOMENTS);
  t.match(report.json.participants, [{ status: 'ACCEPTED' }, { status: 'REJECTED', errorReason: 'REJECTED_ATTRIBUTE_MISSED' }]);
  t.equal(w.people.findByContact('ben@example.com'), undefined, 'the refused one changed nobody');
});
