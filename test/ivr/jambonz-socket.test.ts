// The jambonz WebSocket API through the real server on loopback: a `ws` client plays jambonz
// (subprotocol ws.jambonz.org, the application's Basic credentials) through the menu of
// menu.ts, as calls.test.ts does over HTTP: the menu with a wrong key then a PIN ended by "#",
// silence until no input, a forward that is busy then a voicemail (its audio streamed to the
// listen's signed address, then the listen's verb:hook), a hang-up mid-menu (call:status, no ack),
// a call:status saying the call ended before its session:new (hung up, no journey).
// Every ack answers its message's msgid, in order, with verbs valid by
// @jambonz/verb-specifications. Refused: no subprotocol, missing or wrong credentials, a module
// without them; a binary frame closes the socket; a message that is not JSON is ignored.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import type { World } from '../engine/helpers.js';
import { jambonzCall, jambonzOutcome, jambonzTurn, listenMetadata, streamAudio, tone, type Outcome, type Turn } from './callers.js';
import { CALLER, OUR_NUMBER, menuServer } from './menu.js';
import { MAX_SOCKET_MESSAGE_BYTES } from '../../gateway/websockets.js';

const { validate } = createRequire(import.meta.url)('@jambonz/verb-specifications') as { validate: (logger: object, verbs: unknown) => void };
const logger = { info() {}, debug() {}, error() {}, warn() {} };

const PROTOCOL = 'ws.jambonz.org';
const USER = 'jambonz-app';
const PASSWORD = 'a-socket-password-of-some-length';
const SETTINGS = { 'jambonz-voice': { socketUsername: USER, socketPassword: PASSWORD, recordingsDir: join(tmpdir(), 'junction-socket-test-recordings') } };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

type Verb = Record<string, unknown>;
interface Ack {
  readonly type: string;
  readonly msgid: string;
  readonly data: Verb[];
}

/** jambonz's end of one socket: every message it got, in order. */
interface Jambonz {
  readonly socket: WebSocket;
  readonly received: Ack[];
  /** Sends a message; its msgid. */
  send(type: string, callId: string, data: object, hook?: string): string;
  /** Sends a message and waits for the next one from Junction. */
  ack(type: string, callId: string, data: object, hook?: string): Promise<Ack>;
}

let msgids = 0;

async function server(t: Test, settings: object = SETTINGS): Promise<{ w: World; app: FastifyInstance; url: string }> {
  const { w, app, origin } = await menuServer(t, settings as never);
  return { w, app, url: `${origin.replace(/^http/, 'ws')}/voice/jambonz/socket` };
}

async function connect(t: Test, url: string): Promise<Jambonz> {
  const socket = new WebSocket(url, PROTOCOL, { headers: basic(USER, PASSWORD) });
  const received: Ack[] = [];
  socket.on('message', (data) => received.push(JSON.parse(String(data)) as Ack));
  await once(socket, 'open');
  t.equal(socket.protocol, PROTOCOL, 'the subprotocol is agreed');
  t.teardown(() => socket.close());
  const send = (type: string, callId: string, data: object, hook?: string) => {
    const msgid = `m${++msgids}`;
    socket.send(JSON.stringify({ type, msgid, call_sid: callId, ...(hook === undefined ? {} : { hook }), data }));
    return msgid;
  };
  return {
    socket,
    received,
    send,
    ack: async (type, callId, data, hook) => {
      const next = once(socket, 'message');
      const msgid = send(type, callId, data, hook);
      await next;
      const ack = received.at(-1)!;
      if (ack.type !== 'ack' || ack.msgid !== msgid) throw new Error(`expected the ack of ${msgid}, got ${JSON.stringify(ack)}`);
      return ack;
    },
  };
}

/** The ack's verbs, checked by jambonz's specifications, as the caller experiences them. */
function turnOf(t: Test, ack: Ack): Turn {
  t.doesNotThrow(() => validate(logger, ack.data), 'valid by @jambonz/verb-specifications');
  return jambonzTurn(JSON.stringify(ack.data));
}

/** A call over the socket: its session:new, then each outcome to the hook the last turn waits on. */
function call(t: Test, jambonz: Jambonz, callId: string, from = CALLER) {
  return {
    start: async () => turnOf(t, await jambonz.ack('session:new', callId, jambonzCall(callId, from, OUR_NUMBER, 'trying'))),
    reply: async (turn: Turn, outcome: Outcome) => {
      if (!turn.waits) throw new Error('the last turn waits for nothing');
      return turnOf(t, await jambonz.ack('verb:hook', callId, { ...jambonzCall(callId, from, OUR_NUMBER, 'in-progress'), ...jambonzOutcome(outcome) }, turn.waits.url));
    },
  };
}

const personOf = (w: World) => w.people.findByContact(CALLER)!.id;

t.test('dialogs over one socket', async (t) => {
  const { w, url } = await server(t);
  const jambonz = await connect(t, url);

  t.test('the menu, a wrong key, then support and a PIN ended by #', async (t) => {
    const c = call(t, jambonz, 'ws-call-1');
    const menu = await c.start();
    t.same(menu.said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.']);
    t.equal(menu.waits?.kind, 'collect');
    t.match(menu.waits?.url, /^menu~\d+~\d+\?p=[^&]+$/, 'the actionHook is the hook name with its person');
    const again = await c.reply(menu, { digits: '9' });
    t.same(again.said, ['That is not an option.', 'Press 1 for sales, 2 for support.']);
    const pin = await c.reply(again, { digits: '2' });
    t.same(pin.said, ['Enter your PIN, then hash.']);
    t.same(await c.reply(pin, { digits: '1234' }), { said: ['Thank you 1234.'], hangup: true }, 'Exit ends the call');
    t.same(w.engine.journeysOf(personOf(w)), []);
  });

  t.test('silence until no input, after two re-prompts', async (t) => {
    const c = call(t, jambonz, 'ws-call-2');
    let turn = await c.start();
    for (let i = 0; i < 2; i++) {
      turn = await c.reply(turn, { silence: true });
      t.same(turn.said, ['Are you there?', 'Press 1 for sales, 2 for support.'], `re-prompt ${i + 1}`);
    }
    t.same(await c.reply(turn, { silence: true }), { said: ['Goodbye.'], hangup: true });
  });

  t.test('sales is busy: a voicemail streamed to the signed audio address, then the verb:hook', async (t) => {
    t.teardown(() => rm(SETTINGS['jambonz-voice'].recordingsDir, { recursive: true, force: true }));
    const c = call(t, jambonz, 'ws-call-3');
    const forward = await c.reply(await c.start(), { digits: '1' });
    t.equal(forward.waits?.kind, 'forward');
    const record = await c.reply(forward, { forward: 'busy' });
    t.same(record.said, ['Sales is busy.', 'Leave a message.']);
    t.equal(record.waits?.kind, 'record');
    const audio = record.waits!.audio!;
    t.match(audio.url, /^ws:\/\/127\.0\.0\.1:\d+\/voice\/jambonz\/audio\?h=voicemail%7E\d+%7E\d+&p=[^&]+&maxLength=60&t=[0-9a-f]{64}$/);
    t.equal(await streamAudio(audio.url, listenMetadata('ws-call-3', CALLER, OUR_NUMBER, audio.sampleRate), tone(2, audio.sampleRate)), 1000);
    t.same(await c.reply(record, { recording: '', seconds: 2 }), { said: ['Thank you .'], hangup: true }, 'recorded');
  });

  t.test('a caller who hangs up mid-menu: call:status, no ack, the journey ends', async (t) => {
    await w.engine.idle();
    const c = call(t, jambonz, 'ws-call-4');
    await c.start();
    t.equal(w.engine.journeysOf(personOf(w)).length, 1, 'waiting at the menu');
    const before = jambonz.received.length;
    jambonz.send('call:status', 'ws-call-4', { ...jambonzCall('ws-call-4', CALLER, OUR_NUMBER, 'completed'), duration: 20 });
    for (let i = 0; i < 100 && w.engine.journeysOf(personOf(w)).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    t.same(w.engine.journeysOf(personOf(w)), []);
    await new Promise((r) => setTimeout(r, 50));
    t.equal(jambonz.received.length, before, 'no ack');
  });

  t.test('a call:status saying the call ended before its session:new: the hang-up verb, no journey', async (t) => {
    await w.engine.idle();
    jambonz.send('call:status', 'ws-call-7', { ...jambonzCall('ws-call-7', CALLER, OUR_NUMBER, 'completed'), duration: 0 });
    t.same(await call(t, jambonz, 'ws-call-7').start(), { said: [], hangup: true });
    t.same(w.engine.journeysOf(personOf(w)), [], 'nobody waits at the menu');
    t.equal(w.engine.refusedInputs.get('call JCT_SESSION_ENDED'), 1, 'counted');
  });

  t.test('session:reconnect: acknowledged with no verbs, no new entry', async (t) => {
    const c = call(t, jambonz, 'ws-call-5');
    const menu = await c.start();
    const again = await connect(t, url);
    const ack = await again.ack('session:reconnect', 'ws-call-5', jambonzCall('ws-call-5', CALLER, OUR_NUMBER, 'in-progress'));
    t.same(ack.data, []);
    t.equal(w.engine.journeysOf(personOf(w)).length, 1, 'still one journey');
    const next = await call(t, again, 'ws-call-5').reply(menu, { digits: '2' });
    t.same(next.said, ['Enter your PIN, then hash.'], 'the call goes on over the new socket');
  });

  t.test("session:redirect: a redirect verb's hook, answered like a verb:hook", async (t) => {
    const c = call(t, jambonz, 'ws-call-6');
    const menu = await c.start();
    const ack = await jambonz.ack('session:redirect', 'ws-call-6', { ...jambonzCall('ws-call-6', CALLER, OUR_NUMBER, 'in-progress'), ...jambonzOutcome({ digits: '2' }) }, menu.waits!.url);
    t.same(turnOf(t, ack).said, ['Enter your PIN, then hash.'], 'the element behind the hook answers');
  });
});

t.test('acks leave in the order their messages came, each with its msgid', async (t) => {
  const { url } = await server(t);
  const jambonz = await connect(t, url);
  const sent = ['+14155550141', '+14155550142', '+14155550143'].map((from, i) => jambonz.send('session:new', `ws-order-${i}`, jambonzCall(`ws-order-${i}`, from, OUR_NUMBER, 'trying')));
  for (let i = 0; i < 100 && jambonz.received.length < sent.length; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(jambonz.received.map((a) => [a.type, a.msgid]), sent.map((m) => ['ack', m]));
  for (const ack of jambonz.received) t.same(turnOf(t, ack).said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.']);
});

t.test('refused upgrades', async (t) => {
  const { url } = await server(t);
  const refused = async (protocols: string[], headers: Record<string, string>, target = url) => {
    const socket = new WebSocket(target, protocols, { headers });
    socket.on('error', () => {}); // the refusal: not an error of the test
    const [, res] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
    socket.terminate();
    return res.statusCode;
  };
  t.equal(await refused([], basic(USER, PASSWORD)), 400, 'no subprotocol');
  t.equal(await refused(['ws.other.org'], basic(USER, PASSWORD)), 400, 'another subprotocol');
  t.equal(await refused([PROTOCOL], {}), 401, 'no credentials');
  t.equal(await refused([PROTOCOL], basic(USER, 'wrong-password-of-some-length')), 403, 'a wrong password');
  t.equal(await refused([PROTOCOL], basic('someone', PASSWORD)), 403, 'another user');
  t.equal(await refused([PROTOCOL], { authorization: 'Bearer x' }), 401, 'not Basic');
  const unset = await server(t, {});
  t.equal(await refused([PROTOCOL], basic(USER, PASSWORD), unset.url), 403, 'no credentials configured: refused');
});

t.test('a binary frame closes the socket; a message that is not JSON is ignored', async (t) => {
  const { app, url } = await server(t);
  const jambonz = await connect(t, url);
  jambonz.socket.send('{"type":"session:new", not json');
  jambonz.socket.send('{"msgid":"m0"}');
  const ack = await jambonz.ack('session:new', 'ws-bad-1', jambonzCall('ws-bad-1', CALLER, OUR_NUMBER, 'trying'));
  t.same(turnOf(t, ack).said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.'], 'the socket goes on');
  t.equal(jambonz.received.length, 1, 'nothing answered the malformed messages');
  t.same(app.socketErrors['/voice/jambonz/socket'], { JCT_JSON_INVALID: 1, JCT_CALL_MALFORMED: 1 }, 'counted');
  const { key } = app.keys.create('metrics', ['reports']);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${key}` } })).body;
  t.match(metrics, /junction_socket_errors_total\{socket="\/voice\/jambonz\/socket",code="JCT_JSON_INVALID"\} 1\n/, 'and shown in /metrics');
  t.match(metrics, /junction_socket_errors_total\{socket="\/voice\/jambonz\/socket",code="JCT_CALL_MALFORMED"\} 1\n/);
  const closed = once(jambonz.socket, 'close');
  jambonz.socket.send(Buffer.from([1, 2, 3]), { binary: true });
  const [code] = (await closed) as [number];
  t.equal(code, 1003);
});

t.test('a verb:hook without its hook: acknowledged with no verbs (jambonz goes on), counted as refused', async (t) => {
  const { app, url } = await server(t);
  const jambonz = await connect(t, url);
  const menu = await call(t, jambonz, 'ws-nohook-1').start();
  const ack = await jambonz.ack('verb:hook', 'ws-nohook-1', { ...jambonzCall('ws-nohook-1', CALLER, OUR_NUMBER, 'in-progress'), ...jambonzOutcome({ digits: '2' }) });
  t.same(ack.data, [], 'an ack with no verbs');
  t.same(app.socketErrors['/voice/jambonz/socket'], { JCT_CALL_MALFORMED: 1 }, 'counted');
  const next = await call(t, jambonz, 'ws-nohook-1').reply(menu, { digits: '2' });
  t.same(next.said, ['Enter your PIN, then hash.'], 'the call goes on');
});

t.test('a message over the largest size closes the socket (1009) before it is read; counted', async (t) => {
  const { url, app } = await server(t);
  const jambonz = await connect(t, url);
  const closed = once(jambonz.socket, 'close');
  jambonz.socket.send('x'.repeat(MAX_SOCKET_MESSAGE_BYTES + 1));
  const [code] = (await closed) as [number];
  t.equal(code, 1009, 'message too big');
  t.same(app.socketErrors['/voice/jambonz/socket'], { JCT_SOCKET_MESSAGE_TOO_LARGE: 1 }, 'counted');
});
