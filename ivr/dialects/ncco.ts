// Vonage NCCO (carrier-dialects.md §2.4–2.8): the renderer of a JSON array of actions, the
// reader of the Voice API's answer and event webhooks, and the check of the signed-callback JWT.
// NCCO lacks some instructions, which are emulated: a pause is a talk of SSML breaks, a
// redirect is a `notify` whose answer replaces the NCCO, a hang-up is the end of the NCCO (it
// has no hangup action), a record (asynchronous in NCCO) ends on its own conditions and is
// followed by a `notify` so the flow continues. Limits are clamped (dtmf.timeOut ≤ 10,
// maxDigits ≤ 20, record timeOut 3–7200, endOnSilence 3–10); a text longer than a talk's 1500
// characters is said in several talks.
import { createHash } from 'node:crypto';
import { queryFields } from '../../channels/form.js';
import { withoutPlus } from '../../channels/addresses.js';
import type { WebhookRequest } from '../../channels/provider.js';
import { header, requireFresh, sameText } from '../../channels/signing.js';
import { signatureInvalid, signatureMissing } from '../../channels/errors.js';
import { verifiedClaims } from '../../channels/vonage/jwt.js';
import { CALL_STATUSES, FORWARD_PENDING, FORWARD_STATUSES, callMalformed, type CallEvent, type CallInput } from '../call-event.js';
import type { Dialect } from '../dialect.js';
import type { Collect, Forward, ForwardTarget, HookUrl, Instruction, Prompt, RecordMessage } from '../instructions.js';
import {
  MARKER,
  callStatus,
  clamp,
  directionOf,
  fieldsRecord,
  forwardStatus,
  hasMarker,
  inputsOf,
  jsonBody,
  markedHook,
  maybe,
  optionalNumber,
  optionalObject,
  optionalText,
  reachable,
  requiredText,
  targetsOf,
  wholeSeconds,
} from './shared.js';
import { element, xmlText } from './xml.js';

type Action = Readonly<Record<string, unknown>>;

const POST = 'POST';
/** The longest SSML break one <break> holds. */
const MAX_BREAK_S = 10;

/** The NCCO of the instructions. */
function renderNcco(instructions: readonly Instruction[], hookUrl: HookUrl): string {
  return JSON.stringify(reachable(instructions).flatMap((i) => actionsOf(i, hookUrl)));
}

function actionsOf(i: Instruction, hookUrl: HookUrl): Action[] {
  switch (i.kind) {
    case 'say':
    case 'play':
      return prompt(i, false);
    case 'pause':
      return [{ action: 'talk', text: silence(i.seconds) }];
    case 'collect':
      return [...i.prompts.flatMap((p) => prompt(p, i.interruptPrompt)), input(i, hookUrl)];
    case 'record':
      return record(i, hookUrl);
    case 'forward':
      return [connect(i, hookUrl)];
    case 'redirect':
      return [notify(i.hook, hookUrl(i.hook))];
    case 'hangup':
      return []; // the call ends when the NCCO runs out
  }
}

/**
 * talk or stream; `bargeIn` lets the following input stop it. Vonage picks a voice by language
 * and `style` (a number). A text longer than a talk takes is said as several talks (played
 * `loop` times as a whole).
 */
function prompt(p: Prompt, bargeIn: boolean): Action[] {
  const common = { ...(bargeIn ? { bargeIn: true } : {}) };
  if (p.kind === 'play') return [{ action: 'stream', streamUrl: [p.url], ...maybe('loop', p.loop), ...common }];
  const style = p.voice !== undefined && /^\d{1,3}$/.test(p.voice) ? Number(p.voice) : undefined;
  const parts = talkTexts(p.text);
  const talks = parts.map((text): Action => ({ action: 'talk', text, ...maybe('language', p.language), ...maybe('style', style), ...(parts.length === 1 ? maybe('loop', p.loop) : {}), ...common }));
  return parts.length === 1 ? talks : Array.from({ length: p.loop ?? 1 }, () => talks).flat();
}

/** The longest text one talk takes (characters, SSML tags aside; §2.6). */
const MAX_TALK = 1500;

/** The text in pieces of at most MAX_TALK characters, cut after the last space that fits (else at the limit). */
function talkTexts(text: string): string[] {
  const chars = Array.from(text);
  const parts: string[] = [];
  let from = 0;
  while (chars.length - from > MAX_TALK) {
    const space = chars.lastIndexOf(' ', from + MAX_TALK - 1);
    const end = space > from ? space + 1 : from + MAX_TALK;
    parts.push(chars.slice(from, end).join(''));
    from = end;
  }
  parts.push(chars.slice(from).join(''));
  return parts;
}

/** SSML of silence: breaks of at most 10 s each. */
function silence(seconds: number): string {
  const breaks = [];
  for (let left = Math.max(0, seconds); left > 0; left -= MAX_BREAK_S) breaks.push(element('break', { time: `${Math.min(left, MAX_BREAK_S)}s` }));
  return xmlText([element('speak', {}, breaks)]);
}

/**
 * One `dtmf.timeOut` serves the first key and the pause after each key: the first-input one,
 * at most 10 s. `submitOnHash` covers "#" only; a range stops at its maximum (≤ 20).
 */
function input(c: Collect, hookUrl: HookUrl): Action {
  const { dtmf, speech } = inputsOf(c);
  return {
    action: 'input',
    type: [...(dtmf ? ['dtmf'] : []), ...(speech ? ['speech'] : [])],
    ...(dtmf ? { dtmf: { maxDigits: clamp(c.maxDigits, 1, 20), timeOut: wholeSeconds(c.firstTimeout, 1, 10), submitOnHash: c.finishKey === '#' } } : {}),
    ...(speech ? { speech: speechOptions(c) } : {}),
    eventUrl: [hookUrl(c.hook)],
    eventMethod: POST,
  };
}

function speechOptions(c: Collect): Action {
  const o = c.speechOptions;
  return {
    startTimeout: wholeSeconds(c.firstTimeout, 1, 10),
    ...maybe('language', o?.language),
    ...(o && o.hints.length > 0 ? { context: o.hints } : {}),
    ...maybe('endOnSilence', o?.endSilence === undefined ? undefined : clamp(o.endSilence, 0.4, 10)),
  };
}

/** The record ends on silence, its key or its length; the notify after it asks for what comes next. */
function record(r: RecordMessage, hookUrl: HookUrl): Action[] {
  const recording = {
    action: 'record',
    format: 'mp3',
    timeOut: wholeSeconds(r.maxLength, 3, 7200),
    endOnSilence: wholeSeconds(r.silenceTimeout, 3, 10),
    ...maybe('endOnKey', r.finishKey),
    beepStart: r.beep,
    eventUrl: [hookUrl(r.hook)],
    eventMethod: POST,
  };
  return [recording, notify(r.hook, hookUrl(r.hook))];
}

/** notify: Vonage posts the payload to the URL and runs the NCCO it answers. */
function notify(hook: string, url: string): Action {
  return { action: 'notify', payload: { hook }, eventUrl: [url], eventMethod: POST };
}

/** connect takes one endpoint: the first target. Its leg's events come back on the hook marked forward. */
function connect(f: Forward, hookUrl: HookUrl): Action {
  const target = targetsOf(f)[0]!;
  return {
    action: 'connect',
    endpoint: [endpoint(target)],
    ...maybe('from', f.callerId === undefined ? undefined : withoutPlus(f.callerId)),
    timeout: Math.round(f.ringTimeout),
    eventType: 'synchronous',
    eventUrl: [markedHook(hookUrl, f.hook, MARKER.forward)],
    eventMethod: POST,
  };
}

function endpoint(t: ForwardTarget): Action {
  return t.type === 'phone' ? { type: 'phone', number: withoutPlus(t.address) } : { type: 'sip', uri: t.address };
}

// ---- reading ----

const WHAT = 'Vonage call webhook';
type Fields = Readonly<Record<string, unknown>>;

/** The answer webhook (GET query, or JSON) and every event (JSON) read into a call event. */
function readNcco(req: WebhookRequest): CallEvent {
  const f = fieldsRecord(req.method === 'GET' ? queryFields(req.url) : jsonBody(req), WHAT);
  const text = (name: string): string | undefined => optionalText(f, name, WHAT);
  const callId = text('conversation_uuid') || text('uuid');
  if (!callId) throw callMalformed(`the ${WHAT} has no "conversation_uuid" or "uuid"`);
  const forwarded = hasMarker(req, MARKER.forward);
  return {
    callId,
    from: text('from') ?? '',
    to: text('to') ?? '',
    ...maybe('direction', forwarded ? undefined : directionOf(text('direction'))),
    ...maybe('status', forwarded ? undefined : callStatus(CALL_STATUSES.vonage, text('status'))),
    ...(forwarded ? forwardOutcome(f) : outcome(f)),
  };
}

/** The other leg's status: an outcome once it is over; before, an event whose answer must run nothing (in the background). */
function forwardOutcome(f: Fields): Partial<CallEvent> {
  const word = requiredText(f, 'status', WHAT);
  if (FORWARD_PENDING.has(word)) return { background: true };
  return { forward: { status: forwardStatus(FORWARD_STATUSES.vonage, word), ...maybe('durationS', optionalNumber(f, 'duration', WHAT)) } };
}

function outcome(f: Fields): Partial<CallEvent> {
  const url = optionalText(f, 'recording_url', WHAT);
  if (url) return { recording: { url, ...maybe('durationS', recordedSeconds(f)) }, background: true };
  const dtmf = optionalObject(f, 'dtmf', WHAT);
  const speech = optionalObject(f, 'speech', WHAT);
  return dtmf || speech ? { input: inputOf(dtmf, speech) } : {};
}

/** Keys, else the best transcript, else no input (empty digits with timed_out, or speech's start_timeout). */
function inputOf(dtmf: Fields | undefined, speech: Fields | undefined): CallInput {
  const digits = dtmf ? optionalText(dtmf, 'digits', WHAT) : undefined;
  if (digits) return { digits, noInput: false };
  const best = speech ? bestResult(speech) : undefined;
  return best ? { speech: best, noInput: false } : { noInput: true };
}

function bestResult(speech: Fields): CallInput['speech'] {
  const results = speech['results'];
  if (results === undefined || results === null) return undefined;
  if (!Array.isArray(results)) throw callMalformed(`the ${WHAT}'s "speech.results" is not a list`);
  if (results.length === 0) return undefined;
  const first = fieldsRecord(results[0], `${WHAT}'s speech result`);
  const text = optionalText(first, 'text', WHAT);
  return text ? { text, ...maybe('confidence', optionalNumber(first, 'confidence', WHAT)) } : undefined;
}

/** A recording's length from its start and end times; undefined when they are absent or unreadable. */
function recordedSeconds(f: Fields): number | undefined {
  const start = Date.parse(optionalText(f, 'start_time', WHAT) ?? '');
  const end = Date.parse(optionalText(f, 'end_time', WHAT) ?? '');
  return Number.isNaN(start) || Number.isNaN(end) || end < start ? undefined : Math.round((end - start) / 1000);
}

// ---- signature ----

const JWT = 'Vonage JWT (Authorization header)';

export interface VonageVoiceSecrets {
  /** The signature secret of the account's API key. */
  readonly signatureSecret: string;
  /** How far (s) the token's `iat` may be from our clock; default 300. */
  readonly windowS?: number;
}

/**
 * A signed callback carries an HS256 JWT in Authorization (as the Messages API's, see
 * channels/vonage/messages-api.ts): signed with the secret, fresh, and whose payload_hash is the
 * SHA-256 of the body. A body-less GET (the answer webhook) may come without payload_hash.
 */
export function verifyVonageVoice(req: WebhookRequest, secrets: VonageVoiceSecrets, now: number): void {
  const authorization = header(req, 'authorization');
  if (authorization === undefined || authorization.trim() === '') throw signatureMissing(JWT);
  const claims = verifiedClaims(authorization.replace(/^Bearer\s+/i, '').trim(), secrets.signatureSecret, JWT);
  requireFresh(typeof claims['iat'] === 'number' ? claims['iat'] : NaN, now, secrets.windowS ?? 300, JWT);
  const hash = claims['payload_hash'];
  if (hash === undefined && req.rawBody.length === 0) return;
  if (typeof hash !== 'string' || !sameText(hash.toLowerCase(), createHash('sha256').update(req.rawBody).digest('hex'))) throw signatureInvalid(JWT);
}

/** Vonage Voice API: NCCO documents; signed callbacks verified with the signature secret. */
export const ncco: Dialect<VonageVoiceSecrets> = {
  name: 'ncco',
  contentType: 'application/json',
  documentPerHook: false,
  render: renderNcco,
  read: readNcco,
  verify: verifyVonageVoice,
};
