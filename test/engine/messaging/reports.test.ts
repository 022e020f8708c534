// Delivery reports and replies as channel events: a message a provider accepted is found again by
// its provider id (a report) and by its sender and recipient (a reply); each outcome is counted
// once on the element that sent it, per channel in the flow's metrics, and heard as the person's
// event (`message.delivered`, …) by goals. References survive a restart and expire after their
// window.
import t from 'tap';
import { pathOf, registryWith, world, type World } from '../helpers.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit } from '../../../engine/store/journal.js';
import { messagingModule } from '../../../engine/messaging/index.js';
import { sentMessage, sentRef } from '../../../engine/messaging/references.js';
import type { DeliveryStatus, OutboundMessage } from '../../../engine/messaging/message.js';
import type { Module } from '../../../engine/module.js';

const NUMBER = '+385800100';
const ANA = '+385911234567';
const DAY = 24 * 3600 * 1000;

/** A provider `t` that accepts every message as `M<n>` (from `M<first>`), with what a provider module's result carries. */
function provider(first = 1): Module {
  let n = first - 1;
  return { name: 't', effects: [{ kind: 'message.send', perform: (effect) => sentMessage('t', effect as unknown as OutboundMessage, `M${++n}`) }] };
}

function flow(goal?: string): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'hello' } }],
    elements: [
      { id: 'hello', type: 'sendSms', config: { from: NUMBER, text: 'x'.repeat(200) }, branches: { next: 'wait' } },
      { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 30, unit: 'days' } } },
    ],
    settings: goal ? { goal: { event: goal } } : {},
  };
}

async function sentTo(w: World, goal?: string): Promise<void> {
  w.engine.save(flow(goal));
  w.engine.launch('f');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'f', person: { id: 'ana', phones: [ANA] } });
  await w.engine.idle();
}

function report(w: World, id: string, status: DeliveryStatus) {
  const personId = w.engine.reference(sentRef('t', id))?.personId;
  if (personId === undefined) return undefined;
  return w.engine.submit(personId, { kind: 'message.status', report: { provider: 't', providerMessageId: id, status, providerStatus: status, at: w.clock.now() } });
}

const reply = (w: World, text: string) =>
  w.engine.submit('ana', { kind: 'message.inbound', message: { channel: 'sms', provider: 't', from: ANA, to: NUMBER, text, media: [], providerMessageId: `in-${w.clock.now()}-${text}`, receivedAt: w.clock.now() } });

const counters = (e: Engine) => e.metrics('f').elements.find((x) => x.id === 'hello')!.counters;

t.test('a report on a sent message counts once on its element and per channel; SMS parts count as messages sent', async (t) => {
  const w = world({ modules: [messagingModule, provider()] });
  await sentTo(w);
  t.same(counters(w.engine), { 'sms:sent': 2 }, 'a 200-character text is two parts');
  t.equal(w.engine.reference(sentRef('t', 'M1'))?.personId, 'ana', 'the message is known by its provider id');
  await report(w, 'M1', 'sent');
  await report(w, 'M1', 'delivered');
  await report(w, 'M1', 'delivered');
  await report(w, 'M1', 'read');
  t.same(counters(w.engine), { 'sms:sent': 2, 'sms:delivered': 1, 'sms:seen': 1 }, 'each outcome once; sent by the provider is no new message');
  const m = w.engine.metrics('f');
  t.equal(m.messagesSent, 2);
  t.same(m.channels, { sms: { sent: 2, delivered: 1, seen: 1 } });
  t.equal(report(w, 'nobody-sent-this', 'delivered'), undefined, 'a report on an unknown message names no one');
});

t.test("a reply to the flow's message counts as replied once; the delivery event reaches the flow's goal", async (t) => {
  const w = world({ modules: [messagingModule, provider()] });
  await sentTo(w, 'message.delivered');
  await reply(w, 'thanks');
  await reply(w, 'again');
  t.same(counters(w.engine), { 'sms:sent': 2, 'sms:replied': 1 });
  t.equal(w.engine.metrics('f').goalPerformers, 0);
  await report(w, 'M1', 'delivered');
  t.equal(w.engine.metrics('f').goalPerformers, 1, 'message.delivered is the goal event');
  await report(w, 'M1', 'failed');
  t.same(w.engine.metrics('f').channels, { sms: { sent: 2, replied: 1, delivered: 1, failed: 1 } });
});

t.test('a message read without a delivery report was delivered too: counted and heard once as delivered and seen', async (t) => {
  const w = world({ modules: [messagingModule, provider()] });
  await sentTo(w, 'message.delivered');
  await report(w, 'M1', 'read');
  t.same(counters(w.engine), { 'sms:sent': 2, 'sms:delivered': 1, 'sms:seen': 1 }, 'read implies delivered');
  t.equal(w.engine.metrics('f').goalPerformers, 1, 'the goal message.delivered is reached by the read');
  await report(w, 'M1', 'delivered');
  await report(w, 'M1', 'read');
  t.same(counters(w.engine), { 'sms:sent': 2, 'sms:delivered': 1, 'sms:seen': 1 }, 'the late delivered report and a repeated read count nothing again');
});

t.test('references are journaled, recovered after a restart, and expire after the window', async (t) => {
  const w = world({ modules: [messagingModule, provider()] });
  await sentTo(w);
  t.equal(w.backend.tables.get('ref')!.size, 2, 'the provider id and the reply reference');
  await report(w, 'M1', 'delivered');
  await w.engine.close();
  const people = new MemoryPeopleStore(w.clock);
  const b = new Engine({ clock: w.clock, people, registry: registryWith([messagingModule, provider(100)]), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  b.recover(w.backend);
  t.equal(b.reference(sentRef('t', 'M1'))?.personId, 'ana', 'known after the restart');
  const again = { provider: 't', providerMessageId: 'M1', status: 'delivered' as const, providerStatus: 'delivered', at: w.clock.now() };
  await b.submit('ana', { kind: 'message.status', report: again });
  t.same(counters(b), { 'sms:sent': 2, 'sms:delivered': 1 }, 'what was recorded before is not counted again');
  w.clock.advance(8 * DAY);
  await b.submit('bo', { kind: 'flow.enter', flowId: 'f', person: { id: 'bo', phones: ['+385919999999'] } });
  await b.idle();
  t.equal(b.reference(sentRef('t', 'M1'))?.personId, undefined, "ana's message is past the 7-day window");
  t.equal(b.reference(sentRef('t', 'M100'))?.personId, 'bo');
  t.equal(w.backend.tables.get('ref')!.size, 2, 'expired references leave the store');
  await b.close();
});

/** A report on part `index` of `of` of message `id` (as Plivo makes one of each part's callback). */
function partReport(e: Engine, id: string, status: DeliveryStatus, index: number, of: number) {
  return e.submit('ana', { kind: 'message.status', report: { provider: 't', providerMessageId: id, status, providerStatus: status, at: 0, part: { index, of } } });
}

t.test('a multipart SMS is delivered once every part is, also across a restart; failed as soon as one part fails', async (t) => {
  const w = world({ modules: [messagingModule, provider()] });
  await sentTo(w, 'message.delivered');
  await partReport(w.engine, 'M1', 'sent', 1, 2);
  await partReport(w.engine, 'M1', 'delivered', 2, 2);
  t.same(counters(w.engine), { 'sms:sent': 2 }, 'one part of two delivered: the message is not yet');
  await w.engine.close();
  const b = new Engine({ clock: w.clock, people: new MemoryPeopleStore(w.clock), registry: registryWith([messagingModule, provider(100)]), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  b.recover(w.backend);
  await partReport(b, 'M1', 'delivered', 1, 2);
  t.same(counters(b), { 'sms:sent': 2, 'sms:delivered': 1 }, 'the last part delivered: the message is, once');
  t.equal(b.metrics('f').goalPerformers, 1, 'and the person heard it');
  await b.close();

  const f = world({ modules: [messagingModule, provider()] });
  await sentTo(f);
  await partReport(f.engine, 'M1', 'delivered', 1, 3);
  await partReport(f.engine, 'M1', 'failed', 2, 3);
  await partReport(f.engine, 'M1', 'delivered', 3, 3);
  t.same(counters(f.engine), { 'sms:sent': 2, 'sms:failed': 1 }, 'a part failed: the message failed, and never counts as delivered');
  await f.engine.close();
});

t.test('a failover waits for every part of its first message', async (t) => {
  const w = world({ modules: [messagingModule, provider()] });
  w.engine.save({
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'tell' } }],
    elements: [
      {
        id: 'tell',
        type: 'failover',
        config: { first: { channel: 'sms', from: NUMBER, text: 'x'.repeat(200) }, then: { channel: 'whatsapp', from: NUMBER, text: 'x' } },
        branches: { delivered: 'done', failedOver: 'done' },
      },
      { id: 'done', type: 'addTag', config: { tags: ['told'] } },
    ],
  });
  w.engine.launch('f');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'f', person: { id: 'ana', phones: [ANA] } });
  await w.engine.idle();
  await partReport(w.engine, 'M1', 'delivered', 1, 2);
  await w.engine.idle();
  t.notOk(w.people.get('ana')!.tags.includes('told'), 'still waiting after the first part');
  await partReport(w.engine, 'M1', 'delivered', 2, 2);
  await w.engine.idle();
  t.same(pathOf(w, 'ana'), ['start', 'tell', 'done', 'done.next.exit'], 'delivered, with no message on the second channel');
  await w.engine.close();
});
