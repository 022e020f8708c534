// TwiML (Twilio) and TeXML (Telnyx): documents parsed back with fast-xml-parser and checked
// against the verbs and attributes of carrier-dialects.md §1.6 and §4.4; their form webhooks
// read into call events (§1.5, §1.7, §4.5); signatures made with Twilio's SDK and with an
// Ed25519 key made for the test (cross-checked with Telnyx's SDK).
import t from 'tap';
import { generateKeyPairSync, sign } from 'node:crypto';
import twilioSdk from 'twilio';
import { TelnyxWebhook } from 'telnyx/lib/webhooks';
import { texml, twiml } from '../../ivr/dialects/twiml.js';
import type { Instruction } from '../../ivr/instructions.js';
import { FORWARD, HANGUP, MENU, PAUSE_AND_PLAY, PIN, RANGE, RECORD, REDIRECT, SPECIAL, SPEECH, collect, formPost, get, hookPath, hookUrl, jsonPost, names, responseVerbs } from './fixtures.js';

const render = (instructions: Instruction[], dialect: Pick<typeof twiml, 'render'> = twiml) => responseVerbs(dialect.render(instructions, hookUrl));

t.test('TwiML: a menu is a <Say>, a <Gather> holding its prompt, and the no-input <Redirect>', async (t) => {
  const verbs = render(MENU);
  t.same(names(verbs), ['Say', 'Gather', 'Redirect']);
  t.same(verbs[0]!.attrs, { voice: 'Polly.Joanna', language: 'en-US' });
  t.equal(verbs[0]!.text, 'Welcome to Acme.');
  t.same(verbs[1]!.attrs, { input: 'dtmf', action: hookUrl('collect:menu'), method: 'POST', timeout: '5', finishOnKey: '', numDigits: '1' });
  t.same(names(verbs[1]!.children), ['Say']);
  t.same(verbs[2]!.attrs, { method: 'POST' });
  t.equal(verbs[2]!.text, hookUrl('collect:menu', { noInput: '1' }));
  t.equal(twiml.contentType, 'text/xml');
});

t.test('TwiML: a 4-digit PIN with "#", its prompt played before the <Gather> so no key cuts it', async (t) => {
  const verbs = render(PIN);
  t.same(names(verbs), ['Say', 'Gather', 'Redirect']);
  t.same(verbs[1]!.attrs, { input: 'dtmf', action: hookUrl('collect:pin'), method: 'POST', timeout: '8', finishOnKey: '#', numDigits: '4' });
  t.same(verbs[1]!.children, []);
});

t.test('TwiML: a range of digits stops at its maximum (Twilio has no minimum)', async (t) => {
  t.match(render(RANGE)[0]!.attrs, { numDigits: '6', finishOnKey: '#' });
  t.notOk('minDigits' in render(RANGE)[0]!.attrs);
});

t.test('TwiML: speech with hints', async (t) => {
  const [gather] = render(SPEECH);
  t.same(gather!.attrs, {
    input: 'dtmf speech',
    action: hookUrl('collect:speech'),
    method: 'POST',
    timeout: '5',
    finishOnKey: '',
    numDigits: '1',
    language: 'en-GB',
    hints: 'sales, support',
    speechTimeout: '2',
  });
  t.same(names(gather!.children), ['Play']);
  const speechOnly = render([collect({ dtmf: false, speech: true })])[0]!;
  t.equal(speechOnly.attrs['input'], 'speech');
  t.notOk('numDigits' in speechOnly.attrs || 'finishOnKey' in speechOnly.attrs, 'no key attributes when listening for speech only');
});

t.test('TwiML and TeXML: a comma inside a hint does not cut it in two', async (t) => {
  const hinted = [collect({ speech: true, speechOptions: { hints: ['sales, east', 'support ,west', ','] } })];
  t.equal(render(hinted)[0]!.attrs['hints'], 'sales east, support west');
  t.equal(render(hinted, texml)[0]!.attrs['hints'], 'sales east, support west');
});

t.test('TwiML: a record, then the <Redirect> reached only when nothing was recorded', async (t) => {
  const verbs = render(RECORD);
  t.same(names(verbs), ['Say', 'Record', 'Redirect']);
  t.same(verbs[1]!.attrs, { action: hookUrl('record:voicemail'), method: 'POST', maxLength: '120', timeout: '5', finishOnKey: '#', playBeep: 'true' });
  t.equal(verbs[2]!.text, hookUrl('record:voicemail', { noInput: '1' }));
});

t.test('TwiML: a forward rings numbers, or one SIP address alone (Twilio refuses <Sip> beside other nouns)', async (t) => {
  const [dial] = render(FORWARD);
  t.same(dial!.attrs, { action: hookUrl('forward:desk'), method: 'POST', timeout: '20', callerId: '+15557650002' });
  t.same(dial!.children.map((c) => [c.name, c.text]), [['Number', '+15557650003']], 'numbers and a SIP address: the numbers');
  const sipOnly = render([{ kind: 'forward', hook: 'f', targets: [{ type: 'sip', address: 'sip:a@pbx.example.com' }, { type: 'sip', address: 'sip:b@pbx.example.com' }], ringTimeout: 20 }]);
  t.same(sipOnly[0]!.children.map((c) => [c.name, c.text]), [['Sip', 'sip:a@pbx.example.com']], 'SIP addresses only: the first');
});

t.test('TwiML: pause, play with loop, redirect, hangup; nothing after what hands the call back', async (t) => {
  const pp = render(PAUSE_AND_PLAY);
  t.same(names(pp), ['Pause', 'Play']);
  t.same(pp[0]!.attrs, { length: '2' });
  t.same([pp[1]!.attrs, pp[1]!.text], [{ loop: '3' }, 'https://cdn.example.com/hold.mp3']);
  const redirect = render(REDIRECT);
  t.same(names(redirect), ['Redirect']);
  t.equal(redirect[0]!.text, hookUrl('step:next'));
  t.same(names(render(HANGUP)), ['Say', 'Hangup']);
  t.same(names(render([...MENU, { kind: 'say', text: 'never' }])), ['Say', 'Gather', 'Redirect'], 'verbs after a collect are left out');
});

t.test('TwiML: XML special characters are escaped, and read back intact', async (t) => {
  const xml = twiml.render([{ kind: 'say', text: SPECIAL, voice: 'a"b' }, collect({ speech: true, speechOptions: { hints: ['R&D', '<x>'] } })], hookUrl);
  t.notMatch(xml, /<special>|Tom & /);
  t.match(xml, /Tom &amp; Jerry/);
  const verbs = responseVerbs(xml);
  t.equal(verbs[0]!.text, SPECIAL);
  t.equal(verbs[0]!.attrs['voice'], 'a"b');
  t.equal(verbs[1]!.attrs['hints'], 'R&D, <x>');
});

t.test('TwiML: characters XML cannot carry (a NUL, other controls, unpaired surrogates) are left out, so the document stays readable', async (t) => {
  const xml = twiml.render([{ kind: 'say', text: 'Hi A\u0000n\u001Fa\uFFFE \ud800\udc00 x\udc00\ud800!\tok\n', voice: 'v\u0007' }], hookUrl);
  t.notMatch(xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/, 'only XML 1.0 characters');
  const [say] = responseVerbs(xml);
  t.equal(say!.text, 'Hi Ana \ud800\udc00 x!\tok\n', 'a pair, tab and line break stay');
  t.equal(say!.attrs['voice'], 'v');
});

t.test('TwiML: a hook address with a query keeps its "&" escaped in text and attributes', async (t) => {
  const withQuery: typeof hookUrl = (hook, params) => `https://gw.example.com/ivr?tenant=a&hook=${encodeURIComponent(hook)}${params ? `&${new URLSearchParams(params).toString()}` : ''}`;
  const xml = twiml.render(MENU, withQuery);
  t.match(xml, /tenant=a&amp;hook=/);
  const verbs = responseVerbs(xml);
  t.equal(verbs[1]!.attrs['action'], withQuery('collect:menu'));
  t.equal(verbs[2]!.text, withQuery('collect:menu', { noInput: '1' }));
});

t.test('TwiML: an instruction no provider can follow is refused', async (t) => {
  t.throws(() => twiml.render([collect({ dtmf: false, speech: false })], hookUrl), { code: 'JCT_IVR_INSTRUCTION_INVALID' });
  t.throws(() => twiml.render([{ kind: 'forward', hook: 'f', targets: [], ringTimeout: 20 }], hookUrl), { code: 'JCT_IVR_INSTRUCTION_INVALID' });
});

t.test('TeXML: no per-verb method, minDigits/maxDigits for a range, timeout within 1–120', async (t) => {
  const menu = render(MENU, texml);
  t.same(names(menu), ['Say', 'Gather', 'Redirect']);
  t.same(menu[1]!.attrs, { input: 'dtmf', action: hookUrl('collect:menu'), timeout: '5', finishOnKey: '', numDigits: '1' });
  t.same(menu[2]!.attrs, {});
  t.match(render(RANGE, texml)[0]!.attrs, { minDigits: '4', maxDigits: '6', finishOnKey: '#' });
  t.notOk('numDigits' in render(RANGE, texml)[0]!.attrs);
  t.equal(render([collect({ firstTimeout: 500 })], texml)[0]!.attrs['timeout'], '120');
  t.notOk('method' in render(RECORD, texml)[1]!.attrs);
  t.notOk('method' in render(FORWARD, texml)[0]!.attrs);
  t.same(names(render(PIN, texml)), ['Say', 'Gather', 'Redirect']);
  t.equal(texml.contentType, 'text/xml');
});

// ---- reading ----

const CALL = { CallSid: 'CA0123456789abcdef0123456789abcdef', AccountSid: 'AC22222222222222222222222222222222', From: '+15551230001', To: '+15557650002', ApiVersion: '2010-04-01' };
const FIRST = { callId: CALL.CallSid, from: '+15551230001', to: '+15557650002' };

t.test('TwiML reading: the first call, keys, speech, no input, a recording, a forward', async (t) => {
  t.same(twiml.read(formPost('/ivr/twilio/answer', { ...CALL, CallStatus: 'ringing', Direction: 'inbound' })), { ...FIRST, direction: 'inbound', status: 'ringing' });
  t.same(twiml.read(get('/ivr/twilio/answer', { ...CALL, CallStatus: 'ringing', Direction: 'outbound-api' })), { ...FIRST, direction: 'outbound', status: 'ringing' }, 'a GET');
  const action = hookPath('collect:menu');
  t.same(twiml.read(formPost(action, { ...CALL, CallStatus: 'in-progress', Digits: '1' })), { ...FIRST, status: 'in-progress', input: { digits: '1', noInput: false } });
  t.same(twiml.read(formPost(action, { ...CALL, CallStatus: 'in-progress', SpeechResult: 'sales please', Confidence: '0.92' })), {
    ...FIRST,
    status: 'in-progress',
    input: { speech: { text: 'sales please', confidence: 0.92 }, noInput: false },
  });
  t.same(twiml.read(formPost(hookPath('collect:menu', { noInput: '1' }), { ...CALL, CallStatus: 'in-progress' })), { ...FIRST, status: 'in-progress', input: { noInput: true } }, 'the fallback redirect');
  t.same(twiml.read(formPost(action, { ...CALL, Digits: '' })), { ...FIRST, input: { noInput: true } }, 'empty digits');
  t.same(
    twiml.read(formPost(hookPath('record:voicemail'), { ...CALL, RecordingUrl: 'https://api.twilio.com/rec/RE1', RecordingDuration: '12', RecordingSid: 'RE1', Digits: '#' })),
    { ...FIRST, recording: { url: 'https://api.twilio.com/rec/RE1', durationS: 12 } },
    'a recording (the finish key in Digits is not input)',
  );
  t.same(twiml.read(formPost(hookPath('forward:desk'), { ...CALL, DialCallStatus: 'completed', DialCallDuration: '42', DialCallSid: 'CA9' })), {
    ...FIRST,
    forward: { status: 'completed', durationS: 42 },
  });
  t.same(twiml.read(formPost(hookPath('forward:desk'), { ...CALL, DialCallStatus: 'no-answer' })).forward, { status: 'no-answer' });
  t.same(twiml.read(formPost(hookPath('forward:desk'), { ...CALL, DialCallStatus: 'canceled' })).forward, { status: 'failed' });
});

t.test('TwiML reading: every call status word', async (t) => {
  const want = { queued: 'ringing', initiated: 'ringing', ringing: 'ringing', answered: 'in-progress', 'in-progress': 'in-progress', completed: 'completed', busy: 'busy', 'no-answer': 'no-answer', failed: 'failed', canceled: 'canceled' };
  for (const [word, status] of Object.entries(want)) t.equal(twiml.read(formPost('/ivr/twilio/status', { ...CALL, CallStatus: word, CallDuration: '30' })).status, status, word);
  t.notOk('status' in twiml.read(formPost('/ivr/twilio/status', { ...CALL, CallStatus: 'teleported' })), 'an unknown word gives no status');
});

t.test('TwiML reading: malformed webhooks are refused with JCT_CALL_MALFORMED', async (t) => {
  const malformed = { code: 'JCT_CALL_MALFORMED' };
  t.throws(() => twiml.read(formPost('/ivr/twilio/answer', { From: '+1555', To: '+1666' })), malformed, 'no CallSid');
  t.throws(() => twiml.read(jsonPost('/ivr/twilio/answer', CALL)), malformed, 'a JSON body');
  t.throws(() => twiml.read(formPost('/ivr/twilio/answer', { ...CALL, RecordingUrl: 'https://x', RecordingDuration: 'long' })), malformed, 'a duration that is not a number');
  t.throws(() => twiml.read({ ...formPost('/ivr/twilio/answer', CALL), body: { CallSid: ['x'] } }), malformed, 'a field of the wrong type');
});

t.test('TeXML reading: the Gather callback of §4.5 and a no input', async (t) => {
  const fields = { AccountSid: 'cb6cfbbc-eb00-41af-a3f3-0d7b32009e4b', CallSid: 'v2:DPNqxabc', CallSidLegacy: 'v2:DPNqxabc', From: '+13125550100', To: '+12132045020' };
  t.same(texml.read(formPost(hookPath('collect:menu'), { ...fields, Digits: '1' })), { callId: 'v2:DPNqxabc', from: '+13125550100', to: '+12132045020', input: { digits: '1', noInput: false } });
  t.same(texml.read(formPost(hookPath('collect:menu'), { ...fields, SpeechResult: 'support', Confidence: '0.95' })).input, { speech: { text: 'support', confidence: 0.95 }, noInput: false });
  t.same(texml.read(get(hookPath('collect:menu', { noInput: '1' }), fields)).input, { noInput: true }, 'the fallback, fetched with GET');
  t.equal(texml.read(formPost('/ivr/telnyx/status', { ...fields, CallStatus: 'completed', CallDuration: '12' })).status, 'completed');
  t.same(texml.read(formPost(hookPath('forward:desk'), { ...fields, DialCallStatus: 'busy' })).forward, { status: 'busy' });
  t.same(texml.read(formPost(hookPath('record:voicemail'), { ...fields, RecordingUrl: 'https://r.telnyx.com/1.mp3', RecordingDuration: '7' })).recording, { url: 'https://r.telnyx.com/1.mp3', durationS: 7 });
  t.throws(() => texml.read(formPost('/ivr/telnyx', { From: '+1' })), { code: 'JCT_CALL_MALFORMED' });
});

// ---- signatures ----

t.test('TwiML: X-Twilio-Signature made by the twilio SDK verifies; another token or none is refused', async (t) => {
  const token = 'twilio-auth-token-0123';
  const path = hookPath('collect:menu', { noInput: '1' });
  const params = { ...CALL, CallStatus: 'in-progress' };
  const url = `https://gw.example.com${path}`;
  const signature = twilioSdk.getExpectedTwilioSignature(token, url, params);
  const req = formPost(path, params, { 'x-twilio-signature': signature });
  t.doesNotThrow(() => twiml.verify(req, { authToken: token }, Date.now()));
  t.ok(twilioSdk.validateRequest(token, signature, url, params), 'the SDK agrees');
  t.throws(() => twiml.verify(req, { authToken: 'another' }, Date.now()), { code: 'JCT_SIGNATURE_INVALID' });
  t.throws(() => twiml.verify(formPost(path, params), { authToken: token }, Date.now()), { code: 'JCT_SIGNATURE_MISSING' });
  t.throws(() => twiml.verify(formPost(path, { ...params, Digits: '9' }, { 'x-twilio-signature': signature }), { authToken: token }, Date.now()), { code: 'JCT_SIGNATURE_INVALID' }, 'a changed body');
});

t.test('TeXML: the Ed25519 signature over "<timestamp>|<form body>" verifies, recently', async (t) => {
  const pair = generateKeyPairSync('ed25519');
  const publicKey = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  const now = 1_700_000_000_000;
  const req = formPost(hookPath('collect:menu'), { CallSid: 'v3:abc', From: '+13125550100', To: '+12132045020', Digits: '1' });
  const signed = (at: number, body = req.rawBody) => ({
    ...req,
    headers: { ...req.headers, 'telnyx-timestamp': String(at), 'telnyx-signature-ed25519': sign(null, Buffer.concat([Buffer.from(`${at}|`), body]), pair.privateKey).toString('base64') },
  });
  t.doesNotThrow(() => texml.verify(signed(now / 1000), { publicKey }, now));
  t.throws(() => texml.verify(signed(now / 1000 - 301), { publicKey }, now), { code: 'JCT_SIGNATURE_INVALID' }, 'stale');
  t.throws(() => texml.verify(signed(now / 1000, Buffer.from('CallSid=v3:other')), { publicKey }, now), { code: 'JCT_SIGNATURE_INVALID' }, 'another body');
  t.throws(() => texml.verify(req, { publicKey }, now), { code: 'JCT_SIGNATURE_MISSING' });
  const live = signed(Math.floor(Date.now() / 1000));
  await t.resolves(new TelnyxWebhook(publicKey).verify(live.rawBody.toString(), live.headers as Record<string, string>), 'the telnyx SDK accepts the form-body signature');
  t.doesNotThrow(() => texml.verify(live, { publicKey }, Date.now()));
});
