// Plivo XML: documents parsed back and checked against the elements and attributes of
// carrier-dialects.md §3.5; Plivo's form webhooks read into call events (§3.4, §3.6); V3
// signatures made with the channel's signing helpers and cross-checked with the plivo SDK.
import t from 'tap';
import { validateV3Signature } from 'plivo';
import { plivo } from '../../ivr/dialects/plivo.js';
import { plivoSignature, v3Base } from '../../channels/plivo/signature.js';
import { formParams } from '../../channels/form.js';
import type { Instruction } from '../../ivr/instructions.js';
import { FORWARD, HANGUP, MENU, PAUSE_AND_PLAY, PIN, RANGE, RECORD, REDIRECT, SPECIAL, SPEECH, collect, formPost, get, hookPath, hookUrl, jsonPost, names, responseVerbs } from './fixtures.js';

const render = (instructions: Instruction[]) => responseVerbs(plivo.render(instructions, hookUrl));

t.test('a menu is a <Speak>, a <GetInput> holding its prompt, and the no-input <Redirect>', async (t) => {
  const verbs = render(MENU);
  t.same(names(verbs), ['Speak', 'GetInput', 'Redirect']);
  t.same(verbs[0]!.attrs, { voice: 'Polly.Joanna', language: 'en-US' });
  t.same(verbs[1]!.attrs, {
    action: hookUrl('collect:menu'),
    method: 'POST',
    inputType: 'dtmf',
    executionTimeout: '5',
    digitEndTimeout: '3',
    finishOnKey: 'none',
    numDigits: '1',
    redirect: 'true',
  });
  t.same(names(verbs[1]!.children), ['Speak']);
  t.same([verbs[2]!.attrs, verbs[2]!.text], [{ method: 'POST' }, hookUrl('collect:menu', { noInput: '1' })]);
  t.equal(plivo.contentType, 'text/xml');
});

t.test('a 4-digit PIN with "#": first-key and between-key timeouts apart, prompt before <GetInput>', async (t) => {
  const verbs = render(PIN);
  t.same(names(verbs), ['Speak', 'GetInput', 'Redirect']);
  t.match(verbs[1]!.attrs, { executionTimeout: '8', digitEndTimeout: '4', finishOnKey: '#', numDigits: '4' });
  t.same(verbs[1]!.children, []);
  t.match(render(RANGE)[0]!.attrs, { numDigits: '6' });
});

t.test('timeouts are clamped to Plivo’s ranges (executionTimeout 5–60, digitEndTimeout and speechEndTimeout 2–10)', async (t) => {
  const low = render([collect({ firstTimeout: 1, interDigitTimeout: 1, speech: true, speechOptions: { hints: [], endSilence: 0.5 } })])[0]!;
  t.match(low.attrs, { executionTimeout: '5', digitEndTimeout: '2', speechEndTimeout: '2' });
  const high = render([collect({ firstTimeout: 600, interDigitTimeout: 30, speech: true, speechOptions: { hints: [], endSilence: 30 } })])[0]!;
  t.match(high.attrs, { executionTimeout: '60', digitEndTimeout: '10', speechEndTimeout: '10' });
  t.equal(render([collect({ speech: true, speechOptions: { hints: [] } })])[0]!.attrs['speechEndTimeout'], 'auto');
});

t.test('a comma inside a hint does not cut it in two', async (t) => {
  const [input] = render([collect({ speech: true, speechOptions: { hints: ['sales, east', 'support'] } })]);
  t.equal(input!.attrs['hints'], 'sales east,support');
});

t.test('speech with hints', async (t) => {
  const [input] = render(SPEECH);
  t.match(input!.attrs, { inputType: 'dtmf speech', language: 'en-GB', hints: 'sales,support', speechEndTimeout: '2' });
  t.same(names(input!.children), ['Play']);
  const speechOnly = render([collect({ dtmf: false, speech: true })])[0]!;
  t.equal(speechOnly.attrs['inputType'], 'speech');
  t.notOk('digitEndTimeout' in speechOnly.attrs || 'numDigits' in speechOnly.attrs);
});

t.test('a record, a forward (numbers without "+", SIP as <User>), pause, play, redirect, hangup', async (t) => {
  const record = render(RECORD);
  t.same(names(record), ['Speak', 'Record', 'Redirect']);
  t.same(record[1]!.attrs, { action: hookUrl('record:voicemail'), method: 'POST', maxLength: '120', timeout: '5', finishOnKey: '#', playBeep: 'true', redirect: 'true' });
  t.equal(record[2]!.text, hookUrl('record:voicemail', { noInput: '1' }));
  const [dial] = render(FORWARD);
  t.same(dial!.attrs, { action: hookUrl('forward:desk'), method: 'POST', redirect: 'true', timeout: '20', callerId: '15557650002' });
  t.same(
    dial!.children.map((c) => [c.name, c.text]),
    [
      ['Number', '15557650003'],
      ['User', 'sip:desk@pbx.example.com'],
    ],
  );
  const pp = render(PAUSE_AND_PLAY);
  t.same(names(pp), ['Wait', 'Play']);
  t.same([pp[0]!.attrs, pp[1]!.attrs, pp[1]!.text], [{ length: '2' }, { loop: '3' }, 'https://cdn.example.com/hold.mp3']);
  t.same(render(REDIRECT).map((v) => [v.name, v.text]), [['Redirect', hookUrl('step:next')]]);
  t.same(names(render(HANGUP)), ['Speak', 'Hangup']);
});

t.test('XML special characters are escaped', async (t) => {
  const xml = plivo.render([{ kind: 'say', text: SPECIAL }], hookUrl);
  t.match(xml, /&lt;special&gt;/);
  t.equal(responseVerbs(xml)[0]!.text, SPECIAL);
});

// ---- reading ----

const CALL = { CallUUID: '2be3c5b4-1111-2222-3333-444455556666', From: '14155550100', To: '14155550199' };
const BASE = { callId: CALL.CallUUID, from: CALL.From, to: CALL.To };

t.test('reading: the answer_url request, keys, speech, no input, a recording, a forward, hang-up', async (t) => {
  t.same(plivo.read(formPost('/ivr/plivo/answer', { ...CALL, CallStatus: 'ringing', Direction: 'inbound' })), { ...BASE, direction: 'inbound', status: 'ringing' });
  t.same(plivo.read(get('/ivr/plivo/answer', { ...CALL, CallStatus: 'ringing', Direction: 'outbound' })), { ...BASE, direction: 'outbound', status: 'ringing' });
  const action = hookPath('collect:menu');
  t.same(plivo.read(formPost(action, { ...CALL, CallStatus: 'in-progress', InputType: 'dtmf', Digits: '1234' })).input, { digits: '1234', noInput: false });
  t.same(plivo.read(formPost(action, { ...CALL, InputType: 'speech', Speech: 'billing', SpeechConfidenceScore: '0.8' })).input, { speech: { text: 'billing', confidence: 0.8 }, noInput: false });
  t.same(plivo.read(formPost(hookPath('collect:menu', { noInput: '1' }), { ...CALL, CallStatus: 'in-progress' })).input, { noInput: true });
  t.same(plivo.read(formPost(hookPath('record:voicemail'), { ...CALL, RecordUrl: 'https://media.plivo.com/rec/1.mp3', RecordingDuration: '9', RecordingID: 'r1' })).recording, {
    url: 'https://media.plivo.com/rec/1.mp3',
    durationS: 9,
  });
  t.same(plivo.read(formPost(hookPath('forward:desk'), { ...CALL, DialStatus: 'completed', DialBLegDuration: '33' })).forward, { status: 'completed', durationS: 33 });
  t.same(plivo.read(formPost(hookPath('forward:desk'), { ...CALL, DialStatus: 'timeout' })).forward, { status: 'no-answer' });
  t.same(plivo.read(formPost('/ivr/plivo/hangup', { ...CALL, CallStatus: 'completed', HangupCause: 'NORMAL_CLEARING', Duration: '20', BillDuration: '60' })), { ...BASE, status: 'completed' });
  for (const [word, status] of Object.entries({ busy: 'busy', failed: 'failed', timeout: 'no-answer', 'no-answer': 'no-answer', 'in-progress': 'in-progress' }))
    t.equal(plivo.read(formPost('/ivr/plivo/hangup', { ...CALL, CallStatus: word })).status, status, word);
});

t.test('reading: malformed webhooks are refused with JCT_CALL_MALFORMED', async (t) => {
  t.throws(() => plivo.read(formPost('/ivr/plivo/answer', { From: '1', To: '2' })), { code: 'JCT_CALL_MALFORMED' });
  t.throws(() => plivo.read(jsonPost('/ivr/plivo/answer', CALL)), { code: 'JCT_CALL_MALFORMED' });
  t.throws(() => plivo.read(formPost('/ivr/plivo/answer', { ...CALL, DialStatus: 'completed', DialBLegDuration: 'x' })), { code: 'JCT_CALL_MALFORMED' });
});

// ---- signature ----

const TOKEN = 'plivo-subaccount-token-0123';
const MAIN = 'plivo-main-account-token-4567';
const NONCE = '05429567804466091622';

t.test('V3 signatures verify (the plivo SDK agrees); V2 alone, another token, or a changed body is refused', async (t) => {
  const path = hookPath('collect:menu', { noInput: '1' });
  const url = `https://gw.example.com${path}`;
  const params = { ...CALL, CallStatus: 'in-progress' };
  const unsigned = formPost(path, params);
  const v3 = (token: string) => plivoSignature(token, `${v3Base('POST', url, formParams(unsigned.rawBody.toString()))}.${NONCE}`);
  const signed = formPost(path, params, { 'x-plivo-signature-v3': v3(TOKEN), 'x-plivo-signature-v3-nonce': NONCE });
  t.ok(validateV3Signature('POST', url, NONCE, TOKEN, v3(TOKEN), params), 'the SDK accepts the signature');
  t.doesNotThrow(() => plivo.verify(signed, { authToken: TOKEN, mainAuthToken: MAIN }, Date.now()));
  t.doesNotThrow(() => plivo.verify(formPost(path, params, { 'x-plivo-signature-ma-v3': v3(MAIN), 'x-plivo-signature-v3-nonce': NONCE }), { authToken: TOKEN, mainAuthToken: MAIN }, Date.now()), 'the main account’s header');
  t.throws(() => plivo.verify(signed, { authToken: 'other', mainAuthToken: 'other' }, Date.now()), { code: 'JCT_SIGNATURE_INVALID' });
  t.throws(() => plivo.verify(formPost(path, { ...params, Digits: '9' }, signed.headers as Record<string, string>), { authToken: TOKEN, mainAuthToken: MAIN }, Date.now()), { code: 'JCT_SIGNATURE_INVALID' });
  t.throws(() => plivo.verify(formPost(path, params, { 'x-plivo-signature-v2': 'abc', 'x-plivo-signature-v2-nonce': NONCE }), { authToken: TOKEN, mainAuthToken: MAIN }, Date.now()), { code: 'JCT_SIGNATURE_MISSING' });
  t.throws(() => plivo.verify(unsigned, { authToken: TOKEN, mainAuthToken: MAIN }, Date.now()), { code: 'JCT_SIGNATURE_MISSING' });
});
