// Scripted callers: each plays a provider calling Junction's voice routes over real HTTP on
// loopback, signing every request as the provider does, and reads each answer document into a
// Turn (what the caller heard, what Junction waits for and where to call back). The dialog
// tests (calls.test.ts) run the same scripts through every caller; the outbound call tests
// (outbound.test.ts) use `answerAt` and `statusAt` for the calls Junction places.
//
// Twilio, Telnyx TeXML and Plivo post forms and run XML that falls through a collect to the
// fallback <Redirect> on silence; Vonage (NCCO) and jambonz post JSON and report silence to the
// collect's own callback. jambonz records with `listen`: the caller streams the audio over a
// WebSocket to the listen's address (metadata, then PCM frames), closes it, then calls the
// listen's actionHook, following any redirect Junction answers with (its hold while a recording
// is on its way). Signatures are made here from the providers' specifications
// (carrier-dialects.md), not with Junction's own signing code.
import { createHash, createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import twilioSdk from 'twilio';
import { responseVerbs, type XmlNode } from './fixtures.js';

/** One answer as the caller experiences it. */
export interface Turn {
  /** Texts said, in order (prompts inside a collect included). */
  readonly said: readonly string[];
  /**
   * What the document ends waiting for, and the address its result goes to; `silenceUrl`: where
   * the provider goes when the caller gives nothing (XML: the fallback redirect); `nextUrl`:
   * where the provider asks what comes next once a record ends (NCCO: the notify after it).
   */
  readonly waits?: {
    readonly kind: 'collect' | 'record' | 'forward';
    readonly url: string;
    readonly silenceUrl?: string;
    readonly nextUrl?: string;
    /** Where the audio goes and at what sample rate (jambonz's listen). */
    readonly audio?: { readonly url: string; readonly sampleRate: number };
  };
  /** Where the provider goes next on its own (jambonz's redirect). */
  readonly redirect?: string;
  readonly hangup: boolean;
}

/** What happened on the call, as the provider reports it back. */
export type Outcome =
  | { readonly digits: string }
  | { readonly speech: string }
  | { readonly silence: true }
  | { readonly recording: string; readonly seconds: number }
  | { readonly forward: 'completed' | 'busy' | 'no-answer' | 'failed' };

export interface Caller {
  readonly name: string;
  /** The voice module and its settings. */
  readonly module: string;
  readonly settings: Record<string, unknown>;
  /** The call's first webhook. */
  start(callId: string, from: string, to: string): Promise<Turn>;
  /**
   * The result of what the last turn waited for. `between` runs once the provider has delivered
   * what it sends apart (a recording: Vonage's record event, jambonz's audio stream), before the
   * webhook that asks what comes next; for anything else, before the webhook.
   */
  reply(turn: Turn, callId: string, from: string, to: string, outcome: Outcome, between?: () => Promise<void>): Promise<Turn>;
  /** A status callback (e.g. the caller hung up, or the call rings: providers may send that before the first webhook). */
  status(callId: string, from: string, to: string, status: 'completed' | 'ringing' | 'in-progress'): Promise<number>;
  /**
   * The caller hangs up while the last turn records: what the provider sends then, in the order
   * that comes hardest (the status callback before the recording where both come apart).
   */
  hangUpRecording(turn: Turn, callId: string, from: string, to: string, recording: { readonly recording: string; readonly seconds: number }): Promise<void>;
  /** A call Junction placed, answered: the answer webhook at the address Junction gave the provider. */
  answerAt(url: string, callId: string, from: string, to: string): Promise<Turn>;
  /** A call Junction placed: a status callback at the address Junction gave, in the provider's words for `status`. */
  statusAt(url: string, callId: string, from: string, to: string, status: EndStatus): Promise<number>;
}

/** How a call Junction placed ended, normalized (each caller says it in its provider's words). */
export type EndStatus = 'busy' | 'no-answer' | 'failed' | 'completed';

/** A caller for Junction at `origin`; `now` is the provider's clock (ms) its signatures are dated by. */
export type MakeCaller = (origin: string, now?: () => number) => Caller;

type Fields = Record<string, string>;
type CallState = 'ringing' | 'in-progress' | EndStatus;

interface Answer {
  readonly status: number;
  readonly text: string;
}

async function send(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const r = await request(url, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: r.statusCode, text: await r.body.text() };
}

/** The answer read as the provider runs it; anything but 200 fails the dialog. */
async function expectStatus(answer: Promise<Answer>, expected: number): Promise<void> {
  const { status, text } = await answer;
  if (status !== expected) throw new Error(`answered ${status} (not ${expected}): ${text}`);
}

async function turnOf(answer: Promise<Answer>, read: (text: string) => Turn): Promise<Turn> {
  const { status, text } = await answer;
  if (status !== 200) throw new Error(`answered ${status}: ${text}`);
  return read(text);
}

function urlFor(turn: Turn, outcome: Outcome): string {
  if (!turn.waits) throw new Error('the last answer waits for nothing');
  return 'silence' in outcome && turn.waits.silenceUrl ? turn.waits.silenceUrl : turn.waits.url;
}

const seconds = (ms: number) => String(Math.floor(ms / 1000));
const bare = (phone: string) => phone.replace(/^\+/, '');

// ── Form providers: Twilio, Telnyx TeXML, Plivo ──────────────────────────────────

interface FormProvider {
  readonly name: string;
  readonly settings: Record<string, unknown>;
  /** The headers that sign a form POST of `params` (encoded as `body`) to `url`. */
  sign(url: string, params: Fields, body: string, now: number): Record<string, string>;
  call(callId: string, from: string, to: string, state: CallState): Fields;
  /** The Direction word of a call placed through the API. */
  readonly outbound: string;
  outcome(o: Outcome): Fields;
  read(xml: string): Turn;
}

function formCaller(origin: string, now: () => number, p: FormProvider): Caller {
  const post = (url: string, params: Fields) => {
    const body = new URLSearchParams(params).toString();
    return send('POST', url, { 'content-type': 'application/x-www-form-urlencoded', ...p.sign(url, params, body, now()) }, body);
  };
  return {
    name: p.name,
    module: `${p.name}-voice`,
    settings: p.settings,
    start: (callId, from, to) => turnOf(post(`${origin}/voice/${p.name}`, p.call(callId, from, to, 'ringing')), p.read),
    async reply(last, callId, from, to, o, between) {
      await between?.();
      return turnOf(post(urlFor(last, o), { ...p.call(callId, from, to, 'in-progress'), ...p.outcome(o) }), p.read);
    },
    status: async (callId, from, to, state) => (await post(`${origin}/voice/${p.name}/status`, p.call(callId, from, to, state))).status,
    async hangUpRecording(last, callId, from, to, o) {
      // the status callback, then the record's action (its answer is not run)
      await expectStatus(post(`${origin}/voice/${p.name}/status`, p.call(callId, from, to, 'completed')), 204);
      await post(urlFor(last, o), { ...p.call(callId, from, to, 'completed'), ...p.outcome(o) });
    },
    answerAt: (url, callId, from, to) => turnOf(post(url, { ...p.call(callId, from, to, 'in-progress'), Direction: p.outbound }), p.read),
    statusAt: async (url, callId, from, to, state) => (await post(url, { ...p.call(callId, from, to, state), Direction: p.outbound })).status,
  };
}

/** The verbs of an XML dialect the caller looks at. */
interface XmlVerbs {
  readonly say: string;
  readonly collect: string;
  readonly record: string;
  readonly forward: string;
}

const TWIML_VERBS: XmlVerbs = { say: 'Say', collect: 'Gather', record: 'Record', forward: 'Dial' };
const PLIVO_VERBS: XmlVerbs = { say: 'Speak', collect: 'GetInput', record: 'Record', forward: 'Dial' };

/** An XML answer read as the provider runs it: verbs in order, the first input, record or dial waits (a Redirect after it is where it falls through). */
function xmlTurn(v: XmlVerbs): (xml: string) => Turn {
  const waiting = { [v.collect]: 'collect', [v.record]: 'record', [v.forward]: 'forward' } as const;
  return (xml) => {
    const verbs = responseVerbs(xml);
    const said: string[] = [];
    for (const [i, verb] of verbs.entries()) {
      if (verb.name === v.say) said.push(verb.text);
      if (verb.name === 'Hangup') return { said, hangup: true };
      const kind = waiting[verb.name];
      if (kind === undefined) continue;
      said.push(...verb.children.filter((c: XmlNode) => c.name === v.say).map((c) => c.text));
      const next = verbs[i + 1];
      return { said, waits: { kind, url: verb.attrs['action']!, ...(next?.name === 'Redirect' ? { silenceUrl: next.text } : {}) }, hangup: false };
    }
    return { said, hangup: false };
  };
}

/** A TwiML (or TeXML) answer read as Twilio runs it. */
export const twimlTurn = xmlTurn(TWIML_VERBS);

/** The callback fields of Twilio, which TeXML sends too. */
function twilioFields(o: Outcome): Fields {
  if ('digits' in o) return { Digits: o.digits };
  if ('speech' in o) return { SpeechResult: o.speech, Confidence: '0.9' };
  if ('recording' in o) return { RecordingUrl: o.recording, RecordingDuration: String(o.seconds), RecordingSid: 'RE1' };
  if ('forward' in o) return { DialCallStatus: o.forward, DialCallDuration: o.forward === 'completed' ? '30' : '0' };
  return {};
}

export const twilioCaller: MakeCaller = (origin, now = Date.now) => {
  const token = 'twilio-test-token';
  return formCaller(origin, now, {
    name: 'twilio',
    settings: { authToken: token },
    sign: (url, params) => ({ 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(token, url, params) }),
    call: (callId, from, to, state) => ({ CallSid: callId, AccountSid: 'AC00000000000000000000000000000000', From: from, To: to, CallStatus: state, Direction: 'inbound' }),
    outbound: 'outbound-api',
    outcome: twilioFields,
    read: twimlTurn,
  });
};

/** The account's Ed25519 key pair: Telnyx signs with the private half, Junction is given the public one. */
const telnyxKeys = generateKeyPairSync('ed25519');

/** Telnyx TeXML: Twilio's fields (CallSid is Telnyx's call control id), signed Ed25519 over `timestamp|body` (§4.2, §4.4). */
export const telnyxCaller: MakeCaller = (origin, now = Date.now) =>
  formCaller(origin, now, {
    name: 'telnyx',
    settings: { publicKey: Buffer.from(telnyxKeys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64') },
    sign: (_url, _params, body, at) => {
      const timestamp = seconds(at);
      return { 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': sign(null, Buffer.from(`${timestamp}|${body}`), telnyxKeys.privateKey).toString('base64') };
    },
    call: (callId, from, to, state) => ({
      AccountSid: 'cb6cfbbc-eb00-41af-a3f3-0d7b32009e4b',
      CallSid: callId,
      CallSidLegacy: callId,
      ConnectionId: '1494404757140276705',
      From: from,
      To: to,
      CallStatus: state,
      Direction: 'inbound',
    }),
    outbound: 'outbound-api',
    outcome: twilioFields,
    read: twimlTurn,
  });

/** Plivo V3 (§3.3): the URL without its query, the query and the POST parameters sorted, then "." and the nonce. */
function plivoV3(token: string, url: string, params: Fields, nonce: string): string {
  const [base, query = ''] = url.split('?') as [string, string?];
  const sorted = (entries: [string, string][]) => entries.sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
  const q = sorted([...new URLSearchParams(query)]).map(([k, v]) => `${k}=${v}`).join('&');
  const body = sorted(Object.entries(params)).map(([k, v]) => k + v).join('');
  const signed = `${base}${q || body ? '?' : ''}${q}${q && body ? '.' : ''}${body}.${nonce}`;
  return createHmac('sha256', token).update(signed).digest('base64');
}

/** Plivo: form posts with CallUUID, bare numbers, GetInput's InputType/Digits, Record's RecordUrl, Dial's DialStatus; signed V3 (§3.3–3.6). */
export const plivoCaller: MakeCaller = (origin, now = Date.now) => {
  const token = 'plivo-test-token';
  return formCaller(origin, now, {
    name: 'plivo',
    settings: { authToken: token },
    sign: (url, params) => {
      const nonce = String(Math.floor(Math.random() * 1e20));
      return { 'x-plivo-signature-v3': plivoV3(token, url, params, nonce), 'x-plivo-signature-v3-nonce': nonce };
    },
    call: (callId, from, to, state) => ({ CallUUID: callId, From: bare(from), To: bare(to), CallStatus: state, Direction: 'inbound' }),
    outbound: 'outbound',
    outcome: (o): Fields => {
      if ('digits' in o) return { InputType: 'dtmf', Digits: o.digits };
      if ('speech' in o) return { InputType: 'speech', Speech: o.speech, SpeechConfidenceScore: '0.9' };
      if ('recording' in o) return { RecordUrl: o.recording, RecordingDuration: String(o.seconds), RecordingDurationMs: String(o.seconds * 1000), RecordingID: 'r1' };
      if ('forward' in o) return { DialStatus: o.forward, DialBLegUUID: 'b-leg', DialBLegDuration: o.forward === 'completed' ? '30' : '0' };
      return {};
    },
    read: xmlTurn(PLIVO_VERBS),
  });
};

// ── JSON providers: Vonage (NCCO), jambonz ───────────────────────────────────────

const postJson = (url: string, body: object, signature: (text: string) => Record<string, string>) => {
  const text = JSON.stringify(body);
  return send('POST', url, { 'content-type': 'application/json', ...signature(text) }, text);
};

/** The first URL of an NCCO action's eventUrl. */
const eventUrl = (action: Record<string, unknown>) => (action['eventUrl'] as string[])[0]!;

/**
 * An NCCO read as Vonage runs it: talks in order; an input or connect waits; a record waits,
 * the notify after it asks what comes next; an NCCO that runs out ends the call (NCCO has no
 * hangup action).
 */
export function nccoTurn(json: string): Turn {
  const actions = JSON.parse(json) as Array<Record<string, unknown>>;
  const said: string[] = [];
  for (const [i, a] of actions.entries()) {
    if (a['action'] === 'talk') said.push(a['text'] as string);
    if (a['action'] === 'input') return { said, waits: { kind: 'collect', url: eventUrl(a) }, hangup: false };
    if (a['action'] === 'connect') return { said, waits: { kind: 'forward', url: eventUrl(a) }, hangup: false };
    const next = actions[i + 1];
    if (a['action'] === 'record' && next?.['action'] === 'notify') return { said, waits: { kind: 'record', url: eventUrl(a), nextUrl: eventUrl(next) }, hangup: false };
  }
  return { said, hangup: true };
}

/** Vonage Voice: answer_url as GET with the query, events as JSON; every request signed with an HS256 JWT carrying payload_hash (§2.4–2.7). */
export const vonageCaller: MakeCaller = (origin, now = Date.now) => {
  const secret = 'vonage-test-signature-secret';
  const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = (body: string): Record<string, string> => {
    const claims = { iat: Math.floor(now() / 1000), jti: randomUUID(), iss: 'Vonage', payload_hash: createHash('sha256').update(body).digest('hex'), api_key: 'a1b2c3d', application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab' };
    const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
    return { authorization: `Bearer ${head}.${createHmac('sha256', secret).update(head).digest('base64url')}` };
  };
  const leg = (callId: string, from: string, to: string) => ({ from: bare(from), to: bare(to), uuid: `${callId}-leg`, conversation_uuid: callId });
  const event = (url: string, body: object) => postJson(url, { ...body, timestamp: new Date(now()).toISOString() }, jwt);
  const at = (offsetS: number) => new Date(now() + offsetS * 1000).toISOString();
  return {
    name: 'vonage',
    module: 'vonage-voice',
    settings: { signatureSecret: secret },
    start: (callId, from, to) => turnOf(send('GET', `${origin}/voice/vonage?${new URLSearchParams(leg(callId, from, to)).toString()}`, jwt('')), nccoTurn),
    async reply(last, callId, from, to, o, between) {
      const url = urlFor(last, o);
      const caller = leg(callId, from, to);
      if (!('recording' in o)) await between?.();
      if ('forward' in o) {
        // the other leg's events on the connect's eventUrl: set-up first, then its outcome
        const other = { from: bare(to), to: '14155550111', uuid: `${callId}-other`, conversation_uuid: callId, direction: 'outbound' };
        const setUp = o.forward === 'completed' ? ['started', 'ringing', 'answered'] : ['started', 'ringing'];
        for (const status of setUp) await expectStatus(event(url, { ...other, status }), 204); // nothing to run yet, nor while connected
        const outcome = { completed: 'completed', busy: 'busy', 'no-answer': 'unanswered', failed: 'failed' }[o.forward];
        return turnOf(event(url, { ...other, status: outcome, ...(o.forward === 'completed' ? { duration: '30' } : {}) }), nccoTurn);
      }
      if ('recording' in o) {
        // the record event (no from, to or leg uuid; its answer is not run), then the notify after the record
        await expectStatus(event(url, { start_time: at(-o.seconds), end_time: at(0), recording_url: o.recording, size: 12222, recording_uuid: randomUUID(), conversation_uuid: callId }), 204);
        await between?.();
        return turnOf(event(last.waits!.nextUrl!, { payload: { hook: new URL(url).searchParams.get('h') }, conversation_uuid: callId }), nccoTurn);
      }
      const input = 'digits' in o ? { dtmf: { digits: o.digits, timed_out: false } } : 'speech' in o ? { speech: { results: [{ text: o.speech, confidence: '0.9' }] } } : { dtmf: { digits: '', timed_out: true } };
      return turnOf(event(url, { ...input, ...caller }), nccoTurn);
    },
    status: async (callId, from, to, status) => (await event(`${origin}/voice/vonage/status`, { ...leg(callId, from, to), status, direction: 'inbound', duration: '20' })).status,
    async hangUpRecording(last, callId, from, to, o) {
      // the call's completed event, then the record event when the recording is ready (no notify follows)
      await expectStatus(event(`${origin}/voice/vonage/status`, { ...leg(callId, from, to), status: 'completed', direction: 'inbound', duration: '20' }), 204);
      await expectStatus(event(urlFor(last, o), { start_time: at(-o.seconds), end_time: at(0), recording_url: o.recording, size: 12222, recording_uuid: randomUUID(), conversation_uuid: callId }), 204);
    },
    answerAt: (url, callId, from, to) => turnOf(event(url, { ...leg(callId, from, to), direction: 'outbound' }), nccoTurn),
    statusAt: async (url, callId, from, to, status) => (await event(url, { ...leg(callId, from, to), status: VONAGE_WORDS[status], direction: 'outbound' })).status,
  };
};

/** Vonage's status words for how a placed call ended. */
const VONAGE_WORDS: Readonly<Record<EndStatus, string>> = { busy: 'busy', 'no-answer': 'timeout', failed: 'rejected', completed: 'completed' };

/** A jambonz verb array read as jambonz runs it: says in order; a gather (with its nested say), listen or dial waits; a redirect goes on; hangup ends. */
export function jambonzTurn(json: string): Turn {
  const verbs = JSON.parse(json) as Array<Record<string, unknown>>;
  const said: string[] = [];
  const waiting = { gather: 'collect', listen: 'record', dial: 'forward' } as const;
  for (const v of verbs) {
    if (v['verb'] === 'say') said.push(v['text'] as string);
    if (v['verb'] === 'hangup') return { said, hangup: true };
    if (v['verb'] === 'redirect') return { said, redirect: v['actionHook'] as string, hangup: false };
    const kind = waiting[v['verb'] as keyof typeof waiting];
    if (kind === undefined) continue;
    const nested = v['say'] as { text: string } | undefined;
    if (nested) said.push(nested.text);
    const audio = kind === 'record' ? { audio: { url: v['url'] as string, sampleRate: (v['sampleRate'] as number | undefined) ?? 8000 } } : {};
    return { said, waits: { kind, url: v['actionHook'] as string, ...audio }, hangup: false };
  }
  return { said, hangup: false };
}

export const JAMBONZ_AUDIO_PROTOCOL = 'audio.jambonz.org';

/**
 * jambonz's end of a listen: opens the WebSocket at `url`, sends the metadata (the call's
 * attributes, sampleRate, mixType), then `pcm` in binary frames of `frameBytes`, closes, and
 * resolves with the close code once Junction has answered the close.
 */
export async function streamAudio(url: string, metadata: object | string, pcm: Buffer, frameBytes = 640): Promise<number> {
  const socket = new WebSocket(url, JAMBONZ_AUDIO_PROTOCOL);
  await once(socket, 'open');
  const closed = once(socket, 'close') as Promise<[number]>;
  socket.send(typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
  for (let at = 0; at < pcm.length && socket.readyState === socket.OPEN; at += frameBytes) socket.send(pcm.subarray(at, at + frameBytes), { binary: true });
  if (socket.readyState === socket.OPEN) socket.close(1000);
  const [code] = await closed;
  return code;
}

/** The listen metadata jambonz sends first (call attributes in camelCase, the audio's format). */
export const listenMetadata = (callId: string, from: string, to: string, sampleRate: number) => ({
  callSid: callId,
  direction: 'inbound',
  from,
  to,
  callId: `${callId}@203.0.113.10`,
  sampleRate,
  mixType: 'mono',
});

/** `seconds` of a quiet 440 Hz tone as linear 16-bit PCM at `sampleRate`. */
export function tone(seconds: number, sampleRate: number): Buffer {
  const pcm = Buffer.alloc(Math.round(seconds * sampleRate) * 2);
  for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), i * 2);
  return pcm;
}

/** Where the scripted jambonz's recordings go: a temporary folder, removed when the process ends. */
const RECORDINGS_DIR = mkdtempSync(join(tmpdir(), 'junction-recordings-'));
process.on('exit', () => rmSync(RECORDINGS_DIR, { recursive: true, force: true }));

/** jambonz's call info (§8.1): an HTTP body, or a WebSocket message's `data`. */
export const jambonzCall = (callId: string, from: string, to: string, state: CallState | 'trying') => ({
  call_sid: callId,
  direction: 'inbound',
  from,
  to,
  call_id: `${callId}@203.0.113.10`,
  sip_status: state === 'trying' ? 100 : 200,
  sip_reason: state === 'trying' ? 'Trying' : 'OK',
  call_status: state,
  account_sid: '9351f46a-0000-0000-0000-000000000000',
  application_sid: '0dddaabf-0000-0000-0000-000000000000',
  originating_sip_ip: '203.0.113.10',
});

/** What jambonz adds to the call info for an outcome (§8.4). */
export const jambonzOutcome = (o: Outcome): object => {
  if ('digits' in o) return { digits: o.digits, reason: 'dtmfDetected' };
  if ('speech' in o) return { reason: 'speechDetected', speech: { language_code: 'en-US', is_final: true, alternatives: [{ transcript: o.speech, confidence: 0.9 }] } };
  if ('silence' in o) return { reason: 'timeout' };
  if ('forward' in o) return { dial_call_status: o.forward, dial_sip_status: { completed: 200, busy: 486, 'no-answer': 480, failed: 503 }[o.forward], dial_call_sid: 'dial-leg' };
  return {}; // the end of a listen: the audio went to Junction's socket, the hook gets the call only
};

/** jambonz: JSON call info with call_sid, the gather's digits/reason, the dial's dial_call_status; signed Jambonz-Signature (§8.1–8.5). */
export const jambonzCaller: MakeCaller = (origin, now = Date.now) => {
  const secret = 'jambonz-test-webhook-secret';
  const signature = (body: string) => {
    const t = seconds(now());
    return { 'jambonz-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}` };
  };
  const post = (url: string, body: object) => turnOf(postJson(url, body, signature), jambonzTurn);
  /** Runs the answer as jambonz does: a redirect is followed (at most 20 times). */
  const run = async (turn: Promise<Turn>, callId: string, from: string, to: string): Promise<Turn> => {
    let next = await turn;
    for (let i = 0; i < 20 && next.redirect !== undefined; i++) next = await post(next.redirect, jambonzCall(callId, from, to, 'in-progress'));
    return next;
  };
  return {
    name: 'jambonz',
    module: 'jambonz-voice',
    settings: { webhookSecrets: [secret], recordingsDir: RECORDINGS_DIR },
    start: (callId, from, to) => post(`${origin}/voice/jambonz`, jambonzCall(callId, from, to, 'trying')),
    async reply(last, callId, from, to, o, between) {
      const audio = last.waits?.audio;
      if ('recording' in o && audio) await streamAudio(audio.url, listenMetadata(callId, from, to, audio.sampleRate), tone(o.seconds, audio.sampleRate));
      await between?.();
      return run(post(urlFor(last, o), { ...jambonzCall(callId, from, to, 'in-progress'), ...jambonzOutcome(o) }), callId, from, to);
    },
    status: async (callId, from, to, state) => (await postJson(`${origin}/voice/jambonz/status`, { ...jambonzCall(callId, from, to, state), duration: 20 }, signature)).status,
    async hangUpRecording(last, callId, from, to, o) {
      // the audio socket closes with the call, then the status hook; the listen's actionHook never comes
      const audio = last.waits!.audio!;
      await streamAudio(audio.url, listenMetadata(callId, from, to, audio.sampleRate), tone(o.seconds, audio.sampleRate));
      await expectStatus(postJson(`${origin}/voice/jambonz/status`, { ...jambonzCall(callId, from, to, 'completed'), duration: 20 }, signature), 204);
    },
    answerAt: (url, callId, from, to) => turnOf(postJson(url, { ...jambonzCall(callId, from, to, 'in-progress'), direction: 'outbound' }, signature), jambonzTurn),
    statusAt: async (url, callId, from, to, state) => (await postJson(url, { ...jambonzCall(callId, from, to, state), direction: 'outbound' }, signature)).status,
  };
};
