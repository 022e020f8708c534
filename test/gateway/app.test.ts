import t from 'tap';
import { buildApp } from '../../gateway/app.js';
import { adminHeaders } from './auth-helper.js';
import { world, flow, pauseDays } from '../engine/helpers.js';

/** welcome: active, with a Flow API entry point; audience: active, without one; draft: never launched. */
function setup() {
  const w = world();
  w.engine.save(flow('welcome', [pauseDays('p', 1)], { reentry: { enabled: false }, variables: [{ name: 'source', type: 'text' }] }));
  w.engine.launch('welcome');
  w.engine.save({
    ...flow('audience', [pauseDays('p', 1)]),
    entryPoints: [{ id: 'vip', type: 'predefinedAudience', config: { audience: { tags: ['vip'] }, updateAfterLaunch: 'realtime' }, branches: { next: 'p' } }],
  });
  w.engine.launch('audience');
  w.engine.save(flow('draft', [pauseDays('p', 1)]));
  return { w, app: buildApp(w.engine) };
}

const add = (app: ReturnType<typeof buildApp>, flowId: string, payload: object) => app.inject({ method: 'POST', url: `/flows/${flowId}/participants`, headers: adminHeaders(app), payload });

t.test('health', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'GET', url: '/health' });
  t.equal(r.statusCode, 200);
  t.same(r.json(), { status: 'ok' });
});

t.test('an address with a trailing slash reaches the same route (providers\' consoles and examples write them)', async (t) => {
  const { app } = setup();
  t.equal((await app.inject({ method: 'GET', url: '/healthz/' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/welcome/' })).json().id, 'welcome');
});

t.test('flows and their status and metrics', async (t) => {
  const { w, app } = setup();
  t.same((await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows' })).json(), {
    flows: [
      { id: 'welcome', version: 1, name: 'welcome', status: 'active' },
      { id: 'audience', version: 1, name: 'audience', status: 'active' },
      { id: 'draft', version: 1, name: 'draft', status: 'draft' },
    ],
  });
  const one = (await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/welcome' })).json();
  t.match(one, { id: 'welcome', status: 'active', metrics: { profilesInFlow: 0 } });
  t.same((await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/draft' })).json().metrics, null);
  t.match((await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/welcome?versions=all' })).json(), { id: 'welcome', metrics: { versions: [1], profilesInFlow: 0 } }, 'every version together');
  t.equal((await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/welcome?versions=some' })).statusCode, 400);
  w.engine.cancel('audience');
  w.engine.save(flow('audience', [pauseDays('p', 2)]));
  const drafting = (await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/audience' })).json();
  t.match(drafting, { id: 'audience', version: 2, status: 'draft', metrics: { version: 1, profilesInFlow: 0 } }, 'a new draft: the launched version still answers its metrics');
  t.match((await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/audience?versions=all' })).json(), { metrics: { versions: [1] } });
  const missing = await app.inject({ method: 'GET', headers: adminHeaders(app), url: '/flows/nope' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: { code: 'JCT_FLOW_UNKNOWN', message: 'no flow with id "nope"', details: {} } });
});

t.test('Flow API: creates or updates the person and enters them', async (t) => {
  const { w, app } = setup();
  const r = await add(app, 'welcome', { person: { phones: ['+385 91 234 5678'], standard: { firstName: 'Ana' } }, vars: { source: 'app' } });
  t.equal(r.statusCode, 201);
  const body = r.json();
  t.match(body, { entered: true, personId: String, participantId: String });
  t.same(w.people.get(body.personId)!.phones, ['+385912345678']);
  const again = await add(app, 'welcome', { person: { phones: ['+385912345678'] }, entry: 'start' });
  t.equal(again.statusCode, 200);
  t.match(again.json(), { entered: false, reason: 'JCT_PERSON_IN_FLOW', personId: body.personId });
});

t.test('Flow API: JSON of the wrong shape is refused before the engine sees it', async (t) => {
  const { w, app } = setup();
  const cases: Array<[string, object, string]> = [
    ['phones of numbers', { person: { phones: [12345] } }, '$.person.phones[0]'],
    ['phones as an object', { person: { phones: { a: 1 } } }, '$.person.phones'],
    ['an unknown person field', { person: { id: 'x', nickname: 'A' } }, '$.person.nickname'],
    ['an unknown standard attribute', { person: { id: 'x', standard: { shoeSize: 42 } } }, '$.person.standard.shoeSize'],
    ['an unknown channel', { person: { id: 'x', lastContacted: { fax: '2026-01-01T00:00:00Z' } } }, '$.person.lastContacted.fax'],
    ['a custom list of numbers', { person: { id: 'x', custom: { sizes: [1, 2] } } }, '$.person.custom.sizes'],
    ['no person', { vars: {} }, '$.person'],
    ['an empty id', { person: { id: '' } }, '$.person.id'],
  ];
  for (const [what, payload, path] of cases) {
    const r = await add(app, 'welcome', payload);
    t.equal(r.statusCode, 400, what);
    t.equal(r.json().error.code, 'JCT_REQUEST_INVALID', what);
    t.equal(r.json().error.details.problems[0].path, path, what);
  }
  t.equal(w.people.size(), 0);
});

t.test('Flow API: a person with no id, phone or email is refused', async (t) => {
  const { w, app } = setup();
  for (const person of [{}, { standard: { firstName: 'Ana' } }, { phones: [], emails: [] }]) {
    const r = await add(app, 'welcome', { person });
    t.equal(r.statusCode, 400);
    t.equal(r.json().error.code, 'JCT_PERSON_EMPTY');
  }
  t.equal(w.people.size(), 0, 'no anonymous profile is created');
});

t.test('Flow API: engine errors keep their codes', async (t) => {
  const { app } = setup();
  const badVar = await add(app, 'welcome', { person: { id: 'x' }, vars: { nope: 1 } });
  t.equal(badVar.statusCode, 400);
  t.equal(badVar.json().error.code, 'JCT_VARIABLE_UNKNOWN');
  const badPhone = await add(app, 'welcome', { person: { phones: ['not a phone'] } });
  t.equal(badPhone.statusCode, 400);
  t.equal(badPhone.json().error.code, 'JCT_CONTACT_INVALID');
});

t.test('Flow API: an unknown flow or a flow without a Flow API entry point writes nothing', async (t) => {
  const { w, app } = setup();
  const cases: Array<[string, object, number, string]> = [
    ['nope', { person: { id: 'y' } }, 404, 'JCT_FLOW_UNKNOWN'],
    ['audience', { person: { id: 'y' } }, 409, 'JCT_ENTRY_NONE'],
    ['welcome', { person: { id: 'y' }, entry: 'other' }, 400, 'JCT_ENTRY_UNKNOWN'],
  ];
  for (const [flowId, payload, status, code] of cases) {
    const r = await add(app, flowId, payload);
    t.equal(r.statusCode, status, flowId);
    t.equal(r.json().error.code, code, flowId);
  }
  t.match((await add(app, 'audience', { person: { id: 'y' } })).json().error.message, 'has no entry point of type "flowApi"');
  t.equal(w.people.get('y'), undefined);
});

t.test('Flow API: a 1 MB body with 100,000 tags is refused in linear time', { timeout: 30_000 }, async (t) => {
  const { app } = setup();
  const tags = (item: string) => `{"person":{"id":"x","tags":[${Array(100_000).fill(item).join(',')}]}}`;
  const valid = await app.inject({ method: 'POST', url: '/flows/welcome/participants', headers: { 'content-type': 'application/json', ...adminHeaders(app) }, payload: tags('"abcdefg"') });
  t.equal(valid.statusCode, 400);
  t.same(valid.json().error.details.problems, [{ path: '$.person.tags', message: 'Expected array length to be less or equal to 1000' }]);
  const wrong = await app.inject({ method: 'POST', url: '/flows/welcome/participants', headers: { 'content-type': 'application/json', ...adminHeaders(app) }, payload: tags('1234567') });
  t.equal(wrong.statusCode, 400);
  t.match(wrong.json().error.message, '(and more)');
  t.equal(wrong.json().error.details.problems.length, 20, 'the answer lists the first 20 problems');
});

t.test('the single Flow API route honours an Idempotency-Key: a retry adds nobody again and answers the first receipt', async (t) => {
  const { w, app } = setup();
  w.engine.save(flow('again', [pauseDays('p', 1)], { reentry: { enabled: true }, variables: [{ name: 'source', type: 'text' }] }));
  w.engine.launch('again');
  const client = adminHeaders(app); // one client: an Idempotency-Key is its API key's own
  const send = (flowId: string, payload: object, key: string) =>
    app.inject({ method: 'POST', url: `/flows/${flowId}/participants`, headers: { ...client, 'idempotency-key': key }, payload });
  const body = { person: { phones: ['+385 91 234 5678'] }, vars: { source: 'form' } };
  const first = await send('again', body, 'signup-1');
  t.equal(first.statusCode, 201);
  t.match(first.json(), { personId: String, entered: true, participantId: String });
  const retry = await send('again', body, 'signup-1');
  t.same([retry.statusCode, retry.json(), retry.headers['idempotent-replayed']], [201, first.json(), 'true']);
  t.equal([...w.engine.participantsOf('again', 1)].length, 1, 'the retry added nobody (re-entry is on: without the key it would)');
  t.equal((await send('again', { person: { phones: ['+385 91 234 5679'] } }, 'signup-1')).json().error.code, 'JCT_IDEMPOTENCY_KEY_REUSED');
  const unknown = await send('again', { person: { phones: ['+385 91 234 5679'] }, vars: { nope: 1 } }, 'signup-2');
  t.same([unknown.statusCode, unknown.json().error.code], [400, 'JCT_VARIABLE_UNKNOWN'], 'an error is still an error');
  await send('welcome', body, 'w-1');
  const refused = await send('welcome', body, 'w-2');
  t.same([refused.statusCode, refused.json()], [200, { personId: first.json().personId, entered: false, reason: 'JCT_PERSON_IN_FLOW' }], 'a refusal is a receipt, as without a key');
});
