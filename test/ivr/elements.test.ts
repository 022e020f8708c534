// The IVR elements on the engine, without HTTP: where they may stand (a call must exist), how
// Collect's options match (keys, ranges, RE2 patterns, words said), minimum digits, Record's
// and Forward call's branches (and a late hook of an earlier visit, answered with this one),
// Pause and Play in the answer, and the call's webhooks answered with what the steps said.
import t from 'tap';
import { ivrModule } from '../../ivr/index.js';
import type { CallEvent } from '../../ivr/call-event.js';
import type { Instruction } from '../../ivr/instructions.js';
import { world, type World } from '../engine/helpers.js';

const NUMBER = '+14155550100';
const CALLER = '+14155550123';

function callFlow(elements: object[], variables: object[] = []): object {
  return { schemaVersion: 1, id: 'ivr', name: 'ivr', entryPoints: [{ id: 'call', type: 'inboundCall', config: { numbers: [NUMBER] }, branches: { next: (elements[0] as { id: string }).id } }], elements, settings: { variables } };
}

/** A call driven straight through the inbox, remembering the hook the last answer asked for. */
function caller(w: World, callId = 'c1') {
  let hook: string | undefined;
  const send = async (event: Partial<CallEvent> = {}, ended = false): Promise<Instruction[]> => {
    const personKey = w.people.findByContact(CALLER)?.id ?? w.engine.personKey({ phones: [CALLER] });
    const full: CallEvent = { callId, from: CALLER, to: NUMBER, direction: 'inbound', status: ended ? 'completed' : 'in-progress', ...event };
    const receipt = await w.engine.submit(personKey, { kind: 'call', provider: 'test', event: full, ...(hook && !ended ? { hook } : {}), ...(hook || ended ? {} : { first: true }), expireAfterMs: 60_000 });
    const answer = (receipt.answer ?? []) as Instruction[];
    hook = (answer.findLast((i) => 'hook' in i) as { hook?: string } | undefined)?.hook ?? hook;
    return answer;
  };
  return { start: () => send(), send, hangUp: () => send({}, true), journeys: () => w.engine.journeysOf(w.people.findByContact(CALLER)!.id) };
}

function launched(flow: object) {
  const w = world({ modules: [ivrModule] });
  w.engine.save(flow);
  w.engine.launch('ivr');
  return w;
}

const exit = { id: 'end', type: 'exit', config: {} };
const said = (id: string, text: string) => ({ id, type: 'say', config: { text }, branches: { next: 'end' } });

t.test('a number answers one flow: another flow naming it is not launched while the first is scheduled, active or paused', async (t) => {
  const w = launched(callFlow([said('hi', 'hello'), exit]));
  const other = { ...(callFlow([said('hi', 'other'), exit]) as { entryPoints: object[] }), id: 'other', name: 'other' };
  w.engine.save(other);
  t.throws(() => w.engine.launch('other'), {
    code: 'JCT_ENTRY_TAKEN',
    message: `${NUMBER} answers flow "ivr" (its entry point "call", active): one flow at a time; stop that flow first, or give it a new version without it`,
    details: { key: NUMBER, flowId: 'ivr', entryPoint: 'call', entryPointHere: 'call' },
  });
  t.equal(w.engine.status('other')!.status, 'draft', 'nothing changed');
  w.engine.save(callFlow([said('hi', 'hello again'), exit]));
  t.equal(w.engine.launch('ivr').status, 'active', 'a new version of the flow that holds it is launched');
  w.engine.pause('ivr');
  t.throws(() => w.engine.launch('other'), { code: 'JCT_ENTRY_TAKEN' }, 'a paused flow still holds its numbers');
  w.engine.cancel('ivr');
  t.equal(w.engine.launch('other').status, 'active', 'once it is stopped, the number is free');
  await w.engine.close();
});

t.test('an Inbound Call number may be written as Plivo and Vonage consoles show it, digits without "+"', async (t) => {
  const flow = callFlow([said('hi', 'hello'), exit]) as { entryPoints: Array<{ config: object }> };
  flow.entryPoints[0]!.config = { numbers: [NUMBER.slice(1)] };
  const w = launched(flow);
  t.match(await caller(w).start(), [{ kind: 'say', text: 'hello' }], 'a call to +14155550100 enters');
  await w.engine.close();
});

t.test('IVR elements need a call: the validator says which entry point brings none', async (t) => {
  const w = world({ modules: [ivrModule] });
  const flow = {
    schemaVersion: 1,
    id: 'x',
    name: 'x',
    entryPoints: [
      { id: 'api', type: 'flowApi', config: {}, branches: { next: 'hello' } },
      { id: 'call', type: 'inboundCall', config: { numbers: [NUMBER] }, branches: { next: 'hello' } },
    ],
    elements: [{ id: 'hello', type: 'say', config: { text: 'hi' }, branches: { next: 'end' } }, exit],
  };
  t.match(w.engine.validate(flow), [{ code: 'JCT_IVR_NO_CALL', path: /^\$\.elements\[0\]$/, message: /"api" \(flowApi\)/, elementId: 'hello' }], 'the element, not its config: where it stands is the problem');
  t.same(w.engine.validate({ ...flow, entryPoints: [flow.entryPoints[1]] }), []);
  t.match(w.engine.validate({ ...flow, entryPoints: [{ id: 'call', type: 'inboundCall', config: { numbers: ['12'] }, branches: { next: 'hello' } }] }), [{ code: 'JCT_PHONE_INVALID' }]);
  await w.engine.close();
});

t.test('IVR elements need a call: an element that waits for something else in between has lost it', async (t) => {
  const w = world({ modules: [ivrModule] });
  const lookup = { id: 'lookup', type: 'callWebhook', config: { url: 'https://crm.example.com/who' }, branches: { next: 'tagged', failed: 'tagged' } };
  const flow = callFlow([{ id: 'hello', type: 'say', config: { text: 'hi' }, branches: { next: 'lookup' } }, lookup, { id: 'tagged', type: 'addTag', config: { tags: ['called'] }, branches: { next: 'bye' } }, said('bye', 'bye'), exit]);
  t.match(w.engine.validate(flow), [{ code: 'JCT_IVR_CALL_LOST', path: /^\$\.elements\[3\]$/, message: /after "lookup" \(callWebhook\), which waits for something else than the call/ }]);
  const menu = { id: 'menu', type: 'collect', config: { prompts: [{ say: 'Which?' }], options: [{ name: 'one', digits: '1' }] }, branches: { one: 'tagged', noInput: 'end', noMatch: 'end' } };
  t.same(w.engine.validate(callFlow([menu, { id: 'tagged', type: 'addTag', config: { tags: ['called'] }, branches: { next: 'bye' } }, said('bye', 'bye'), exit])), [], 'an element waiting for the call keeps it');
  await w.engine.close();
});

t.test('collect options: keys, a range, a pattern, words; minimum digits; the entry kept', async (t) => {
  const menu = {
    id: 'menu',
    type: 'collect',
    config: {
      prompts: [{ say: 'Which?' }],
      input: 'dtmfSpeech',
      maxDigits: 6,
      minDigits: 2,
      retries: 0,
      saveTo: 'entry',
      options: [
        { name: 'exact', digits: '42' },
        { name: 'range', range: { from: 100, to: 199 } },
        { name: 'pattern', pattern: '9\\d+#?' },
        { name: 'words', words: ['billing', 'invoice'] },
      ],
    },
    branches: { exact: 'e', range: 'r', pattern: 'p', words: 'o', noInput: 'n', noMatch: 'm' },
  };
  const flow = callFlow([menu, said('e', 'exact'), said('r', 'range'), said('p', 'pattern'), said('o', 'words'), said('n', 'silence'), said('m', 'no match'), exit], [{ name: 'entry', type: 'text', default: '' }]);
  const cases: Array<[Partial<CallEvent>, string]> = [
    [{ input: { noInput: false, digits: '42' } }, 'exact'],
    [{ input: { noInput: false, digits: '150' } }, 'range'],
    [{ input: { noInput: false, digits: '9123' } }, 'pattern'],
    [{ input: { noInput: false, speech: { text: 'My INVOICE, please!' } } }, 'words'],
    [{ input: { noInput: false, digits: '4' } }, 'no match'],
    [{ input: { noInput: false, speech: { text: 'something else' } } }, 'no match'],
    [{ input: { noInput: true } }, 'silence'],
    [{}, 'silence'],
  ];
  for (const [event, expected] of cases) {
    const w = launched(flow);
    const c = caller(w);
    const first = await c.start();
    t.match(first, [{ kind: 'collect', prompts: [{ kind: 'say', text: 'Which?' }], dtmf: true, speech: true, minDigits: 2, maxDigits: 6, finishKey: '#', hook: /^menu~0~/ }]);
    t.same(await c.send(event), [{ kind: 'say', text: expected }], JSON.stringify(event));
    await w.engine.close();
  }
});

t.test('collect: the entry ends at the finish key, which Vonage sends with the keys when it is "*"', async (t) => {
  const menu = {
    id: 'menu',
    type: 'collect',
    config: { prompts: [{ say: 'Your code, then star.' }], minDigits: 2, maxDigits: 6, finishKey: '*', retries: 0, saveTo: 'entry', options: [{ name: 'code', range: { from: 10, to: 99 } }] },
    branches: { code: 'c', noInput: 'n', noMatch: 'm' },
  };
  const flow = callFlow([menu, said('c', 'code {{entry}}'), said('n', 'silence'), said('m', 'no match {{entry}}'), exit], [{ name: 'entry', type: 'text', default: '' }]);
  const cases: Array<[string, string]> = [
    ['42*', 'code 42'],
    ['42*7', 'code 42'],
    ['42', 'code 42'],
    ['*', 'silence'],
    ['4*2', 'no match 4'],
  ];
  for (const [digits, expected] of cases) {
    const w = launched(flow);
    const c = caller(w);
    await c.start();
    t.same(await c.send({ input: { noInput: false, digits } }), [{ kind: 'say', text: expected }], digits);
    await w.engine.close();
  }
});

t.test('record: the URL and length into variables, or notRecorded; forward: its four outcomes', async (t) => {
  const flow = callFlow(
    [
      { id: 'rec', type: 'record', config: { prompt: { play: 'https://example.com/beep.mp3' }, maxLength: 30, urlTo: 'url', durationTo: 'seconds' }, branches: { recorded: 'fwd', notRecorded: 'none' } },
      { id: 'fwd', type: 'forwardCall', config: { to: ['+1 415 555 0111', 'sip:desk@pbx.example.com'], callerId: '+1 415 555 0100' }, branches: { answered: 'a', busy: 'b', noAnswer: 'n', failed: 'f' } },
      { id: 'none', type: 'say', config: { text: 'nothing recorded' }, branches: { next: 'end' } },
      said('a', 'answered {{url}} {{seconds}}'),
      said('b', 'busy'),
      said('n', 'no answer'),
      said('f', 'failed'),
      exit,
    ],
    [
      { name: 'url', type: 'text', default: '' },
      { name: 'seconds', type: 'whole', default: 0 },
    ],
  );
  const w = launched(flow);
  const c = caller(w);
  t.match(await c.start(), [{ kind: 'play', url: 'https://example.com/beep.mp3' }, { kind: 'record', maxLength: 30, beep: true, finishKey: '#' }]);
  t.match(await c.send({ recording: { url: 'https://rec.example.com/1.mp3', durationS: 12 } }), [{ kind: 'forward', targets: [{ type: 'phone', address: '+14155550111' }, { type: 'sip', address: 'sip:desk@pbx.example.com' }], callerId: '+14155550100', ringTimeout: 30 }]);
  t.same(await c.send({ status: 'in-progress' }), [], 'a callback without an outcome changes nothing');
  t.same(await c.send({ forward: { status: 'completed' } }), [{ kind: 'say', text: 'answered https://rec.example.com/1.mp3 12' }]);
  for (const [status, text] of [['busy', 'busy'], ['no-answer', 'no answer'], ['failed', 'failed']] as const) {
    const w2 = launched(flow);
    const c2 = caller(w2);
    await c2.start();
    await c2.send({ recording: { url: 'https://rec.example.com/2.mp3' } });
    t.same(await c2.send({ forward: { status } }), [{ kind: 'say', text }]);
    await w2.engine.close();
  }
  const w3 = launched(flow);
  const c3 = caller(w3);
  await c3.start();
  t.same(await c3.send({ input: { noInput: true } }), [{ kind: 'say', text: 'nothing recorded' }]);
  await w3.engine.close();
  const w4 = launched(flow);
  const c4 = caller(w4);
  await c4.start();
  t.match(await c4.send({}), [{ kind: 'pause', seconds: 1 }, { kind: 'redirect', hook: /^rec~1~/ }], 'asked what next before the recording came: held');
  t.match(await c4.send({ recording: { url: 'https://rec.example.com/3.mp3' } }), [{ kind: 'forward' }]);
  await w4.engine.close();
  const w5 = launched(flow);
  const c5 = caller(w5);
  await c5.start();
  t.same(await c5.hangUp(), [], 'a hang-up while recording');
  t.equal(c5.journeys().length, 1, 'waits for the recording still on its way');
  w5.clock.advance(5 * 60_000);
  await w5.engine.durable();
  t.same(c5.journeys(), [], 'none came: the journey ends there');
  await w5.engine.close();
  const w6 = launched(flow);
  const c6 = caller(w6);
  await c6.start();
  w6.clock.advance(60_000 + 1);
  await w6.engine.durable();
  t.equal(c6.journeys().length, 1, 'a recording of 30 s at most outlasts the session timeout (60 s) without a webhook');
  w6.clock.advance(30_000);
  await w6.engine.durable();
  t.same(c6.journeys(), [], 'the provider silent past it: the session expires');
  await w6.engine.close();
  await w.engine.close();
});

t.test('a flow paused during a call: the call goes on to its end, new calls are not answered', async (t) => {
  const menu = { id: 'menu', type: 'collect', config: { prompts: [{ say: 'Which?' }], options: [{ name: 'one', digits: '1' }] }, branches: { one: 'tagged', noInput: 'end', noMatch: 'end' } };
  const w = launched(callFlow([menu, { id: 'tagged', type: 'addTag', config: { tags: ['pressed'] }, branches: { next: 'bye' } }, said('bye', 'bye'), exit]));
  const c = caller(w);
  await c.start();
  w.engine.pause('ivr');
  t.same(await c.send({ input: { noInput: false, digits: '1' } }), [{ kind: 'say', text: 'bye' }], 'answered, not hung up');
  t.same(c.journeys(), []);
  t.same(w.people.findByContact(CALLER)!.tags, ['pressed']);
  t.same(await caller(w, 'c2').start(), [], 'a new call enters nothing');
  w.engine.resume('ivr');
  t.same(w.people.findByContact(CALLER)!.tags, ['pressed'], 'nothing held to run again');
  await w.engine.close();
});

t.test('pause, play and hang up; a hang-up while forwarding ends the journey unless the forwarded call was answered', async (t) => {
  const flow = callFlow([
    { id: 'wait', type: 'callPause', config: { seconds: 2 }, branches: { next: 'music' } },
    { id: 'music', type: 'play', config: { url: 'https://example.com/hold.mp3', loop: 3 }, branches: { next: 'fwd' } },
    { id: 'fwd', type: 'forwardCall', config: { to: ['+1 415 555 0111'] }, branches: { answered: 'bye', busy: 'bye', noAnswer: 'bye', failed: 'bye' } },
    { id: 'bye', type: 'hangUp', config: {} },
  ]);
  const w = launched(flow);
  const c = caller(w);
  t.match(await c.start(), [{ kind: 'pause', seconds: 2 }, { kind: 'play', url: 'https://example.com/hold.mp3', loop: 3 }, { kind: 'forward' }]);
  t.equal(c.journeys().length, 1);
  t.same(await c.hangUp(), []);
  t.equal(c.journeys().length, 1, "the forward's outcome may come after the hang-up's status callback");
  t.same(await c.send({ status: 'completed', forward: { status: 'failed' } }), []);
  t.same(c.journeys(), [], 'nobody answered: the journey ends there');
  const late = caller(w, 'late');
  await late.start();
  await late.hangUp();
  w.clock.advance(60_000);
  await w.engine.durable();
  t.same(late.journeys(), [], 'no outcome within a minute of the hang-up: the journey ends');
  const c2 = caller(w, 'c2');
  await c2.start();
  t.same(await c2.send({ forward: { status: 'busy' } }), [{ kind: 'hangup' }]);
  t.same(c2.journeys(), []);
  const c3 = caller(w, 'c3');
  await c3.start();
  w.clock.advance(2 * 3600_000);
  await w.engine.durable();
  t.equal(c3.journeys().length, 1, 'a forwarded call two hours long, without a webhook, outlasts the session timeout (60 s)');
  t.same(await c3.send({ forward: { status: 'completed', durationS: 7200 } }), [{ kind: 'hangup' }], 'its outcome still takes the branch');
  await w.engine.close();
});

t.test('a caller who hangs up after a forwarded conversation: answered still runs, whichever of the outcome and the status callback comes first', async (t) => {
  const flow = callFlow([
    { id: 'fwd', type: 'forwardCall', config: { to: ['+1 415 555 0111'] }, branches: { answered: 'talked' } },
    { id: 'talked', type: 'addTag', config: { tags: ['talked'] }, branches: { next: 'bye' } },
    { id: 'bye', type: 'say', config: { text: 'thanks' } },
  ]);
  const w = launched(flow);
  const first = caller(w, 'status-first');
  await first.start();
  await first.hangUp();
  t.same(await first.send({ status: 'completed', forward: { status: 'completed', durationS: 300 } }), [], 'nothing to say to a caller who is gone');
  t.same(first.journeys(), []);
  t.same(w.people.findByContact(CALLER)!.tags, ['talked'], 'the post-call step ran');
  const outcomeFirst = caller(w, 'outcome-first');
  await outcomeFirst.start();
  await outcomeFirst.send({ status: 'completed', forward: { status: 'answered' } });
  t.same(outcomeFirst.journeys(), []);
  const passes = (id: string) => w.engine.metrics('ivr').elements.find((e) => e.id === id)?.totalEngagements;
  t.same([passes('talked'), passes('bye')], [2, 2], 'both ran the post-call step, then reached the Say, which had no caller to answer');
  t.equal(w.engine.metrics('ivr').elements.find((e) => e.id === 'bye')?.failures, 0, 'which is no failure');
  await w.engine.close();
});

t.test("collect counts each silence and each entry no option holds in the element's counters", async (t) => {
  const menu = { id: 'menu', type: 'collect', config: { prompts: [{ say: 'Which?' }], retries: 2, options: [{ name: 'one', digits: '1' }] }, branches: { one: 'o', noInput: 'n', noMatch: 'm' } };
  const w = launched(callFlow([menu, said('o', 'one'), said('n', 'silence'), said('m', 'no match'), exit]));
  const c = caller(w);
  await c.start();
  await c.send({ input: { noInput: true } });
  await c.send({ input: { noInput: false, digits: '7' } });
  t.same(await c.send({ input: { noInput: false, digits: '1' } }), [{ kind: 'say', text: 'one' }]);
  t.same(w.engine.metrics('ivr').elements.find((e) => e.id === 'menu')?.counters, { noInput: 1, noMatch: 1 });
  await w.engine.close();
});

t.test('a record or a forward visited again: a late hook of the visit before is answered with this visit, never taken as its outcome', async (t) => {
  const w = launched(
    callFlow(
      [
        { id: 'msg', type: 'record', config: { urlTo: 'rec' }, branches: { recorded: 'desk', notRecorded: 'end' } },
        { id: 'desk', type: 'forwardCall', config: { to: ['+14155550111'] }, branches: { answered: 'end', busy: 'again', noAnswer: 'end', failed: 'end' } },
        { id: 'again', type: 'collect', config: { prompts: [{ say: '1 to try again' }], options: [{ name: 'redo', digits: '1' }] }, branches: { redo: 'msg', noInput: 'end', noMatch: 'end' } },
        exit,
      ],
      [{ name: 'rec', type: 'text', default: '' }],
    ),
  );
  const person = () => w.people.findByContact(CALLER)!.id;
  const send = async (hook: string | undefined, event: Partial<CallEvent> = {}): Promise<Instruction[]> => {
    const full: CallEvent = { callId: 'c1', from: CALLER, to: NUMBER, direction: 'inbound', status: 'in-progress', ...event };
    const receipt = await w.engine.submit(w.people.findByContact(CALLER)?.id ?? w.engine.personKey({ phones: [CALLER] }), { kind: 'call', provider: 'test', event: full, ...(hook ? { hook } : { first: true }), expireAfterMs: 60_000 });
    return (receipt.answer ?? []) as Instruction[];
  };
  const hookIn = (answer: Instruction[]) => (answer.findLast((i) => 'hook' in i) as { hook: string }).hook;
  const firstRecord = hookIn(await send(undefined));
  const firstForward = hookIn(await send(firstRecord, { recording: { url: 'https://rec.example.com/1.mp3' } }));
  const menu = hookIn(await send(firstForward, { forward: { status: 'busy' } }));
  const secondRecord = hookIn(await send(menu, { input: { digits: '1', noInput: false } }));
  t.not(secondRecord, firstRecord);
  const late = await send(firstRecord, { recording: { url: 'https://rec.example.com/late.mp3' } });
  t.match(late, [{ kind: 'record', hook: secondRecord }], "the first visit's recording, late: the record again, on this visit's hook");
  t.equal(w.engine.journeysOf(person())[0]!.vars['rec'], 'https://rec.example.com/1.mp3', 'not taken as this recording');
  t.same(await send(firstRecord, { recording: { url: 'https://rec.example.com/apart.mp3' }, background: true }), [], 'one the first visit sent apart (Vonage): nothing to say');
  t.notOk(w.engine.journeysOf(person())[0]!.vars['~recording'], 'nor kept for this visit');
  const secondForward = hookIn(await send(secondRecord, { recording: { url: 'https://rec.example.com/2.mp3' } }));
  t.equal(w.engine.journeysOf(person())[0]!.vars['rec'], 'https://rec.example.com/2.mp3', "this visit's recording");
  t.match(await send(firstForward, { forward: { status: 'completed' } }), [{ kind: 'forward', hook: secondForward }], "the first forward's outcome, late: the forward again, on this visit's hook");
  t.equal(w.engine.journeysOf(person()).length, 1, 'still forwarding');
  t.same(await send(secondForward, { forward: { status: 'completed' } }), [], 'the answered branch: Exit (the route adds the hang-up)');
  t.same(w.engine.journeysOf(person()), []);
  t.same(['msg', 'desk'].map((id) => w.engine.metrics('ivr').elements.find((e) => e.id === id)?.counters['lateHook']), [1, 1]);
  await w.engine.close();
});
