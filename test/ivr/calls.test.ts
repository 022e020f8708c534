// Complete IVR dialogs through the real server on loopback, for every scripted caller
// (callers.ts), through the menu of menu.ts: a menu, a wrong key then the right one, a PIN ended
// by "#", silence until "no input" after two re-prompts, a forward that is busy then a
// voicemail recording, a forward answered then ended, a caller who hangs up while it rings or
// in the middle of the menu, status callbacks that arrive before the call's first webhook (a
// hang-up among them), and late hooks of elements the call left, retries of them included
// (answered with where the call is). The engine runs on a
// virtual clock; the session expires when the provider stops calling back.
import t, { type Test } from 'tap';
import type { World } from '../engine/helpers.js';
import { jambonzCaller, plivoCaller, telnyxCaller, twilioCaller, vonageCaller, type Caller, type MakeCaller, type Turn } from './callers.js';
import { CALLER, MENU_FLOW, OUR_NUMBER, menuServer } from './menu.js';

interface Line {
  readonly w: World;
  readonly caller: Caller;
  /** A new call id per dialog. */
  call(): { id: string; start(): Promise<Turn> };
}

async function line(t: Test, makeCaller: MakeCaller): Promise<Line> {
  const probe = makeCaller('');
  const { w, origin } = await menuServer(t, { [probe.module]: probe.settings });
  const caller = makeCaller(origin, () => w.clock.now());
  let n = 0;
  return {
    w,
    caller,
    call: () => {
      const id = `${caller.name}-call-${++n}`;
      return { id, start: () => caller.start(id, CALLER, OUR_NUMBER) };
    },
  };
}

/** The menu's node ids by index (entry points first), as a participant's `node` counts them. */
const NODES = [...MENU_FLOW.entryPoints, ...MENU_FLOW.elements].map((n) => n.id);

const CALLERS: readonly MakeCaller[] = [twilioCaller, telnyxCaller, vonageCaller, plivoCaller, jambonzCaller];

/** The providers whose every hook answer is run as a document (XML, which has no empty one). */
const XML_CALLERS: ReadonlySet<string> = new Set(['twilio', 'telnyx', 'plivo']);

const MENU = 'the menu, a wrong key, then support and a PIN ended by #';
const SILENCE = 'silence until no input, after two re-prompts';
const VOICEMAIL = 'sales is busy: a voicemail is recorded';
const HANG_UP = 'a caller who hangs up mid-menu ends the journey';
const CONNECTED = 'an answered forward goes on when the forwarded call ends, not when it is answered';
const HANG_UP_RINGING = 'a caller who hangs up while the forward rings ends the journey, whatever outcome comes after';
const HANG_UP_RECORDING = 'a caller who hangs up while recording still leaves the voicemail';
const EARLY_STATUS = 'status callbacks before the first webhook start nothing; the first webhook starts the flow';
const RETRY = 'a retried webhook gets the same answer and changes nothing';
const EXPIRY = 'a provider that stops calling back: the session expires';
const STALE = 'a stale hook keeps the re-prompt count and the caller on the line';
const LATE = 'a late hook of an element the call left, at a forward or a record, keeps the call there';
const ENDED_FIRST = 'a call whose hang-up came before its first webhook starts no journey';
const RETRY_LEFT = 'a retry of a webhook the call has gone on from is answered with where the call is';

/**
 * Dialogs a dialect fails (marked todo) until Junction is fixed outside the dialects: the
 * callers do what the provider does, the assertions are the same for every dialect.
 */
const GAPS: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

for (const makeCaller of CALLERS) {
  t.test(`${makeCaller('').name}: dialogs`, async (t) => {
    const { w, caller, call } = await line(t, makeCaller);
    const reply = (turn: Turn, id: string, outcome: Parameters<Caller['reply']>[4]) => caller.reply(turn, id, CALLER, OUR_NUMBER, outcome);
    const gaps = GAPS[caller.name] ?? {};
    const dialog = (title: string, fn: (t: Test) => Promise<void>) => t.test(title, { todo: gaps[title] ?? false }, fn);

    await dialog(MENU, async (t) => {
      const c = call();
      const menu = await c.start();
      t.same(menu.said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.']);
      t.equal(menu.waits?.kind, 'collect');
      const again = await reply(menu, c.id, { digits: '9' });
      t.same(again.said, ['That is not an option.', 'Press 1 for sales, 2 for support.'], 'a re-prompt after the no-match prompt');
      const pin = await reply(again, c.id, { digits: '2' });
      t.same(pin.said, ['Enter your PIN, then hash.']);
      const done = await reply(pin, c.id, { digits: '1234' });
      t.same(done, { said: ['Thank you 1234.'], hangup: true }, 'Exit ends the call');
      t.same(w.engine.journeysOf(w.people.findByContact(CALLER)!.id), [], 'the journey is over');
    });

    await dialog(SILENCE, async (t) => {
      const c = call();
      let turn = await c.start();
      for (let i = 0; i < 2; i++) {
        turn = await reply(turn, c.id, { silence: true });
        t.same(turn.said, ['Are you there?', 'Press 1 for sales, 2 for support.'], `re-prompt ${i + 1}`);
      }
      t.same(await reply(turn, c.id, { silence: true }), { said: ['Goodbye.'], hangup: true });
    });

    await dialog(VOICEMAIL, async (t) => {
      const c = call();
      const forward = await reply(await c.start(), c.id, { digits: '1' });
      t.equal(forward.waits?.kind, 'forward');
      const record = await reply(forward, c.id, { forward: 'busy' });
      t.same(record.said, ['Sales is busy.', 'Leave a message.']);
      t.equal(record.waits?.kind, 'record');
      const done = await reply(record, c.id, { recording: 'https://rec.example.com/r1.mp3', seconds: 7 });
      t.same(done, { said: ['Thank you .'], hangup: true });
    });

    await dialog(CONNECTED, async (t) => {
      const c = call();
      const forward = await reply(await c.start(), c.id, { digits: '1' });
      const done = await reply(forward, c.id, { forward: 'completed' });
      t.same(done, { said: [], hangup: true }, 'the answered branch ends the call');
      t.same(w.engine.journeysOf(w.people.findByContact(CALLER)!.id), [], 'the journey is over');
    });

    await dialog(HANG_UP_RINGING, async (t) => {
      const c = call();
      const forward = await reply(await c.start(), c.id, { digits: '1' });
      t.equal(await caller.status(c.id, CALLER, OUR_NUMBER, 'completed'), 204);
      const person = w.people.findByContact(CALLER)!.id;
      t.equal(w.engine.journeysOf(person).length, 1, 'the forward waits for its outcome');
      t.same(await reply(forward, c.id, { forward: 'failed' }), { said: [], hangup: true }, 'no voicemail for a caller who is gone');
      t.same(w.engine.journeysOf(person), [], 'the journey is over');
    });

    await dialog(HANG_UP_RECORDING, async (t) => {
      const c = call();
      const forward = await reply(await c.start(), c.id, { digits: '1' });
      const record = await reply(forward, c.id, { forward: 'busy' });
      const person = w.people.findByContact(CALLER)!.id;
      const left: string[] = [];
      const stop = w.engine.watchSteps((e) => e.participant.personId === person && left.push(String(e.participant.vars['recording'])));
      await caller.hangUpRecording(record, c.id, CALLER, OUR_NUMBER, { recording: 'https://rec.example.com/r2.mp3', seconds: 4 });
      stop();
      t.match(left.at(-1), caller.name === 'jambonz' ? /\/voice\/jambonz\/recordings\/[0-9a-f]{32}\.wav$/ : 'https://rec.example.com/r2.mp3', 'the voicemail is kept');
      t.same(w.engine.journeysOf(person), [], 'and the journey is over');
    });

    await dialog(HANG_UP, async (t) => {
      const c = call();
      await c.start();
      const person = w.people.findByContact(CALLER)!.id;
      t.equal(w.engine.journeysOf(person).length, 1, 'waiting at the menu');
      t.equal(await caller.status(c.id, CALLER, OUR_NUMBER, 'completed'), 204);
      t.same(w.engine.journeysOf(person), []);
    });

    await dialog(EARLY_STATUS, async (t) => {
      const c = call();
      const person = w.people.findByContact(CALLER)!.id;
      t.same(w.engine.journeysOf(person), []);
      t.equal(await caller.status(c.id, CALLER, OUR_NUMBER, 'ringing'), 204);
      t.equal(await caller.status(c.id, CALLER, OUR_NUMBER, 'in-progress'), 204);
      t.same(w.engine.journeysOf(person), [], 'no journey from a status callback');
      const menu = await c.start();
      t.same(menu.said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.'], 'not taken for a retry of the ringing callback');
      t.equal(w.engine.journeysOf(person).length, 1);
      t.equal(await caller.status(c.id, CALLER, OUR_NUMBER, 'completed'), 204);
      t.same(w.engine.journeysOf(person), []);
    });

    await dialog(RETRY, async (t) => {
      const c = call();
      const menu = await c.start();
      const first = await reply(menu, c.id, { digits: '2' });
      const retry = await reply(menu, c.id, { digits: '2' });
      t.same(retry, first);
      const done = await reply(first, c.id, { digits: '4321' });
      t.same(done.said, ['Thank you 4321.']);
    });

    await dialog(STALE, async (t) => {
      const c = call();
      const menu = await c.start();
      let turn = menu;
      for (let i = 0; i < 2; i++) turn = await reply(turn, c.id, { silence: true });
      const stale = await reply(menu, c.id, { digits: '9' }); // not a retry: another outcome on the first hook
      t.same(stale.said, ['Press 1 for sales, 2 for support.'], 'the same question, no re-prompt');
      t.equal(stale.waits?.url, turn.waits?.url, 'on the hook the call is expected on');
      t.same(await reply(stale, c.id, { silence: true }), { said: ['Goodbye.'], hangup: true }, 'the re-prompts already spent are counted');
      const d = call();
      const left = await d.start();
      await reply(left, d.id, { digits: '2' });
      const late = await reply(left, d.id, { digits: '1' });
      t.same(late.said, ['Enter your PIN, then hash.'], "a hook of the collect the call left: the current element's question");
      t.same((await reply(late, d.id, { digits: '4321' })).said, ['Thank you 4321.']);
      const counters = w.engine.metrics('menu').elements;
      t.same(['menu', 'pin'].map((id) => counters.find((e) => e.id === id)?.counters['lateHook']), [1, 1], 'each late hook counted where the call was');
    });

    await dialog(LATE, async (t) => {
      const c = call();
      const menu = await c.start();
      const forward = await reply(menu, c.id, { digits: '1' });
      const person = w.people.findByContact(CALLER)!.id;
      const at = () => w.engine.journeysOf(person).map((j) => NODES[j.node]);
      const ringing = await reply(menu, c.id, { digits: '2' }); // another outcome on the menu's hook, while sales rings
      t.same(ringing, forward, 'the forward again, on its own hook');
      t.same(at(), ['desk'], 'still at the forward');
      const record = await reply(forward, c.id, { forward: 'busy' });
      const late = await reply(menu, c.id, { digits: '9' }); // the menu's again, as the voicemail records
      t.same(late, { ...record, said: ['Leave a message.'] }, 'the record again (its prompt, not the say before it), on its own hook');
      // the forward's, another outcome (Vonage: the other leg's answered event first, out of order, answered 204 as any set-up event)
      const lateForward = await reply(forward, c.id, { forward: 'completed' });
      t.same(lateForward, late, 'the record again');
      t.same(at(), ['voicemail'], 'still at the record');
      const done = await reply(record, c.id, { recording: 'https://rec.example.com/r3.mp3', seconds: 5 });
      t.same(done, { said: ['Thank you .'], hangup: true }, 'the recording goes on as before');
      const counters = w.engine.metrics('menu').elements;
      t.same(['desk', 'voicemail'].map((id) => counters.find((e) => e.id === id)?.counters['lateHook']), [1, 2], 'each late hook counted where the call was');
    });

    await dialog(ENDED_FIRST, async (t) => {
      const c = call();
      const person = w.people.findByContact(CALLER)!.id;
      const refused = () => w.engine.refusedInputs.get('call JCT_SESSION_ENDED') ?? 0;
      const before = refused();
      t.equal(await caller.status(c.id, CALLER, OUR_NUMBER, 'completed'), 204);
      t.same(await c.start(), { said: [], hangup: true }, "answered with the dialect's hang-up");
      t.same(w.engine.journeysOf(person), [], 'no journey waits at the menu');
      t.equal(refused(), before + 1, 'counted');
      const d = call();
      t.same((await d.start()).said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.'], 'another call of the caller starts the flow');
      t.equal(await caller.status(d.id, CALLER, OUR_NUMBER, 'completed'), 204);
    });

    await dialog(RETRY_LEFT, async (t) => {
      const c = call();
      const menu = await c.start();
      t.same(await c.start(), menu, 'the first webhook retried at once: its first answer');
      const forward = await reply(menu, c.id, { digits: '1' });
      t.same(await reply(menu, c.id, { digits: '1' }), forward, 'a retry while the call is where its answer left it: the first answer');
      const record = await reply(forward, c.id, { forward: 'busy' });
      const voicemail = { ...record, said: ['Leave a message.'] };
      t.same(await reply(menu, c.id, { digits: '1' }), voicemail, 'the menu\'s retried once the call went on: the record again, not the forward');
      t.same(await c.start(), voicemail, 'the first webhook retried once the call went on: the record again');
      const person = w.people.findByContact(CALLER)!.id;
      t.same(w.engine.journeysOf(person).map((j) => NODES[j.node]), ['voicemail'], 'still at the record, in one journey');
      t.same(await reply(record, c.id, { recording: 'https://rec.example.com/r4.mp3', seconds: 5 }), { said: ['Thank you .'], hangup: true });
      t.equal(w.engine.metrics('menu').elements.find((e) => e.id === 'voicemail')?.counters['lateHook'], 4, 'counted as late hooks (with the two of the dialog before)');
    });

    await dialog(EXPIRY, async (t) => {
      const c = call();
      const menu = await c.start();
      const person = w.people.findByContact(CALLER)!.id;
      t.equal(w.engine.journeysOf(person).length, 1);
      w.clock.advance(3600 * 1000 + 1);
      await w.engine.durable();
      t.same(w.engine.journeysOf(person), []);
      // the caller was still there after all: a key now reaches no journey
      const late = reply(menu, c.id, { digits: '1' });
      if (XML_CALLERS.has(caller.name)) t.same(await late, { said: [], hangup: true }, 'hung up: an XML answer cannot be empty');
      else await t.rejects(late, /answered 204/, 'nothing to run: the call ends');
    });

    await dialog('a number nobody answers: the call is hung up', async (t) => {
      const turn = await caller.start('nobody-1', CALLER, '+14155559999');
      t.same(turn, { said: [], hangup: true });
    });
  });
}
