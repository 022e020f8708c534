// Vonage NCCO: documents parsed with JSON.parse and checked against the actions and options of
// carrier-dialects.md §2.6, including what NCCO has to emulate (pause, redirect, hang-up,
// record) and the limits it clamps; the answer and event webhooks read into call events (§2.5,
// §2.7); the signed-callback JWT checked with the §2.4 vector and the @vonage/jwt verifier.
import t from 'tap';
import { createHash, createHmac } from 'node:crypto';
import { verifySignature } from '@vonage/jwt';
import { XMLParser } from 'fast-xml-parser';
import { ncco } from '../../ivr/dialects/ncco.js';
import type { Instruction } from '../../ivr/instructions.js';
import { FORWARD, HANGUP, MENU, PAUSE_AND_PLAY, PIN, RANGE, RECORD, REDIRECT, SPECIAL, SPEECH, collect, formPost, get, hookPath, hookUrl, jsonPost } from './fixtures.js';

type Action = Record<string, unknown>;
const render = (instructions: Instruction[]): Action[] => JSON.parse(ncco.render(instructions, hookUrl)) as Action[];
const actions = (list: Action[]) => list.map((a) => a['action']);

t.test('a menu: talk, the prompt as a talk the input can interrupt, then input', async (t) => {
  const list = render(MENU);
  t.same(actions(list), ['talk', 'talk', 'input']);
  t.same(list[0], { action: 'talk', text: 'Welcome to Acme.', language: 'en-US' });
  t.same(list[1], { action: 'talk', text: 'Press 1 for sales, 2 for support.', bargeIn: true });
  t.same(list[2], { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 1, timeOut: 5, submitOnHash: false }, eventUrl: [hookUrl('collect:menu')], eventMethod: 'POST' });
  t.equal(ncco.contentType, 'application/json');
});

t.test('a 4-digit PIN with "#": submitOnHash, the prompt not interruptible', async (t) => {
  const list = render(PIN);
  t.same(list[0], { action: 'talk', text: 'Enter your PIN, then hash.' });
  t.same(list[1]!['dtmf'], { maxDigits: 4, timeOut: 8, submitOnHash: true });
  t.same((render(RANGE)[1]!['dtmf'] as Action)['maxDigits'], 6);
});

t.test('Vonage limits are clamped: dtmf.timeOut ≤ 10, maxDigits ≤ 20, startTimeout 1–10, endOnSilence 0.4–10', async (t) => {
  const [input] = render([collect({ prompts: [], maxDigits: 30, minDigits: 1, firstTimeout: 45, speech: true, speechOptions: { hints: [], endSilence: 0.1 } })]);
  t.same(input!['dtmf'], { maxDigits: 20, timeOut: 10, submitOnHash: false });
  t.same(input!['speech'], { startTimeout: 10, endOnSilence: 0.4 });
});

t.test('speech with hints: speech.context and language; a played prompt is a stream', async (t) => {
  const list = render(SPEECH);
  t.same(list[0], { action: 'stream', streamUrl: ['https://cdn.example.com/menu.mp3'], bargeIn: true });
  t.same(list[1], {
    action: 'input',
    type: ['dtmf', 'speech'],
    dtmf: { maxDigits: 1, timeOut: 5, submitOnHash: false },
    speech: { startTimeout: 5, language: 'en-GB', context: ['sales', 'support'], endOnSilence: 2 },
    eventUrl: [hookUrl('collect:speech')],
    eventMethod: 'POST',
  });
  const speechOnly = render([collect({ prompts: [], dtmf: false, speech: true })])[0]!;
  t.same(speechOnly['type'], ['speech']);
  t.notOk('dtmf' in speechOnly);
});

t.test('a record ends on its own conditions; a notify after it asks for what comes next', async (t) => {
  const list = render(RECORD);
  t.same(actions(list), ['talk', 'record', 'notify']);
  t.same(list[1], { action: 'record', format: 'mp3', timeOut: 120, endOnSilence: 5, endOnKey: '#', beepStart: true, eventUrl: [hookUrl('record:voicemail')], eventMethod: 'POST' });
  t.same(list[2], { action: 'notify', payload: { hook: 'record:voicemail' }, eventUrl: [hookUrl('record:voicemail')], eventMethod: 'POST' });
  const clamped = render([{ kind: 'record', hook: 'r', maxLength: 10_000, finishKey: null, beep: false, silenceTimeout: 1 }])[0]!;
  t.match(clamped, { timeOut: 7200, endOnSilence: 3, beepStart: false });
  t.notOk('endOnKey' in clamped);
});

t.test('a forward connects the first target (phone without "+"), its events to the hook marked forward', async (t) => {
  t.same(render(FORWARD), [
    {
      action: 'connect',
      endpoint: [{ type: 'phone', number: '15557650003' }],
      from: '15557650002',
      timeout: 20,
      eventType: 'synchronous',
      eventUrl: [hookUrl('forward:desk', { forward: '1' })],
      eventMethod: 'POST',
    },
  ]);
  const sip = render([{ kind: 'forward', hook: 'f', targets: [{ type: 'sip', address: 'sip:desk@pbx.example.com' }], ringTimeout: 30 }])[0]!;
  t.same(sip['endpoint'], [{ type: 'sip', uri: 'sip:desk@pbx.example.com' }]);
  t.notOk('from' in sip);
});

t.test('pause is a talk of SSML breaks; play loops; redirect is a notify; hang-up ends the NCCO', async (t) => {
  const [pause, play] = render(PAUSE_AND_PLAY);
  t.equal(pause!['action'], 'talk');
  const ssml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(pause!['text'] as string) as { speak: { break: { time: string } } };
  t.same(ssml, { speak: { break: { time: '2s' } } });
  const long = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(render([{ kind: 'pause', seconds: 25 }])[0]!['text'] as string) as { speak: { break: Array<{ time: string }> } };
  t.same(long.speak.break, [{ time: '10s' }, { time: '10s' }, { time: '5s' }], 'breaks of at most 10 s');
  t.same(play, { action: 'stream', streamUrl: ['https://cdn.example.com/hold.mp3'], loop: 3 });
  t.same(render(REDIRECT), [{ action: 'notify', payload: { hook: 'step:next' }, eventUrl: [hookUrl('step:next')], eventMethod: 'POST' }]);
  t.same(render(HANGUP), [{ action: 'talk', text: 'Goodbye.' }]);
  t.same(render([{ kind: 'hangup' }]), []);
});

t.test('text is carried as it is (JSON), a numeric voice becomes the style', async (t) => {
  t.same(render([{ kind: 'say', text: SPECIAL, voice: '2', loop: 2 }]), [{ action: 'talk', text: SPECIAL, style: 2, loop: 2 }]);
});

t.test('a text longer than a talk takes (1500 characters) is said in several talks, cut after a space, looped as a whole', async (t) => {
  const words = Array.from({ length: 400 }, (_, i) => `word${i % 10}😀`).join(' '); // 400 × 6 characters + spaces: 2799
  const list = render([collect({ prompts: [{ kind: 'say', text: words, language: 'en-US', loop: 2 }] })]);
  t.same(actions(list), ['talk', 'talk', 'talk', 'talk', 'input']);
  const texts = list.slice(0, 2).map((a) => a['text'] as string);
  t.ok(texts.every((x) => Array.from(x).length <= 1500), 'each talk is at most 1500 characters');
  t.equal(texts.join(''), words, 'nothing is lost or doubled');
  t.ok(texts[0]!.endsWith(' ') && !texts[1]!.startsWith(' '), 'cut after a space');
  t.same(list.slice(2, 4), list.slice(0, 2), 'the loop says the whole text again');
  t.same(list[0], { action: 'talk', text: texts[0], language: 'en-US', bargeIn: true }, 'no loop on a part');
  const unbroken = render([{ kind: 'say', text: 'x'.repeat(3001) }]);
  t.same(unbroken.map((a) => (a['text'] as string).length), [1500, 1500, 1], 'a text without spaces is cut at the limit');
  t.same(render([{ kind: 'say', text: 'y'.repeat(1500), loop: 3 }]), [{ action: 'talk', text: 'y'.repeat(1500), loop: 3 }], 'a text that fits is one talk');
});

// ---- reading ----

const LEG = { from: '447700900000', to: '442079460000', uuid: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', conversation_uuid: 'CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab' };
const BASE = { callId: LEG.conversation_uuid, from: LEG.from, to: LEG.to };

t.test('reading: the answer webhook (GET, or JSON), inputs, no input, a recording, a forward, events', async (t) => {
  t.same(ncco.read(get('/ivr/vonage/answer', LEG)), BASE);
  t.same(ncco.read(jsonPost('/ivr/vonage/answer', LEG)), BASE);
  const input = (body: object) => ncco.read(jsonPost(hookPath('collect:menu'), { ...LEG, timestamp: '2020-01-01T14:00:00.000Z', ...body })).input;
  t.same(input({ dtmf: { digits: '1234', timed_out: true }, speech: { results: [] } }), { digits: '1234', noInput: false });
  t.same(input({ dtmf: { digits: '', timed_out: true } }), { noInput: true }, 'no keys: empty digits, timed out');
  t.same(input({ dtmf: { digits: null, timed_out: true } }), { noInput: true }, 'no keys: null digits');
  t.same(input({ speech: { timeout_reason: 'start_timeout', results: [] }, dtmf: { digits: '', timed_out: false } }), { noInput: true }, 'no speech');
  t.same(input({ speech: { timeout_reason: 'end_on_silence_timeout', results: [{ text: 'sales', confidence: '0.93' }, { text: 'sails', confidence: '0.4' }] } }), {
    speech: { text: 'sales', confidence: 0.93 },
    noInput: false,
  });
  const recording = ncco.read(
    jsonPost(hookPath('record:voicemail'), {
      start_time: '2020-01-01T12:00:00Z',
      recording_url: 'https://api.nexmo.com/v1/files/bbbbbbbb-aaaa',
      size: 12222,
      recording_uuid: 'cccccccc',
      end_time: '2020-01-01T12:00:17Z',
      conversation_uuid: LEG.conversation_uuid,
      timestamp: '2020-01-01T12:00:17.000Z',
    }),
  );
  t.same(recording, { callId: LEG.conversation_uuid, from: '', to: '', recording: { url: 'https://api.nexmo.com/v1/files/bbbbbbbb-aaaa', durationS: 17 }, background: true }, 'a record event has no from/to, and comes in the background');
  t.same(ncco.read(jsonPost(hookPath('record:voicemail'), { payload: { hook: 'record:voicemail' }, conversation_uuid: LEG.conversation_uuid })), { callId: LEG.conversation_uuid, from: '', to: '' }, 'the notify after it');
  const leg = (status: string, extra: object = {}) => ncco.read(jsonPost(hookPath('forward:desk', { forward: '1' }), { ...LEG, uuid: 'other-leg', direction: 'outbound', status, ...extra }));
  t.same(leg('answered'), { ...BASE, background: true }, 'the other leg answering is no outcome: the calls are connected until it ends (nothing to run meanwhile)');
  t.same(leg('completed', { duration: '42' }), { ...BASE, forward: { status: 'completed', durationS: 42 } });
  t.same(leg('unanswered').forward, { status: 'no-answer' });
  t.same(leg('busy').forward, { status: 'busy' });
  t.same(leg('ringing'), { ...BASE, background: true }, 'the other leg ringing is no outcome yet, nor the caller’s status; it may come after the outcome, when the call is elsewhere');
  const event = (status: string) => ncco.read(jsonPost('/ivr/vonage/event', { ...LEG, status, direction: 'inbound', timestamp: '2020-01-01T12:00:00.000Z' }));
  t.same(event('completed'), { ...BASE, direction: 'inbound', status: 'completed' });
  const want = { started: 'ringing', ringing: 'ringing', answered: 'in-progress', busy: 'busy', cancelled: 'canceled', unanswered: 'no-answer', timeout: 'no-answer', rejected: 'failed', failed: 'failed', disconnected: 'completed', human: 'in-progress', machine: 'in-progress' };
  for (const [word, status] of Object.entries(want)) t.equal(event(word).status, status, word);
});

t.test('reading: malformed webhooks are refused with JCT_CALL_MALFORMED', async (t) => {
  const malformed = { code: 'JCT_CALL_MALFORMED' };
  t.throws(() => ncco.read(jsonPost('/ivr/vonage/event', { from: '1', to: '2', status: 'ringing' })), malformed, 'no uuid');
  t.throws(() => ncco.read(jsonPost('/ivr/vonage/event', [LEG])), malformed, 'an array');
  t.throws(() => ncco.read(jsonPost('/ivr/vonage/event', { ...LEG, uuid: 5, conversation_uuid: { id: 1 } })), malformed, 'ids of the wrong type');
  t.throws(() => ncco.read(jsonPost('/ivr/vonage/event', { ...LEG, dtmf: 'pressed' })), malformed, 'dtmf not an object');
  t.throws(() => ncco.read(jsonPost('/ivr/vonage/event', { ...LEG, speech: { results: 'x' } })), malformed, 'results not a list');
  t.throws(() => ncco.read(formPost('/ivr/vonage/event', LEG)), malformed, 'a form body');
  t.throws(() => ncco.read(jsonPost(hookPath('forward:desk', { forward: '1' }), LEG)), malformed, 'a forward event without status');
});

// ---- signature ----

const SECRET = 'vonage_signature_secret_0123456789';
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
function jwt(claims: object, secret = SECRET): string {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

t.test('the signed-callback JWT: the §2.4 vector, a fresh token over this body, and refusals', async (t) => {
  const vectorBody = '{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000","from":"447700900001","timestamp":"2020-01-01T14:00:00.000Z","status":"delivered"}';
  const vectorToken =
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjVkMjVmYjIzNmMyNTc4NzU1Nzk5YmExYjRkODE5ZjcyODhhMDhmZjg3NGM0Yjc5NzIwZTY3ZjQzOThmNjc3YmYiLCJhcGlfa2V5IjoiYTFiMmMzZCIsImFwcGxpY2F0aW9uX2lkIjoiYWFhYWFhYWEtYmJiYi1jY2NjLWRkZGQtMDEyMzQ1Njc4OWFiIn0.WOAhB9stQUef1CK6AaHf1NHCAUHflwxaTATgXtQUWPw';
  const vector = jsonPost('/ivr/vonage/event', JSON.parse(vectorBody), { authorization: `Bearer ${vectorToken}` }, vectorBody);
  t.doesNotThrow(() => ncco.verify(vector, { signatureSecret: SECRET }, 1_700_000_000_000));
  t.throws(() => ncco.verify(vector, { signatureSecret: SECRET }, 1_700_000_000_000 + 301_000), { code: 'JCT_SIGNATURE_INVALID' }, 'stale');
  t.throws(() => ncco.verify(vector, { signatureSecret: 'other' }, 1_700_000_000_000), { code: 'JCT_SIGNATURE_INVALID' });

  const now = Date.now();
  const body = { ...LEG, status: 'answered' };
  const text = JSON.stringify(body);
  const token = jwt({ iat: Math.floor(now / 1000), iss: 'Vonage', payload_hash: createHash('sha256').update(text).digest('hex'), api_key: 'a1b2c3d' });
  t.ok(verifySignature(token, SECRET), 'the @vonage/jwt verifier accepts the test token');
  t.doesNotThrow(() => ncco.verify(jsonPost('/ivr/vonage/event', body, { authorization: `Bearer ${token}` }), { signatureSecret: SECRET }, now));
  t.throws(() => ncco.verify(jsonPost('/ivr/vonage/event', { ...body, status: 'busy' }, { authorization: `Bearer ${token}` }), { signatureSecret: SECRET }, now), { code: 'JCT_SIGNATURE_INVALID' }, 'another body');
  t.throws(() => ncco.verify(jsonPost('/ivr/vonage/event', body), { signatureSecret: SECRET }, now), { code: 'JCT_SIGNATURE_MISSING' });
  const answer = get('/ivr/vonage/answer', LEG, { authorization: `Bearer ${jwt({ iat: Math.floor(now / 1000), iss: 'Vonage' })}` });
  t.doesNotThrow(() => ncco.verify(answer, { signatureSecret: SECRET }, now), 'a body-less GET may carry no payload_hash');
  const undated = get('/ivr/vonage/answer', LEG, { authorization: `Bearer ${jwt({ iss: 'Vonage' })}` });
  t.throws(() => ncco.verify(undated, { signatureSecret: SECRET }, now), { code: 'JCT_SIGNATURE_INVALID', message: /carries no timestamp/ }, 'a token without iat says so');
});
