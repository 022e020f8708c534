// The management API (/api/v1) through real HTTP on loopback with undici: flows (create,
// read, update the draft, validate, launch, pause, resume, versions, stop one, duplicate,
// delete, schedule, goal, entry-point edits), templates, people (create, look up, change,
// tags, journeys, definitions, do-not-contact), reports as JSON and CSV; each with its failures.
import t from 'tap';
import { Engine } from '../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit } from '../../engine/store/journal.js';
import { flow, pauseDays, registryWith } from '../engine/helpers.js';
import { api } from './api-helper.js';
import { csvCell } from '../../gateway/api/reports.js';

const welcome = (extra: Record<string, unknown> = {}) => ({ ...flow('welcome', [pauseDays('p', 1)]), ...extra });

t.test('a flow from draft to launch, a new version, and the version rules', async (t) => {
  const { call } = await api(t);
  const created = await call('POST', '/flows', welcome());
  t.equal(created.status, 201);
  t.match(created.json, { id: 'welcome', version: 1, status: 'draft', definition: { id: 'welcome' } });
  t.equal((await call('POST', '/flows', welcome())).json.error.code, 'JCT_FLOW_EXISTS');
  t.equal((await call('PUT', '/flows/welcome', welcome({ name: 'Welcome!' }))).json.name, 'Welcome!', 'the draft is replaced');
  t.equal((await call('PUT', '/flows/welcome', { ...welcome(), id: 'other' })).json.error.code, 'JCT_FLOW_ID_MISMATCH');
  t.match((await call('POST', '/flows/welcome/launch', undefined, undefined, { 'content-type': 'application/json' })).json, { version: 1, status: 'active' }, 'an empty body with the JSON content type (as many clients send) is no body');
  t.equal((await call('PUT', '/flows/welcome', welcome())).status, 409, 'a launched version is never edited');
  t.equal((await call('POST', '/people', undefined, undefined, { 'content-type': 'application/json' })).status, 400, 'a route that needs a body still says so');
  t.equal((await call('POST', '/flows/welcome/versions', welcome({ name: 'v2' }))).status, 201);
  t.equal((await call('POST', '/flows/welcome/versions', welcome())).status, 409, 'one draft at a time');
  t.match((await call('GET', '/flows/welcome')).json, { version: 1, status: 'active', latestVersion: 2 });
  t.match((await call('POST', '/flows/welcome/launch')).json, { version: 2, status: 'active' });
  t.same((await call('GET', '/flows/welcome/versions')).json.versions.map((v: any) => [v.version, v.status]), [[1, 'finished'], [2, 'active']]);
  t.match((await call('POST', '/flows/welcome/pause')).json, { status: 'paused' });
  t.match((await call('POST', '/flows/welcome/resume')).json, { status: 'active' });
  t.match((await call('POST', '/flows/welcome/versions/2/stop')).json, { version: 2 });
  t.same((await call('POST', '/flows/welcome/versions/9/stop')).json.error, { code: 'JCT_VERSION_UNKNOWN', message: 'flow "welcome" has no launched version 9', details: { flowId: 'welcome', version: 9 } });
  t.equal((await call('POST', '/flows/nope/versions/1/stop')).json.error.code, 'JCT_FLOW_UNKNOWN', 'a flow that does not exist');
  t.match((await call('GET', '/flows')).json, { flows: [{ id: 'welcome', latestVersion: 2 }] });
  t.equal((await call('GET', '/flows/nope')).status, 404);
});

t.test('validate, duplicate, delete, schedule and goal', async (t) => {
  const { call } = await api(t);
  const bad = await call('POST', '/flows/validate', { ...welcome(), elements: [{ id: 'x', type: 'nope', config: {} }] });
  t.equal(bad.status, 200);
  t.match(bad.json, { valid: false, problems: [{ code: String, path: String }] });
  t.same((await call('POST', '/flows/validate', welcome())).json, { valid: true, problems: [] });
  t.equal((await call('POST', '/flows', { ...welcome(), elements: [{ id: 'x', type: 'nope', config: {} }] })).status, 201, 'a draft may be unfinished');
  t.equal((await call('POST', '/flows/welcome/launch')).json.error.code, 'JCT_FLOW_INVALID', 'but not launched');
  t.equal((await call('DELETE', '/flows/welcome')).status, 204);
  t.equal((await call('GET', '/flows/welcome')).status, 404);
  await call('POST', '/flows', welcome());
  t.equal((await call('POST', '/flows/welcome/duplicate', { id: 'copy' })).status, 201);
  t.equal((await call('POST', '/flows/welcome/duplicate', { id: 'copy' })).json.error.code, 'JCT_FLOW_EXISTS');
  t.equal((await call('POST', '/flows/welcome/duplicate', { id: '1 bad id' })).status, 400);
  for (const [id, entryPoints] of [['unfinished', undefined], ['odd', 'signup'], ['odder', [null, 7]]] as const) {
    await call('POST', '/flows', { id, ...(entryPoints === undefined ? {} : { entryPoints }) });
    t.equal((await call('POST', `/flows/${id}/duplicate`, { id: `${id}-copy` })).status, 201, `an unfinished draft is duplicated too (${id})`);
  }
  await call('POST', '/flows/welcome/launch');
  t.equal((await call('DELETE', '/flows/welcome')).status, 409, 'launched versions are never deleted');
  t.match((await call('PUT', '/flows/welcome/schedule', { end: '2030-01-01T00:00' })).json, { versions: [{ version: 1 }] });
  t.equal((await call('PUT', '/flows/welcome/schedule', { end: 'soon' })).json.error.code, 'JCT_SCHEDULE_INVALID');
  const backwards = await call('PUT', '/flows/welcome/schedule', { start: '2026-01-03T00:00', end: '2026-01-02T00:00' });
  t.equal(backwards.status, 400, 'an end before the start');
  t.equal(backwards.json.error.code, 'JCT_SCHEDULE_INVALID');
  t.match((await call('GET', '/flows/welcome')).json, { status: 'active', definition: { settings: { schedule: { end: '2030-01-01T00:00' } } } }, 'nothing changed');
  t.equal((await call('PUT', '/flows/welcome/goal', { event: 'person.tagAdded' })).status, 200);
  t.same((await call('GET', '/flows/welcome')).json.definition.settings.goal, { event: 'person.tagAdded' });
  t.equal((await call('PUT', '/flows/welcome/goal', { event: null })).status, 200);
  const typo = await call('PUT', '/flows/welcome/goal', { event: 'person.tagAded' });
  t.equal(typo.status, 400, 'an event nobody can perform');
  t.equal(typo.json.error.code, 'JCT_GOAL_UNKNOWN');
  t.equal((await call('GET', '/flows/welcome')).json.definition.settings.goal, undefined, 'nothing changed');
});

t.test('a flow is saved only with a valid id, the rule duplicate uses', async (t) => {
  const { call } = await api(t);
  for (const id of ['bad flow!', 'a'.repeat(65), 'a\u0000b', 'flöw', '1st']) {
    const refused = await call('POST', '/flows', { ...welcome(), id });
    t.equal(refused.status, 400, JSON.stringify(id));
    t.equal(refused.json.error.code, 'JCT_FLOW_ID');
    t.match(refused.json.error.message, /at most 64 characters/);
  }
  t.same((await call('GET', '/flows')).json, { total: 0, flows: [] }, 'nothing was kept');
  t.equal((await call('POST', '/flows', { ...welcome(), id: 'a'.repeat(64) })).status, 201);
  t.equal((await call('DELETE', `/flows/${'a'.repeat(64)}`)).status, 204, 'the longest id can be deleted');
});

t.test('a draft nested deeper than the validator reads is refused and nothing is kept', async (t) => {
  const { call, w } = await api(t);
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) deep = { inner: deep };
  const refused = await call('POST', '/flows', { ...welcome(), name: deep });
  t.equal(refused.status, 400);
  t.equal(refused.json.error.code, 'JCT_JSON_TOO_DEEP', 'the body is refused before it is parsed (the engine refuses such a draft too: engine.test.ts)');
  t.equal((await call('GET', '/flows/welcome')).status, 404, 'nothing kept');
  t.equal((await call('POST', '/flows', { ...welcome(), id: 'other' })).status, 201, 'the next save works');
  await w.engine.durable();
  t.same([...w.backend.tables.get('flow')!.keys()], ['other@1'], 'only the good flow was stored');
});

t.test('an active flow’s audience is edited in place', async (t) => {
  const { call, w } = await api(t);
  w.people.upsert({ id: 'ana', tags: ['vip'] });
  w.people.upsert({ id: 'ben', tags: ['new'] });
  const audience = (tags: string[]) => ({ audience: { tags }, updateAfterLaunch: 'realtime' });
  await call('POST', '/flows', { ...welcome(), entryPoints: [{ id: 'aud', type: 'predefinedAudience', config: audience(['vip']), branches: { next: 'p' } }] });
  await call('POST', '/flows/welcome/launch');
  const edited = await call('PUT', '/flows/welcome/entry-points/aud', { config: audience(['vip', 'new']) });
  t.equal(edited.status, 200);
  t.same(edited.json.definition.entryPoints[0].config.audience.tags, ['vip', 'new']);
  t.same((await call('GET', '/people/ben/journeys')).json.journeys.map((j: any) => j.flowId), ['welcome'], 'the added tag brought ben in');
  t.equal((await call('PUT', '/flows/welcome/entry-points/none', { config: {} })).json.error.code, 'JCT_ENTRY_UNKNOWN');
  const unknown = await call('PUT', '/flows/welcome/entry-points/aud', { config: { audience: { segments: ['nope'] }, updateAfterLaunch: 'realtime' } });
  t.same([unknown.status, unknown.json.error.code], [400, 'JCT_SEGMENT_UNKNOWN'], 'a segment the audience names that does not exist: the request is wrong (400), not the URL (404)');
  await call('POST', '/flows', { ...welcome({ id: 'other' }), entryPoints: [{ id: 'aud', type: 'predefinedAudience', config: { audience: { segments: ['nope'] }, updateAfterLaunch: 'never' }, branches: { next: 'p' } }] });
  const launch = await call('POST', '/flows/other/launch');
  t.same([launch.status, launch.json.error.code], [400, 'JCT_SEGMENT_UNKNOWN'], 'a launch too: the flow exists');
});

t.test('validate knows the segments: an audience naming one that does not exist is a problem, as its launch would be refused', async (t) => {
  const { call } = await api(t);
  const withSegments = (segments: string[]) => ({ ...welcome(), entryPoints: [{ id: 'aud', type: 'predefinedAudience', config: { audience: { segments }, updateAfterLaunch: 'never' }, branches: { next: 'p' } }] });
  const unknown = await call('POST', '/flows/validate', withSegments(['nope']));
  t.same(unknown.json, { valid: false, problems: [{ code: 'JCT_SEGMENT_UNKNOWN', message: 'no segment with id "nope"', path: '$.entryPoints[0].config.audience.segments[0]', elementId: 'aud' }] });
  await call('POST', '/segments', { id: 'nope', name: 'Nope no more', kind: 'static', members: [] });
  t.same((await call('POST', '/flows/validate', withSegments(['nope']))).json, { valid: true, problems: [] }, 'once defined');
});

t.test('templates: list, save, draft from one, delete', async (t) => {
  const { call } = await api(t);
  await call('POST', '/flows', welcome());
  t.same((await call('GET', '/templates')).json, { total: 0, templates: [] });
  const saved = await call('POST', '/templates', { id: 'my-welcome', flowId: 'welcome', name: 'Our welcome' });
  t.equal(saved.status, 201);
  t.match((await call('GET', '/templates/my-welcome')).json, { name: 'Our welcome', builtIn: false, definition: { id: 'welcome' } });
  t.equal((await call('POST', '/templates', { id: 'my-welcome', flowId: 'welcome' })).json.error.code, 'JCT_TEMPLATE_EXISTS');
  t.match((await call('POST', '/templates/my-welcome/flows', { id: 'fresh' })).json, { id: 'fresh', status: 'draft' });
  t.equal((await call('DELETE', '/templates/my-welcome')).status, 204);
  t.equal((await call('GET', '/templates/my-welcome')).status, 404);
});

t.test('people: create, look up, change, tags, journeys, definitions', async (t) => {
  const { call, w } = await api(t);
  const created = await call('POST', '/people', { phones: ['+385 91 234 5678'], standard: { firstName: 'Ana' } });
  t.equal(created.status, 201);
  const id = created.json.id;
  t.same(created.json.phones, ['+385912345678']);
  const merged = await call('POST', '/people', { phones: ['+385912345678'], standard: { lastName: 'Horvat' } });
  t.same([merged.status, merged.json.id, merged.json.standard.firstName, merged.json.standard.lastName], [200, id, 'Ana', 'Horvat'], 'a POST that merges into a known person answers 200, not 201');
  t.equal((await call('GET', `/people?phone=${encodeURIComponent('+385912345678')}`)).json.id, id);
  t.equal((await call('GET', '/people?phone=+385912345678')).json.id, id, 'a + left unencoded (a space in a query) is read as the +');
  t.equal((await call('GET', '/people?phone=+385%2091%20234%205678')).json.id, id, 'in any format');
  t.equal((await call('GET', '/people?email=nobody@example.com')).status, 404);
  t.equal((await call('GET', '/people')).json.error.code, 'JCT_LOOKUP_EMPTY');
  await call('POST', '/people', { emails: ['ben@example.com'] });
  const both = await call('GET', `/people?phone=${encodeURIComponent('+385912345678')}&email=ben@example.com`);
  t.same([both.status, both.json.error.code], [400, 'JCT_LOOKUP_AMBIGUOUS'], "a phone and an email may be two people's: one at a time");
  t.equal((await call('GET', '/people?email=ben@example.com&externalId=x')).json.error.code, 'JCT_LOOKUP_AMBIGUOUS');
  const changed = await call('PATCH', `/people/${id}`, { set: { city: 'Zagreb' }, addTags: ['vip'] });
  t.match(changed.json, { standard: { city: 'Zagreb' }, tags: ['vip'] });
  t.equal((await call('PATCH', `/people/${id}`, { set: { nope: 1 } })).status, 400, 'an unknown attribute');
  t.equal((await call('PATCH', `/people/${id}`, { set: { birthDate: 'soon' }, addTags: ['x'] })).status, 400);
  t.same(w.people.get(id)!.tags, ['vip'], 'all or nothing');
  const contacts = await call('PATCH', `/people/${id}`, { addPhones: ['+385 91 111 2222'], addEmails: ['Ana@Example.com'] });
  t.match(contacts.json, { phones: ['+385912345678', '+385911112222'], emails: ['ana@example.com'] }, 'contacts added, normalized');
  t.equal((await call('GET', '/people?email=ana@example.com')).json.id, id);
  t.equal((await call('PATCH', `/people/${id}`, { addPhones: ['nope'] })).json.error.code, 'JCT_CONTACT_INVALID');
  const other = (await call('POST', '/people', { emails: ['eve@example.com'] })).json.id;
  t.equal((await call('PATCH', `/people/${other}`, { addPhones: ['+385911112222'] })).json.error.code, 'JCT_CONTACT_TAKEN', "another person's phone");
  t.same((await call('POST', `/people/${id}/tags`, { tags: ['a', 'b'] })).json.tags, ['vip', 'a', 'b']);
  t.same((await call('DELETE', `/people/${id}/tags/a`)).json.tags, ['vip', 'b']);
  t.equal((await call('GET', '/people/nobody')).status, 404);
  t.equal((await call('PATCH', '/people/nobody', { addTags: ['x'] })).status, 404);
  w.engine.save(flow('wait', [pauseDays('p', 2)]));
  w.engine.launch('wait');
  await w.engine.enter('wait', id);
  const journeys = (await call('GET', `/people/${id}/journeys`)).json.journeys;
  t.match(journeys, [{ flowId: 'wait', version: 1, element: 'p', waiting: { on: [], until: String } }], 'a wait for time alone waits on nothing else, as the feed says');
  t.ok((await call('GET', '/attributes')).json.attributes.some((a: any) => a.name === 'birthDate' && a.type === 'date'));
  const events = (await call('GET', '/event-definitions')).json.events;
  t.same(events.find((e: any) => e.name === 'person.changed'), { group: 'people', name: 'person.changed', description: 'An attribute or contact of the profile changed (one event per attribute)', properties: [{ name: 'attribute', type: 'text' }] }, 'an event as defined, nothing of its index');
  t.same((await call('GET', '/segments')).json, { total: 0, segments: [] });
});

t.test('the longest ids and contacts a route takes reach it in its URL', async (t) => {
  const { call } = await api(t);
  const id = 'p'.repeat(200);
  t.equal((await call('POST', '/people', { id })).status, 201);
  t.equal((await call('GET', `/people/${id}`)).json.id, id, 'a person id of 200 characters');
  const tag = 't'.repeat(200);
  t.equal((await call('POST', `/people/${id}/tags`, { tags: [tag] })).status, 200);
  t.same((await call('DELETE', `/people/${id}/tags/${tag}`)).json.tags, [], 'a tag of 200 characters');
  t.equal((await call('DELETE', `/people/${id}`)).status, 200);
  const email = `${'a'.repeat(64)}@${'b'.repeat(60)}.example.com`;
  t.equal((await call('POST', '/do-not-contact', { channel: 'email', contact: email })).status, 201);
  t.equal((await call('DELETE', `/do-not-contact/email/${encodeURIComponent(email)}`)).status, 204, 'an email of 136 characters');
  const tooLong = await call('GET', `/people/${'p'.repeat(201)}`);
  t.same([tooLong.status, tooLong.json.error.code], [400, 'JCT_REQUEST_INVALID'], 'longer than a route takes: its schema says so');
});

t.test('people: an external id belongs to one person', async (t) => {
  const { call } = await api(t);
  t.equal((await call('POST', '/people', { id: 't20', standard: { externalId: 'ext-1' } })).status, 201);
  const taken = await call('POST', '/people', { id: 't21', standard: { externalId: 'ext-1' } });
  t.same([taken.status, taken.json.error.code, taken.json.error.details], [409, 'JCT_EXTERNAL_ID_TAKEN', { externalId: 'ext-1', personId: 't20' }]);
  t.match(taken.json.error.message, /"ext-1".*"t20"/);
  t.equal((await call('GET', '/people/t21')).status, 404, 'nobody created');
  await call('POST', '/people', { id: 't9', standard: { city: 'Split' } });
  const patched = await call('PATCH', '/people/t9', { set: { externalId: 'ext-1', city: 'Zadar' } });
  t.same([patched.status, patched.json.error.code], [409, 'JCT_EXTERNAL_ID_TAKEN']);
  t.match((await call('GET', '/people/t9')).json, { standard: { city: 'Split' } }, 'nothing changed');
  t.equal((await call('GET', '/people?externalId=ext-1')).json.id, 't20');
  t.equal((await call('PATCH', '/people/t20', { set: { externalId: 'ext-2' } })).status, 200);
  t.equal((await call('PATCH', '/people/t9', { set: { externalId: 'ext-1' } })).status, 200, 'a freed external id is free');
  t.equal((await call('GET', '/people?externalId=ext-1')).json.id, 't9');
  for (const blank of ['', '  ']) {
    const cleared = await call('PATCH', '/people/t9', { set: { externalId: blank } });
    t.same([cleared.status, cleared.json.standard.externalId], [200, undefined], `${JSON.stringify(blank)} removes the external id, like null`);
  }
  t.equal((await call('PATCH', '/people/t20', { set: { externalId: '' } })).status, 200, 'a second blank one is nobody\'s');
  t.equal((await call('GET', '/people?externalId=ext-1')).json.error.code, 'JCT_PERSON_UNKNOWN', 'the old one finds nobody');
  t.equal((await call('GET', '/people?externalId=%20')).json.error.code, 'JCT_PERSON_UNKNOWN', 'and a blank one neither');
});

t.test("people: a contact does not merge one external id's record into another's", async (t) => {
  const { call, w } = await api(t);
  const ana = (await call('POST', '/people', { emails: ['ana@example.com'], phones: ['+385911234567'], standard: { externalId: 'crm-1', firstName: 'Ana' } })).json.id;
  for (const contacts of [{ emails: ['Ana@Example.com'] }, { phones: ['+385 91 123 4567'] }]) {
    const other = await call('POST', '/people', { ...contacts, standard: { externalId: 'crm-2', firstName: 'Eve' } });
    t.same([other.status, other.json.error?.code, other.json.error?.details.personId], [409, 'JCT_CONTACT_TAKEN', ana], `${JSON.stringify(contacts)}: taken by the person with another external id`);
  }
  t.match((await call('GET', '/people?externalId=crm-1')).json, { id: ana, standard: { firstName: 'Ana', externalId: 'crm-1' } }, 'her record is as it was');
  t.equal((await call('GET', '/people?externalId=crm-2')).status, 404, 'nobody has the other one');
  const same = await call('POST', '/people', { emails: ['ana@example.com'], standard: { externalId: 'crm-1', city: 'Split' } });
  t.same([same.status, same.json.id], [200, ana], 'her own external id merges');
  const lead = (await call('POST', '/people', { emails: ['lead@example.com'] })).json.id;
  const linked = await call('POST', '/people', { emails: ['lead@example.com'], standard: { externalId: 'crm-3' } });
  t.same([linked.status, linked.json.id, linked.json.standard.externalId], [200, lead, 'crm-3'], 'one without an external id takes the one given');
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  const added = await call('POST', '/flows/f/entry-points/start/participants', { participants: [{ person: { emails: ['ana@example.com'], standard: { externalId: 'crm-9' } } }] });
  const report = await call('GET', `/flows/f/participants/report?operationId=${added.json.operationId}`);
  t.match(report.json.participants, [{ status: 'rejected', reason: 'JCT_CONTACT_TAKEN' }], 'the Flow API the same');
});

t.test('people: an id with a control character or a broken character is refused, wherever a person is created', async (t) => {
  const { call, w } = await api(t);
  await call('POST', '/flows', { ...welcome(), entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'p' } }] });
  await call('POST', '/flows/welcome/launch');
  for (const id of ['a\u0000b', 'tab\there', 'line\nbreak', 'half \ud800', '\udc00 half']) {
    const refused = await call('POST', '/people', { id });
    t.same([refused.status, refused.json.error.code], [400, 'JCT_PERSON_ID_INVALID'], JSON.stringify(id));
    const report = await call('POST', '/flows/welcome/participants', { participants: [{ person: { id } }] });
    t.match(report.json.participants, [{ status: 'rejected', reason: 'JCT_PERSON_ID_INVALID' }], 'through the Flow API too');
  }
  t.same([...w.people.all()].map((p) => p.id), [], 'nobody created');
  for (const id of ['Željko 😀', 'a b', 'x/y']) t.equal((await call('POST', '/people', { id })).status, 201, `${id}: any other text`);
});

t.test('people: look up by external id; erase a person', async (t) => {
  const { call, w, keys } = await api(t);
  const id = (await call('POST', '/people', { phones: ['+14155550100'], standard: { externalId: 'crm-7' } })).json.id;
  t.equal((await call('GET', '/people?externalId=crm-7')).json.id, id);
  t.equal((await call('GET', '/people?externalId=crm-8')).json.error.message, 'nobody has the external id "crm-8"');
  t.same([(await call('GET', '/people?phone=garbage')).status, (await call('GET', '/people?email=nobody')).json.error.code], [400, 'JCT_CONTACT_INVALID'], 'a text that is no contact: 400');
  w.engine.save(flow('wait', [pauseDays('p', 2)]));
  w.engine.launch('wait');
  await w.engine.enter('wait', id);
  const erased = await call('DELETE', `/people/${id}`);
  t.same([erased.status, erased.json], [200, { personId: id, erased: { participants: 1, events: 0 } }]);
  t.equal((await call('GET', `/people/${id}`)).status, 404);
  t.equal((await call('GET', '/people?phone=%2B14155550100')).status, 404);
  t.equal((await call('DELETE', `/people/${id}`)).json.error.code, 'JCT_PERSON_UNKNOWN');
  t.equal(w.engine.metrics('wait').activeParticipants, 0);
  const reports = `Bearer ${keys.create('reports only', ['reports']).key}`;
  t.equal((await call('DELETE', '/people/x', undefined, reports)).status, 403, 'erasing needs the people scope');
});

t.test('do-not-contact entries', async (t) => {
  const { call, w } = await api(t);
  const added = await call('POST', '/do-not-contact', { channel: 'sms', contact: '+385 91 234 5678' });
  t.equal(added.status, 201);
  t.match(added.json, { channel: 'sms', contact: '+385912345678', senders: [] });
  t.equal((await call('GET', '/do-not-contact')).json.entries.length, 1);
  t.equal((await call('POST', '/do-not-contact', { channel: 'fax', contact: '1' })).status, 400);
  t.equal((await call('POST', '/do-not-contact', { channel: 'sms', contact: 'not a phone' })).status, 400);
  const phoneOnEmail = await call('POST', '/do-not-contact', { channel: 'email', contact: '+385 91 234 5678' });
  t.same([phoneOnEmail.status, phoneOnEmail.json.error.code, phoneOnEmail.json.error.details.kind], [400, 'JCT_CONTACT_INVALID', 'email'], 'the email channel blocks an email');
  const emailOnSms = await call('POST', '/do-not-contact', { channel: 'sms', contact: 'ana@example.com' });
  t.same([emailOnSms.status, emailOnSms.json.error.details.kind], [400, 'phone'], 'the sms channel blocks a phone');
  t.equal((await call('DELETE', `/do-not-contact/email/${encodeURIComponent('+385912345678')}`)).status, 400, 'nor is one unblocked');
  t.match((await call('POST', '/do-not-contact', { channel: 'email', contact: 'Ana@Example.com' })).json, { channel: 'email', contact: 'ana@example.com' });
  t.equal((await call('DELETE', '/do-not-contact/email/ana%40example.com')).status, 204);
  t.equal((await call('DELETE', `/do-not-contact/sms/${encodeURIComponent('+385912345678')}`)).status, 204);
  t.same((await call('GET', '/do-not-contact')).json.entries, []);
  await w.engine.durable();
  t.same([...w.backend.tables.get('dnc')!.keys()], [], 'nothing stays in the store to come back at the next start, however the contact was written');
});

t.test('reports: JSON per version or all, CSV with formula cells made text', async (t) => {
  const { call, w } = await api(t);
  await call('POST', '/flows', { ...welcome(), elements: [{ id: 'p', type: 'pause', name: '=HYPERLINK("x")', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }] });
  await call('POST', '/flows/welcome/launch');
  w.people.upsert({ id: 'ana' });
  await w.engine.enter('welcome', 'ana');
  t.match((await call('GET', '/reports/flows/welcome')).json, { flowId: 'welcome', version: 1, profilesInFlow: 1 });
  t.match((await call('GET', '/reports/flows/welcome?version=all')).json, { versions: [1] });
  const csv = await call('GET', '/reports/flows/welcome?format=csv');
  t.equal(csv.status, 200);
  t.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.text.trimEnd().split('\r\n');
  t.equal(lines[0], '\ufeffelement,name,type,totalEngagements,uniqueUsersEngaged,failures');
  t.ok(lines.some((l) => l.startsWith('p,"\'=HYPERLINK(""x"")",pause,1,1,0')), lines.join(' | '));
  t.equal((await call('GET', '/reports/flows/nope')).status, 404);
  t.equal((await call('GET', '/reports/flows/welcome?version=x')).status, 400);
  t.match((await call('GET', '/reports/flows/welcome?version=1')).json, { flowId: 'welcome', version: 1 }, 'a version number');
  t.equal((await call('GET', '/reports/flows/welcome?version=abc')).status, 400);
  t.equal((await call('GET', '/reports/flows/welcome?version=0')).status, 400);
  const nine = await call('GET', '/reports/flows/welcome?version=9');
  t.same([nine.status, nine.json.error.code, nine.json.error.message], [404, 'JCT_VERSION_UNKNOWN', 'flow "welcome" has no launched version 9'], 'a version the flow does not have');
  await call('POST', '/flows', welcome({ id: 'drafted' }));
  for (const query of ['', '?version=all']) {
    const draft = await call('GET', `/reports/flows/drafted${query}`);
    t.same([draft.status, draft.json.error.code, draft.json.error.message], [404, 'JCT_VERSION_UNKNOWN', 'flow "drafted" has no launched version yet (only a draft)'], `a draft has no report yet${query}`);
  }
  t.equal((await call('GET', '/reports/flows/nope?version=all')).json.error.code, 'JCT_FLOW_UNKNOWN');
  t.equal((await call('GET', '/flows/welcome?version=abc')).status, 400, 'GET /flows/:id takes no query parameter');
  t.equal(csvCell('+1 555'), "'+1 555");
  t.equal(csvCell('-1'), "'-1");
  t.equal(csvCell('@x'), "'@x");
  t.equal(csvCell('plain'), 'plain');
});

t.test('each route needs its scope', async (t) => {
  const { call, keys } = await api(t);
  const people = `App ${keys.create('crm', ['people']).key}`;
  t.equal((await call('GET', '/people?email=a@example.com', undefined, people)).status, 404, 'people routes: allowed');
  t.equal((await call('GET', '/flows', undefined, people)).status, 403, 'flows: not');
  t.equal((await call('GET', '/reports/flows/x', undefined, people)).status, 403, 'reports: not');
  t.equal((await call('GET', '/flows', undefined, '')).status, 401);
});

t.test('monthly engaged persons: once a month each, the first flow, top flows, CSV', async (t) => {
  const { call, w } = await api(t);
  for (const id of ['a', 'b', 'c']) {
    w.engine.save({ ...flow(id, [pauseDays('p', 1)]), name: `Flow ${id}` });
    w.engine.launch(id);
  }
  for (const p of ['ana', 'ben', '=cmd']) w.people.upsert({ id: p });
  await w.engine.enter('a', 'ana');
  await w.engine.enter('b', 'ana');
  await w.engine.enter('b', 'ben');
  w.clock.advanceTo('2026-02-01T00:00:00Z');
  await w.engine.enter('c', 'ana');
  await w.engine.enter('c', '=cmd');
  const jan = (await call('GET', '/reports/engaged?month=2026-01')).json;
  t.match(jan, { month: '2026-01', total: 2, topFlows: [{ flowId: 'a', name: 'Flow a', people: 1 }, { flowId: 'b', people: 1 }] });
  t.same(jan.people.map((p: any) => [p.personId, p.flowId]), [['ana', 'a'], ['ben', 'b']], 'ana counts once, for her first flow');
  const feb = await call('GET', '/reports/engaged?month=2026-02&format=csv');
  t.equal(feb.text, "\ufeffpersonId,engagedAt,flowId,flowName\r\n'=cmd,2026-02-01T00:00:00.000Z,c,Flow c\r\nana,2026-02-01T00:00:00.000Z,c,Flow c\r\n", 'a formula-looking id stays text; a byte order mark says UTF-8 to a spreadsheet');
  t.same((await call('GET', '/reports/engaged?month=2025-12')).json, { month: '2025-12', total: 0, topFlows: [], people: [] });
  t.equal((await call('GET', '/reports/engaged?month=2026-13')).status, 400);
  w.clock.advanceTo('2027-02-15T00:00:00Z');
  w.engine.save(flow('d', [pauseDays('p', 1)]));
  w.engine.launch('d');
  await w.engine.enter('d', 'ben');
  t.equal((await call('GET', '/reports/engaged?month=2026-01')).json.total, 0, 'kept 13 months');
  t.equal((await call('GET', '/reports/engaged?month=2026-02')).json.total, 2);
});

t.test('monthly engaged persons a page at a time: limit, then after = next, until no next; the CSV holds everyone', async (t) => {
  const { call, w } = await api(t);
  w.engine.save(flow('a', [pauseDays('p', 1)]));
  w.engine.launch('a');
  const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
  for (const [i, id] of ids.entries()) {
    w.people.upsert({ id });
    if (i === 3) w.clock.advance(1000); // two engaged at one moment, three a second later
    await w.engine.enter('a', id);
  }
  const seen: string[] = [];
  let url = '/reports/engaged?month=2026-01&limit=2';
  for (let pages = 0; pages < 5; pages++) {
    const page = (await call('GET', url)).json;
    t.equal(page.total, 5, 'the total is the month\'s on every page');
    seen.push(...page.people.map((p: any) => p.personId));
    if (page.next === undefined) break;
    url = `/reports/engaged?month=2026-01&limit=2&after=${encodeURIComponent(page.next)}`;
  }
  t.same(seen, ids, 'each person once, in the order they engaged');
  t.equal((await call('GET', '/reports/engaged?month=2026-01')).json.people.length, 5, 'a default page holds up to 1,000');
  t.equal((await call('GET', '/reports/engaged?month=2026-01&limit=2&format=csv')).text.split('\r\n').length, 7, 'header, five people, the last line end');
  for (const after of ['nonsense', ' 1.ana', '0x10.ana', '1e3.ana', '-1.ana', '7.', '9'.repeat(20) + '.ana']) {
    t.match(await call('GET', `/reports/engaged?month=2026-01&after=${encodeURIComponent(after)}`), { status: 400, json: { error: { code: 'JCT_CURSOR_INVALID' } } }, `after=${after} is no cursor`);
  }
  t.equal((await call('GET', '/reports/engaged?month=2026-01&limit=10001')).status, 400);
});

t.test('monthly engaged persons: pages stay right while people engage and are erased between two calls', async (t) => {
  const { call, w } = await api(t);
  w.engine.save(flow('a', [pauseDays('p', 1)]));
  w.engine.launch('a');
  const engage = async (id: string) => {
    w.people.upsert({ id });
    await w.engine.enter('a', id);
    w.clock.advance(1000);
  };
  for (const id of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) await engage(id);
  const page = async (after?: string) => (await call('GET', `/reports/engaged?month=2026-01&limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`)).json;
  const first = await page();
  t.same(first.people.map((p: any) => p.personId), ['p1', 'p2']);
  t.equal((await call('DELETE', '/people/p1')).status, 200, 'one on the page read');
  t.equal((await call('DELETE', '/people/p4')).status, 200, 'one on a page to come');
  await engage('p7');
  const second = await page(first.next);
  t.match(second.people.map((p: any) => p.personId), ['p3', /^erased-/], 'p4 counts on, anonymous, in its place');
  t.equal(second.people[1].engagedAt, '2026-01-05T09:00:03.000Z');
  const third = await page(second.next);
  t.same([third.people.map((p: any) => p.personId), third.total], [['p5', 'p6'], 7]);
  const fourth = await page(third.next);
  t.same([fourth.people.map((p: any) => p.personId), fourth.next], [['p7'], undefined], 'who engaged since comes last');
  const whole = (await call('GET', '/reports/engaged?month=2026-01')).json;
  t.same([...second.people, ...third.people, ...fourth.people], whole.people.slice(2), 'each page reads the report as it is now, after its cursor');
});

t.test('definitions through the API: attributes, events, segments; kept across a restart', async (t) => {
  const { call, w } = await api(t);
  t.equal((await call('POST', '/attributes', { name: 'tier', type: 'text' })).status, 201);
  const conflict = await call('POST', '/attributes', { name: 'tier', type: 'whole' });
  t.same([conflict.status, conflict.json.error.code], [409, 'JCT_ATTRIBUTE_CONFLICT']);
  t.equal((await call('POST', '/attributes', { name: 'city', type: 'text' })).json.error.code, 'JCT_ATTRIBUTE_CONFLICT', 'a built-in name');
  t.equal((await call('POST', '/attributes', { name: 'x', type: 'colour' })).status, 400);
  const badName = (await call('POST', '/attributes', { name: 'bad name', type: 'text' })).json.error;
  t.same([badName.code, badName.message, badName.details.path], ['JCT_ATTRIBUTE_NAME_INVALID', '"bad name" is not a valid attribute name: use letters, digits and _, starting with a letter', '$'], "the request's own paths, not a people file's");
  t.equal((await call('POST', '/event-definitions', { name: 'purchase', properties: [{ name: 'total', type: 'decimal' }] })).status, 201);
  t.equal((await call('POST', '/event-definitions', { name: 'person.changed' })).status, 400, 'built-in names have a dot');
  const added = await call('POST', '/event-definitions', { name: 'purchase', description: 'A paid order', properties: [{ name: 'items', type: 'whole' }, { name: 'total', type: 'decimal' }] });
  t.equal(added.status, 201);
  t.same(added.json, { name: 'purchase', description: 'A paid order', properties: [{ name: 'total', type: 'decimal' }, { name: 'items', type: 'whole' }] }, 'new properties added, the others kept');
  t.same((await call('POST', '/event-definitions', { name: 'purchase' })).json.properties.map((p: any) => p.name), ['total', 'items'], 'none dropped');
  const retyped = await call('POST', '/event-definitions', { name: 'purchase', properties: [{ name: 'total', type: 'text' }, { name: 'coupon', type: 'text' }] });
  t.same([retyped.status, retyped.json.error.code], [409, 'JCT_EVENT_PROPERTY_CONFLICT'], 'a type never changes');
  t.match(retyped.json.error.message, /"total" is already defined as decimal/);
  const person = (await call('POST', '/people', { emails: ['ana@example.com'], custom: { tier: 'gold' } })).json;
  t.same(person.custom, { tier: 'gold' });
  t.equal((await call('POST', '/segments', { id: 'gold', name: 'Gold', kind: 'realtime', rules: { all: [{ attribute: 'tier', operator: 'is', value: 'gold' }] } })).status, 201);
  const badRule = await call('POST', '/segments', { id: 'bad', name: 'Bad', kind: 'realtime', rules: { all: [{ attribute: 'nope', operator: 'is', value: 1 }] } });
  t.same([badRule.status, badRule.json.error.details.problems.map((p: any) => p.path)], [400, ['$.rules.all[0].attribute']]);
  t.match(badRule.json.error.message, /: \$\.rules\.all\[0\]\.attribute: unknown attribute "nope"/);
  t.notMatch(badRule.json.error.message, /segments\[/);
  t.same((await call('GET', '/segments')).json.segments, [{ id: 'gold', name: 'Gold', kind: 'realtime', size: 1 }]);
  await w.engine.close();
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  t.equal(people.catalog().get('tier')?.type, 'text');
  t.same(people.events().get('purchase'), { name: 'purchase', description: 'A paid order', properties: [{ name: 'total', type: 'decimal' }, { name: 'items', type: 'whole' }] }, 'the merged definition, not the last request');
  t.same([...people.segmentMembers('gold')], [person.id]);
  await engine.close();
});

t.test('a segment is created once, then replaced by PUT; its kind stays while a launched flow reads it', async (t) => {
  const { call, w } = await api(t);
  await call('POST', '/attributes', { name: 'tier', type: 'text' });
  for (const id of ['ana', 'ben']) await call('POST', '/people', { id, custom: { tier: 'gold' } });
  const gold = { id: 'gold', name: 'Gold', kind: 'realtime', rules: { all: [{ attribute: 'tier', operator: 'is', value: 'gold' }] } };
  t.equal((await call('POST', '/segments', gold)).status, 201);
  const again = await call('POST', '/segments', { id: 'gold', name: 'Gold', kind: 'static', members: ['ana'] });
  t.same([again.status, again.json.error.code, again.json.error.details], [409, 'JCT_SEGMENT_EXISTS', { segmentId: 'gold' }], 'creating never replaces');
  t.same((await call('GET', '/segments')).json.segments, [{ id: 'gold', name: 'Gold', kind: 'realtime', size: 2 }], 'nothing changed');
  const renamed = await call('PUT', '/segments/gold', { ...gold, name: 'Gold tier' });
  t.same([renamed.status, renamed.json], [200, { ...gold, name: 'Gold tier' }]);
  const missing = await call('PUT', '/segments/silver', { ...gold, id: 'silver' });
  t.same([missing.status, missing.json.error.code], [404, 'JCT_NOT_FOUND'], 'PUT replaces, never creates');
  t.same([(await call('PUT', '/segments/gold', { ...gold, id: 'other' })).json.error.code], ['JCT_SEGMENT_ID_MISMATCH']);
  const badRule = await call('PUT', '/segments/gold', { ...gold, rules: { all: [{ attribute: 'nope', operator: 'is', value: 1 }] } });
  t.same([badRule.status, badRule.json.error.details.problems.map((p: any) => p.path)], [400, ['$.rules.all[0].attribute']], "the request's own paths");
  await call('POST', '/flows', { ...welcome(), entryPoints: [{ id: 'aud', type: 'predefinedAudience', config: { audience: { segments: ['gold'] }, updateAfterLaunch: 'realtime' }, branches: { next: 'p' } }] });
  await call('POST', '/flows/welcome/launch');
  const toStatic = await call('PUT', '/segments/gold', { id: 'gold', name: 'Gold', kind: 'static', members: ['ana'] });
  t.same([toStatic.status, toStatic.json.error.code, toStatic.json.error.details], [409, 'JCT_SEGMENT_IN_USE', { segmentId: 'gold', flows: ['welcome version 1'] }]);
  t.same((await call('GET', '/segments')).json.segments, [{ id: 'gold', name: 'Gold tier', kind: 'realtime', size: 2 }], 'still real-time');
  t.equal((await call('PUT', '/segments/gold', { ...gold, rules: { all: [{ attribute: 'tier', operator: 'is', value: 'platinum' }] } })).status, 200, 'the same kind: the rule may change');
  await call('POST', '/flows/welcome/versions/1/stop');
  t.equal((await call('PUT', '/segments/gold', { id: 'gold', name: 'Gold', kind: 'static', members: ['ana'] })).status, 200, 'once no launched flow reads it, the kind may change');
  await w.engine.durable();
  t.same([...w.backend.load('definition')].filter(([k]) => k.startsWith('segments')).map(([, v]) => v), [{ id: 'gold', name: 'Gold', kind: 'static', members: ['ana'] }], 'the replacement is what is kept');
});

t.test('erasing a member of a static segment: the segment forgets them, and the store still starts', async (t) => {
  const { call, w } = await api(t);
  for (const id of ['ana', 'ben']) await call('POST', '/people', { id });
  t.equal((await call('POST', '/segments', { id: 'vip', name: 'VIP', kind: 'static', members: ['ana', 'ben'] })).status, 201);
  t.equal((await call('DELETE', '/people/ana')).status, 200);
  t.same((await call('GET', '/segments')).json.segments, [{ id: 'vip', name: 'VIP', kind: 'static', size: 1 }]);
  await w.engine.close();
  t.same([...w.backend.load('definition')].map(([, v]) => v), [{ id: 'vip', name: 'VIP', kind: 'static', members: ['ben'] }], 'the kept definition no longer names her');
  const restart = () => {
    const people = new MemoryPeopleStore(w.clock);
    const engine = new Engine({ clock: w.clock, people, registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
    engine.recover(w.backend);
    return { people, engine };
  };
  const first = restart();
  t.same([...first.people.segmentMembers('vip')], ['ben']);
  await first.engine.close();
  const journal = new GroupCommit(w.backend, { flushMs: 0 });
  journal.put('definition', 'segments\u0000old', { id: 'old', name: 'Old', kind: 'static', members: ['ben', 'erased-before-the-fix'] });
  await journal.durable();
  await journal.close();
  const second = restart();
  t.same([...second.people.segmentMembers('old')], ['ben'], 'a store written before: its erased members are dropped at start');
  await second.engine.close();
});
