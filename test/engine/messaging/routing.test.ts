// Inbound messages through the engine: Inbound Message entry points start flows by keyword
// priority, waits take replies, keywords interrupt interruptible waits, retries of one
// provider message are applied once, unknown senders get a profile only when a flow starts.
import t from 'tap';
import { flow, registryWith, world, type World } from '../helpers.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit } from '../../../engine/store/journal.js';
import { messagingModule } from '../../../engine/messaging/index.js';
import type { InboundMessage } from '../../../engine/messaging/message.js';
import type { Effect } from '../../../engine/vocabulary.js';
import { EffectFailure } from '../../../engine/errors.js';
import type { Module } from '../../../engine/module.js';
import { sentMessage } from '../../../engine/messaging/references.js';
import twilio from '../../../channels/twilio/index.js';
import metaWhatsApp from '../../../channels/meta-whatsapp/index.js';
import type { OutboundMessage } from '../../../engine/messaging/message.js';

const NUMBER = '+385800100';
let ids = 0;

function sms(from: string, text: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'sms', provider: 'test', from, to: NUMBER, text, media: [], providerMessageId: `m${++ids}`, receivedAt: 0, ...extra };
}

/** A provider that accepts every SMS and answers with an id; `sent` records each message. */
function testProvider(sent: Effect[]): Module {
  return { name: 'test-sms', effects: [{ kind: 'message.send', perform: (effect) => (sent.push(effect), { providerMessageId: `out-${sent.length}` }) }] };
}

function messagingWorld(): World & { sent: Effect[]; receive(m: InboundMessage): ReturnType<World['engine']['submit']> } {
  const sent: Effect[] = [];
  const w = world({ modules: [messagingModule, testProvider(sent)] });
  const receive = (m: InboundMessage) => w.engine.submit(w.engine.personKey({ phones: [m.from] }), { kind: 'message.inbound', message: m });
  return Object.assign(w, { sent, receive });
}

const entry = (id: string, condition: unknown, next: string) => ({ id, type: 'inboundMessage', config: { channel: 'sms', number: NUMBER, condition }, branches: { next } });

function chat(id: string, entries: unknown[], extra: { keywords?: 'ignore' } = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id,
    name: id,
    entryPoints: entries,
    elements: [
      { id: 'hello', type: 'sendSms', config: { from: NUMBER, text: `hi from ${id}` }, branches: { next: 'ask' } },
      {
        id: 'ask',
        type: 'evaluateInboundMessage',
        config: { channel: 'sms', number: NUMBER, branches: [{ name: 'yes', condition: { operator: 'matchesText', values: ['yes'] } }], timeout: { amount: 1, unit: 'hours' }, ...extra },
        branches: { yes: 'tag', noMatch: 'ask' },
      },
      { id: 'tag', type: 'addTag', config: { tags: [`${id}-yes`] } },
    ],
    settings: { variables: [{ name: 'LastInboundMessage', type: 'text' }] },
  };
}

function launch(w: World, doc: Record<string, unknown>): void {
  w.engine.save(doc);
  w.engine.launch(doc['id'] as string);
}

const pathOf = (w: World, flowId: string, personId: string) =>
  w.steps.filter((s) => s.flow.id === flowId && s.participant.personId === personId).flatMap((s) => s.result.visited.map((i) => s.flow.nodes[i]!.id));

t.test('a keyword starts its flow for an unknown sender, who gets a profile; the reply goes to the wait', async (t) => {
  const w = messagingWorld();
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  const first = await w.receive(sms('+385911111111', ' join '));
  t.match(first, { entered: true, delivered: 0 });
  const person = w.people.findByContact('+385911111111')!;
  t.ok(person, 'the sender now has a profile');
  await w.engine.idle();
  t.match(w.sent, [{ kind: 'message.send', channel: 'sms', from: NUMBER, to: '+385911111111', text: 'hi from club' }]);
  const reply = await w.receive(sms('+385911111111', 'YES'));
  t.match(reply, { delivered: 1 });
  t.same(pathOf(w, 'club', person.id), ['join', 'hello', 'ask', 'tag', 'tag.next.exit']);
  t.ok(w.people.get(person.id)!.tags.includes('club-yes'));
  const nobody = await w.receive(sms('+385912222222', 'hello'));
  t.same(nobody, { personId: nobody.personId, delivered: 0 }, 'no rule matches: nothing happens');
  t.notOk(w.people.findByContact('+385912222222'), 'and no profile is created');
});

t.test('exact keywords beat Anything across flows; ties go to the flow active first', async (t) => {
  const w = messagingWorld();
  launch(w, chat('anything', [entry('any', { operator: 'anything' }, 'hello')]));
  w.clock.advance(1000);
  launch(w, chat('promo', [entry('kw', { operator: 'matchesText', values: ['PROMO'] }, 'hello')]));
  w.clock.advance(1000);
  launch(w, chat('promo-late', [entry('kw', { operator: 'matchesText', values: ['promo'] }, 'hello')]));
  await w.receive(sms('+385911111111', 'promo'));
  await w.receive(sms('+385913333333', 'what is this'));
  const a = w.people.findByContact('+385911111111')!.id;
  const b = w.people.findByContact('+385913333333')!.id;
  t.same(pathOf(w, 'promo', a).slice(0, 1), ['kw']);
  t.same(pathOf(w, 'promo-late', a), [], 'the later flow with the same keyword loses the tie');
  t.same(pathOf(w, 'anything', b).slice(0, 1), ['any']);
});

t.test('a keyword interrupts a wait in another flow unless that wait ignores keywords; Anything never does', async (t) => {
  const w = messagingWorld();
  launch(w, chat('survey', [entry('start', { operator: 'matchesText', values: ['SURVEY'] }, 'hello')]));
  launch(w, chat('stubborn', [entry('start', { operator: 'matchesText', values: ['STUBBORN'] }, 'hello')], { keywords: 'ignore' }));
  launch(w, chat('other', [entry('start', { operator: 'matchesText', values: ['OTHER'] }, 'hello'), entry('any', { operator: 'anything' }, 'hello')]));
  await w.receive(sms('+385911111111', 'SURVEY'));
  const ana = w.people.findByContact('+385911111111')!.id;
  const moved = await w.receive(sms('+385911111111', 'OTHER'));
  t.match(moved, { entered: true });
  const interrupted = w.steps.find((s) => s.flow.id === 'survey' && s.participant.exitReason === 'interrupted');
  t.ok(interrupted, 'the survey wait ended as interrupted');
  const reply = await w.receive(sms('+385911111111', 'no idea'));
  t.match(reply, { delivered: 1 }, 'Anything does not interrupt: the waiting flow gets the text');
  await w.receive(sms('+385914444444', 'STUBBORN'));
  const ivo = w.people.findByContact('+385914444444')!.id;
  const kept = await w.receive(sms('+385914444444', 'SURVEY'));
  t.match(kept, { delivered: 1 }, 'a wait that ignores keywords keeps the message');
  t.same(pathOf(w, 'survey', ivo), [], 'and the keyword does not start its flow');
  t.notOk(pathOf(w, 'survey', ana).includes('tag'));
});

t.test('a retry of the same provider message is applied once and gets the same receipt', async (t) => {
  const w = messagingWorld();
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  const m = sms('+385911111111', 'JOIN');
  const first = await w.receive(m);
  const again = await w.receive(m);
  t.match(again, { ...first, duplicate: true });
  await w.engine.idle();
  t.equal(w.sent.length, 1, 'one reply only');
  t.equal(w.backend.tables.get('dedup')!.size, 1, 'the key is journaled');
  const other = await w.receive({ ...m, to: '+385800999' });
  t.notOk(other.duplicate, 'the same id to another of our numbers is another message');
});

t.test('replies go to the phone the person wrote from, not to their first phone', async (t) => {
  const sent: Effect[] = [];
  const provider: Module = { name: 'test-sms', effects: [{ kind: 'message.send', perform: (effect) => (sent.push(effect), sentMessage('test', effect as unknown as OutboundMessage, `out-${sent.length}`)) }] };
  const w = world({ modules: [messagingModule, provider] });
  const doc = chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]);
  const elements = doc['elements'] as Record<string, unknown>[];
  elements[0]!['branches'] = { next: 'again' };
  elements.push({ id: 'again', type: 'sendSms', config: { from: NUMBER, text: 'and again' }, branches: { next: 'ask' } });
  elements[2] = { id: 'tag', type: 'sendSms', config: { from: NUMBER, text: 'thanks' } };
  launch(w, doc);
  const ana = w.people.upsert({ phones: ['+385911111111', '+385922222222'] }).id;
  await w.engine.submit(ana, { kind: 'message.inbound', message: sms('+385922222222', 'JOIN') });
  await w.engine.idle();
  await w.engine.submit(ana, { kind: 'message.inbound', message: sms('+385922222222', 'yes') });
  await w.engine.idle();
  t.same(
    sent.map((e) => [e['text'], e['to']]),
    [
      ['hi from club', '+385922222222'],
      ['and again', '+385922222222'],
      ['thanks', '+385922222222'],
    ],
  );
});

t.test('a keyword from a sender that cannot be a contact (a short code) starts nothing and is not refused', async (t) => {
  const w = messagingWorld();
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  const receipt = await w.receive(sms('12345', 'JOIN'));
  t.match(receipt, { delivered: 0, entered: false, reason: 'JCT_CONTACT_INVALID' });
  await w.engine.idle();
  t.equal(w.sent.length, 0);
  t.equal(w.people.size(), 0, 'no profile');
  t.same([...w.engine.refusedInputs], [['message.inbound JCT_CONTACT_INVALID', 1]], 'counted, for the metric of refused inputs');
});

t.test('a send from a sender no provider lists fails, naming the sender and the setting', async (t) => {
  const w = world({ modules: [messagingModule, twilio], settings: { twilio: { numbers: ['+15550100'] } } });
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  await w.engine.submit(w.engine.personKey({ phones: ['+385911111111'] }), { kind: 'message.inbound', message: sms('+385911111111', 'JOIN') });
  await w.engine.idle();
  t.match(w.logs, [{ level: 'error', obj: { effect: 'message.send', code: 'JCT_EFFECT_UNKNOWN' }, msg: 'no module performs "message.send" on sms from +385800100: no provider that sends sms lists this sender in its "numbers" setting' }]);
});

t.test('a send from a sender only a provider of another channel lists fails, saying which channel is missing', async (t) => {
  const w = world({ modules: [messagingModule, metaWhatsApp], settings: { 'meta-whatsapp': { numbers: [NUMBER] } } });
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  await w.engine.submit(w.engine.personKey({ phones: ['+385911111111'] }), { kind: 'message.inbound', message: sms('+385911111111', 'JOIN') });
  await w.engine.idle();
  t.match(w.logs, [{ level: 'error', obj: { code: 'JCT_EFFECT_UNKNOWN' }, msg: 'no module performs "message.send" on sms from +385800100: no provider that sends sms lists this sender in its "numbers" setting' }]);
});

t.test('a send to a blocked contact is not sent and takes notSent', async (t) => {
  const w = messagingWorld();
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  w.people.addDoNotContact({ channel: 'sms', contact: '+385911111111', senders: [NUMBER] });
  await w.receive(sms('+385911111111', 'JOIN'));
  await w.engine.idle();
  t.equal(w.sent.length, 0);
  const ana = w.people.findByContact('+385911111111')!.id;
  t.same(pathOf(w, 'club', ana), ['join', 'hello', 'hello.notSent.exit']);
  t.match(w.engine.metrics('club').elements.find((e) => e.id === 'hello'), { failures: 1 });
});

t.test('a send in the same step as removals from the do-not-contact list is blocked as the list ends up: lifting one sender does not lift a block on every sender', async (t) => {
  const sent: Effect[] = [];
  const w = world({ modules: [messagingModule, testProvider(sent)] });
  w.people.addDoNotContact({ channel: 'sms', contact: '+385911111111', senders: [] });
  launch(w, flow('optout', [
    { id: 'lift', type: 'removeFromDoNotContact', config: { channels: [{ channel: 'sms', senders: [NUMBER] }] }, branches: { next: 'hello' } },
    { id: 'hello', type: 'sendSms', config: { from: NUMBER, text: 'hi' } },
  ]));
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'optout', person: { id: 'ana', phones: ['+385911111111'] } });
  await w.engine.idle();
  t.ok(w.people.isBlocked('sms', '+385911111111', NUMBER), 'the list blocks the sender');
  t.same(sent, [], 'so the send in the same step was not made');
});

t.test('after a restart a waiting participant still takes the reply, and retries are still recognised until the window ends', async (t) => {
  const w = messagingWorld();
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  const join = sms('+385911111111', 'JOIN');
  await w.receive(join);
  await w.engine.idle();
  await w.engine.close();
  const sent: Effect[] = [];
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry: registryWith([messagingModule, testProvider(sent)]), journal: new GroupCommit(w.backend, { flushMs: 0 }), dedupWindowMs: 3600_000 });
  engine.recover(w.backend);
  const key = people.findByContact('+385911111111')!.id;
  t.match(await engine.submit(key, { kind: 'message.inbound', message: join }), { duplicate: true }, 'the retry of JOIN is recognised after the restart');
  t.match(await engine.submit(key, { kind: 'message.inbound', message: sms('+385911111111', 'yes') }), { delivered: 1 });
  await engine.idle();
  t.ok(people.get(key)!.tags.includes('club-yes'));
  w.clock.advance(2 * 3600_000);
  t.notOk((await engine.submit(key, { kind: 'message.inbound', message: join })).duplicate, 'past the window the same id is a new message');
  t.equal(w.backend.tables.get('dedup')!.size, 1, 'expired keys leave the store');
  await engine.close();
});

t.test('the phone the person wrote from is kept across a pause, a restart and a failover’s delivery report', async (t) => {
  const sent: Effect[] = [];
  const provider = (): Module => ({ name: 'test-sms', effects: [{ kind: 'message.send', perform: (effect) => (sent.push(effect), sentMessage('test', effect as unknown as OutboundMessage, `out-${sent.length}`)) }] });
  const w = world({ modules: [messagingModule, provider()] });
  launch(w, {
    schemaVersion: 1,
    id: 'later',
    name: 'later',
    entryPoints: [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'wait')],
    elements: [
      { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'hours' } }, branches: { next: 'tell' } },
      { id: 'tell', type: 'failover', config: { first: { channel: 'whatsapp', from: NUMBER, text: 'Shipped' }, then: { channel: 'sms', from: NUMBER, text: 'Shipped' } }, branches: { delivered: 'bye', failedOver: 'bye' } },
      { id: 'bye', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'hours' } }, branches: { next: 'thanks' } },
      { id: 'thanks', type: 'sendSms', config: { from: NUMBER, text: 'Thanks' } },
    ],
  });
  const ana = w.people.upsert({ phones: ['+385911111111', '+385922222222'] }).id;
  await w.engine.submit(ana, { kind: 'message.inbound', message: sms('+385922222222', 'JOIN') });
  await w.engine.idle();
  await w.engine.close();
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry: registryWith([messagingModule, provider()]), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  w.clock.advance(3600_000);
  await engine.idle();
  t.same(sent.map((e) => [e['channel'], e['to']]), [['whatsapp', '+385922222222']], 'after the pause and the restart');
  await engine.submit(ana, { kind: 'message.status', report: { provider: 'test', providerMessageId: 'out-1', status: 'failed', providerStatus: 'failed', at: w.clock.now() } });
  await engine.idle();
  w.clock.advance(3600_000);
  await engine.idle();
  t.same(
    sent.map((e) => [e['channel'], e['text'], e['to']]),
    [
      ['whatsapp', 'Shipped', '+385922222222'],
      ['sms', 'Shipped', '+385922222222'],
      ['sms', 'Thanks', '+385922222222'],
    ],
    'the failover’s second message and a later send go there too',
  );
  await engine.close();
});

t.test('a flow not started by a message sends to the first phone', async (t) => {
  const sent: Effect[] = [];
  const w = world({ modules: [messagingModule, testProvider(sent)] });
  launch(w, flow('notify', [{ id: 'hello', type: 'sendSms', config: { from: NUMBER, text: 'hi' } }]));
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'notify', person: { id: 'ana', phones: ['+385911111111', '+385922222222'] } });
  await w.engine.idle();
  t.same(sent.map((e) => e['to']), ['+385911111111']);
});

t.test('STOP: the person is added to the do-not-contact list and still gets the confirmation sent right after; later sends are blocked', async (t) => {
  const w = messagingWorld();
  launch(w, {
    schemaVersion: 1,
    id: 'optout',
    name: 'optout',
    entryPoints: [entry('stop', { operator: 'matchesText', values: ['STOP'] }, 'block')],
    elements: [
      { id: 'block', type: 'addToDoNotContact', config: { channels: [{ channel: 'sms' }] }, branches: { next: 'confirm' } },
      { id: 'confirm', type: 'sendSms', config: { from: NUMBER, text: 'You have been unsubscribed.' }, branches: { next: 'end', failed: 'end', notSent: 'end' } },
      { id: 'end', type: 'exit', config: {} },
    ],
  });
  launch(w, { ...chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]) });
  await w.receive(sms('+385912222222', 'STOP'));
  await w.engine.idle();
  t.match(w.sent, [{ to: '+385912222222', text: 'You have been unsubscribed.' }], 'the confirmation goes');
  t.ok(w.people.isBlocked('sms', '+385912222222', NUMBER), 'the block holds after the step');
  await w.receive(sms('+385912222222', 'JOIN'));
  await w.engine.idle();
  t.equal(w.sent.length, 1, 'a later send to them is not made');
});

t.test('a send the provider refuses takes failed and is counted: the element\'s failure with its code, and <channel>:failed', async (t) => {
  const refusing: Module = { name: 'refusing-sms', effects: [{ kind: 'message.send', perform: () => { throw new EffectFailure('JCT_PROVIDER_REFUSED', 'the number is not reachable', false); } }] };
  const w = world({ modules: [messagingModule, refusing] });
  launch(w, flow('notice', [
    { id: 'hello', type: 'sendSms', config: { from: NUMBER, text: 'hi' }, branches: { next: 'end', failed: 'end', notSent: 'end' } },
    { id: 'end', type: 'exit', config: {} },
  ]));
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'notice', person: { id: 'ana', phones: ['+385911111111'] } });
  await w.engine.idle();
  t.match(w.engine.metrics('notice').elements.find((e) => e.id === 'hello'), { failures: 1, counters: { 'sms:failed': 1 } });
  t.match(w.steps.at(-1)!.result.failures, [{ code: 'JCT_PROVIDER_REFUSED' }]);
});

t.test('a reply that comes while its flow is paused reaches the wait at resume, once', async (t) => {
  const w = messagingWorld();
  launch(w, chat('club', [entry('join', { operator: 'matchesText', values: ['JOIN'] }, 'hello')]));
  await w.receive(sms('+385911111111', 'JOIN'));
  await w.engine.idle();
  const person = w.people.findByContact('+385911111111')!;
  w.engine.pause('club');
  t.match(await w.receive(sms('+385911111111', 'YES')), { delivered: 1 }, 'held for the waiting participant');
  t.notOk(w.people.get(person.id)!.tags.includes('club-yes'));
  w.engine.resume('club');
  await w.engine.idle();
  t.ok(w.people.get(person.id)!.tags.includes('club-yes'), 'not taken for a retry of itself: the wait gets it');
  t.same(pathOf(w, 'club', person.id), ['join', 'hello', 'ask', 'tag', 'tag.next.exit']);
});
