import t from 'tap';
import { buildApp } from '../../gateway/app.js';
import { world, flow, pauseDays } from '../engine/helpers.js';

function setup() {
  const w = world();
  w.engine.save(flow('welcome', [pauseDays('p', 1)], { reentry: { enabled: false }, variables: [{ name: 'source', type: 'text' }] }));
  w.engine.launch('welcome');
  w.engine.save(flow('draft', [pauseDays('p', 1)]));
  return { w, app: buildApp(w.engine) };
}

t.test('health', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'GET', url: '/health' });
  t.equal(r.statusCode, 200);
  t.same(r.json(), { status: 'ok' });
});

t.test('flows and their status and metrics', async (t) => {
  const { app } = setup();
  t.same((await app.inject({ method: 'GET', url: '/flows' })).json(), {
    flows: [
      { id: 'welcome', version: 1, name: 'welcome', status: 'active' },
      { id: 'draft', version: 1, name: 'draft', status: 'draft' },
    ],
  });
  const one = (await app.inject({ method: 'GET', url: '/flows/welcome' })).json();
  t.match(one, { id: 'welcome', status: 'active', metrics: { profilesInFlow: 0 } });
  t.same((await app.inject({ method: 'GET', url: '/flows/draft' })).json().metrics, null);
  const missing = await app.inject({ method: 'GET', url: '/flows/nope' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: { code: 'JCT_FLOW_UNKNOWN', message: 'no flow with id "nope"' } });
});

t.test('Flow API: creates or updates the person and enters them', async (t) => {
  const { w, app } = setup();
  const r = await app.inject({ method: 'POST', url: '/flows/welcome/participants', payload: { person: { phones: ['+385 91 234 5678'], standard: { firstName: 'Ana' } }, vars: { source: 'app' } } });
  t.equal(r.statusCode, 201);
  const body = r.json();
  t.match(body, { entered: true, personId: String });
  t.same(w.people.get(body.personId)!.phones, ['+385912345678']);
  const again = await app.inject({ method: 'POST', url: '/flows/welcome/participants', payload: { person: { phones: ['+385912345678'] } } });
  t.equal(again.statusCode, 200);
  t.match(again.json(), { entered: false, reason: 'JCT_REENTRY_DISABLED', personId: body.personId });
});

t.test('Flow API: bad input gets a clear error with a stable code', async (t) => {
  const { app } = setup();
  const noPerson = await app.inject({ method: 'POST', url: '/flows/welcome/participants', payload: { vars: {} } });
  t.equal(noPerson.statusCode, 400);
  t.equal(noPerson.json().error.code, 'JCT_BAD_REQUEST');
  const badJson = await app.inject({ method: 'POST', url: '/flows/welcome/participants', headers: { 'content-type': 'application/json' }, payload: '{"person":' });
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.json().error.code, 'JCT_BAD_REQUEST');
  const badVar = await app.inject({ method: 'POST', url: '/flows/welcome/participants', payload: { person: { id: 'x' }, vars: { nope: 1 } } });
  t.equal(badVar.statusCode, 400);
  t.equal(badVar.json().error.code, 'JCT_VARIABLE_UNKNOWN');
  const badPhone = await app.inject({ method: 'POST', url: '/flows/welcome/participants', payload: { person: { phones: ['not a phone'] } } });
  t.equal(badPhone.statusCode, 400);
  t.equal(badPhone.json().error.code, 'JCT_CONTACT_INVALID');
  const huge = await app.inject({ method: 'POST', url: '/flows/welcome/participants', payload: { person: { id: 'x'.repeat(2 * 1024 * 1024) } } });
  t.equal(huge.statusCode, 413);
  const { w } = setup();
  const unknownFlow = await buildApp(w.engine).inject({ method: 'POST', url: '/flows/nope/participants', payload: { person: { id: 'y' } } });
  t.equal(unknownFlow.statusCode, 404);
  t.equal(w.people.get('y'), undefined, 'no profile is created for a flow that does not exist');
});
