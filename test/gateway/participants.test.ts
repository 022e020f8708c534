// The Flow API's batches through real HTTP: up to 1,000 people per call through the flow's (or
// one entry point's) URL, identified by phone, email or external id, with attributes and
// variables; the per-person report (accepted, or rejected with the reason), kept across a
// restart; Idempotency-Key replays; and the commercial product's request and report shapes.
import t from 'tap';
import { createHash } from 'node:crypto';
import { Engine } from '../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit } from '../../engine/store/journal.js';
import { flow, pauseDays, registryWith, world, type World } from '../engine/helpers.js';
import { addThroughMoments, api, promoWorld } from './api-helper.js';

/** `signup`: two Flow API entry points (web, crm), re-entry off, a variable `source`. */
function signupWorld(): World {
  const w = world();
  w.engine.save({
    ...flow('signup', [pauseDays('p', 1)], { reentry: { enabled: false }, variables: [{ name: 'source', type: 'text' }] }),
    entryPoints: [
      { id: 'web', type: 'flowApi', config: {}, branches: { next: 'p' } },
      { id: 'crm', type: 'flowApi', config: {}, branches: { next: 'p' } },
    ],
  });
  w.engine.launch('signup');
  return w;
}

t.test('a batch: accepted and rejected people, each with the reason; the report', async (t) => {
  const { call, w } = await api(t, signupWorld());
  w.people.upsert({ id: 'old', phones: ['+385911111111'] });
  await w.engine.enter('signup', 'old', { entry: 'web' });
  const r = await call('POST', '/flows/signup/entry-points/web/participants', {
    participants: [
      { person: { phones: ['+385 91 234 5678'], standard: { firstName: 'Ana' } }, variables: { source: 'form' } },
      { person: { standard: { externalId: 'crm-42' }, emails: ['ben@example.com'] } },
      { person: { phones: ['not a phone'] } },
      { person: { phones: ['+385911111111'] } },
      { person: { emails: ['cy@example.com'] }, variables: { nope: 1 } },
    ],
    callbackData: 'batch-7',
  });
  t.equal(r.status, 200);
  t.match(r.json, { operationId: String, flowId: 'signup', entry: 'web', accepted: 2, rejected: 3, callbackData: 'batch-7' });
  t.match(r.json.participants, [
    { status: 'accepted', personId: String, participantId: String },
    { status: 'accepted' },
    { status: 'rejected', reason: 'JCT_CONTACT_INVALID' },
    { status: 'rejected', reason: 'JCT_PERSON_IN_FLOW', personId: 'old', message: 'the person is still in this flow, and it lets nobody enter again while inside: re-entry is off or has a delay (settings.reentry)' },
    { status: 'rejected', reason: 'JCT_VARIABLE_UNKNOWN' },
  ]);
  const ana = w.people.get(r.json.participants[0].personId)!;
  t.equal(ana.standard.firstName, 'Ana');
  t.equal(w.engine.participant(r.json.participants[0].participantId)!.vars['source'], 'form');
  const report = await call('GET', `/flows/signup/participants/report?operationId=${r.json.operationId}`);
  t.same(report.json, r.json, 'the report is the answer, kept');
  t.equal((await call('GET', '/flows/signup/participants/report?operationId=nope')).json.error.code, 'JCT_OPERATION_UNKNOWN');
  t.equal((await call('GET', `/flows/other/participants/report?operationId=${r.json.operationId}`)).status, 404, 'another flow’s operation');
});

t.test('a participant that does not fit the schema is rejected on its own; the others are added', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const r = await call('POST', '/flows/signup/entry-points/web/participants', {
    participants: [
      { person: { phones: [''], emails: ['ana@example.com'] } },
      { person: { emails: ['ben@example.com'] } },
      { person: { emails: ['cy@example.com'], custom: { address: { street: 'Ilica 1' } } } },
      { person: { emails: ['dee@example.com'] }, extra: 1 },
      5,
      { person: { phones: ['+385 91 234 5678'] } },
    ],
  });
  t.equal(r.status, 200);
  t.match(r.json, { accepted: 2, rejected: 4 });
  t.match(r.json.participants, [
    { status: 'rejected', reason: 'JCT_CONTACT_INVALID', message: /^\$\.participants\[0\]\.person\.phones\[0\]: / },
    { status: 'accepted' },
    { status: 'rejected', reason: 'JCT_PARTICIPANT_INVALID', message: /^\$\.participants\[2\]\.person\.custom/ },
    { status: 'rejected', reason: 'JCT_PARTICIPANT_INVALID', message: /^\$\.participants\[3\]\.extra: / },
    { status: 'rejected', reason: 'JCT_PARTICIPANT_INVALID', message: /^\$\.participants\[4\]: / },
    { status: 'accepted' },
  ]);
  t.equal(r.json.participants[0].personId, undefined, 'nobody was made of the refused one');
  t.equal(w.people.findByContact('ana@example.com'), undefined, 'nor was anyone changed');
  const moments = await call('POST', '/flows/signup/participants', { participants: [{ identifyBy: { identifier: 'x@example.com', type: 'EMAIL' } }] }, undefined, {}, '/moments/1');
  t.equal(moments.json.error.code, 'JCT_ENTRY_AMBIGUOUS', 'the call itself is still refused as a whole');
});

t.test('the commercial shape: a participant that does not fit is rejected on its own, with the product\u2019s reason', async (t) => {
  const w = promoWorld();
  const { call } = await api(t, w);
  const { added, report } = await addThroughMoments(call, 'promo', {
    participants: [
      { identifyBy: { identifier: '', type: 'PHONE' } },
      { identifyBy: { identifier: '385912345678', type: 'PHONE' }, person: { contactInformation: { email: [{ address: '' }] } } },
      { identifyBy: { identifier: 'jo@example.com', type: 'EMAIL' }, person: { tags: [''] } },
      { identifyBy: { identifier: 'ann@example.com', type: 'EMAIL' } },
    ],
  });
  t.equal(added.status, 200);
  t.same(report.json.participants, [
    { identifyBy: { identifier: '', type: 'PHONE' }, status: 'REJECTED', errorReason: 'REJECTED_INVALID_CONTACT' },
    { identifyBy: { identifier: '385912345678', type: 'PHONE' }, status: 'REJECTED', errorReason: 'REJECTED_INVALID_CONTACT' },
    { identifyBy: { identifier: 'jo@example.com', type: 'EMAIL' }, status: 'REJECTED', errorReason: 'REJECTED_ATTRIBUTE_MISSED' },
    { identifyBy: { identifier: 'ann@example.com', type: 'EMAIL' }, status: 'ACCEPTED' },
  ]);
  t.equal(w.people.findByContact('+385912345678'), undefined, 'the refused one changed nobody');
});

t.test('a full batch of 1,000 people with their profiles fits, in both request shapes', async (t) => {
  const { call, w } = await api(t, signupWorld());
  w.engine.save(flow('single', [pauseDays('p', 1)]));
  w.engine.launch('single');
  const profile = (i: number) => ({ standard: { firstName: `Person ${i}`, address: `Ilica ${i}, 10000 Zagreb, Croatia ${'.'.repeat(1500)}` } });
  const phone = (i: number) => `+38591${3_000_000 + i}`;
  const batch = { participants: Array.from({ length: 1000 }, (_, i) => ({ person: { phones: [phone(i)], ...profile(i) } })) };
  t.ok(JSON.stringify(batch).length > 1.3 * 1024 * 1024, 'over the 1 MiB the other routes take');
  const r = await call('POST', '/flows/signup/entry-points/web/participants', batch);
  t.same([r.status, r.json.accepted], [200, 1000]);
  const moments = { participants: Array.from({ length: 1000 }, (_, i) => ({ identifyBy: { identifier: phone(1000 + i), type: 'PHONE' }, person: { firstName: `Person ${i}`, lastName: '.'.repeat(700), address: `Ilica ${i} ${'.'.repeat(800)}` } })) };
  const m = await call('POST', '/flows/single/participants', moments, undefined, {}, '/moments/1');
  t.ok(JSON.stringify(moments).length > 1.3 * 1024 * 1024);
  t.equal(m.status, 200, 'the commercial shape too');
  const tooBig = await call('POST', '/flows/signup/entry-points/web/participants', { participants: [{ person: { phones: [phone(0)], standard: { address: 'x'.repeat(4 * 1024 * 1024) } } }] });
  t.same([tooBig.status, tooBig.json.error.code], [413, 'JCT_BODY_TOO_LARGE'], 'a limit still');
});

t.test('people are found by external id; the flow URL needs a single Flow API entry point', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const first = await call('POST', '/flows/signup/entry-points/crm/participants', { participants: [{ person: { standard: { externalId: 'crm-9', city: 'Split' } } }] });
  t.equal(first.json.accepted, 1, 'an external id alone makes a profile');
  const id = first.json.participants[0].personId;
  await call('POST', '/flows/signup/entry-points/crm/participants', { participants: [{ person: { standard: { externalId: 'crm-9', city: 'Zadar' } } }] });
  t.equal(w.people.get(id)!.standard.city, 'Zadar', 'the same profile, updated');
  t.equal((await call('POST', '/flows/signup/participants', { participants: [{ person: { phones: ['+385912345678'] } }] })).json.error.code, 'JCT_ENTRY_AMBIGUOUS');
  t.equal((await call('POST', '/flows/signup/entry-points/nope/participants', { participants: [{ person: { phones: ['+385912345678'] } }] })).json.error.code, 'JCT_ENTRY_UNKNOWN');
  t.equal((await call('POST', '/flows/none/entry-points/web/participants', { participants: [{ person: { phones: ['+385912345678'] } }] })).status, 404);
  const many = Array.from({ length: 1001 }, (_, i) => ({ person: { id: `p${i}` } }));
  t.equal((await call('POST', '/flows/signup/entry-points/web/participants', { participants: many })).status, 400, 'at most 1,000');
  t.equal((await call('POST', '/flows/signup/entry-points/web/participants', { participants: [] })).status, 400);
  const thousand = many.slice(0, 1000);
  t.equal((await call('POST', '/flows/signup/entry-points/web/participants', { participants: thousand })).json.accepted, 1000);
});

t.test('a blank external id (as exports write a missing one) names nobody: people sent with it are not merged into one', async (t) => {
  const { call, w } = await api(t, signupWorld());
  w.people.upsert({ id: 'kept', emails: ['kept@example.com'], standard: { externalId: 'crm-1' } });
  const r = await call('POST', '/flows/signup/entry-points/crm/participants', {
    participants: [
      { person: { standard: { externalId: '' }, emails: ['ana@example.com'] } },
      { person: { standard: { externalId: '' }, emails: ['ben@example.com'] } },
      { person: { standard: { externalId: '  ' } } },
      { person: { standard: { externalId: '' }, emails: ['kept@example.com'] } },
    ],
  });
  t.match(r.json.participants, [{ status: 'accepted' }, { status: 'accepted' }, { status: 'rejected', reason: 'JCT_PERSON_EMPTY' }, { status: 'accepted', personId: 'kept' }]);
  const [ana, ben] = [r.json.participants[0].personId, r.json.participants[1].personId];
  t.not(ana, ben, 'two people, not one');
  t.same(w.people.get(ben)!.emails, ['ben@example.com']);
  t.equal(w.people.get(ana)!.standard.externalId, undefined, 'no external id kept');
  t.equal(w.people.get('kept')!.standard.externalId, 'crm-1', 'a known one is not cleared');
});

t.test('an external id sent as a number finds the person it was stored for (as its digits)', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const url = '/flows/signup/entry-points/crm/participants';
  const first = await call('POST', url, { participants: [{ person: { standard: { externalId: 98765 }, emails: ['ana@example.com'] } }] });
  const id = first.json.participants[0].personId;
  t.equal(w.people.get(id)!.standard.externalId, '98765');
  const again = await call('POST', url, { participants: [{ person: { standard: { externalId: 98765 }, emails: ['ana.work@example.com'] } }, { person: { standard: { externalId: 98765 } } }] });
  t.match(again.json.participants, [{ personId: id, reason: 'JCT_PERSON_IN_FLOW' }, { personId: id, reason: 'JCT_PERSON_IN_FLOW' }], 'the same person, not a taken id nor an empty person');
  t.same(w.people.get(id)!.emails, ['ana@example.com', 'ana.work@example.com']);
});

t.test('an Idempotency-Key makes a retried call harmless', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const body = { participants: [{ person: { phones: ['+385912345678'] } }] };
  const first = await call('POST', '/flows/signup/entry-points/web/participants', body, undefined, { 'idempotency-key': 'order-1' });
  const again = await call('POST', '/flows/signup/entry-points/web/participants', body, undefined, { 'idempotency-key': 'order-1' });
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.same(again.json, first.json, 'the first answer, not a re-entry refusal');
  t.equal([...w.engine.participantsOf('signup', 1)].filter((p) => p.personId !== 'zed').length, 1);
  const both = await Promise.all(['p1', 'p2'].map(() => call('POST', '/flows/signup/entry-points/web/participants', { participants: [{ person: { id: 'zed' } }] }, undefined, { 'idempotency-key': 'order-3' })));
  t.same(both[0]!.json, both[1]!.json, 'a retry sent while the first call runs gets its answer');
  t.equal(both[0]!.json.accepted, 1);
  t.equal(both.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 1);
  const other = await call('POST', '/flows/signup/entry-points/web/participants', body, undefined, { 'idempotency-key': 'order-2' });
  t.equal(other.json.participants[0].reason, 'JCT_PERSON_IN_FLOW', 'a new key is a new call');
});

t.test('several Idempotency-Key headers: 400 JCT_IDEMPOTENCY_KEY, nobody added', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const r = await call('POST', '/flows/signup/entry-points/web/participants', { participants: [{ person: { id: 'ana' } }] }, undefined, { 'idempotency-key': ['order-1', 'order-2'] } as never);
  t.same([r.status, r.json.error.code], [400, 'JCT_IDEMPOTENCY_KEY']);
  t.match(r.json.error.message, /several Idempotency-Key headers/);
  t.same([...w.engine.participantsOf('signup', 1)], [], 'nobody was added');
});

t.test('an Idempotency-Key reused with another request is refused and adds nobody', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const url = '/flows/signup/entry-points/web/participants';
  await call('POST', url, { participants: [{ person: { id: 'ana' } }] }, undefined, { 'idempotency-key': 'order-1' });
  for (const body of [{ participants: [{ person: { id: 'ben' } }] }, { participants: [{ person: { id: 'ana' } }], callbackData: 'x' }]) {
    const reused = await call('POST', url, body, undefined, { 'idempotency-key': 'order-1' });
    t.same([reused.status, reused.json.error.code], [422, 'JCT_IDEMPOTENCY_KEY_REUSED'], JSON.stringify(body));
    t.match(reused.json.error.message, /was used with another request/);
    t.equal(reused.headers['idempotent-replayed'], undefined);
  }
  t.same([...w.engine.participantsOf('signup', 1)].map((p) => p.personId), ['ana'], 'ben was not added');
  const first = await call('POST', url, { participants: [{ person: { id: 'ana' } }] }, undefined, { 'idempotency-key': 'order-1' });
  t.equal(first.headers['idempotent-replayed'], 'true', 'the same request is still replayed');
  t.equal(first.json.requestHash, undefined, 'the hash is not shown');
});

t.test('an Idempotency-Key reused with another notifyUrl is refused; a report kept before notifyUrl counted still replays its request', async (t) => {
  const w = world();
  w.engine.save(flow('promo', [pauseDays('p', 1)]));
  w.engine.launch('promo');
  const { call, keys } = await api(t, w);
  const client = `App ${keys.create('crm', ['flow-api']).key}`;
  const send = (body: object, key: string, a = call) => a('POST', '/flows/promo/participants', body, client, { 'idempotency-key': key }, '/moments/1');
  const ann = { participants: [{ identifyBy: { identifier: 'ann@example.com', type: 'EMAIL' } }], callbackData: 'b' };
  const hook = (path: string) => `http://127.0.0.1:9/${path}`; // nobody listens: tests never leave the machine
  const first = await send({ ...ann, notifyUrl: hook('a') }, 'k1');
  for (const body of [{ ...ann, notifyUrl: hook('b') }, ann]) {
    const other = await send(body, 'k1');
    t.same([other.status, other.json.error?.code], [422, 'JCT_IDEMPOTENCY_KEY_REUSED'], `notifyUrl ${(body as { notifyUrl?: string }).notifyUrl}`);
  }
  const same = await send({ ...ann, notifyUrl: hook('a') }, 'k1');
  t.same([same.headers['idempotent-replayed'], same.json.operationId], ['true', first.json.operationId]);
  await send(ann, 'k2');
  t.equal((await send({ ...ann, notifyUrl: hook('a') }, 'k2')).status, 422, 'none first, one in the retry');

  await w.engine.close();
  const people = [{ person: { emails: ['ann@example.com'] }, ref: ann.participants[0]!.identifyBy }];
  const legacyHash = createHash('sha256').update(JSON.stringify({ people, entry: undefined, callbackData: 'b' })).digest('base64url');
  const journal = new GroupCommit(w.backend, { flushMs: 0 });
  journal.put('operation', 'before', { operationId: 'before', flowId: 'promo', at: w.clock.now(), participants: [], idempotencyKey: 'legacy', requestHash: legacyHash });
  await journal.durable();
  await journal.close();
  const store = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people: store, registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  const again = await api(t, { ...w, people: store, engine }, { keys });
  const replay = await send({ ...ann, notifyUrl: hook('a') }, 'legacy', again.call);
  t.same([replay.status, replay.headers['idempotent-replayed'], replay.json.operationId], [200, 'true', 'before'], 'its hash did not cover notifyUrl: the request it came with replays');
  t.equal((await send({ ...ann, callbackData: 'c' }, 'legacy', again.call)).status, 422, 'what its hash covered still counts');
  t.equal((await send({ ...ann, notifyUrl: hook('b') }, 'k1', again.call)).status, 422, 'a hash kept since, across the restart');
  await engine.close();
});

t.test('a retry whose objects list their fields in another order is the same request', async (t) => {
  const { call, w } = await api(t, signupWorld());
  const url = '/flows/signup/entry-points/web/participants';
  const first = await call('POST', url, { participants: [{ person: { emails: ['ana@example.com'], standard: { firstName: 'Ana', lastName: 'Horvat' } }, variables: { source: 'web' } }] }, undefined, { 'idempotency-key': 'order-9' });
  const retry = await call('POST', url, { participants: [{ variables: { source: 'web' }, person: { standard: { lastName: 'Horvat', firstName: 'Ana' }, emails: ['ana@example.com'] } }] }, undefined, { 'idempotency-key': 'order-9' });
  t.same([retry.status, retry.headers['idempotent-replayed'], retry.json.operationId], [200, 'true', first.json.operationId]);
  const reordered = await call('POST', url, { participants: [{ person: { emails: ['ana@example.com'], standard: { firstName: 'Horvat', lastName: 'Ana' } }, variables: { source: 'web' } }] }, undefined, { 'idempotency-key': 'order-9' });
  t.equal(reordered.status, 422, 'values moved between fields are another request');
  t.equal([...w.engine.participantsOf('signup', 1)].length, 1);
});

t.test('reports and idempotency keys survive a restart', async (t) => {
  const w = signupWorld();
  const { call, keys } = await api(t, w);
  const client = `Bearer ${keys.create('shop', ['flow-api']).key}`;
  const first = await call('POST', '/flows/signup/entry-points/web/participants', { participants: [{ person: { id: 'ana' } }] }, client, { 'idempotency-key': 'k' });
  await w.engine.close();
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  const again = await api(t, { ...w, people, engine }, { keys });
  t.same((await again.call('GET', `/flows/signup/participants/report?operationId=${first.json.operationId}`)).json, first.json);
  t.equal((await again.call('POST', '/flows/signup/entry-points/web/participants', { participants: [{ person: { id: 'ana' } }] }, client, { 'idempotency-key': 'k' })).headers['idempotent-replayed'], 'true');
  t.equal((await again.call('POST', '/flows/signup/entry-points/web/participants', { participants: [{ person: { id: 'ben' } }] }, client, { 'idempotency-key': 'k' })).json.error.code, 'JCT_IDEMPOTENCY_KEY_REUSED', 'the request it came with is kept too');
  await engine.close();
});

t.test('an Idempotency-Key is its API key\'s own: two clients sending the same one to a flow do not collide', async (t) => {
  const { call, keys, w } = await api(t, signupWorld());
  const [shop, crm] = ['shop', 'crm'].map((name) => `Bearer ${keys.create(name, ['flow-api']).key}`);
  const url = '/flows/signup/entry-points/web/participants';
  const first = await call('POST', url, { participants: [{ person: { id: 'ana' } }] }, shop, { 'idempotency-key': 'order-1' });
  const other = await call('POST', url, { participants: [{ person: { id: 'ben' } }] }, crm, { 'idempotency-key': 'order-1' });
  t.same([other.status, other.headers['idempotent-replayed'], other.json.participants.map((p: any) => [p.personId, p.status])], [200, undefined, [['ben', 'accepted']]], 'not the first client\'s report, nor a REUSED refusal');
  t.not(other.json.operationId, first.json.operationId);
  t.equal(other.json.caller, undefined, "the key's id stays inside");
  const retried = await call('POST', url, { participants: [{ person: { id: 'ben' } }] }, crm, { 'idempotency-key': 'order-1' });
  t.same([retried.headers['idempotent-replayed'], retried.json.operationId], ['true', other.json.operationId], 'each client still gets its own replay');
  const single = await call('POST', '/flows/signup/participants', { person: { id: 'cy' }, entry: 'web' }, crm, { 'idempotency-key': 'order-1' }, '');
  t.equal(single.status, 422, 'the one-person route reads the same keys: order-1 of crm came with another request');
  t.same([...w.engine.participantsOf('signup', 1)].map((p) => p.personId).sort(), ['ana', 'ben']);
  await w.engine.close();
  const journal = new GroupCommit(w.backend, { flushMs: 0 });
  journal.put('operation', 'before', { operationId: 'before', flowId: 'signup', at: w.clock.now(), participants: [], idempotencyKey: 'legacy', requestHash: 'x' });
  await journal.durable();
  await journal.close();
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  const again = await api(t, { ...w, people, engine }, { keys });
  const legacy = await again.call('POST', url, { participants: [{ person: { id: 'dee' } }] }, crm, { 'idempotency-key': 'legacy' });
  t.equal(legacy.json.error.code, 'JCT_IDEMPOTENCY_KEY_REUSED', 'a report kept before keys were scoped still answers its key');
  t.equal((await again.call('GET', '/flows/signup/participants/report?operationId=before', undefined, crm)).status, 200, 'and is still readable');
  await engine.close();
});

t.test('the commercial product’s add-participants request and report', async (t) => {
  const w = promoWorld({ variables: [{ name: 'orderNumber', type: 'text' }] });
  const { call, keys } = await api(t, w);
  const app = `App ${keys.create('crm', ['flow-api']).key}`;
  const { added: r, report } = await addThroughMoments(
    call,
    'promo',
    {
      participants: [
        { identifyBy: { identifier: '447911123456', type: 'PHONE' }, variables: { orderNumber: '1167873391' }, person: { externalId: 'crm-42', firstName: 'Jane', contactInformation: { email: [{ address: 'jane@example.com' }] } } },
        { identifyBy: { identifier: 'jane-line', type: 'LINE', sender: 'x' } },
      ],
      notifyUrl: 'http://127.0.0.1:9/hooks/flow-report', // nobody listens: tests never leave the machine
      callbackData: 'batch-7',
    },
    app,
  );
  t.equal(r.status, 200);
  t.same(Object.keys(r.json), ['operationId']);
  const jane = w.people.findByContact('+447911123456')!;
  t.match(jane, { standard: { firstName: 'Jane', externalId: 'crm-42' }, emails: ['jane@example.com'] });
  t.same(report.json, {
    operationId: r.json.operationId,
    campaignId: 'promo',
    callbackData: 'batch-7',
    participants: [
      { identifyBy: { identifier: '447911123456', type: 'PHONE' }, status: 'ACCEPTED' },
      { identifyBy: { identifier: 'jane-line', type: 'LINE', sender: 'x' }, status: 'REJECTED', errorReason: 'REJECTED_INVALID_CONTACT' },
    ],
  });
  t.equal((await call('POST', '/flows/promo/participants', { participants: [] }, app, {}, '/moments/1')).status, 400);
  const people = `App ${keys.create('crm', ['people']).key}`;
  t.equal((await call('GET', `/flows/promo/participants/report?operationId=${r.json.operationId}`, undefined, people, {}, '/moments/1')).status, 403);
});

t.test('each report route shows an operation in its own shape, whichever route made it', async (t) => {
  const w = world();
  w.engine.save(flow('promo', [pauseDays('p', 1)]));
  w.engine.launch('promo');
  const { call } = await api(t, w);
  const moments = await call('POST', '/flows/promo/participants', {
    participants: [{ identifyBy: { identifier: 'ann@example.com', type: 'EMAIL' } }, { identifyBy: { identifier: 'x', type: 'LINE' } }, { identifyBy: { identifier: '', type: 'PHONE' } }],
  }, undefined, {}, '/moments/1');
  const plain = await call('GET', `/flows/promo/participants/report?operationId=${moments.json.operationId}`);
  const ann = w.people.findByContact('ann@example.com')!;
  t.same(plain.json.participants, [
    { status: 'accepted', personId: ann.id, participantId: w.engine.journeysOf(ann.id)[0]!.id },
    { status: 'rejected', reason: 'JCT_PERSON_EMPTY', message: 'a person needs an id, an external id, a phone or an email' },
    { status: 'rejected', reason: 'JCT_CONTACT_INVALID', message: plain.json.participants[2].message },
  ], 'no identifyBy, nor any other field of the commercial shape');
  t.match(plain.json, { operationId: moments.json.operationId, flowId: 'promo', accepted: 1, rejected: 2 });

  const native = await call('POST', '/flows/promo/participants', { participants: [{ person: { emails: ['ben@example.com'] } }] });
  const commercial = await call('GET', `/flows/promo/participants/report?operationId=${native.json.operationId}`, undefined, undefined, {}, '/moments/1');
  t.same(commercial.json, { operationId: native.json.operationId, campaignId: 'promo', participants: [{ status: 'ACCEPTED' }] }, 'the commercial shape, with nothing of the other');
});

t.test('a flow that takes nobody now (scheduled, paused, canceled) refuses the whole call alike: 409 JCT_FLOW_STATUS naming its status, nothing written', async (t) => {
  const w = promoWorld({ schedule: { start: '2026-01-06T08:00' } }, world('2026-01-05T09:00:00Z'));
  const { call } = await api(t, w);
  const batch = (n: number) => call('POST', '/flows/promo/participants', { participants: [{ person: { emails: [`p${n}@example.com`] } }] });
  const single = (n: number) => call('POST', '/flows/promo/participants', { person: { emails: [`p${n}@example.com`] } }, undefined, {}, '');
  const keyed = (n: number) => call('POST', '/flows/promo/participants', { person: { emails: [`p${n}@example.com`] } }, undefined, { 'idempotency-key': `k${n}` }, '');
  const moments = (n: number) => call('POST', '/flows/promo/participants', { participants: [{ identifyBy: { identifier: `p${n}@example.com`, type: 'EMAIL' } }] }, undefined, {}, '/moments/1');
  const refusedAs = async (status: string) => {
    for (const [what, send] of Object.entries({ batch, single, keyed, moments })) {
      const r = await send(1);
      t.same([r.status, r.json.error.code, r.json.error.details], [409, 'JCT_FLOW_STATUS', { flowId: 'promo', version: 1, status }], `${status}: ${what}`);
    }
    t.equal(w.people.findByContact('p1@example.com'), undefined, `${status}: no profile was made`);
  };
  await refusedAs('scheduled');
  w.clock.advanceTo('2026-01-06T08:00:00Z');
  t.equal((await batch(2)).json.accepted, 1, 'active: added');
  w.engine.pause('promo');
  await refusedAs('paused');
  const retry = () => call('POST', '/flows/promo/participants', { participants: [{ person: { emails: ['p4@example.com'] } }] }, undefined, { 'idempotency-key': 'paused-1' });
  t.equal((await retry()).status, 409);
  w.engine.resume('promo');
  t.equal((await single(3)).status, 201, 'resumed: added');
  const later = await retry();
  t.same([later.status, later.headers['idempotent-replayed'], later.json.accepted], [200, undefined, 1], 'a retry with the key after the resume adds the person: the refusal kept no report to replay');
  w.engine.cancel('promo');
  await refusedAs('canceled');
});
