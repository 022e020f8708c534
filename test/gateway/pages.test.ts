// The list routes a page at a time (GET /do-not-contact, /flows, /segments, /templates): the
// first page, `next` followed to the end giving every entry once, `total` on every page, a bad
// cursor, the limit's bounds, entries added and removed between two pages; and the engaged
// persons CSV, streamed with the same bytes as before.
import t, { type Test } from 'tap';
import { flow, pauseDays } from '../engine/helpers.js';
import { api, type Api } from './api-helper.js';

/** Every page of a list from `path`, `limit` at a time, following `next`; `between` runs after each page. */
async function walk(call: Api['call'], path: string, field: string, limit: number, between: (page: number) => void | Promise<void> = () => {}) {
  const pages: any[] = [];
  let after: string | undefined;
  do {
    const answer = await call('GET', `${path}?limit=${limit}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text}`);
    pages.push(answer.json);
    after = answer.json.next;
    await between(pages.length);
  } while (after !== undefined && pages.length < 100);
  return { pages, entries: pages.flatMap((p) => p[field]) };
}

/** The cursor and limit checks every paged route makes. */
async function checksQuery(t: Test, call: Api['call'], path: string) {
  for (const after of ['not a cursor!', 'YQ==', '%FF']) {
    t.match(await call('GET', `${path}?after=${encodeURIComponent(after)}`), { status: 400, json: { error: { code: 'JCT_CURSOR_INVALID' } } }, `${path}: after=${after} is no cursor`);
  }
  for (const limit of ['0', '10001', '-1', 'x']) t.equal((await call('GET', `${path}?limit=${limit}`)).status, 400, `${path}: limit=${limit}`);
  t.equal((await call('GET', `${path}?limit=10000`)).status, 200, `${path}: limit=10000 is the most`);
  t.equal((await call('GET', `${path}?after=${Buffer.from('\uffff\uffff').toString('base64url')}`)).json.next, undefined, `${path}: past the end, an empty page`);
}

t.test('do-not-contact: 1,000 by default, every entry once, by channel then contact; changes between pages', async (t) => {
  const { call, w } = await api(t);
  const phone = (i: number) => `+38591${String(1_000_000 + i)}`;
  for (let i = 0; i < 2500; i++) w.people.addDoNotContact({ channel: 'sms', contact: phone(i), senders: [] });
  const first = (await call('GET', '/do-not-contact')).json;
  t.equal(first.entries.length, 1000, 'a page holds 1,000 by default');
  t.equal(first.total, 2500);
  t.same(first.entries[0], { channel: 'sms', contact: phone(0), senders: [] });
  t.type(first.next, 'string', 'more follow');

  const all = await walk(call, '/do-not-contact', 'entries', 700);
  t.same(all.entries.map((e: any) => e.contact), Array.from({ length: 2500 }, (_, i) => phone(i)), 'each entry once, in order');
  t.same(all.pages.map((p) => p.total), [2500, 2500, 2500, 2500], 'the total on every page');
  t.equal(all.pages.at(-1).next, undefined, 'no next on the last page');

  const changed = await walk(call, '/do-not-contact', 'entries', 1000, (page) => {
    if (page !== 1) return;
    w.people.removeDoNotContact({ channel: 'sms', contact: phone(10), senders: [] }); // seen already
    w.people.removeDoNotContact({ channel: 'sms', contact: phone(999), senders: [] }); // the cursor's own entry
    w.people.removeDoNotContact({ channel: 'sms', contact: phone(1500), senders: [] }); // not seen yet
    w.people.addDoNotContact({ channel: 'email', contact: 'ana@example.com', senders: [] }); // sorts before the cursor
    w.people.addDoNotContact({ channel: 'sms', contact: '+385919999999', senders: [] }); // sorts after it
  });
  const contacts = changed.entries.map((e: any) => e.contact);
  t.equal(new Set(contacts).size, contacts.length, 'nobody twice');
  t.equal(contacts.length, 2500 - 1 + 1, 'everyone of the first page, then everyone still there past it');
  t.notOk(contacts.includes(phone(1500)), 'removed before its page: not shown');
  t.ok(contacts.includes('+385919999999'), 'added past the cursor: shown');
  t.notOk(contacts.includes('ana@example.com'), 'added before the cursor: on no later page');
  t.equal(changed.pages.at(-1).total, 2500 - 3 + 2);
  await checksQuery(t, call, '/do-not-contact');
});

t.test('flows: by id, a page at a time; added and deleted between pages', async (t) => {
  const { call, w } = await api(t);
  for (const id of ['f5', 'f1', 'f3', 'f2', 'f4']) w.engine.save(flow(id, [pauseDays('p', 1)]));
  w.engine.launch('f2');
  const first = (await call('GET', '/flows?limit=2')).json;
  t.same(first.flows.map((f: any) => f.id), ['f1', 'f2']);
  t.match(first, { total: 5, next: String, flows: [{ id: 'f1', version: 1, status: 'draft', latestVersion: 1 }, { id: 'f2', status: 'active' }] });
  t.equal(first.flows[0].definition, undefined, 'the list carries no definitions');
  t.same((await walk(call, '/flows', 'flows', 2)).entries.map((f: any) => f.id), ['f1', 'f2', 'f3', 'f4', 'f5']);
  const changed = await walk(call, '/flows', 'flows', 2, (page) => {
    if (page !== 1) return;
    w.engine.deleteDraft('f3');
    w.engine.save(flow('f0', [pauseDays('p', 1)]));
    w.engine.save(flow('f9', [pauseDays('p', 1)]));
  });
  t.same(changed.entries.map((f: any) => f.id), ['f1', 'f2', 'f4', 'f5', 'f9'], 'f3 deleted, f0 before the cursor, f9 after it');
  t.same(changed.pages.map((p) => p.total), [5, 6, 6]);
  t.same((await call('GET', '/flows')).json.flows.map((f: any) => f.id), ['f0', 'f1', 'f2', 'f4', 'f5', 'f9'], 'one page holds them all by default');
  await checksQuery(t, call, '/flows');
});

t.test('segments: by id, a page at a time; added between pages', async (t) => {
  const { call } = await api(t);
  for (const id of ['vip', 'all', 'new', 'gold']) t.equal((await call('POST', '/segments', { id, name: id, kind: 'static', members: [] })).status, 201);
  const first = (await call('GET', '/segments?limit=3')).json;
  t.same(first, { total: 4, segments: ['all', 'gold', 'new'].map((id) => ({ id, name: id, kind: 'static', size: 0 })), next: first.next });
  const changed = await walk(call, '/segments', 'segments', 3, async (page) => {
    if (page === 1) for (const id of ['aaa', 'zzz']) await call('POST', '/segments', { id, name: id, kind: 'static', members: [] });
  });
  t.same(changed.entries.map((s: any) => s.id), ['all', 'gold', 'new', 'vip', 'zzz']);
  t.same(changed.pages.map((p) => p.total), [4, 6]);
  await checksQuery(t, call, '/segments');
});

t.test('templates: by id, a page at a time; saved and deleted between pages', async (t) => {
  const { call, w } = await api(t);
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  for (const id of ['t3', 't1', 't2', 't4']) w.engine.saveTemplate('f', id);
  t.same((await walk(call, '/templates', 'templates', 1)).entries.map((x: any) => x.id), ['t1', 't2', 't3', 't4']);
  const changed = await walk(call, '/templates', 'templates', 2, (page) => {
    if (page !== 1) return;
    w.engine.deleteTemplate('t3');
    w.engine.saveTemplate('f', 't0');
    w.engine.saveTemplate('f', 't5');
  });
  t.same(changed.entries.map((x: any) => x.id), ['t1', 't2', 't4', 't5']);
  t.match((await call('GET', '/templates')).json, { total: 5, templates: [{ id: 't0', name: 'f', builtIn: false }] });
  await checksQuery(t, call, '/templates');
});

t.test('the engaged persons CSV is streamed: the same bytes, sent in chunks', async (t) => {
  const { call, w } = await api(t);
  w.engine.save({ ...flow('a', [pauseDays('p', 1)]), name: 'Flow, "a"' });
  w.engine.launch('a');
  const ids = Array.from({ length: 1200 }, (_, i) => (i === 7 ? '=cmd' : `p${String(i).padStart(4, '0')}`));
  for (const id of ids) {
    w.people.upsert({ id });
    await w.engine.enter('a', id);
  }
  const answer = await call('GET', '/reports/engaged?month=2026-01&format=csv');
  const at = '2026-01-05T09:00:00.000Z';
  const rows = [...ids].sort().map((id) => `${id.startsWith('=') ? `'${id}` : id},${at},a,"Flow, ""a"""`);
  t.equal(answer.text, `\ufeffpersonId,engagedAt,flowId,flowName\r\n${rows.join('\r\n')}\r\n`, 'a byte order mark, the header, everyone, each line ended');
  t.match(answer.headers, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="engaged-2026-01.csv"', 'transfer-encoding': 'chunked' });
  const empty = await call('GET', '/reports/engaged?month=2025-12&format=csv');
  t.equal(empty.text, '\ufeffpersonId,engagedAt,flowId,flowName\r\n', 'a month without anyone: the header alone');
});
