// jambonz: verb arrays parsed with JSON.parse, checked against the verbs and options of
// carrier-dialects.md §8.3 and validated with @jambonz/verb-specifications; call payloads (HTTP
// bodies and WebSocket `data`) read into call events (§8.1, §8.4, §8.5); the Jambonz-Signature
// check with the §8.2 vector, a wrong signature, a stale timestamp, several v1 values.
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import { jambonz, jambonzVerbs, readJambonzCall } from '../../ivr/dialects/jambonz.js';
import { jambonzSignature, verifyJambonz } from '../../ivr/dialects/jambonz-signature.js';
import type { HookUrl, Instruction } from '../../ivr/instructions.js';
import { FORWARD, HANGUP, MENU, PAUSE_AND_PLAY, PIN, RANGE, RECORD, REDIRECT, SPECIAL, SPEECH, collect, formPost, hookPath, hookUrl, jsonPost } from './fixtures.js';

const { validate } = createRequire(import.meta.url)('@jambonz/verb-specifications') as { validate: (logger: object, verbs: unknown) => void };
const logger = { info() {}, debug() {}, error() {}, warn() {} };

type Verb = Record<string, unknown>;
/** The verb array as jambonz receives it, checked against jambonz's own verb specifications. */
function render(t: Test, instructions: Instruction[], hooks: HookUrl = hookUrl): Verb[] {
  const verbs = JSON.parse(jambonz.render(instructions, hooks)) as Verb[];
  t.doesNotThrow(() => validate(logger, verbs), 'valid by @jambonz/verb-specifications');
  return verbs;
}

/** The WebSocket API: the hook address is the hook's name. */
const byName: HookUrl = (hook, params) => (params ? `${hook}?${new URLSearchParams(params).toString()}` : hook);

t.test('a menu: say, then a gather of digits nesting its prompt', async (t) => {
  const verbs = render(t, MENU);
  t.same(verbs, [
    { verb: 'say', text: 'Welcome to Acme.', synthesizer: { vendor: 'default', language: 'en-US', voice: 'Polly.Joanna' } },
    {
      verb: 'gather',
      actionHook: hookUrl('collect:menu'),
      input: ['digits'],
      timeout: 5,
      listenDuringPrompt: true,
      interDigitTimeout: 3,
      numDigits: 1,
      dtmfBargein: true,
      say: { text: 'Press 1 for sales, 2 for support.' },
    },
  ]);
  t.notOk((verbs[1]!['input'] as string[]).includes('dtmf'), 'the DTMF input is "digits", never "dtmf"');
  t.equal(jambonz.contentType, 'application/json');
});

t.test('a 4-digit PIN with "#": both timeouts, not listening during the prompt; a range', async (t) => {
  const [gather] = render(t, PIN);
  t.match(gather, { verb: 'gather', input: ['digits'], timeout: 8, interDigitTimeout: 4, finishOnKey: '#', numDigits: 4, listenDuringPrompt: false, dtmfBargein: false });
  const [range] = render(t, RANGE);
  t.match(range, { minDigits: 4, maxDigits: 6, finishOnKey: '#' });
  t.notOk('numDigits' in range!);
});

t.test('speech with hints: the recognizer, a played prompt nested', async (t) => {
  const [gather] = render(t, SPEECH);
  t.match(gather, {
    input: ['digits', 'speech'],
    bargein: true,
    recognizer: { vendor: 'default', language: 'en-GB', hints: ['sales', 'support'] },
    speechTimeout: 2,
    play: { url: 'https://cdn.example.com/menu.mp3' },
  });
  const [speechOnly] = render(t, [collect({ prompts: [], dtmf: false, speech: true })]);
  t.same(speechOnly!['input'], ['speech']);
  t.notOk('interDigitTimeout' in speechOnly! || 'say' in speechOnly!);
  const two = render(t, [collect({ prompts: [{ kind: 'say', text: 'one' }, { kind: 'play', url: 'https://cdn.example.com/two.mp3' }] })]);
  t.same(two.map((v) => v['verb']), ['say', 'gather'], 'one prompt nests; earlier ones play before');
  t.same(two[1]!['play'], { url: 'https://cdn.example.com/two.mp3' });
});

t.test('speech without a language or hints keeps the application recognizer: no recognizer, never an empty hint list', async (t) => {
  const [bare] = render(t, [collect({ dtmf: false, speech: true })]);
  t.notOk('recognizer' in bare!, 'the application recognizer (with its label) applies');
  const [noHints] = render(t, [collect({ dtmf: false, speech: true, speechOptions: { hints: [], endSilence: 1 } })]);
  t.notOk('recognizer' in noHints!);
  const [language] = render(t, [collect({ dtmf: false, speech: true, speechOptions: { language: 'de-DE', hints: [] } })]);
  t.same(language!['recognizer'], { vendor: 'default', language: 'de-DE' });
});

t.test('a record streams mono 8 kHz audio with listen to the hook marked audio, with its longest length (ws/wss)', async (t) => {
  const verbs = render(t, RECORD);
  t.same(verbs[1], {
    verb: 'listen',
    url: 'wss://gw.example.com/ivr/t/record%3Avoicemail?audio=1&maxLength=120',
    mixType: 'mono',
    sampleRate: 8000,
    actionHook: hookUrl('record:voicemail'),
    maxLength: 120,
    timeout: 5,
    finishOnKey: '#',
    playBeep: true,
  });
});

t.test('a forward dials a phone and a SIP URI at once', async (t) => {
  t.same(render(t, FORWARD), [
    {
      verb: 'dial',
      actionHook: hookUrl('forward:desk'),
      target: [
        { type: 'phone', number: '+15557650003' },
        { type: 'sip', sipUri: 'sip:desk@pbx.example.com' },
      ],
      callerId: '+15557650002',
      timeout: 20,
    },
  ]);
});

t.test('pause, play with loop, redirect, hangup, special characters', async (t) => {
  t.same(render(t, PAUSE_AND_PLAY), [
    { verb: 'pause', length: 2 },
    { verb: 'play', url: 'https://cdn.example.com/hold.mp3', loop: 3 },
  ]);
  t.same(render(t, REDIRECT), [{ verb: 'redirect', actionHook: hookUrl('step:next') }]);
  t.same(render(t, HANGUP), [{ verb: 'say', text: 'Goodbye.' }, { verb: 'hangup' }]);
  t.same(render(t, [{ kind: 'say', text: SPECIAL }]), [{ verb: 'say', text: SPECIAL }]);
});

t.test('the WebSocket API: the same verbs with hook names for addresses', async (t) => {
  const verbs = render(t, MENU, byName);
  t.equal(verbs[1]!['actionHook'], 'collect:menu');
  t.same(jambonzVerbs(REDIRECT, byName), [{ verb: 'redirect', actionHook: 'step:next' }]);
});

// ---- reading ----

const CALL = {
  call_sid: 'f8f1c0de-1111-2222-3333-444455556666',
  direction: 'inbound',
  from: '15551230001',
  to: '15557650002',
  call_id: '7c1b@203.0.113.10',
  sip_status: 100,
  sip_reason: 'Trying',
  call_status: 'trying',
  account_sid: '9351f46a',
  application_sid: '0dddaabf',
  originating_sip_ip: '203.0.113.10',
  defaults: { synthesizer: { vendor: 'google', language: 'en-US' }, recognizer: { vendor: 'google', language: 'en-US' } },
  sip: { headers: { 'X-Foo': 'bar' }, body: 'v=0' },
};
const BASE = { callId: CALL.call_sid, from: CALL.from, to: CALL.to, direction: 'inbound' };

t.test('reading: the call webhook, digits, speech, no input, a dial outcome, status hooks', async (t) => {
  t.same(jambonz.read(jsonPost('/ivr/jambonz/call', CALL)), { ...BASE, status: 'ringing' });
  const hooked = (extra: object) => jambonz.read(jsonPost(hookPath('collect:menu'), { ...CALL, call_status: 'in-progress', sip_status: 200, ...extra }));
  t.same(hooked({ digits: '1', reason: 'dtmfDetected' }), { ...BASE, status: 'in-progress', input: { digits: '1', noInput: false } });
  t.same(hooked({ reason: 'speechDetected', speech: { language_code: 'en-US', is_final: true, alternatives: [{ transcript: 'sales', confidence: 0.87 }] } }).input, {
    speech: { text: 'sales', confidence: 0.87 },
    noInput: false,
  });
  t.same(hooked({ reason: 'timeout' }).input, { noInput: true });
  t.same(hooked({ reason: 'error', details: 'recognizer down' }).input, { noInput: true });
  t.same(hooked({ dial_call_status: 'completed', dial_call_sid: 'x', dial_sip_status: 200 }).forward, { status: 'completed' });
  t.same(hooked({ dial_call_status: 'no-answer', dial_sip_status: 480 }).forward, { status: 'no-answer' });
  t.same(hooked({ dial_call_status: 'busy', dial_sip_status: 486 }).forward, { status: 'busy' });
  const want = { trying: 'ringing', ringing: 'ringing', 'early-media': 'ringing', 'in-progress': 'in-progress', completed: 'completed', failed: 'failed', busy: 'busy', 'no-answer': 'no-answer', queued: 'ringing' };
  for (const [word, status] of Object.entries(want)) t.equal(jambonz.read(jsonPost('/ivr/jambonz/status', { ...CALL, call_status: word, duration: 42 })).status, status, word);
  t.same(jambonz.read(jsonPost(hookPath('record:voicemail'), { ...CALL, call_status: 'in-progress' })), { ...BASE, status: 'in-progress' }, 'the end of a listen (the recording): the call only');
  t.same(readJambonzCall({ ...CALL, digits: '42', reason: 'dtmfDetected' }).input, { digits: '42', noInput: false }, 'a WebSocket message’s data');
});

t.test('reading: malformed payloads are refused with JCT_CALL_MALFORMED', async (t) => {
  const malformed = { code: 'JCT_CALL_MALFORMED' };
  t.throws(() => jambonz.read(jsonPost('/ivr/jambonz/call', { from: '1', to: '2' })), malformed, 'no call_sid');
  t.throws(() => jambonz.read(jsonPost('/ivr/jambonz/call', { ...CALL, call_sid: 7 })), malformed, 'a number for call_sid');
  t.throws(() => jambonz.read(jsonPost('/ivr/jambonz/call', [CALL])), malformed, 'an array');
  t.throws(() => jambonz.read(formPost('/ivr/jambonz/call', { call_sid: 'x' })), malformed, 'a form body');
  t.throws(() => readJambonzCall({ ...CALL, reason: 'speechDetected', speech: 'sales' }), malformed, 'speech not an object');
  t.throws(() => readJambonzCall(null), malformed);
});

// ---- signature ----

const VECTOR = {
  secret: 'jambonz_webhook_secret',
  body: '{"call_sid":"f8f1c0de-1111-2222-3333-444455556666","direction":"inbound","from":"+15551230001","to":"+15557650002","call_status":"trying"}',
  header: 't=1700000000,v1=5160b42e050beb00d283bf4b2252d22d4a9ee6e1b009e04450f17ca439bef633',
};
const AT = 1_700_000_000_000;
const signedReq = (header: string, body = VECTOR.body) => jsonPost('/ivr/jambonz/call', JSON.parse(body), { 'jambonz-signature': header }, body);

t.test('Jambonz-Signature: the §8.2 vector, refusals, several v1 values and secrets', async (t) => {
  t.equal(jambonzSignature(VECTOR.secret, '1700000000', VECTOR.body), VECTOR.header.split('v1=')[1]);
  t.doesNotThrow(() => jambonz.verify(signedReq(VECTOR.header), { webhookSecrets: [VECTOR.secret] }, AT));
  t.doesNotThrow(() => jambonz.verify(signedReq(VECTOR.header), { webhookSecrets: [VECTOR.secret] }, AT + 299_000), 'within 300 s');
  t.throws(() => jambonz.verify(signedReq(VECTOR.header), { webhookSecrets: [VECTOR.secret] }, AT + 301_000), { code: 'JCT_SIGNATURE_INVALID' }, 'stale');
  t.throws(() => jambonz.verify(signedReq(VECTOR.header), { webhookSecrets: ['wrong'] }, AT), { code: 'JCT_SIGNATURE_INVALID' }, 'another secret');
  t.throws(() => jambonz.verify(signedReq(VECTOR.header.replace(/.$/, '0')), { webhookSecrets: [VECTOR.secret] }, AT), { code: 'JCT_SIGNATURE_INVALID' }, 'a wrong signature');
  t.throws(() => jambonz.verify(signedReq(VECTOR.header, VECTOR.body.replace('trying', 'ringing')), { webhookSecrets: [VECTOR.secret] }, AT), { code: 'JCT_SIGNATURE_INVALID' }, 'another body');
  t.throws(() => jambonz.verify(signedReq('v1=abc'), { webhookSecrets: [VECTOR.secret] }, AT), { code: 'JCT_SIGNATURE_INVALID' }, 'no timestamp');
  t.throws(() => jambonz.verify(signedReq('t=1700000000'), { webhookSecrets: [VECTOR.secret] }, AT), { code: 'JCT_SIGNATURE_INVALID' }, 'no v1');
  t.throws(() => jambonz.verify(jsonPost('/ivr/jambonz/call', {}), { webhookSecrets: [VECTOR.secret] }, AT), { code: 'JCT_SIGNATURE_MISSING' });
  const two = `t=1700000000,v1=${'0'.repeat(64)},v1=${VECTOR.header.split('v1=')[1]}`;
  t.doesNotThrow(() => verifyJambonz(signedReq(two), [VECTOR.secret], AT), 'the matching v1 second of two');
  t.doesNotThrow(() => verifyJambonz(signedReq(VECTOR.header), ['old-secret', VECTOR.secret], AT), 'the second of two secrets (rotation)');
});
