// Plivo XML (carrier-dialects.md §3.4–3.7): the renderer (<Speak>, <Play>, <Wait>, <GetInput>,
// <Record>, <Dial>, <Redirect>, <Hangup>), the reader of Plivo's form webhooks, and the V3
// signature check voice webhooks carry.
import { verifyPlivo, type PlivoTokens } from '../../channels/plivo/signature.js';
import { signatureMissing } from '../../channels/errors.js';
import { header } from '../../channels/signing.js';
import { withoutPlus } from '../../channels/addresses.js';
import type { WebhookRequest } from '../../channels/provider.js';
import { CALL_STATUSES, FORWARD_STATUSES } from '../call-event.js';
import type { Dialect } from '../dialect.js';
import type { Collect } from '../instructions.js';
import { readFormCall, type FormCallFields } from './form-call.js';
import { digitCount, wholeSeconds } from './shared.js';
import { element, hintsText, inputWords, renderXml, type XmlNode, type XmlVocabulary } from './xml.js';

const METHOD = 'POST';

const PLIVO: XmlVocabulary = {
  say: (p) => element('Speak', { voice: p.voice, language: p.language, loop: p.loop }, p.text),
  play: (p) => element('Play', { loop: p.loop }, p.url),
  pause: (p) => element('Wait', { length: Math.max(1, Math.round(p.seconds)) }),
  collect: (c, action, prompts) => element('GetInput', { action, method: METHOD, ...inputAttributes(c), redirect: true }, prompts),
  record: (r, action) =>
    element('Record', {
      action,
      method: METHOD,
      maxLength: Math.round(r.maxLength),
      timeout: Math.round(r.silenceTimeout),
      finishOnKey: r.finishKey ?? 'none',
      playBeep: r.beep,
      redirect: true,
    }),
  forward: (f, action) =>
    element(
      'Dial',
      { action, method: METHOD, redirect: true, timeout: Math.round(f.ringTimeout), callerId: f.callerId === undefined ? undefined : withoutPlus(f.callerId) },
      f.targets.map((t): XmlNode => (t.type === 'phone' ? element('Number', {}, withoutPlus(t.address)) : element('User', {}, t.address))),
    ),
  redirect: (url) => element('Redirect', { method: METHOD }, url),
  hangup: () => element('Hangup'),
};

/**
 * <GetInput> waits `executionTimeout` (5–60 s) after its prompts for the first input and
 * `digitEndTimeout` (2–10 s) between keys; it stops at `numDigits` (a range stops at its
 * maximum; the minimum is the session's to check).
 */
function inputAttributes(c: Collect): Record<string, string | number | undefined> {
  const count = digitCount(c);
  return {
    inputType: inputWords(c),
    executionTimeout: wholeSeconds(c.firstTimeout, 5, 60),
    ...(c.dtmf
      ? { digitEndTimeout: wholeSeconds(c.interDigitTimeout, 2, 10), finishOnKey: c.finishKey ?? 'none', numDigits: 'exactly' in count ? count.exactly : count.max }
      : {}),
    ...(c.speech ? speechAttributes(c) : {}),
  };
}

function speechAttributes(c: Collect): Record<string, string | number | undefined> {
  const o = c.speechOptions;
  return {
    language: o?.language,
    hints: hintsText(c, ','),
    speechEndTimeout: o?.endSilence === undefined ? 'auto' : wholeSeconds(o.endSilence, 2, 10),
  };
}

const FIELDS: FormCallFields = {
  what: 'Plivo call webhook',
  callId: 'CallUUID',
  from: 'From',
  to: 'To',
  direction: 'Direction',
  status: 'CallStatus',
  digits: 'Digits',
  speech: 'Speech',
  confidence: 'SpeechConfidenceScore',
  recordingUrl: 'RecordUrl',
  recordingDuration: 'RecordingDuration',
  forwardStatus: 'DialStatus',
  forwardDuration: 'DialBLegDuration',
  statuses: CALL_STATUSES.plivo,
  forwardStatuses: FORWARD_STATUSES.plivo,
};

/** Voice webhooks are signed V3 (it covers the query and the body); one signed only V2 is refused. */
function verifyVoice(req: WebhookRequest, tokens: PlivoTokens): void {
  const v3 = header(req, 'x-plivo-signature-v3') || header(req, 'x-plivo-signature-ma-v3');
  if (!v3 || !header(req, 'x-plivo-signature-v3-nonce')) throw signatureMissing('X-Plivo-Signature-V3 header with its nonce');
  verifyPlivo(req, tokens);
}

/** Plivo: Plivo XML documents; webhooks signed V3 with the (sub-)account's or the main account's Auth Token. */
export const plivo: Dialect<PlivoTokens> = {
  name: 'plivo',
  contentType: 'text/xml',
  documentPerHook: true,
  render: (instructions, hookUrl) => renderXml(instructions, hookUrl, PLIVO),
  read: (req) => readFormCall(req, FIELDS),
  verify: (req, tokens) => verifyVoice(req, tokens),
};
