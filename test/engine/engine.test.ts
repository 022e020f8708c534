import t from 'tap';
import { world, flow, pauseDays, tag, pathOf } from './helpers.js';
import { JunctionError } from '../../engine/errors.js';
import { defineElement } from '../../engine/registry.js';
import { Type } from '@sinclair/typebox';

const DAY = 24 * 3600 * 1000;

t.test('a participant walks instant elements, waits at a pause, and wakes on time', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [tag('t1', 'a', 'p'), pauseDays('p', 2, 't2'), tag('t2', 'b')]));
  w.engine.launch('f');
  t.same(w.engine.enter('f', 'ana'), { entered: true, participantId: 'f.0' });
  t.same(pathOf(w, 'ana'), ['start', 't1', 'p']);
  t.same(w.people.get('ana')!.tags, ['a']);
  w.clock.advance(2 * DAY - 1);
  t.same(pathOf(w, 'ana'), ['start', 't1', 'p'], 'not a millisecond early');
  w.clock.advance(1);
  t.same(pathOf(w, 'ana'), ['start', 't1', 'p', 't2', 't2.next.exit']);
  t.same(w.people.get('ana')!.tags, ['a', 'b']);
  const m = w.engine.metrics('f');
  t.equal(m.profilesInFlow, 1);
  t.equal(m.profilesExited, 1);
  t.equal(m.activeParticipants, 0);
  t.match(m.elements.find((e) => e.id === 'p'), { totalEngagements: 1, uniqueUsersEngaged: 1 });
});

t.test('many participants with different pauses wake in time order', async (t) => {
  const w = world();
  const elements = [1, 2, 3].map((d) => pauseDays(`p${d}`, d));
  const doc = {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [1, 2, 3].map((d) => ({ id: `e${d}`, type: 'flowApi', config: {}, branches: { next: `p${d}` } })),
    elements,
  };
  w.engine.save(doc);
  w.engine.launch('f');
  for (const d of [3, 1, 2]) {
    w.people.upsert({ id: `u${d}` });
    w.engine.enter('f', `u${d}`, { entry: `e${d}` });
  }
  const order: string[] = [];
  w.steps.length = 0;
  w.clock.advance(4 * DAY);
  for (const s of w.steps) order.push(s.participant.personId);
  t.same(order, ['u1', 'u2', 'u3']);
});

t.test('frequency cap: re-entry disabled, time delay, entry limits', async (t) => {
  t.test('re-entry disabled lets a person in once, across versions', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    const doc = flow('f', [tag('t', 'x')], { reentry: { enabled: false } });
    w.engine.save(doc);
    w.engine.launch('f');
    t.equal(w.engine.enter('f', 'a').entered, true);
    t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_REENTRY_DISABLED' });
    w.engine.save({ ...doc, name: 'v2' });
    w.engine.launch('f');
    t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_REENTRY_DISABLED' });
  });
  t.test('a time delay counts from the last exit', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    w.engine.save(flow('f', [pauseDays('p', 1)], { reentry: { enabled: true, delay: { amount: 2, unit: 'days' } } }));
    w.engine.launch('f');
    t.equal(w.engine.enter('f', 'a').entered, true);
    t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_REENTRY_DELAY' }, 'still inside');
    w.clock.advance(DAY); // exits now
    w.clock.advance(2 * DAY - 1);
    t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_REENTRY_DELAY' });
    w.clock.advance(1);
    t.equal(w.engine.enter('f', 'a').entered, true);
  });
  t.test('entry limits: at most N entries within a period', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    w.engine.save(flow('f', [tag('t', 'x')], { reentry: { enabled: true, limits: [{ count: 2, within: { amount: 1, unit: 'days' } }] } }));
    w.engine.launch('f');
    t.equal(w.engine.enter('f', 'a').entered, true);
    t.equal(w.engine.enter('f', 'a').entered, true);
    t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_ENTRY_LIMIT' });
    w.clock.advance(DAY);
    t.equal(w.engine.enter('f', 'a').entered, true);
  });
  t.test('re-entry enabled with no limits lets a person in again at once', async (t) => {
    const w = world();
    w.people.upsert({ id: 'a' });
    w.engine.save(flow('f', [pauseDays('p', 1)]));
    w.engine.launch('f');
    t.equal(w.engine.enter('f', 'a').entered, true);
    t.equal(w.engine.enter('f', 'a').entered, true);
    t.equal(w.engine.metrics('f').activeParticipants, 2);
    t.equal(w.engine.metrics('f').profilesInFlow, 1, 'unique people');
  });
});

t.test('lifecycle: draft → scheduled → active → paused → active → canceled', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'done')], { schedule: { start: '2026-01-06T08:00' } }));
  t.equal(w.engine.status('f')!.status, 'draft');
  t.equal(w.engine.launch('f').status, 'scheduled');
  t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' });
  w.clock.advanceTo('2026-01-06T08:00:00Z');
  t.equal(w.engine.status('f')!.status, 'active');
  t.equal(w.engine.enter('f', 'a').entered, true);
  w.engine.pause('f');
  t.equal(w.engine.status('f')!.status, 'paused');
  t.same(w.engine.enter('f', 'a'), { entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' });
  w.clock.advance(2 * DAY);
  t.same(w.people.get('a')!.tags, [], 'timers are held while paused');
  w.engine.resume('f');
  t.same(w.people.get('a')!.tags, ['done'], 'held timers fire on resume');
  w.engine.enter('f', 'a');
  w.engine.cancel('f');
  t.equal(w.engine.status('f')!.status, 'canceled');
  t.equal(w.engine.metrics('f').activeParticipants, 0);
  w.clock.advance(2 * DAY);
  t.same(w.people.get('a')!.tags, ['done'], 'a canceled flow runs nothing more');
  t.throws(() => w.engine.resume('f'), { code: 'JCT_FLOW_STATUS' });
});

t.test('a schedule end stops entries; the version finishes when the last participant leaves', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [pauseDays('p', 3)], { schedule: { end: '2026-01-06T09:00:00Z' } }));
  w.engine.launch('f');
  w.engine.enter('f', 'a');
  w.clock.advanceTo('2026-01-06T09:00:00Z');
  t.equal(w.engine.status('f')!.status, 'finishing');
  w.clock.advanceTo('2026-01-08T09:00:00Z');
  t.equal(w.engine.status('f')!.status, 'finished');
});

t.test('a flow idle for a year finishes by itself', async (t) => {
  const w = world('2026-01-05T09:00:00Z');
  w.engine.save(flow('f', [tag('t', 'x')]));
  w.engine.launch('f');
  w.clock.advance(366 * DAY);
  t.equal(w.engine.status('f')!.status, 'finished');
});

t.test('versions: a new version takes new entries, the old one finishes its participants', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.people.upsert({ id: 'b' });
  const v1 = flow('f', [pauseDays('p', 1, 't'), tag('t', 'v1')]);
  w.engine.save(v1);
  w.engine.launch('f');
  w.engine.enter('f', 'a');
  w.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'v2')]));
  t.equal(w.engine.launch('f').version, 2);
  t.equal(w.engine.flows.get('f', 1)!.status, 'finishing');
  w.engine.enter('f', 'b');
  w.clock.advance(DAY);
  t.same(w.people.get('a')!.tags, ['v1']);
  t.same(w.people.get('b')!.tags, ['v2']);
  t.equal(w.engine.flows.get('f', 1)!.status, 'finished');
  t.equal(w.engine.metrics('f', 1).profilesExited, 1);
  t.equal(w.engine.metrics('f').version, 2);
});

t.test('launching an invalid flow throws every problem and leaves it a draft', async (t) => {
  const w = world();
  w.engine.save(flow('f', [{ id: 'x', type: 'nope', config: {} }]));
  const err = t.throws(() => w.engine.launch('f')) as JunctionError;
  t.equal(err.code, 'JCT_FLOW_INVALID');
  t.match(err.details, { problems: [{ code: 'JCT_ELEMENT_TYPE_UNKNOWN', path: '$.elements[0].type' }] });
  t.equal(w.engine.status('f')!.status, 'draft');
  t.throws(() => w.engine.launch('nope'), { code: 'JCT_FLOW_UNKNOWN' });
  t.throws(() => w.engine.enter('nope', 'a'), { code: 'JCT_FLOW_UNKNOWN' });
});

t.test('an element that throws stops only its participant; the engine keeps running', async (t) => {
  const w = world();
  defineElement({
    type: 'testExplode',
    role: 'element',
    title: 'Explode (test only)',
    description: 'Throws for people tagged "boom".',
    config: Type.Object({}),
    example: {},
    branches: () => ['next'],
    execute: (_p, run) => {
      if (run.person.tags.includes('boom')) throw new Error('kaboom');
      return 0;
    },
  });
  w.people.upsert({ id: 'bad', tags: ['boom'] });
  w.people.upsert({ id: 'good' });
  w.engine.save(flow('f', [{ id: 'x', type: 'testExplode', config: {}, branches: { next: 't' } }, tag('t', 'ok')]));
  w.engine.launch('f');
  w.engine.enter('f', 'bad');
  w.engine.enter('f', 'good');
  t.same(w.people.get('good')!.tags, ['ok']);
  t.same(w.people.get('bad')!.tags, ['boom']);
  const m = w.engine.metrics('f');
  t.equal(m.elements.find((e) => e.id === 'x')!.failures, 1);
  t.equal(m.activeParticipants, 0);
  t.match(w.logs, [{ level: 'warn', obj: { code: 'JCT_ELEMENT_CRASHED' }, msg: 'kaboom' }]);
});

t.test('an effect whose handler fails is counted and logged; the participant goes on', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.engine.save(flow('f', [tag('t', 'x', 'p'), pauseDays('p', 1)]));
  w.engine.launch('f');
  w.engine.enter('f', 'a');
  t.equal(w.engine.metrics('f').activeParticipants, 1);
  // a profile change that fails in the store (the person was deleted behind the engine's back)
  const store = w.people as unknown as { update: (...a: unknown[]) => unknown };
  const original = store.update.bind(w.people);
  store.update = () => {
    throw new JunctionError('JCT_PERSON_UNKNOWN', 'gone');
  };
  w.people.upsert({ id: 'b' });
  w.engine.enter('f', 'b');
  store.update = original;
  t.equal(w.engine.effectFailures.get('profile.update'), 1);
  t.match(w.logs.filter((l) => l.level === 'error'), [{ obj: { effect: 'profile.update', code: 'JCT_PERSON_UNKNOWN' } }]);
  t.equal(w.engine.metrics('f').activeParticipants, 2);
});

t.test('goal performers: people who entered and then performed the goal event', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.people.upsert({ id: 'b' });
  w.engine.save(flow('f', [pauseDays('p', 1)], { goal: { event: 'purchase' } }));
  w.engine.launch('f');
  w.engine.enter('f', 'a');
  w.engine.event('a', 'purchase');
  w.engine.event('a', 'purchase');
  w.engine.event('b', 'purchase');
  t.equal(w.engine.metrics('f').goalPerformers, 1);
});

t.test('entering needs a known entry point when there are several', async (t) => {
  const w = world();
  w.people.upsert({ id: 'a' });
  w.engine.save({
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [
      { id: 'e1', type: 'flowApi', config: {}, branches: { next: 't' } },
      { id: 'e2', type: 'flowApi', config: {}, branches: { next: 't' } },
    ],
    elements: [tag('t', 'x')],
  });
  w.engine.launch('f');
  t.throws(() => w.engine.enter('f', 'a'), { code: 'JCT_ENTRY_AMBIGUOUS' });
  t.throws(() => w.engine.enter('f', 'a', { entry: 't' }), { code: 'JCT_ENTRY_UNKNOWN' });
  t.equal(w.engine.enter('f', 'a', { entry: 'e2' }).entered, true);
});
