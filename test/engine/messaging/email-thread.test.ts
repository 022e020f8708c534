// Email conversations thread: a participant keeps the Message-ID and References of the person's
// last mail with its reply address (trimmed, and readable from a row written before), and a
// Send email to the address that mail came from answers it; one to another address does not.
// A mail whose Reply-To names another address is answered there (the person stays the sender).
import t from 'tap';
import { registryWith, world } from '../helpers.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit } from '../../../engine/store/journal.js';
import { messagingModule } from '../../../engine/messaging/index.js';
import { answerAddress, replyAddressOf, theirAddress, threadIds, threadOf } from '../../../engine/messaging/address.js';
import { participantRow, readParticipant } from '../../../engine/runtime/rows.js';
import type { InboundMessage } from '../../../engine/messaging/message.js';
import type { Effect } from '../../../engine/vocabulary.js';
import type { Module } from '../../../engine/module.js';

const CLUB = 'club@example.com';
const ANA = 'ana@example.org';

function mail(text: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'email', provider: 'email', from: ANA, to: CLUB, text, media: [], providerMessageId: `<${text.toLowerCase()}-1@example.org>`, receivedAt: 0, ...extra };
}

t.test('a reply address keeps the mail answered; older ones and other channels have none', async (t) => {
  const address = replyAddressOf(mail('JOIN', { references: ['<q-0@x.test>', 'not-an-id', '<o-1@club.test>', '<q-0@x.test>'] }));
  t.equal(theirAddress(address), ANA, 'the address is read as before');
  t.same(threadOf(address), { inReplyTo: '<join-1@example.org>', references: ['<q-0@x.test>', '<o-1@club.test>', '<join-1@example.org>'] }, 'malformed and repeated ids left out');
  t.same(threadOf(replyAddressOf(mail('JOIN', { providerMessageId: 'sha256:ab12' }))), {}, 'a mail without Message-ID has none to answer');
  t.same(threadOf(`email:${CLUB}:${ANA}`), {}, 'one written before threads were kept');
  t.equal(theirAddress(`email:${CLUB}:${ANA}`), ANA);
  t.same(threadOf(`email:${CLUB}:${ANA}\n`), {}, 'an empty thread line threads with nothing');
  t.equal(replyAddressOf({ channel: 'sms', from: '+385911111111', to: '+385800100', providerMessageId: '<x@y.z>' }), 'sms:+385800100:+385911111111');
});

t.test('a long thread keeps its first Message-ID and the latest: ten in all', async (t) => {
  const references = Array.from({ length: 500 }, (_, i) => `<m${i}@example.org>`);
  const kept = threadIds(references, '<last@example.org>');
  t.same(kept, ['<m0@example.org>', ...references.slice(-8), '<last@example.org>']);
  t.same(threadIds(['<a@b.c>', `<${'x'.repeat(300)}@b.c>`], '<d@e.f>'), ['<a@b.c>', '<d@e.f>'], 'an overlong id is dropped');
  const address = replyAddressOf(mail('JOIN', { references }));
  t.ok(address.length < 300, 'what a participant keeps stays small');
});

t.test('a participant row written before threads were kept still loads', async (t) => {
  const row = ['club', 1, 'ana', 2, 1, 0, 'message:email:club@example.com', {}, 1000, 3, 0, `email:${CLUB}:${ANA}`];
  const p = readParticipant('1.a', row);
  t.equal(p.replyAddress, `email:${CLUB}:${ANA}`);
  const threaded = { ...p, replyAddress: replyAddressOf(mail('JOIN')) };
  t.same(readParticipant('1.a', participantRow(threaded)), threaded, 'a thread round-trips through a row');
});

t.test('Send email answers the mail the person last wrote, also after a restart; a send elsewhere answers nothing', async (t) => {
  const sent: Effect[] = [];
  const provider = (): Module => ({ name: 'test-email', effects: [{ kind: 'message.send', perform: (effect) => (sent.push(effect), { providerMessageId: `<out-${sent.length}@example.com>`, to: effect['to'] }) }] });
  const w = world({ modules: [messagingModule, provider()] });
  const doc = {
    schemaVersion: 1,
    id: 'club',
    name: 'club',
    entryPoints: [{ id: 'join', type: 'inboundMessage', config: { channel: 'email', number: CLUB, condition: { operator: 'matchesText', values: ['JOIN'] } }, branches: { next: 'welcome' } }],
    elements: [
      { id: 'welcome', type: 'sendEmail', config: { from: CLUB, fromName: 'Club Support', subject: 'Welcome', text: 'Reply YES' }, branches: { next: 'ask' } },
      { id: 'ask', type: 'evaluateInboundMessage', config: { channel: 'email', number: CLUB, branches: [{ name: 'yes', condition: { operator: 'matchesText', values: ['yes'] } }] }, branches: { yes: 'wait' } },
      { id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'hours' } }, branches: { next: 'thanks' } },
      { id: 'thanks', type: 'sendEmail', config: { from: CLUB, subject: 'Thanks', text: 'You are in' }, branches: { next: 'boss' } },
      { id: 'boss', type: 'sendEmail', config: { from: CLUB, to: 'boss@example.com', subject: 'New member', text: 'Ana joined' } },
    ],
  };
  w.engine.save(doc);
  w.engine.launch('club');
  const ana = w.people.upsert({ emails: [ANA, 'boss@example.com'] }).id;
  await w.engine.submit(ana, { kind: 'message.inbound', message: mail('JOIN') });
  await w.engine.idle();
  t.match(sent[0], { to: ANA, fromName: 'Club Support', answers: { inReplyTo: '<join-1@example.org>', references: ['<join-1@example.org>'] } });
  await w.engine.submit(ana, { kind: 'message.inbound', message: mail('YES', { references: ['<join-1@example.org>', '<out-1@example.com>'] }) });
  await w.engine.idle();
  await w.engine.close();
  const engine = new Engine({ clock: w.clock, people: new MemoryPeopleStore(w.clock), registry: registryWith([messagingModule, provider()]), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  w.clock.advance(3600_000);
  await engine.idle();
  t.match(sent[1], { to: ANA, answers: { inReplyTo: '<yes-1@example.org>', references: ['<join-1@example.org>', '<out-1@example.com>', '<yes-1@example.org>'] } }, 'the thread survived the restart');
  t.notOk('fromName' in sent[1]!, 'no display name unless the element gives one');
  t.match(sent[2], { to: 'boss@example.com' });
  t.notOk('answers' in sent[2]!, 'a mail to someone else answers nothing (sent as auto-generated)');
  await engine.close();
});

t.test("a reply address keeps the mail's Reply-To on a third line; older ones answer their sender", async (t) => {
  const address = replyAddressOf(mail('JOIN', { replyTo: 'desk@example.org' }));
  t.equal(address, `email:${CLUB}:${ANA}\n<join-1@example.org>\ndesk@example.org`);
  t.equal(theirAddress(address), ANA, 'the person is still the sender');
  t.equal(answerAddress(address), 'desk@example.org');
  t.same(threadOf(address), { inReplyTo: '<join-1@example.org>', references: ['<join-1@example.org>'] }, 'the thread is read as before');
  const unthreaded = replyAddressOf(mail('JOIN', { providerMessageId: 'sha256:ab12', replyTo: 'desk@example.org' }));
  t.equal(unthreaded, `email:${CLUB}:${ANA}\n\ndesk@example.org`, 'without a Message-ID the thread line is empty');
  t.same(threadOf(unthreaded), {});
  t.equal(answerAddress(unthreaded), 'desk@example.org');
  t.equal(replyAddressOf(mail('JOIN', { replyTo: ANA })), `email:${CLUB}:${ANA}\n<join-1@example.org>`, 'a Reply-To naming the sender adds nothing');
  for (const old of [`email:${CLUB}:${ANA}`, `email:${CLUB}:${ANA}\n<join-1@example.org>`, 'sms:+385800100:+385911111111']) {
    t.equal(answerAddress(old), theirAddress(old), `written before: ${JSON.stringify(old)} answers its sender`);
  }
});

t.test('Send email answers at the Reply-To address, threaded; a block on either address stops it', async (t) => {
  const sent: Effect[] = [];
  const provider: Module = { name: 'test-email', effects: [{ kind: 'message.send', perform: (effect) => (sent.push(effect), { providerMessageId: `<out-${sent.length}@example.com>`, to: effect['to'] }) }] };
  const w = world({ modules: [messagingModule, provider] });
  w.engine.save({
    schemaVersion: 1,
    id: 'club',
    name: 'club',
    entryPoints: [{ id: 'join', type: 'inboundMessage', config: { channel: 'email', number: CLUB, condition: { operator: 'matchesText', values: ['JOIN'] } }, branches: { next: 'welcome' } }],
    elements: [
      { id: 'welcome', type: 'sendEmail', config: { from: CLUB, subject: 'Welcome', text: 'Reply YES' }, branches: { next: 'again' } },
      { id: 'again', type: 'sendEmail', config: { from: CLUB, subject: 'Still there?', text: 'Reply YES' } },
    ],
  });
  w.engine.launch('club');
  const ana = w.people.upsert({ emails: [ANA] }).id;
  const bo = w.people.upsert({ emails: ['bo@example.org'] }).id;
  await w.engine.submit(ana, { kind: 'message.inbound', message: mail('JOIN', { replyTo: 'desk@example.org' }) });
  await w.engine.idle();
  t.match(sent, [
    { to: 'desk@example.org', answers: { inReplyTo: '<join-1@example.org>' } },
    { to: 'desk@example.org', answers: { inReplyTo: '<join-1@example.org>' } },
  ], 'both mails go where the Reply-To said, after a send too');
  t.notOk(w.people.get(ana)!.emails.includes('desk@example.org'), 'the Reply-To address is not added to the person');

  await w.engine.submit(bo, { kind: 'doNotContact', change: { op: 'add', entries: [{ channel: 'email', contact: 'desk@example.org', senders: [CLUB] }] } });
  await w.engine.submit(bo, { kind: 'message.inbound', message: mail('JOIN', { from: 'bo@example.org', providerMessageId: '<join-2@example.org>', replyTo: 'desk@example.org' }) });
  await w.engine.submit(bo, { kind: 'doNotContact', change: { op: 'add', entries: [{ channel: 'email', contact: ANA, senders: [CLUB] }] } });
  await w.engine.submit(ana, { kind: 'message.inbound', message: mail('JOIN', { providerMessageId: '<join-3@example.org>', replyTo: 'other@example.org' }) });
  await w.engine.idle();
  t.equal(sent.length, 2, 'a blocked Reply-To address, or a blocked sender, gets nothing');
  t.equal(w.engine.metrics('club').elements.find((e) => e.id === 'welcome')!.failures, 2, 'both were refused as blocked (JCT_SEND_BLOCKED)');
  await w.engine.close();
});
