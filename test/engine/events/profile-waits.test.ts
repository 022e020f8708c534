// The waits on a person's profile, on a real engine and a virtual clock. Wait for change in
// people profile (`waitForProfileChange`): "changed" on a change of the attribute (with an
// operator, only a change meeting it), "notChanged" when `waitFor` ends, other attributes
// ignored, no `waitFor` waits indefinitely, changes made by another flow count (not the
// participant's own, made on its way to the wait), and it survives
// a restart. Wait for a date (`waitForDate`): waits until the moment, goes on at once inside
// it, "missed" when empty or over, the wake-up moves with the attribute, every year, DST, and a
// moment that came while the flow was paused or the engine down.
import t from 'tap';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryBackend } from '../../../engine/store/journal.js';
import type { Value } from '../../../engine/values.js';
import { flow, tag } from '../helpers.js';
import { node, type Node } from './profile-node.js';

const ZAGREB = 'Europe/Zagreb';
const DAY = 86_400_000;

/** A flow: Flow API entry → `wait` (type, config) → its two branches tag `yes` and `no` (notChanged only with a waitFor to end it). */
async function launchWait(n: Node, id: string, type: 'waitForProfileChange' | 'waitForDate', config: object, settings: Record<string, unknown> = {}): Promise<void> {
  const timed = type === 'waitForDate' || 'waitFor' in config;
  const branches: Record<string, string> = type === 'waitForDate' ? { next: 'yes', missed: 'no' } : timed ? { changed: 'yes', notChanged: 'no' } : { changed: 'yes' };
  n.engine.save(flow(id, [{ id: 'wait', type, config, branches }, tag('yes', 'yes'), ...(timed ? [tag('no', 'no')] : [])], settings));
  n.engine.launch(id);
  await n.engine.idle();
}

/** Enters the person (created if new, with `custom` attributes) and returns their participant id. */
async function enter(n: Node, flowId: string, personId: string, custom: Record<string, Value> = {}): Promise<string> {
  if (!n.people.get(personId)) n.people.upsert({ id: personId, custom });
  const receipt = await n.engine.enter(flowId, personId);
  await n.engine.idle();
  return receipt.participantId!;
}

/** `yes` or `no` once the participant went on; `waiting until <UTC>` (or `waiting`) while at the wait. */
function where(n: Node, personId: string, participantId?: string): string {
  const tags = n.people.get(personId)!.tags;
  if (tags.length > 0) return tags.join(',');
  const p = participantId === undefined ? undefined : n.engine.participant(participantId);
  return p?.waitUntil ? `waiting until ${new Date(p.waitUntil).toISOString()}` : 'waiting';
}

async function advanceTo(n: Node, at: string): Promise<void> {
  n.clock.advanceTo(at);
  await n.engine.idle();
}

async function set(n: Node, personId: string, attribute: string, value: Value): Promise<void> {
  await n.engine.submit(personId, { kind: 'person.update', changes: [{ op: 'set', attribute, value }] });
  await n.engine.idle();
}

// ── Wait for change in people profile ───────────────────────────────────────

t.test('changed on any change of the attribute; other attributes are ignored', async (t) => {
  const n = node();
  await launchWait(n, 'move', 'waitForProfileChange', { attribute: 'city', waitFor: { amount: 7, unit: 'days' } });
  n.people.upsert({ id: 'ana', standard: { city: 'Split' } });
  await set(n, 'ana', 'city', 'Rijeka'); // before she arrives: does not count
  await enter(n, 'move', 'ana');
  await enter(n, 'move', 'ben');
  await set(n, 'ana', 'tier', 'gold');
  await set(n, 'ana', 'firstName', 'Ana');
  t.equal(where(n, 'ana'), 'waiting', 'other attributes');
  await set(n, 'ana', 'city', 'Rijeka'); // the same value: not a change
  t.equal(where(n, 'ana'), 'waiting', 'the same value again');
  await set(n, 'ana', 'city', 'Zagreb');
  t.equal(where(n, 'ana'), 'yes');
  await set(n, 'ben', 'city', 'Osijek'); // from empty
  t.equal(where(n, 'ben'), 'yes');
  await enter(n, 'move', 'cat', {});
  n.people.upsert({ id: 'cat', standard: { city: 'Pula' } }); // written to the store directly (an import)
  await n.engine.idle();
  t.equal(where(n, 'cat'), 'yes', 'a change from outside the engine\'s inputs counts too');
  await enter(n, 'move', 'dan');
  await n.engine.submit('dan', { kind: 'person.update', changes: [{ op: 'set', attribute: 'city', value: 'Zadar' }] });
  await n.engine.submit('dan', { kind: 'person.update', changes: [{ op: 'set', attribute: 'city', value: null }] });
  await n.engine.idle();
  t.equal(where(n, 'dan'), 'yes', 'one branch, taken once');
  t.equal(n.engine.metrics('move').activeParticipants, 0);
});


t.test('the participant\'s own change, made before it arrives at the wait, does not count', async (t) => {
  const n = node();
  const update = { id: 'update', type: 'updateProfile', config: { updates: [{ attribute: 'city', value: 'Split' }] }, branches: { next: 'wait' } };
  const wait = { id: 'wait', type: 'waitForProfileChange', config: { attribute: 'city', waitFor: { amount: 1, unit: 'days' } }, branches: { changed: 'yes', notChanged: 'no' } };
  n.engine.save(flow('own', [update, wait, tag('yes', 'yes'), tag('no', 'no')]));
  n.engine.launch('own');
  const counted = { id: 'wait', type: 'waitForEvent', config: { conditions: [{ event: 'person.changed', happened: true, where: [{ property: 'attribute', operator: 'is', value: 'city' }] }], waitFor: { amount: 1, unit: 'days' } }, branches: { happened: 'yes', notHappened: 'no' } };
  n.engine.save(flow('ownEvent', [update, counted, tag('yes', 'yes'), tag('no', 'no')]));
  n.engine.launch('ownEvent');
  await n.engine.idle();
  const ana = await enter(n, 'own', 'ana');
  const ben = await enter(n, 'ownEvent', 'ben');
  t.equal(n.people.get('ana')!.standard.city, 'Split');
  t.match(where(n, 'ana', ana), /^waiting until /, 'Wait for change in people profile: still waiting');
  t.match(where(n, 'ben', ben), /^waiting until /, 'Wait for an event on person.changed: still waiting');
  await set(n, 'ana', 'city', 'Zagreb');
  t.equal(where(n, 'ana'), 'yes', 'a later change counts');
  n.clock.advance(DAY);
  await n.engine.idle();
  t.equal(where(n, 'ben'), 'no', 'the own change is not counted when the wait ends either');
});
t.test('with an operator only a change meeting it counts', async (t) => {
  const n = node();
  await launchWait(n, 'gold', 'waitForProfileChange', { attribute: 'tier', operator: 'is', value: 'gold' });
  await launchWait(n, 'known', 'waitForProfileChange', { attribute: 'city', operator: 'isNotEmpty' });
  await enter(n, 'gold', 'ana', { tier: 'bronze' });
  await set(n, 'ana', 'tier', 'silver');
  t.equal(where(n, 'ana'), 'waiting', 'silver is not gold');
  await set(n, 'ana', 'tier', null);
  t.equal(where(n, 'ana'), 'waiting');
  await set(n, 'ana', 'tier', 'gold');
  t.equal(where(n, 'ana'), 'yes');
  n.people.upsert({ id: 'ben', standard: { city: 'Split' } });
  await enter(n, 'known', 'ben');
  await set(n, 'ben', 'city', null);
  t.equal(where(n, 'ben'), 'waiting', 'emptied: not "is not empty"');
  await set(n, 'ben', 'city', 'Zagreb');
  t.equal(where(n, 'ben'), 'yes');
  t.same(n.engine.validate(flow('x', [{ id: 'w', type: 'waitForProfileChange', config: { attribute: 'nope' } }])).map((p) => [p.code, p.path]), [['JCT_ATTRIBUTE_UNKNOWN', '$.elements[0].config.attribute']]);
  t.same(n.engine.validate(flow('x', [{ id: 'w', type: 'waitForProfileChange', config: { attribute: 'tags' } }])).map((p) => p.code), ['JCT_ATTRIBUTE_TYPE'], 'tags change by their own events');
  t.same(n.engine.validate(flow('x', [{ id: 'w', type: 'waitForProfileChange', config: { attribute: 'tier', value: 'gold' } }])).map((p) => p.code), ['JCT_CONDITION_VALUE'], 'a value needs an operator');
  const forever = { attribute: 'tier', waitFor: { amount: 200000000, unit: 'days' } };
  t.same(n.engine.validate(flow('x', [{ id: 'w', type: 'waitForProfileChange', config: forever }])).map((p) => [p.code, p.path]), [['JCT_DURATION_TOO_LONG', '$.elements[0].config.waitFor.amount']], 'a wait of more than 100 years');
  const far = { attribute: 'appointmentAt', when: 'isIn', offset: { amount: 1e20, unit: 'weeks' }, everyYear: true };
  t.same(n.engine.validate(flow('x', [{ id: 'w', type: 'waitForDate', config: far }])).map((p) => [p.code, p.path]), [['JCT_DURATION_TOO_LONG', '$.elements[0].config.offset.amount']], 'a date offset of more than 100 years');
});

t.test('notChanged when waitFor ends (calendar days across the spring-forward change); indefinite without it', async (t) => {
  const n = node({ start: '2026-03-27T09:00:00Z' }); // 10:00 CET
  await launchWait(n, 'three', 'waitForProfileChange', { attribute: 'tier', waitFor: { amount: 3, unit: 'days' } }, { timeZone: ZAGREB });
  await launchWait(n, 'ever', 'waitForProfileChange', { attribute: 'tier' });
  const ana = await enter(n, 'three', 'ana');
  const ben = await enter(n, 'ever', 'ben');
  t.equal(where(n, 'ana', ana), 'waiting until 2026-03-30T08:00:00.000Z', '10:00 CEST three days later: 71 elapsed hours');
  t.equal(where(n, 'ben', ben), 'waiting', 'no wake-up time');
  await advanceTo(n, '2026-03-30T07:59:59Z');
  t.equal(where(n, 'ana', ana), 'waiting until 2026-03-30T08:00:00.000Z');
  await advanceTo(n, '2026-03-30T08:00:00Z');
  t.equal(where(n, 'ana'), 'no');
  await set(n, 'ana', 'tier', 'gold');
  t.equal(where(n, 'ana'), 'no', 'a change after the wait ended changes nothing');
  await advanceTo(n, new Date(n.clock.now() + 300 * DAY).toISOString());
  t.equal(where(n, 'ben', ben), 'waiting', 'still waiting 300 days on');
  await set(n, 'ben', 'tier', 'gold');
  t.equal(where(n, 'ben'), 'yes');
});

t.test('a change made by another flow\'s Update profile element counts', async (t) => {
  const n = node();
  await launchWait(n, 'wait', 'waitForProfileChange', { attribute: 'tier', operator: 'is', value: 'gold', waitFor: { amount: 1, unit: 'days' } });
  n.engine.save(flow('upgrade', [{ id: 'u', type: 'updateProfile', config: { updates: [{ attribute: 'tier', value: 'gold' }] } }]));
  n.engine.launch('upgrade');
  n.engine.save(flow('downgrade', [{ id: 'u', type: 'updateProfile', config: { updates: [{ attribute: 'tier', value: 'silver' }] } }]));
  n.engine.launch('downgrade');
  await enter(n, 'wait', 'ana');
  await enter(n, 'wait', 'ben');
  await n.engine.enter('downgrade', 'ana');
  await n.engine.idle();
  t.equal(where(n, 'ana'), 'waiting', 'silver: not the change waited for');
  await n.engine.enter('upgrade', 'ana');
  await n.engine.idle();
  t.equal(n.people.get('ana')!.custom['tier'], 'gold');
  t.equal(where(n, 'ana'), 'yes');
  await advanceTo(n, '2026-03-03T08:00:00Z');
  t.equal(where(n, 'ben'), 'no', 'ben was never upgraded');
});

t.test('waits for a profile change survive a restart', async (t) => {
  const clock = new VirtualClock('2026-03-02T08:00:00Z');
  const backend = new MemoryBackend();
  const a = node({ clock, backend });
  await launchWait(a, 'gold', 'waitForProfileChange', { attribute: 'tier', operator: 'is', value: 'gold', waitFor: { amount: 2, unit: 'days' } });
  await launchWait(a, 'city', 'waitForProfileChange', { attribute: 'city' });
  await enter(a, 'gold', 'ana');
  await enter(a, 'gold', 'ben');
  await enter(a, 'city', 'cat');
  await set(a, 'ana', 'tier', 'silver');
  await a.engine.close();

  clock.advanceTo('2026-03-03T08:00:00Z');
  const b = node({ clock, backend });
  t.match(b.engine.recover(backend), { participants: 3 });
  await b.engine.idle();
  await set(b, 'ana', 'tier', 'gold');
  await set(b, 'cat', 'tier', 'gold');
  t.equal(where(b, 'ana'), 'yes', 'the condition still applies');
  t.equal(where(b, 'cat'), 'waiting', 'not the attribute waited for');
  await set(b, 'cat', 'city', 'Zagreb');
  t.equal(where(b, 'cat'), 'yes');
  await advanceTo(b, '2026-03-04T07:59:59Z');
  t.equal(where(b, 'ben'), 'waiting');
  await advanceTo(b, '2026-03-04T08:00:00Z');
  t.equal(where(b, 'ben'), 'no', 'the wait still ends two days after it began');
  await b.engine.close();
});

// ── Wait for a date ─────────────────────────────────────────────────────────

t.test('waits until the moment; inside it goes on at once; missed when empty or over', async (t) => {
  const n = node();
  await launchWait(n, 'remind', 'waitForDate', { attribute: 'appointmentAt', when: 'isIn', offset: { amount: 1, unit: 'days' } });
  const ana = await enter(n, 'remind', 'ana', { appointmentAt: '2026-03-05T10:00:00Z' });
  await enter(n, 'remind', 'ben', { appointmentAt: '2026-03-02T20:00:00Z' }); // its day before began yesterday 20:00
  await enter(n, 'remind', 'cat', { appointmentAt: '2026-03-01T10:00:00Z' }); // over
  await enter(n, 'remind', 'dan');
  t.equal(where(n, 'ana', ana), 'waiting until 2026-03-04T10:00:00.000Z');
  t.equal(where(n, 'ben'), 'yes', 'inside its occurrence');
  t.equal(where(n, 'cat'), 'no', 'over');
  t.equal(where(n, 'dan'), 'no', 'no date');
  await advanceTo(n, '2026-03-04T09:59:59Z');
  t.equal(where(n, 'ana', ana), 'waiting until 2026-03-04T10:00:00.000Z');
  await advanceTo(n, '2026-03-04T10:00:00Z');
  t.equal(where(n, 'ana'), 'yes');
});

t.test('a change of the attribute while waiting moves the wake-up', async (t) => {
  const n = node();
  await launchWait(n, 'renew', 'waitForDate', { attribute: 'birthDate', when: 'isToday', atTime: '09:00' });
  const date = { birthDate: '2026-03-10' };
  const ids: Record<string, string> = {};
  for (const id of ['ana', 'ben', 'cat', 'dan', 'eve', 'fay']) {
    n.people.upsert({ id, standard: date });
    ids[id] = await enter(n, 'renew', id);
  }
  t.equal(where(n, 'ana', ids['ana']), 'waiting until 2026-03-10T09:00:00.000Z');
  await set(n, 'ana', 'birthDate', '2026-03-20');
  await set(n, 'ben', 'birthDate', '2026-03-04');
  await set(n, 'cat', 'birthDate', null);
  await set(n, 'dan', 'birthDate', '2026-03-01');
  await set(n, 'eve', 'birthDate', '2026-03-02'); // today, and 09:00 has not come: waits
  await set(n, 'fay', 'tier', 'gold');
  t.equal(where(n, 'ana', ids['ana']), 'waiting until 2026-03-20T09:00:00.000Z', 'later');
  t.equal(where(n, 'ben', ids['ben']), 'waiting until 2026-03-04T09:00:00.000Z', 'earlier');
  t.equal(where(n, 'cat'), 'no', 'emptied: missed');
  t.equal(where(n, 'dan'), 'no', 'moved into the past: missed');
  t.equal(where(n, 'eve', ids['eve']), 'waiting until 2026-03-02T09:00:00.000Z');
  t.equal(where(n, 'fay', ids['fay']), 'waiting until 2026-03-10T09:00:00.000Z', 'another attribute: unchanged');
  await advanceTo(n, '2026-03-02T10:00:00Z');
  await set(n, 'fay', 'birthDate', '2026-03-02'); // moved into an occurrence that is on: at once
  t.equal(where(n, 'fay'), 'yes');
  t.equal(where(n, 'eve'), 'yes');
  await advanceTo(n, '2026-03-04T09:00:00Z');
  t.equal(where(n, 'ben'), 'yes');
  await advanceTo(n, '2026-03-10T09:00:00Z');
  t.equal(where(n, 'ana', ids['ana']), 'waiting until 2026-03-20T09:00:00.000Z', 'not at the old date');
  await advanceTo(n, '2026-03-20T09:00:00Z');
  t.equal(where(n, 'ana'), 'yes');
});

t.test('Wait for a date every year, around 29 February and new year', async (t) => {
  const n = node({ start: '2026-06-01T12:00:00Z' });
  await launchWait(n, 'eve', 'waitForDate', { attribute: 'birthDate', when: 'isTomorrow', atTime: '10:00', everyYear: true });
  await launchWait(n, 'once', 'waitForDate', { attribute: 'birthDate', when: 'isTomorrow', atTime: '10:00' });
  const when = async (flowId: string, id: string, birthDate: string) => {
    n.people.upsert({ id, standard: { birthDate } });
    return where(n, id, await enter(n, flowId, id));
  };
  t.equal(await when('eve', 'ana', '1990-03-15'), 'waiting until 2027-03-14T10:00:00.000Z', 'this year\'s is over: next year\'s');
  t.equal(await when('eve', 'ben', '2000-02-29'), 'waiting until 2027-02-27T10:00:00.000Z', 'the day before 28 February in 2027');
  t.equal(await when('eve', 'cat', '1990-01-01'), 'waiting until 2026-12-31T10:00:00.000Z', 'the day before 1 January');
  t.equal(await when('eve', 'dan', '1990-06-02'), 'yes', 'tomorrow is the birthday: on now');
  t.equal(await when('once', 'fay', '1990-03-15'), 'no', 'without everyYear, 1990 is over');
  n.clock.advanceTo('2027-03-01T00:00:00Z'); // ben's wait ends on the way
  await n.engine.idle();
  t.equal(where(n, 'ben'), 'yes');
  t.equal(where(n, 'cat'), 'yes');
  n.people.upsert({ id: 'gus', standard: { birthDate: '2004-02-29' } });
  t.equal(where(n, 'gus', await enter(n, 'eve', 'gus')), 'waiting until 2028-02-28T10:00:00.000Z', 'in 2028: the day before 29 February');
});

t.test('Wait for a date across daylight-saving changes (Europe/Zagreb)', async (t) => {
  const n = node({ start: '2026-03-20T00:00:00Z' });
  const settings = { timeZone: ZAGREB };
  await launchWait(n, 'day', 'waitForDate', { attribute: 'appointmentAt', when: 'isIn', offset: { amount: 1, unit: 'days' } }, settings);
  await launchWait(n, 'hours', 'waitForDate', { attribute: 'appointmentAt', when: 'isIn', offset: { amount: 24, unit: 'hours' } }, settings);
  await launchWait(n, 'today', 'waitForDate', { attribute: 'birthDate', when: 'isToday', atTime: '08:30' }, settings);
  n.people.upsert({ id: 'ana', custom: { appointmentAt: '2026-03-30T10:00:00+02:00' } });
  n.people.upsert({ id: 'ben', custom: { appointmentAt: '2026-10-26T10:00:00+01:00' } });
  n.people.upsert({ id: 'cat', standard: { birthDate: '2026-10-25' } });
  const anaDay = await enter(n, 'day', 'ana');
  const anaHours = await enter(n, 'hours', 'ana');
  t.equal(where(n, 'ana', anaDay), 'waiting until 2026-03-29T08:00:00.000Z', '10:00 CEST');
  t.equal(where(n, 'ana', anaHours), 'waiting until 2026-03-29T08:00:00.000Z', '24 hours: the same, both after the change');
  t.equal(where(n, 'ben', await enter(n, 'day', 'ben')), 'waiting until 2026-10-25T09:00:00.000Z', '10:00 CET the day before');
  t.equal(where(n, 'ben', await enter(n, 'hours', 'ben')), 'waiting until 2026-10-25T09:00:00.000Z');
  t.equal(where(n, 'cat', await enter(n, 'today', 'cat')), 'waiting until 2026-10-25T07:30:00.000Z', '08:30 CET on the 25-hour day');
  await set(n, 'ana', 'appointmentAt', '2026-03-29T12:00:00+02:00'); // the day before is now the 28th, still on CET
  t.equal(where(n, 'ana', anaDay), 'waiting until 2026-03-28T11:00:00.000Z', '1 day: 12:00 CET on the 28th');
  t.equal(where(n, 'ana', anaHours), 'waiting until 2026-03-28T10:00:00.000Z', '24 hours: 11:00 CET');
  await advanceTo(n, '2026-03-28T10:00:00Z');
  t.equal(where(n, 'ana'), 'yes', 'the hours one first');
  t.equal(n.engine.participant(anaDay)?.waitUntil, Date.parse('2026-03-28T11:00:00Z'), 'the days one an hour later');
});

t.test('a moment that came while the flow was paused or the engine down goes on by "next" when it runs', async (t) => {
  const n = node();
  await launchWait(n, 'yearly', 'waitForDate', { attribute: 'birthDate', when: 'isToday', atTime: '09:00', everyYear: true });
  await launchWait(n, 'once', 'waitForDate', { attribute: 'appointmentAt', when: 'isIn', offset: { amount: 2, unit: 'hours' } });
  n.people.upsert({ id: 'ana', standard: { birthDate: '1990-03-04' } });
  await enter(n, 'yearly', 'ana');
  await enter(n, 'once', 'ben', { appointmentAt: '2026-03-04T12:00:00Z' });
  n.engine.pause('yearly');
  n.engine.pause('once');
  await advanceTo(n, '2026-03-06T00:00:00Z'); // both moments came and went while paused
  n.engine.resume('yearly');
  n.engine.resume('once');
  await n.engine.idle();
  t.equal(where(n, 'ana'), 'yes', 'not next year\'s birthday');
  t.equal(where(n, 'ben'), 'yes', 'not missed');
});

t.test('a wait for a date survives a restart, and still follows changes', async (t) => {
  const clock = new VirtualClock('2026-03-02T08:00:00Z');
  const backend = new MemoryBackend();
  const a = node({ clock, backend });
  await launchWait(a, 'remind', 'waitForDate', { attribute: 'appointmentAt', when: 'isIn', offset: { amount: 2, unit: 'hours' } });
  await enter(a, 'remind', 'ana', { appointmentAt: '2026-03-04T12:00:00Z' });
  await enter(a, 'remind', 'ben', { appointmentAt: '2026-03-03T12:00:00Z' });
  await enter(a, 'remind', 'cat', { appointmentAt: '2026-03-06T12:00:00Z' });
  await enter(a, 'remind', 'dan', { appointmentAt: '2026-03-03T09:00:00Z' });
  await a.engine.close();

  clock.advanceTo('2026-03-03T10:30:00Z'); // ben's hour came while it was down, and lasts; dan's came and went
  const b = node({ clock, backend });
  t.match(b.engine.recover(backend), { participants: 4 });
  clock.advance(0);
  await b.engine.idle();
  t.equal(where(b, 'ben'), 'yes', 'overdue, still on');
  t.equal(where(b, 'dan'), 'yes', 'overdue and over: it came while waiting, so not missed');
  await set(b, 'cat', 'appointmentAt', '2026-03-03T11:00:00Z'); // 09:00–10:00: over
  t.equal(where(b, 'cat'), 'no');
  await advanceTo(b, '2026-03-04T10:00:00Z');
  t.equal(where(b, 'ana'), 'yes');
  await b.engine.close();
});
