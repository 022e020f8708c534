// The example flows are validated and simulated with their people and event timelines.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { simulate, type SimulationReport } from '../../engine/simulation.js';
import { Engine } from '../../engine/runtime/engine.js';
import { VirtualClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { loadPeople } from '../../engine/people-file.js';
import { assembleRegistry } from '../../bin/modules.js';

const json = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const lines = (file: string): unknown[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const people = json('examples/people.json');
// The modules `junction` runs the examples with.
const registry = assembleRegistry();

function run(name: string): Promise<SimulationReport> {
  return simulate({ registry, flow: json(`examples/flows/${name}.json`), people, events: lines(`examples/events/${name}.jsonl`) });
}

const pathOf = (r: SimulationReport, person: string): string[] => r.participants.filter((p) => p.personId === person).flatMap((p) => p.path.map((s) => s.element));

t.test('every example flow is valid and has an event timeline', async (t) => {
  const clock = new VirtualClock();
  const store = new MemoryPeopleStore(clock);
  loadPeople(people, store);
  const engine = new Engine({ clock, people: store, registry });
  const files = readdirSync('examples/flows');
  t.ok(files.length >= 3);
  for (const f of files) {
    t.same(engine.validate(json(`examples/flows/${f}`)), [], f);
    t.ok(readdirSync('examples/events').includes(f.replace('.json', '.jsonl')), `${f} has events`);
  }
  await engine.close();
});

t.test('welcome sequence: A/B split, the activated check and the goal', async (t) => {
  const r = await run('welcome');
  t.same(pathOf(r, 'ana'), ['signup', 'tag-onboarding', 'save-source', 'next-morning', 'ab-test', 'variant-tips', 'three-days', 'logged-in', 'tag-activated', 'end-onboarding', 'record-variant', 'record-variant.next.exit']);
  t.match(pathOf(r, 'sofia'), ['signup', 'tag-onboarding', 'save-source', 'next-morning', 'ab-test', 'variant-offer', 'three-days', 'logged-in', 'tag-nudge']);
  const ana = r.participants.find((p) => p.personId === 'ana')!;
  t.equal(new Date(ana.path[4]!.at).toISOString(), '2026-02-03T09:00:00.000Z', 'next day 10:00 Zagreb');
  t.same(r.rejected.map((x) => [x.person, x.reason]), [['ana', 'JCT_PERSON_IN_FLOW']]);
  t.equal(r.metrics.goalPerformers, 1);
  t.equal(r.metrics.profilesExited, 2);
});

t.test('appointment reminder: daily checks at 08:00 New York time across the DST change', async (t) => {
  const r = await run('appointment-reminder');
  const grace = r.participants.find((p) => p.personId === 'grace')!;
  const checks = grace.path.filter((s) => s.element === 'when').map((s) => new Date(s.at).toISOString());
  t.same(checks, [
    '2026-03-05T15:00:00.000Z',
    '2026-03-06T13:00:00.000Z',
    '2026-03-07T13:00:00.000Z',
    '2026-03-08T12:00:00.000Z',
    '2026-03-09T12:00:00.000Z',
    '2026-03-10T00:00:00.000Z',
  ]);
  t.match(pathOf(r, 'grace').join(' '), /tag-24h every-morning count-days when tag-today after-visit count-days when clear-appointment untag/);
  t.match(pathOf(r, 'dan'), ['booking', 'save-appointment', 'count-days', 'when', 'tag-24h']);
  t.equal(r.metrics.profilesExited, 2);
});

t.test('re-engagement: VIP offer, A/B offers, won back, opted out, and a real-time entry', async (t) => {
  const r = await run('re-engagement');
  t.match(pathOf(r, 'dan'), ['lapsed', 'value', 'offer-vip', 'tag-winback', 'record-offer', 'one-week', 'came-back', 'won-back']);
  t.match(pathOf(r, 'liam').slice(-2), ['do-not-contact', 'do-not-contact.next.exit']);
  t.match(pathOf(r, 'sofia').slice(-2), ['unresponsive', 'unresponsive.next.exit']);
  const noah = r.participants.find((p) => p.personId === 'noah')!;
  t.equal(new Date(noah.path[0]!.at).toISOString(), '2026-03-21T10:01:00.000Z', 'entered when time made him lapsed: 60 days after his last purchase (segments are read in UTC), on the minute');
  t.equal(pathOf(r, 'grace').length, 0, 'never lapsed');
  t.equal(r.metrics.profilesInFlow, 4);
  t.equal(r.metrics.goalPerformers, 1);
});

t.test('SMS keywords: JOIN or START, a YES/NO answer, a second chance, no reply, and STOP', async (t) => {
  const r = await run('sms-keywords');
  t.same(pathOf(r, '+12025550101'), ['join', 'welcome', 'answer', 'tag-member', 'thanks', 'thanks.next.exit', 'stop', 'opt-out', 'opt-out.next.exit']);
  t.same(pathOf(r, '+12025550102'), ['join', 'welcome', 'answer', 'ask-again', 'answer-again', 'tag-member', 'thanks', 'thanks.next.exit']);
  t.same(pathOf(r, '+12025550103'), ['join', 'welcome', 'answer', 'goodbye', 'goodbye.next.exit']);
  t.same(pathOf(r, '+12025550104'), [], 'a text that is no keyword starts nothing');
  t.same(pathOf(r, '+12025550105'), ['join', 'welcome', 'answer', 'answer.noReply.exit'], 'no reply within a day');
  const noReply = r.participants.find((p) => p.personId === '+12025550105')!;
  t.equal(new Date(noReply.path.at(-1)!.at).toISOString(), '2026-04-07T18:00:00.000Z');
  t.equal(r.metrics.profilesInFlow, 4);
  t.match(r.people.find((p) => p.id === '+12025550101'), { tags: ['club-member'], doNotContact: [{ channel: 'sms', contact: '+12025550101', senders: ['+15550100'] }] }, 'the report shows how STOP left the person');
});

t.test('order shipped: WhatsApp delivered, failed over to SMS after 10 minutes, no phone at all', async (t) => {
  const r = await run('order-shipped');
  t.same(pathOf(r, 'grace'), ['shipped', 'tell', 'tag-told', 'tag-told.next.exit'], 'delivered on WhatsApp');
  t.same(pathOf(r, 'dan'), ['shipped', 'tell', 'tag-told', 'tag-told.next.exit']);
  const dan = r.participants.find((p) => p.personId === 'dan')!;
  t.equal(new Date(dan.path[2]!.at).toISOString(), '2026-03-02T11:10:00.000Z', 'the SMS went out when WhatsApp was not delivered within 10 minutes');
  t.same(pathOf(r, 'noah'), ['shipped', 'tell', 'tag-unreachable', 'tag-unreachable.next.exit'], 'no phone: nothing sent');
  t.equal(r.metrics.messagesSent, 3);
  t.same(r.metrics.channels, { whatsapp: { sent: 2, delivered: 1 }, sms: { sent: 1 } });
});

t.test('abandoned cart: a purchase in time ends it, a keen viewer gets the discount, a reminder recovers a cart', async (t) => {
  const r = await run('abandoned-cart');
  t.same(pathOf(r, 'dan'), ['added', 'bought', 'bought.happened.exit']);
  t.same(pathOf(r, 'grace'), ['added', 'bought', 'keen', 'discount', 'recovered', 'recovered.notHappened.exit'], 'three views this week: the discount');
  t.same(pathOf(r, 'sofia'), ['added', 'bought', 'keen', 'remind', 'recovered', 'tag-recovered', 'tag-recovered.next.exit']);
  t.equal(r.participants.filter((p) => p.personId === 'sofia').length, 1, 'a second item the same day does not start a second reminder');
  t.equal(r.metrics.goalPerformers, 2);
});

t.test('birthday: every year across a leap day, a date set and moved later, a purchase in the week', async (t) => {
  const r = await run('birthday');
  const wishes = (person: string) =>
    r.participants.filter((p) => p.personId === person).map((p) => [p.path.find((s) => s.element === 'voucher'), p.path.find((s) => s.element === 'wish')].map((s) => s && new Date(s.at).toISOString().slice(0, 16)));
  t.same(wishes('marko'), [
    ['2026-02-21T09:00', '2026-02-28T08:00'],
    ['2027-02-21T09:00', '2027-02-28T08:00'],
    ['2028-02-22T09:00', '2028-02-29T08:00'],
  ], 'born on 29 February: the 28th in other years, the 29th in 2028; 10:00 and 09:00 Zagreb time');
  t.same(wishes('sofia'), [['2026-05-13T08:00', '2026-05-20T07:00'], ['2027-05-13T08:00', '2027-05-20T07:00']], 'her date was set, then moved a month earlier before it came: only the new one counts');
  t.same(wishes('grace').length, 3, 'a birth date set after launch is picked up');
  t.same(pathOf(r, 'ana').slice(0, 7), ['week-before', 'voucher', 'on-the-day', 'wish', 'bought', 'tag-buyer', 'tag-buyer.next.exit'], 'bought two days after her birthday');
  t.ok(r.participants.every((p) => p.outcome.endsWith('.exit')), 'every year\'s run has ended');
  t.equal(r.metrics.goalPerformers, 2);
});

t.test('IVR menu: a wrong key then support by voice, a voicemail when sales does not answer, silence then a hang-up', async (t) => {
  const r = await run('ivr-menu');
  t.same(pathOf(r, '+14155550123'), ['call', 'hello', 'menu', 'customer-number', 'keep-number', 'thanks', 'done']);
  t.same(pathOf(r, '+14155550188'), ['call', 'hello', 'menu', 'desk', 'voicemail', 'thanks', 'done']);
  t.same(pathOf(r, '+14155550199'), ['call', 'hello', 'menu']);
  t.equal(r.participants.find((p) => p.personId === '+14155550199')!.outcome, 'menu', 'the hang-up ended the journey at the menu');
  t.equal(r.people.find((p) => p.id === '+14155550123')!.attributes['customerNumber'], '4711');
  t.same(r.rejected, []);
});

t.test('loyalty points: the CRM answers with the balance, a 404 for a stranger (after the night window), a 503 while it is down', async (t) => {
  const r = await run('loyalty-points');
  t.same(pathOf(r, '+12025550101'), ['points', 'lookup', 'balance', 'balance.next.exit']);
  t.same(pathOf(r, '+12025550102'), ['points', 'lookup', 'not-member', 'not-member.next.exit']);
  const stranger = r.participants.find((p) => p.personId === '+12025550102')!;
  t.equal(new Date(stranger.path[2]!.at).toISOString(), '2026-04-07T11:00:00.000Z', 'texted at 23:30, looked up when the window opens at 07:00 New York time');
  t.same(pathOf(r, '+12025550103'), ['points', 'lookup', 'later', 'later.next.exit']);
});
