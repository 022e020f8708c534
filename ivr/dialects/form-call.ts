// Reading the form-encoded call webhooks of Twilio, Telnyx TeXML and Plivo, which differ only
// in their field names: the call, the outcome of a collect (keys, speech, or our noInput
// marker), of a record, of a forward, and the call's status. GET requests carry the fields in
// the query, POSTs in a form body.
import { fieldsOf } from '../../channels/form.js';
import type { WebhookRequest } from '../../channels/provider.js';
import type { CallEvent, CallStatus, ForwardStatus } from '../call-event.js';
import { MARKER, callStatus, directionOf, fieldsRecord, forwardStatus, hasMarker, maybe, optionalNumber, optionalText, requiredText } from './shared.js';

/** A provider's names for the fields of its call webhooks, and its status words. */
export interface FormCallFields {
  /** What the webhook is called in errors, e.g. "Twilio call webhook". */
  readonly what: string;
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly direction: string;
  readonly status: string;
  readonly digits: string;
  readonly speech: string;
  readonly confidence: string;
  readonly recordingUrl: string;
  readonly recordingDuration: string;
  readonly forwardStatus: string;
  readonly forwardDuration: string;
  readonly statuses: Readonly<Record<string, CallStatus>>;
  readonly forwardStatuses: Readonly<Record<string, ForwardStatus>>;
}

type Fields = Readonly<Record<string, unknown>>;

/** The call event of a form webhook; throws JCT_CALL_MALFORMED when it is not one. */
export function readFormCall(req: WebhookRequest, names: FormCallFields): CallEvent {
  const f = fieldsRecord(fieldsOf(req), names.what);
  const text = (name: string): string | undefined => optionalText(f, name, names.what);
  return {
    callId: requiredText(f, names.callId, names.what),
    from: text(names.from) ?? '',
    to: text(names.to) ?? '',
    ...maybe('direction', directionOf(text(names.direction))),
    ...maybe('status', callStatus(names.statuses, text(names.status))),
    ...outcome(req, f, names),
  };
}

/** What the callback reports beside the call: no input, a recording, a forward's end, or the input. */
function outcome(req: WebhookRequest, f: Fields, names: FormCallFields): Partial<CallEvent> {
  const text = (name: string): string | undefined => optionalText(f, name, names.what);
  const number = (name: string): number | undefined => optionalNumber(f, name, names.what);
  if (hasMarker(req, MARKER.noInput)) return { input: { noInput: true } };
  const recording = text(names.recordingUrl);
  if (recording) return { recording: { url: recording, ...maybe('durationS', number(names.recordingDuration)) } };
  const dialed = text(names.forwardStatus);
  if (dialed) return { forward: { status: forwardStatus(names.forwardStatuses, dialed), ...maybe('durationS', number(names.forwardDuration)) } };
  const speech = text(names.speech);
  if (speech) return { input: { speech: { text: speech, ...maybe('confidence', number(names.confidence)) }, noInput: false } };
  const digits = text(names.digits);
  if (digits === undefined) return {};
  return { input: digits === '' ? { noInput: true } : { digits, noInput: false } };
}
