// Runtime contracts that channels and IVR will rely on: asynchronous effects and their
// results, the per-step execution limit, illegal status moves, the timer heap.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { world, flow, pathOf } from './helpers.js';
import { defineEffect, defineElement } from '../../engine/registry.js';
import { TimerQueue } from '../../engine/runtime/timers.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Asks the outside world (an effect with an asynchronous handler) and waits for the answer.
defineElement({
  type: 'testAsk',
  role: 'element',
  title: 'Ask (test only)',
  description: 'Emits test.ask and waits for its result.',
  config: Type.Object({}),
  example: {},
  branches: () => ['answered', 'failed'],
  waits: true,
  execute: (_p, run) => {
    run.emit({ kind: 'test.ask', question: run.person.id });
    return { wait: true };
  },
  resume: (_p, run, input) => {
    if (input.kind === 'effect.result') {
      run.setVar('answer', String(input['result']));
      return 0;
    }
    return input.kind === 'effect.failed' ? 1 : undefined;
  },
});

defineEffect('test.ask', async (effect) => {
  if (effect['question'] === 'grumpy') throw new Error('no answer for you');
  return `hello ${String(effect['question'])}`;
});

// Declares that it waits, never does, and loops to itself: only the step limit stops it.
defineElement({
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

t.test('an effect handler that returns a promise delivers its result (or failure) to the waiting element', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.people.upsert({ id: 'grumpy' });
  w.engine.save(flow('f', [{ id: 'ask', type: 'testAsk', config: {} }], { variables: [{ name: 'answer', type: 'text' }] }));
  w.engine.launch('f');
  w.engine.enter('f', 'ana');
  w.engine.enter('f', 'grumpy');
  t.same(pathOf(w, 'ana'), ['start', 'ask'], 'waits while the effect runs');
  await settle();
  t.same(pathOf(w, 'ana'), ['start', 'ask', 'ask.answered.exit']);
  t.equal(w.steps.filter((s) => s.participant.personId === 'ana').at(-1)!.participant.vars['answer'], 'hello ana');
  t.same(pathOf(w, 'grumpy'), ['start', 'ask', 'ask.failed.exit']);
  t.equal(w.engine.effectFailures.get('test.ask'), 1);
  t.match(w.logs, [{ level: 'error', obj: { effect: 'test.ask', code: 'JCT_EFFECT_FAILED' }, msg: 'no answer for you' }]);
});

t.test('an input the waiting element does not take leaves the participant waiting', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [{ id: 'ask', type: 'testAsk', config: {} }], { variables: [{ name: 'answer', type: 'text' }] }));
  w.engine.launch('f');
  w.engine.enter('f', 'ana');
  t.equal(w.engine.deliver('ana', { kind: 'somethingElse' }), 0);
  t.equal(w.engine.metrics('f').activeParticipants, 1);
  await settle();
});

t.test('a step that runs away is stopped at the execution limit and counted', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [{ id: 'spin', type: 'testSpin', config: {}, branches: { next: 'spin' } }]));
  w.engine.launch('f');
  w.engine.enter('f', 'ana');
  const last = w.steps.at(-1)!;
  t.equal(last.participant.exitReason, 'JCT_STEP_LIMIT');
  t.same(last.result.failures.map((f) => f.code), ['JCT_STEP_LIMIT']);
  t.equal(w.engine.metrics('f').elements.find((e) => e.id === 'spin')!.failures, 1);
  t.equal(w.engine.metrics('f').profilesExited, 0, 'stopped, not exited');
});

t.test('a status move the lifecycle does not allow is refused with JCT_FLOW_STATUS', async (t) => {
  const w = world();
  w.engine.save(flow('f', [{ id: 'ask', type: 'testAsk', config: {} }], { variables: [{ name: 'answer', type: 'text' }] }));
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
    q.push(at, `p${i}`);
  }
  t.equal(q.popDue(-1), undefined, 'nothing is due before the earliest');
  const popped: number[] = [];
  for (let now = 0; now < 1000; now += 7) {
    for (let id = q.popDue(now); id !== undefined; id = q.popDue(now)) popped.push(due[Number(id.slice(1))]!);
  }
  for (let id = q.popDue(Infinity); id !== undefined; id = q.popDue(Infinity)) popped.push(due[Number(id.slice(1))]!);
  t.equal(popped.length, due.length);
  t.same(popped, [...due].sort((a, b) => a - b));
  t.equal(q.peek(), undefined);
});
