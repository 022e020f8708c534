// jambonz (carrier-dialects.md §8): the renderer of a verb array (the same for the HTTP webhooks
// and the WebSocket API, where the hook address is the hook's name), the reader of a call
// webhook's payload (the HTTP body, or the `data` of a WebSocket message), and the signature
// check. jambonz calls the gather's actionHook on every outcome, no input included, so no
// fallback verb is needed; it has no verb that records a message to a file for us, so a
// record streams the caller's audio with `listen` to the hook's address marked audio.
import type { WebhookRequest } from '../../channels/provider.js';
import { CALL_STATUSES, FORWARD_STATUSES, type CallEvent, type CallInput } from '../call-event.js';
import type { Dialect } from '../dialect.js';
import type { Collect, Forward, ForwardTarget, HookUrl, Instruction, Prompt, RecordMessage } from '../instructions.js';
import {
  MARKER,
  callStatus,
  directionOf,
  fieldsRecord,
  forwardStatus,
  inputsOf,
  jsonBody,
  maybe,
  optionalNumber,
  optionalObject,
  optionalText,
  reachable,
  requiredText,
  targetsOf,
} from './shared.js';
import { verifyJambonz } from './jambonz-signature.js';

type Verb = Readonly<Record<string, unknown>>;

/** The sample rate a recording's audio is streamed at (jambonz's default; enough for a voice). */
const LISTEN_SAMPLE_RATE = 8000;

/** The verb array of the instructions. */
export function jambonzVerbs(instructions: readonly Instruction[], hookUrl: HookUrl): Verb[] {
  return reachable(instructions).flatMap((i) => verbsOf(i, hookUrl));
}

function verbsOf(i: Instruction, hookUrl: HookUrl): Verb[] {
  switch (i.kind) {
    case 'say':
    case 'play':
      return [{ verb: i.kind, ...promptOptions(i) }];
    case 'pause':
      return [{ verb: 'pause', length: i.seconds }];
    case 'collect':
      return gather(i, hookUrl);
    case 'record':
      return [listen(i, hookUrl)];
    case 'forward':
      return [dial(i, hookUrl)];
    case 'redirect':
      return [{ verb: 'redirect', actionHook: hookUrl(i.hook) }];
    case 'hangup':
      return [{ verb: 'hangup' }];
  }
}

/** A say's or play's options; a voice or language goes to the application's default synthesizer. */
function promptOptions(p: Prompt): Verb {
  if (p.kind === 'play') return { url: p.url, ...maybe('loop', p.loop) };
  const synthesizer = p.voice !== undefined || p.language !== undefined ? { vendor: 'default', ...maybe('language', p.language), ...maybe('voice', p.voice) } : undefined;
  return { text: p.text, ...maybe('loop', p.loop), ...maybe('synthesizer', synthesizer) };
}

/**
 * A gather nests one prompt (the last); earlier ones play before it. Not interrupting means
 * not listening during the prompt. The DTMF input is called `digits` in jambonz.
 */
function gather(c: Collect, hookUrl: HookUrl): Verb[] {
  const { dtmf, speech } = inputsOf(c);
  const earlier = c.prompts.slice(0, -1).map((p): Verb => ({ verb: p.kind, ...promptOptions(p) }));
  const last = c.prompts.at(-1);
  const verb = {
    verb: 'gather',
    actionHook: hookUrl(c.hook),
    input: [...(dtmf ? ['digits'] : []), ...(speech ? ['speech'] : [])],
    timeout: c.firstTimeout,
    listenDuringPrompt: c.interruptPrompt,
    ...(dtmf ? digitOptions(c) : {}),
    ...(speech ? speechOptions(c) : {}),
    ...(last ? { [last.kind]: promptOptions(last) } : {}),
  };
  return [...earlier, verb];
}

function digitOptions(c: Collect): Verb {
  const count = c.minDigits === c.maxDigits ? { numDigits: c.maxDigits } : { minDigits: c.minDigits, maxDigits: c.maxDigits };
  return { interDigitTimeout: c.interDigitTimeout, ...maybe('finishOnKey', c.finishKey), ...count, dtmfBargein: c.interruptPrompt };
}

/**
 * A recognizer only to set a language or hints: jambonz takes a gather's recognizer in place of
 * the application's (its label, for one, is then left out), and may read an empty hint list as
 * "none of the application's hints either".
 */
function speechOptions(c: Collect): Verb {
  const o = c.speechOptions;
  const hints = o?.hints ?? [];
  const recognizer = o?.language !== undefined || hints.length > 0 ? { vendor: 'default', ...maybe('language', o?.language), ...(hints.length > 0 ? { hints: [...hints] } : {}) } : undefined;
  return { bargein: c.interruptPrompt, ...maybe('recognizer', recognizer), ...maybe('speechTimeout', o?.endSilence) };
}

/**
 * listen streams the caller's audio (mono, 16-bit PCM at 8 kHz) to a WebSocket: the hook's
 * address marked audio, given the longest length too, as ws(s) (jambonz-audio.ts receives it).
 */
function listen(r: RecordMessage, hookUrl: HookUrl): Verb {
  return {
    verb: 'listen',
    url: hookUrl(r.hook, { [MARKER.audio]: '1', maxLength: String(r.maxLength) }).replace(/^http(s?):/i, 'ws$1:'),
    mixType: 'mono',
    sampleRate: LISTEN_SAMPLE_RATE,
    actionHook: hookUrl(r.hook),
    maxLength: r.maxLength,
    timeout: r.silenceTimeout,
    ...maybe('finishOnKey', r.finishKey),
    playBeep: r.beep,
  };
}

/** dial rings every target at once. */
function dial(f: Forward, hookUrl: HookUrl): Verb {
  return { verb: 'dial', actionHook: hookUrl(f.hook), target: targetsOf(f).map(target), ...maybe('callerId', f.callerId), timeout: f.ringTimeout };
}

function target(t: ForwardTarget): Verb {
  return t.type === 'phone' ? { type: 'phone', number: t.address } : { type: 'sip', sipUri: t.address };
}

// ---- reading ----

const WHAT = 'jambonz call payload';
type Fields = Readonly<Record<string, unknown>>;

/** The call event of a jambonz payload: an HTTP webhook's body or a WebSocket message's `data`. */
export function readJambonzCall(data: unknown): CallEvent {
  const f = fieldsRecord(data, WHAT);
  const text = (name: string): string | undefined => optionalText(f, name, WHAT);
  return {
    callId: requiredText(f, 'call_sid', WHAT),
    from: text('from') ?? '',
    to: text('to') ?? '',
    ...maybe('direction', directionOf(text('direction'))),
    ...maybe('status', callStatus(CALL_STATUSES.jambonz, text('call_status'))),
    ...outcome(f),
  };
}

function outcome(f: Fields): Partial<CallEvent> {
  const dialed = optionalText(f, 'dial_call_status', WHAT);
  if (dialed) return { forward: { status: forwardStatus(FORWARD_STATUSES.jambonz, dialed) } };
  const reason = optionalText(f, 'reason', WHAT);
  const digits = optionalText(f, 'digits', WHAT);
  if (reason === undefined && digits === undefined) return {};
  return { input: inputOf(f, reason, digits) };
}

/** dtmfDetected: the digits; speechDetected (or a low-confidence transcript): the best one; timeout or error: no input. */
function inputOf(f: Fields, reason: string | undefined, digits: string | undefined): CallInput {
  if (digits) return { digits, noInput: false };
  const speech = reason === 'speechDetected' || reason === 'stt-low-confidence' ? bestTranscript(f) : undefined;
  return speech ? { speech, noInput: false } : { noInput: true };
}

function bestTranscript(f: Fields): CallInput['speech'] {
  const speech = optionalObject(f, 'speech', WHAT);
  const alternatives = speech?.['alternatives'];
  if (!Array.isArray(alternatives) || alternatives.length === 0) return undefined;
  const best = fieldsRecord(alternatives[0], `${WHAT}'s speech alternative`);
  const text = optionalText(best, 'transcript', WHAT);
  return text ? { text, ...maybe('confidence', optionalNumber(best, 'confidence', WHAT)) } : undefined;
}

export interface JambonzSecrets {
  /** The webhook secrets to try (more than one while rotating). */
  readonly webhookSecrets: readonly string[];
}

/** jambonz: JSON verb arrays; HTTP webhooks signed with the account's webhook secret. */
export const jambonz: Dialect<JambonzSecrets> = {
  name: 'jambonz',
  contentType: 'application/json',
  documentPerHook: false,
  render: (instructions, hookUrl) => JSON.stringify(jambonzVerbs(instructions, hookUrl)),
  read: (req: WebhookRequest) => readJambonzCall(jsonBody(req)),
  verify: (req, secrets, now) => verifyJambonz(req, secrets.webhookSecrets, now),
};
