// Runtime contracts that channels and IVR will rely on: effects performed once their step is
// durable, their results (or failures, retried when retryable) delivered to the waiting
// element, inputs reaching only the participants waiting for them, the per-step execution
// limit, illegal status moves, the timer heap.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { world, flow, pathOf, pauseDays, tag, type World } from './helpers.js';
import { defineElement } from '../../engine/element.js';
import { EffectFailure } from '../../engine/errors.js';
import type { EffectHandler, Module } from '../../engine/module.js';
import { ParticipantStatus, WAIT_KEY_SEPARATOR, type Effect } from '../../engine/vocabulary.js';
import { TimerQueue } from '../../engine/due-queue.js';

// Asks the outside world (an effect of the configured kind) and waits for the answer.
const testAsk = defineElement<{ kind?: string }>({
  type: 'testAsk',
  role: 'element',
  title: 'Ask (test only)',
  description: 'Emits test.ask (or the configured kind) and waits for its result.',
  config: Type.Object({ kind: Type.Optional(Type.String()) }),
  example: {},
  branches: () => ['answered', 'failed'],
  waits: true,
  execute: (p, run) => {
    run.emit({ kind: p.kind ?? 'test.ask', question: run.person.id });
    return { wait: true, on: 'effect' };
  },
  resume: (_p, run, input) => {
    if (input.kind === 'effect.result') {
      run.setVar('answer', String(input.result));
      return 0;
    }
    return input.kind === 'effect.failed' ? 1 : undefined;
  },
});

// Waits for the event named in its config; takes it only when its properties say ok.
const testAwait = defineElement<{ event: string }>({
  type: 'testAwait',
  role: 'element',
  title: 'Await (test only)',
  description: 'Waits for an event whose properties hold ok: true.',
  config: Type.Object({ event: Type.String() }),
  example: { event: 'poke' },
  branches: () => ['next'],
  waits: true,
  execute: (p) => ({ wait: true, on: `event:${p.event}` }),
  resume: (_p, _run, input) => (input.kind === 'event' && input.properties['ok'] === true ? 0 : undefined),
});

// Emits test.slow and waits for its result or the event poke, whichever comes first (as an
// outbound call waits for its API's answer and the call's webhooks, which may come before it).
const testAskOrAwait = defineElement({
  type: 'testAskOrAwait',
  role: 'element',
  title: 'Ask or await (test only)',
  description: 'Emits test.slow and waits for its result or a poke event.',
  config: Type.Object({}),
  example: {},
  branches: () => ['answered', 'poked'],
  waits: true,
  execute: (_p, run) => {
    run.emit({ kind: 'test.slow', question: run.person.id });
    return { wait: true, on: `effect${WAIT_KEY_SEPARATOR}event:poke` };
  },
  resume: (_p, _run, input) => (input.kind === 'effect.result' ? 0 : input.kind === 'event' ? 1 : undefined),
});

// Declares that it waits, never does, and loops to itself: only the step limit stops it.
const testSpin = defineElement({
  type: 'testSpin',
  role: 'element',
  title: 'Spin (test only)',
  description: 'Claims to wait but never does.',
  config: Type.Object({}),
  example: {},
  branches: () => ['next'],
  waits: true,
  execute: () => 0,
});

/** Every effect a handler was asked to perform, with when (engine clock) it was asked. */
interface Call {
  readonly effect: Effect;
  readonly at: number;
  /** Whether the effect's outbox row was already in the journal's backend when it was performed. */
  readonly durable: boolean;
}

/** A test module: the test elements, and handlers whose behaviour each test sets. */
function testWorld(handlers: Record<string, (effect: Effect, attempt: number) => unknown> = {}): World & { calls: Call[] } {
  const calls: Call[] = [];
  const answers: Record<string, (effect: Effect, attempt: number) => unknown> = {
    'test.ask': async (effect) => {
      if (effect['question'] === 'grumpy') throw new Error('no answer for you');
      return `hello ${String(effect['question'])}`;
    },
    ...handlers,
  };
  const effects: EffectHandler[] = Object.entries(answers).map(([kind, answer]) => ({
    kind,
    perform: (effect, ctx) => {
      const attempt = calls.filter((c) => c.effect.key === effect.key).length + 1;
      calls.push({ effect, at: ctx.now(), durable: w.backend.tables.get('outbox')!.has(effect.key) });
      return answer(effect, attempt);
    },
  }));
  const test: Module = { name: 'test', elements: [testAsk, testAwait, testAskOrAwait, testSpin], effects };
  const w = world({ modules: [test] });
  for (const name of ['poke', 'prod', 'somethingElse']) w.people.defineEvent({ name, properties: [{ name: 'ok', type: 'boolean' }] });
  return Object.assign(w, { calls });
}

const askFlow = (kind?: string) =>
  flow('f', [{ id: 'ask', type: 'testAsk', config: kind === undefined ? {} : { kind } }], { variables: [{ name: 'answer', type: 'text' }] });
const lastState = (w: World, personId: string) => w.steps.filter((s) => s.participant.personId === personId).at(-1)!.participant;

t.test('an effect handler that returns a promise delivers its result (or failure) to the waiting element', async (t) => {
  const w = testWorld();
  w.people.upsert({ id: 'ana' });
  w.people.upsert({ id: 'grumpy' });
  w.engine.save(askFlow());
  w.engine.launch('f');
  const entering = [w.engine.enter('f', 'ana'), w.engine.enter('f', 'grumpy')];
  t.same(pathOf(w, 'ana'), ['start', 'ask'], 'waits while the effect runs');
  const [ana] = await Promise.all(entering);
  t.match(ana!.participantId, /^[0-9a-z]+\.[0-9a-z]+$/);
  t.match(w.steps.find((s) => s.participant.personId === 'ana')!.participant, { status: ParticipantStatus.Waiting, waitOn: 'effect', waitUntil: 0 });
  await w.engine.idle();
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.answered.exit']);
  t.equal(lastState(w, 'ana').vars['answer'], 'hello ana');
  t.same(pathOf(w, 'grumpy'), ['start', 'ask', 'ask.failed.exit']);
  t.equal(w.engine.effectFailures.get('test.ask'), 1);
  t.match(w.logs, [{ level: 'error', obj: { effect: 'test.ask', code: 'JCT_EFFECT_FAILED' }, msg: 'no answer for you' }]);
  t.equal(w.backend.tables.get('outbox')!.size, 0, 'both outbox entries are done');
});

t.test('an effect is performed only once its step is durable', async (t) => {
  const w = testWorld();
  w.people.upsert({ id: 'ana' });
  w.engine.save(askFlow());
  w.engine.launch('f');
  const receipt = w.engine.enter('f', 'ana');
  t.same(pathOf(w, 'ana'), ['start', 'ask'], 'the step ran at once');
  t.equal(w.calls.length, 0, 'but its effect was not performed yet');
  t.equal(w.backend.tables.get('outbox')!.size, 0, 'nor written');
  const r = await receipt;
  await w.engine.idle();
  t.equal(w.calls.length, 1);
  t.equal(w.calls[0]!.effect.key, `${r.participantId}:1:0`, 'key: participant, step, index');
  t.match(w.calls[0]!.effect, { kind: 'test.ask', question: 'ana', personId: 'ana' });
  t.equal(w.calls[0]!.durable, true, 'its outbox entry was in the journal when the handler ran');
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.answered.exit']);
  t.equal(w.backend.tables.get('outbox')!.size, 0, 'the outcome removed the outbox entry');
});

t.test('a retryable failure is retried on the engine clock, with the same key, until it succeeds', async (t) => {
  const w = testWorld({
    'test.flaky': (_e, attempt) => {
      if (attempt < 3) throw new EffectFailure('JCT_TEST_BUSY', `busy (attempt ${attempt})`, true);
      return 'at last';
    },
  });
  w.people.upsert({ id: 'ana' });
  w.engine.save(askFlow('test.flaky'));
  w.engine.launch('f');
  const r = await w.engine.enter('f', 'ana');
  await w.engine.idle();
  t.equal(w.calls.length, 1, 'first attempt failed');
  t.same(pathOf(w, 'ana'), ['start', 'ask'], 'still waiting');
  t.match(w.logs, [{ level: 'warn', obj: { effect: 'test.flaky', code: 'JCT_TEST_BUSY', attempt: 1 } }]);
  w.clock.advance(999);
  await w.engine.idle();
  t.equal(w.calls.length, 1, 'not retried before the backoff');
  w.clock.advance(1);
  await w.engine.idle();
  t.equal(w.calls.length, 2, 'retried after 1 s');
  t.same(pathOf(w, 'ana'), ['start', 'ask']);
  w.clock.advance(2000);
  await w.engine.idle();
  t.equal(w.calls.length, 3, 'retried again after 2 s more');
  t.same(w.calls.map((c) => c.at - w.calls[0]!.at), [0, 1000, 3000], 'exponential backoff');
  t.same(w.calls.map((c) => c.effect.key), [`${r.participantId}:1:0`, `${r.participantId}:1:0`, `${r.participantId}:1:0`], 'one idempotency key for every attempt');
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.answered.exit']);
  t.equal(lastState(w, 'ana').vars['answer'], 'at last');
  t.equal(w.engine.effectFailures.get('test.flaky'), undefined, 'not a failure');
  t.equal(w.backend.tables.get('outbox')!.size, 0);
});

t.test('a retryable failure that never stops fails for good after 6 attempts', async (t) => {
  const w = testWorld({
    'test.down': () => {
      throw new EffectFailure('JCT_TEST_DOWN', 'down', true);
    },
  });
  w.people.upsert({ id: 'ana' });
  w.engine.save(askFlow('test.down'));
  w.engine.launch('f');
  await w.engine.enter('f', 'ana');
  await w.engine.idle();
  for (let i = 0; i < 10; i++) {
    w.clock.advance(60_000);
    await w.engine.idle();
  }
  t.equal(w.calls.length, 6);
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.failed.exit']);
  t.equal(w.engine.effectFailures.get('test.down'), 1);
  t.match(w.logs.filter((l) => l.level === 'error'), [{ obj: { effect: 'test.down', code: 'JCT_TEST_DOWN', attempts: 6 } }]);
});

t.test('a failure that is not retryable takes the failure branch at once and is counted', async (t) => {
  const w = testWorld({
    'test.refuse': () => {
      throw new EffectFailure('JCT_TEST_REFUSED', 'refused', false);
    },
  });
  w.people.upsert({ id: 'ana' });
  w.engine.save(askFlow('test.refuse'));
  w.engine.launch('f');
  await w.engine.enter('f', 'ana');
  await w.engine.idle();
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.failed.exit']);
  t.equal(w.engine.effectFailures.get('test.refuse'), 1);
  t.match(w.logs.filter((l) => l.level === 'error'), [{ obj: { effect: 'test.refuse', code: 'JCT_TEST_REFUSED', attempts: 1 }, msg: 'refused' }]);
  w.clock.advance(3_600_000);
  await w.engine.idle();
  t.equal(w.calls.length, 1, 'never retried');
});

t.test('an effect no module handles fails for good', async (t) => {
  const w = testWorld();
  w.people.upsert({ id: 'ana' });
  w.engine.save(askFlow('test.nobody'));
  w.engine.launch('f');
  await w.engine.enter('f', 'ana');
  await w.engine.idle();
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.failed.exit']);
  t.equal(w.engine.effectFailures.get('test.nobody'), 1);
  t.match(w.logs, [{ level: 'error', obj: { effect: 'test.nobody', code: 'JCT_EFFECT_UNKNOWN' } }]);
});

t.test('an input the waiting element does not take leaves the participant waiting', async (t) => {
  let answer!: (value: string) => void;
  const answered = new Promise<string>((resolve) => (answer = resolve));
  const w = testWorld({ 'test.ask': () => answered });
  w.people.upsert({ id: 'ana' });
  w.engine.save(askFlow());
  w.engine.launch('f');
  const r = await w.engine.enter('f', 'ana');
  const id = r.participantId!;
  await t.rejects(w.engine.submit('ana', { kind: 'somethingElse' } as never), { code: 'JCT_INPUT_UNKNOWN' });
  t.same(await w.engine.event('ana', 'somethingElse'), { personId: 'ana', delivered: 0 }, 'it waits for no event');
  t.same(await w.engine.submit('ana', { kind: 'timer', participant: id }), { personId: 'ana', delivered: 0 }, 'nor for time');
  t.same(await w.engine.submit('ana', { kind: 'effect.result', key: `${id}:9:0`, result: 'stale' }), { personId: 'ana', delivered: 0 }, 'nor for an effect of another step');
  t.match(w.engine.participant(id), { status: ParticipantStatus.Waiting, waitOn: 'effect' });
  t.equal(w.engine.metrics('f').activeParticipants, 1);
  t.same(pathOf(w, 'ana'), ['start', 'ask']);
  answer('hello ana');
  await w.engine.idle();
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.answered.exit'], 'the real answer still gets through');
  t.equal(lastState(w, 'ana').vars['answer'], 'hello ana');
});

t.test('an event reaches only the participants waiting for it, and only if their element takes it', async (t) => {
  const w = testWorld();
  w.people.upsert({ id: 'ana' });
  w.people.upsert({ id: 'bob' });
  w.engine.save(flow('f', [{ id: 'wait', type: 'testAwait', config: { event: 'poke' } }]));
  w.engine.launch('f');
  const ana = await w.engine.enter('f', 'ana');
  await w.engine.enter('f', 'bob');
  t.match(w.engine.participant(ana.participantId!), { status: ParticipantStatus.Waiting, waitOn: 'event:poke', waitUntil: 0 });
  t.same(await w.engine.event('ana', 'prod', { ok: true }), { personId: 'ana', delivered: 0 }, 'another event');
  t.same(await w.engine.event('ana', 'poke', { ok: false }), { personId: 'ana', delivered: 0 }, 'declined by the element');
  t.same(pathOf(w, 'ana'), ['start', 'wait']);
  t.same(await w.engine.event('ana', 'poke', { ok: true }), { personId: 'ana', delivered: 1 });
  t.same(pathOf(w, 'ana'), ['start', 'wait', 'wait.next.exit']);
  t.same(pathOf(w, 'bob'), ['start', 'wait'], "someone else's event does not reach bob");
  t.same(await w.engine.event('ana', 'poke', { ok: true }), { personId: 'ana', delivered: 0 }, 'ana no longer waits');
});

t.test('a wait for an effect and an event at once: whichever comes first moves the participant, the other then finds nobody', async (t) => {
  const answers = new Map<string, (answer: string) => void>();
  const w = testWorld({ 'test.slow': (effect) => new Promise((resolve) => answers.set(String(effect['question']), resolve)) });
  for (const id of ['ana', 'bob']) w.people.upsert({ id });
  w.engine.save(flow('f', [{ id: 'both', type: 'testAskOrAwait', config: {} }]));
  w.engine.launch('f');
  await w.engine.enter('f', 'ana');
  await w.engine.enter('f', 'bob');
  while (answers.size < 2) await new Promise((r) => setImmediate(r)); // both effects under way
  t.match(w.engine.participant(lastState(w, 'ana').id), { status: ParticipantStatus.Waiting, waitOn: `effect${WAIT_KEY_SEPARATOR}event:poke` });
  t.same(await w.engine.event('ana', 'poke', { ok: true }), { personId: 'ana', delivered: 1 }, "the event came before ana's result");
  t.same(pathOf(w, 'ana'), ['start', 'both', 'both.poked.exit']);
  answers.get('ana')!('late');
  answers.get('bob')!('hello');
  await w.engine.idle();
  t.same(pathOf(w, 'ana'), ['start', 'both', 'both.poked.exit'], 'the late result finds nobody waiting');
  t.same(pathOf(w, 'bob'), ['start', 'both', 'both.answered.exit'], "bob's result came first");
  t.same(await w.engine.event('bob', 'poke', { ok: true }), { personId: 'bob', delivered: 0 }, 'bob no longer waits for the event');
});

t.test('a step that runs away is stopped at the execution limit and counted', async (t) => {
  const w = testWorld();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [{ id: 'spin', type: 'testSpin', config: {}, branches: { next: 'spin' } }]));
  w.engine.launch('f');
  await w.engine.enter('f', 'ana');
  const last = w.steps.at(-1)!;
  t.equal(last.participant.exitReason, 'JCT_STEP_LIMIT');
  t.same(last.result.failures.map((f) => f.code), ['JCT_STEP_LIMIT']);
  t.equal(w.engine.metrics('f').elements.find((e) => e.id === 'spin')!.failures, 1);
  t.equal(w.engine.metrics('f').profilesExited, 0, 'stopped, not exited');
});

t.test('a status move the lifecycle does not allow is refused with JCT_FLOW_STATUS', async (t) => {
  const w = testWorld();
  w.engine.save(askFlow());
  w.engine.launch('f');
  w.engine.pause('f');
  t.throws(() => w.engine.pause('f'), { code: 'JCT_FLOW_STATUS', message: /is paused and cannot become paused/ });
  t.throws(() => w.engine.launch('f'), { code: 'JCT_FLOW_STATUS', message: /no draft to launch/ });
  w.engine.save(flow('draft-only', []));
  t.equal(w.engine.cancel('draft-only').status, 'canceled');
});

t.test('the timer heap pops in due order under random pushes', async (t) => {
  const q = new TimerQueue();
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const due: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const at = Math.floor(random() * 1000);
    due.push(at);
    q.push(at, i);
  }
  t.equal(q.popDue(-1), undefined, 'nothing is due before the earliest');
  const popped: number[] = [];
  for (let now = 0; now < 1000; now += 7) {
    for (let id = q.popDue(now); id !== undefined; id = q.popDue(now)) popped.push(due[id]!);
  }
  for (let id = q.popDue(Infinity); id !== undefined; id = q.popDue(Infinity)) popped.push(due[id]!);
  t.equal(popped.length, due.length);
  t.same(popped, [...due].sort((a, b) => a - b));
  t.equal(q.peek(), undefined);
});

t.test('a step whose profile change brings the person into another flow at once keeps its own state', async (t) => {
  const w = testWorld();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('a', [{ id: 'wait', type: 'testAwait', config: { event: 'poke' }, branches: { next: 'vip' } }, tag('vip', 'vip', 'rest'), pauseDays('rest', 1)]));
  w.engine.launch('a');
  w.engine.save({
    ...flow('b', [pauseDays('hold', 2)]),
    entryPoints: [{ id: 'vips', type: 'predefinedAudience', config: { audience: { tags: ['vip'] }, updateAfterLaunch: 'realtime' }, branches: { next: 'hold' } }],
  });
  w.engine.launch('b');
  await w.engine.enter('a', 'ana');
  t.same(await w.engine.event('ana', 'poke', { ok: true }), { personId: 'ana', delivered: 1 }, 'the tag runs b’s entry step inside a’s step');
  const inside = (flowId: string) => [...w.engine.participantsOf(flowId, 1)];
  t.match(inside('a'), [{ personId: 'ana', status: ParticipantStatus.Waiting, node: w.engine.compiled('a')!.indexOf.get('rest') }]);
  t.match(inside('b'), [{ personId: 'ana', status: ParticipantStatus.Waiting, node: w.engine.compiled('b')!.indexOf.get('hold') }]);
  w.clock.advance(24 * 3600 * 1000);
  await w.engine.idle();
  t.same(inside('a'), [], 'a’s participant wakes and leaves');
  t.equal(inside('b').length, 1, 'b’s participant still waits');
  t.same(pathOf(w, 'ana'), ['start', 'wait', 'vips', 'hold', 'vip', 'rest', 'rest.next.exit'], 'b’s step, nested, ends first');
});
