// TwiML (Twilio, carrier-dialects.md §1.5–1.7) and its Telnyx variant TeXML (§4.4–4.5): one
// renderer with an option for TeXML's differences (no per-verb `method`, `minDigits` and
// `maxDigits` on <Gather>, a 1–120 s timeout), the reader of their form webhooks, and the
// signature checks they use (X-Twilio-Signature; Telnyx's Ed25519 headers).
import { verifyTwilio } from '../../channels/twilio/signature.js';
import { verifyTelnyx } from '../../channels/telnyx/signature.js';
import { CALL_STATUSES, FORWARD_STATUSES } from '../call-event.js';
import type { Dialect } from '../dialect.js';
import type { Collect, ForwardTarget } from '../instructions.js';
import { readFormCall, type FormCallFields } from './form-call.js';
import { digitCount, wholeSeconds } from './shared.js';
import { element, hintsText, inputWords, renderXml, type XmlNode, type XmlVocabulary } from './xml.js';

const XML = 'text/xml';

/** The TwiML verbs; `texml` switches to Telnyx's attribute set. */
function vocabulary(texml: boolean): XmlVocabulary {
  const method = texml ? undefined : 'POST';
  return {
    say: (p) => element('Say', { voice: p.voice, language: p.language, loop: p.loop }, p.text),
    play: (p) => element('Play', { loop: p.loop }, p.url),
    pause: (p) => element('Pause', { length: Math.max(1, Math.round(p.seconds)) }),
    collect: (c, action, prompts) => element('Gather', { ...gatherAttributes(c, texml), action, method }, prompts),
    record: (r, action) =>
      element('Record', { action, method, maxLength: Math.round(r.maxLength), timeout: Math.round(r.silenceTimeout), finishOnKey: r.finishKey ?? '', playBeep: r.beep }),
    forward: (f, action) =>
      element(
        'Dial',
        { action, method, timeout: Math.round(f.ringTimeout), callerId: f.callerId },
        (texml ? f.targets : twilioTargets(f.targets)).map((t): XmlNode => element(t.type === 'phone' ? 'Number' : 'Sip', {}, t.address)),
      ),
    redirect: (url) => element('Redirect', { method }, url),
    hangup: () => element('Hangup'),
  };
}

/**
 * What one Twilio <Dial> may ring: numbers, or a single SIP address alone (without the account
 * option "Enhanced Programmable SIP Features", a <Sip> beside any other noun is refused). So a
 * forward to numbers and SIP addresses rings its numbers, and one to SIP addresses only its first.
 */
function twilioTargets(targets: readonly ForwardTarget[]): readonly ForwardTarget[] {
  const phones = targets.filter((t) => t.type === 'phone');
  return phones.length > 0 ? phones : targets.slice(0, 1);
}

/**
 * <Gather> has one `timeout` for the first key and between keys: the first-input one. Twilio
 * stops at `numDigits`; a range stops at its maximum there (the minimum is the session's to
 * check), while TeXML takes `minDigits`/`maxDigits`.
 */
function gatherAttributes(c: Collect, texml: boolean): Record<string, string | number | undefined> {
  return {
    input: inputWords(c),
    timeout: texml ? wholeSeconds(c.firstTimeout, 1, 120) : Math.round(c.firstTimeout),
    ...(c.dtmf ? { finishOnKey: c.finishKey ?? '', ...digitAttributes(c, texml) } : {}),
    ...(c.speech ? speechAttributes(c) : {}),
  };
}

function digitAttributes(c: Collect, texml: boolean): Record<string, number> {
  const count = digitCount(c);
  if ('exactly' in count) return { numDigits: count.exactly };
  return texml ? { minDigits: count.min, maxDigits: count.max } : { numDigits: count.max };
}

function speechAttributes(c: Collect): Record<string, string | number | undefined> {
  const o = c.speechOptions;
  return {
    language: o?.language,
    hints: hintsText(c, ', '),
    speechTimeout: o?.endSilence === undefined ? undefined : Math.max(1, Math.round(o.endSilence)),
  };
}

const TWILIO_FIELDS: FormCallFields = {
  what: 'Twilio call webhook',
  callId: 'CallSid',
  from: 'From',
  to: 'To',
  direction: 'Direction',
  status: 'CallStatus',
  digits: 'Digits',
  speech: 'SpeechResult',
  confidence: 'Confidence',
  recordingUrl: 'RecordingUrl',
  recordingDuration: 'RecordingDuration',
  forwardStatus: 'DialCallStatus',
  forwardDuration: 'DialCallDuration',
  statuses: CALL_STATUSES.twilio,
  forwardStatuses: FORWARD_STATUSES.twilio,
};

const TELNYX_FIELDS: FormCallFields = { ...TWILIO_FIELDS, what: 'Telnyx TeXML webhook', statuses: CALL_STATUSES.telnyx };

const TWIML = vocabulary(false);
const TEXML = vocabulary(true);

/** Twilio: TwiML documents; webhooks signed with the account's Auth Token. */
export const twiml: Dialect<{ readonly authToken: string }> = {
  name: 'twiml',
  contentType: XML,
  documentPerHook: true,
  render: (instructions, hookUrl) => renderXml(instructions, hookUrl, TWIML),
  read: (req) => readFormCall(req, TWILIO_FIELDS),
  verify: (req, secrets) => verifyTwilio(req, secrets.authToken),
};

/** Telnyx TeXML: Twilio's markup with Telnyx's attributes; webhooks signed with Ed25519 (the account's public key). */
export const texml: Dialect<{ readonly publicKey: string }> = {
  name: 'texml',
  contentType: XML,
  documentPerHook: true,
  render: (instructions, hookUrl) => renderXml(instructions, hookUrl, TEXML),
  read: (req) => readFormCall(req, TELNYX_FIELDS),
  verify: (req, secrets, now) => verifyTelnyx(req, secrets.publicKey, now),
};
