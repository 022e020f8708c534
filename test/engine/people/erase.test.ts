// Erasing a person (the `person.erase` input): their participants leave every flow at once, their
// profile, entry history, event history and seen elements go from memory and from the store
// (SQLite, checked after a restart), their engaged months keep counting under an anonymous id,
// their share of the every-version metrics stays as counts,
// the references their messages left (a late report or reply finds nobody), and the same phone
// can make a new person afterwards. Also the partition's person numbers:
// forgetting an id keeps every other id findable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit, type Table } from '../../../engine/store/journal.js';
import { SqliteBackend } from '../../../engine/store/sqlite.js';
import { VirtualClock } from '../../../engine/clock.js';
import { PersonNumbers } from '../../../engine/runtime/person-numbers.js';
import { eventsModule } from '../../../engine/events/index.js';
import { flow, pauseDays, registryWith, tag as tagNode, world } from '../helpers.js';
import { messagingModule } from '../../../engine/messaging/index.js';
import { sentMessage, sentRef } from '../../../engine/messaging/references.js';
import { linkRef } from '../../../engine/messaging/links.js';
import type { OutboundMessage } from '../../../engine/messaging/message.js';
import type { Module } from '../../../engine/module.js';

const WAIT_FOR_BUY = {
  id: 'buy',
  type: 'waitForEvent',
  config: { conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 3, unit: 'days' } },
  branches: { happened: 'end', notHappened: 'end' },
};

function engineOn(dir: string, clock: VirtualClock): { engine: Engine; people: MemoryPeopleStore; backend: SqliteBackend } {
  const backend = new SqliteBackend({ dir, synchronous: 'normal' });
  const people = new MemoryPeopleStore(clock);
  people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }] });
  const engine = new Engine({ clock, people, registry: registryWith([eventsModule]), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 4 });
  return { engine, people, backend };
}

t.test('an erased person leaves no trace but the counts, after a restart too', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-erase-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = new VirtualClock('2026-03-10T09:00:00Z');
  const a = engineOn(dir, clock);
  a.engine.save(flow('wait', [pauseDays('p', 5)]));
  a.engine.save(flow('buyer', [WAIT_FOR_BUY, { id: 'end', type: 'exit', config: {} }], { reentry: { enabled: false } }));
  a.engine.launch('wait');
  a.engine.launch('buyer');
  a.people.upsert({ id: 'ana', phones: ['+14155550100'], standard: { externalId: 'crm-1' }, tags: ['vip'] });
  a.people.upsert({ id: 'bob', phones: ['+14155550101'] });
  for (const id of ['ana', 'bob']) {
    await a.engine.enter('wait', id);
    await a.engine.enter('buyer', id);
  }
  await a.engine.event('ana', 'purchase', { orderId: 'o-1' });
  t.notOk((await a.engine.enter('buyer', 'ana')).entered, 'no re-entry');
  await a.engine.event('ana', 'purchase', { orderId: 'o-2' });
  t.equal(a.engine.journeysOf('ana').length, 1, 'ana waits in "wait" only');
  const before = a.engine.metrics('wait');

  const receipt = await a.engine.submit('ana', { kind: 'person.erase' });
  t.same(receipt.erased, { participants: 1, events: 2 });
  t.same(a.engine.journeysOf('ana'), []);
  t.equal(a.people.get('ana'), undefined);
  t.equal(a.people.findByContact('+14155550100'), undefined, 'the phone is free');
  t.equal(a.people.findByExternalId('crm-1'), undefined);
  t.same([...a.people.withTag('vip')], []);
  t.equal(a.engine.metrics('wait').profilesInFlow, before.profilesInFlow, 'counts stay');
  t.equal(a.engine.metrics('wait').activeParticipants, before.activeParticipants - 1);
  await t.rejects(a.engine.event('ana', 'purchase', { orderId: 'o-3' }), { code: 'JCT_PERSON_UNKNOWN' });
  await t.rejects(a.engine.submit('ana', { kind: 'person.erase' }), { code: 'JCT_PERSON_UNKNOWN' }, 'erasing twice: unknown');
  await a.engine.close();

  const stored = (table: Table) => [...a.backend.load(table)].map(([k]) => k);
  for (const table of ['person', 'participant', 'history', 'seen', 'event'] as const) {
    t.notOk(stored(table).some((k) => k.includes('ana')), `no "${table}" row names ana`);
  }
  t.ok(stored('engaged').some((k) => k.includes('erased-')), 'the month counts an anonymous person');
  a.backend.close();

  const b = engineOn(dir, clock);
  b.engine.recover(b.backend);
  t.equal(b.people.get('ana'), undefined);
  t.same(b.engine.journeysOf('ana'), []);
  t.equal(b.engine.journeysOf('bob').length, 2, 'bob is untouched');
  t.equal(b.engine.engagedReport('2026-03').total, 2);
  b.people.upsert({ id: 'cy' });
  t.same((await b.engine.submit('cy', { kind: 'person.erase' })).erased, { participants: 0, events: 0 }, 'one who never entered a flow: only the profile goes');
  const again = b.people.upsert({ id: 'ana', phones: ['+14155550100'] });
  t.equal(again.id, 'ana', 'the same id and phone make a new person');
  const entered = await b.engine.enter('buyer', 'ana');
  t.ok(entered.entered, 'who enters anew, with no history: the caps of the old one are gone');
  await b.engine.event('ana', 'purchase', { orderId: 'o-4' });
  t.equal(b.engine.journeysOf('ana').length, 0, 'a new purchase moves the new participant on');
  await b.engine.close();
  b.backend.close();
});

t.test('every version together keeps counting an erased person once, after a restart too', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-erase-all-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = new VirtualClock('2026-03-10T09:00:00Z');
  const a = engineOn(dir, clock);
  const settings = { goal: { event: 'purchase' }, reentry: { enabled: true } };
  a.engine.save(flow('f', [pauseDays('p', 1, 't'), tagNode('t', 'v1')], settings));
  a.engine.launch('f');
  for (const id of ['ana', 'bob']) {
    a.people.upsert({ id });
    await a.engine.enter('f', id);
  }
  a.engine.save(flow('f', [pauseDays('p', 1, 'n'), tagNode('n', 'v2')], settings));
  a.engine.launch('f');
  clock.advance(86_400_000);
  await a.engine.enter('f', 'ana');
  await a.engine.event('ana', 'purchase', { orderId: 'o-1' });
  clock.advance(86_400_000);
  await a.engine.idle();
  const figures = (e: Engine) => {
    const all = e.metricsAllVersions('f');
    return { people: all.profilesInFlow, goals: all.goalPerformers, percent: all.goalPercentage, unique: Object.fromEntries(all.elements.map((x) => [x.id, x.uniqueUsersEngaged])) };
  };
  const before = figures(a.engine);
  t.match(before, { people: 2, goals: 1, unique: { p: 2, t: 2, n: 1 } });
  await a.engine.submit('ana', { kind: 'person.erase' });
  t.same(figures(a.engine), before, 'the erased person still counts, once');
  await a.engine.close();
  a.backend.close();

  const b = engineOn(dir, clock);
  b.engine.recover(b.backend);
  t.same(figures(b.engine), before, 'after a restart');
  await b.engine.submit('bob', { kind: 'person.erase' });
  t.same(figures(b.engine), before, 'a second erased person adds to the first');
  await b.engine.close();
  b.backend.close();
});

t.test('person numbers: forgetting ids keeps every other id and number findable', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { minLength: 1000, maxLength: 4000 }), (ops) => {
      const numbers = new PersonNumbers();
      const model = new Map<string, number>();
      for (const [add, n] of ops) {
        const id = `p${n}`;
        if (add) model.set(id, model.get(id) ?? numbers.numberOf(id));
        else {
          numbers.forget(id);
          model.delete(id);
        }
      }
      for (let n = 0; n <= 3000; n++) if (numbers.find(`p${n}`) !== model.get(`p${n}`)) return false;
      return true;
    }),
    { numRuns: 40 },
  );
  t.end();
});

t.test("an erased person's message references go too: none keeps their phone or id, none reaches one who takes their id again", async (t) => {
  let sent = 0;
  const provider: Module = { name: 't', effects: [{ kind: 'message.send', perform: (effect) => sentMessage('t', effect as unknown as OutboundMessage, `M${++sent}`, { [`L${sent}`]: `https://example.com/${sent}` }) }] };
  const w = world({ modules: [messagingModule, provider] });
  w.engine.save({
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'hello' } }],
    elements: [
      { id: 'hello', type: 'sendSms', config: { from: '+385800100', text: 'hi' }, branches: { next: 'p' } },
      pauseDays('p', 30),
    ],
    settings: {},
  });
  w.engine.launch('f');
  for (const [id, phone] of [['ana', '+385911234567'], ['bob', '+385911234568']]) {
    await w.engine.submit(id!, { kind: 'flow.enter', flowId: 'f', person: { id, phones: [phone!] } });
  }
  await w.engine.idle();
  t.equal(w.backend.tables.get('ref')!.size, 6, 'each message: its provider id, its reply reference and its tracked link');

  await w.engine.submit('ana', { kind: 'person.erase' });
  const refs = [...w.backend.tables.get('ref')!];
  t.notOk(refs.some(([key, row]) => key.includes('+385911234567') || JSON.stringify(row).includes('"ana"')), 'no stored reference names ana or her phone');
  t.equal(w.engine.reference(sentRef('t', 'M1')), undefined, 'her message is forgotten');
  t.equal(w.engine.reference(sentRef('t', 'M2'))?.personId, 'bob', "bob's is kept");
  t.match(w.engine.reference(linkRef('L1')), { personId: '', data: { url: 'https://example.com/1' } }, 'her tracked link still leads where it did, for nobody');
  t.same(w.backend.tables.get('ref')!.get(linkRef('L1')), w.engine.reference(linkRef('L1')), 'so it is stored');

  w.people.upsert({ id: 'ana', phones: ['+385911234567'] });
  await w.engine.submit('', { kind: 'message.click', code: 'L1' });
  await w.engine.submit('ana', { kind: 'message.status', report: { provider: 't', providerMessageId: 'M1', status: 'delivered', providerStatus: 'delivered', at: w.clock.now() } });
  t.same(w.engine.metrics('f').elements.find((e) => e.id === 'hello')!.counters, { 'sms:sent': 2 }, "a late report or click on the erased person's message is not the new ana's, nor counted");
});
