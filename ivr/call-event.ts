// The normalized call event: what any dialect's call webhook says, read into one shape the call
// sessions understand (who calls whom, the call's status, the keys or words collected, a
// recording, a forward's outcome). Also the tables mapping each provider's status words into
// the normalized ones, and the error a malformed call webhook is refused with.
import { JunctionError } from '../engine/errors.js';

export type CallStatus = 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type ForwardStatus = 'answered' | 'completed' | 'busy' | 'no-answer' | 'failed';

export interface CallInput {
  /** Keys pressed, without the finish key. */
  readonly digits?: string;
  readonly speech?: { readonly text: string; readonly confidence?: number };
  /** True when the caller gave nothing before the timeout. */
  readonly noInput: boolean;
}

export interface CallEvent {
  /** The provider's id of the call (Vonage: the conversation, shared by every leg). */
  readonly callId: string;
  /** Caller and called party as the provider gives them; "" on a callback that omits them (Vonage record and notify events). */
  readonly from: string;
  readonly to: string;
  readonly direction?: 'inbound' | 'outbound';
  readonly status?: CallStatus;
  /** The result of a collect (or of a record that captured nothing: `noInput`). */
  readonly input?: CallInput;
  readonly recording?: { readonly url: string; readonly durationS?: number };
  readonly forward?: { readonly status: ForwardStatus; readonly durationS?: number };
  /**
   * The provider does not run what this webhook is answered with, or must not be given anything
   * to run (Vonage's record events, sent in the background while the call goes on; the set-up
   * events of a forwarded leg, which come in any order): answered with nothing; what it
   * reports (a recording) waits for the call's next webhook on the same element.
   */
  readonly background?: boolean;
}

/** A call webhook that is not what its provider sends: 400. */
export function callMalformed(message: string): JunctionError {
  return new JunctionError('JCT_CALL_MALFORMED', message);
}

/** Twilio's CallStatus words; Telnyx TeXML sends the same. */
const TWILIO_STATUSES: Readonly<Record<string, CallStatus>> = {
  queued: 'ringing',
  initiated: 'ringing',
  ringing: 'ringing',
  answered: 'in-progress',
  'in-progress': 'in-progress',
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no-answer',
  failed: 'failed',
  canceled: 'canceled',
};

/** The voice providers: each is a voice module of that name (providers.ts). */
export const VOICE_PROVIDERS = ['twilio', 'telnyx', 'vonage', 'plivo', 'jambonz'] as const;
export type VoiceProvider = (typeof VOICE_PROVIDERS)[number];

/** Call status words of each provider (carrier-dialects.md §1.5, §2.5, §3.4, §4.4, §8.1). */
export const CALL_STATUSES: Readonly<Record<VoiceProvider, Readonly<Record<string, CallStatus>>>> = {
  twilio: TWILIO_STATUSES,
  telnyx: TWILIO_STATUSES,
  vonage: {
    started: 'ringing',
    ringing: 'ringing',
    answered: 'in-progress',
    human: 'in-progress',
    machine: 'in-progress',
    completed: 'completed',
    disconnected: 'completed',
    busy: 'busy',
    unanswered: 'no-answer',
    timeout: 'no-answer',
    rejected: 'failed',
    failed: 'failed',
    cancelled: 'canceled',
  },
  plivo: {
    ringing: 'ringing',
    'in-progress': 'in-progress',
    completed: 'completed',
    busy: 'busy',
    timeout: 'no-answer',
    'no-answer': 'no-answer',
    failed: 'failed',
    cancel: 'canceled',
    canceled: 'canceled',
  },
  jambonz: {
    queued: 'ringing',
    trying: 'ringing',
    ringing: 'ringing',
    'early-media': 'ringing',
    'in-progress': 'in-progress',
    completed: 'completed',
    busy: 'busy',
    'no-answer': 'no-answer',
    failed: 'failed',
  },
};

/** A forward's outcome words of each provider; a word not listed reads as `failed`. */
export const FORWARD_STATUSES: Readonly<Record<'twilio' | 'vonage' | 'plivo' | 'jambonz', Readonly<Record<string, ForwardStatus>>>> = {
  // <Dial action>: DialCallStatus (TeXML sends the same)
  twilio: { answered: 'answered', completed: 'completed', busy: 'busy', 'no-answer': 'no-answer', failed: 'failed', canceled: 'failed' },
  // connect eventUrl: the other leg's status events (its `answered` is no outcome: see FORWARD_PENDING)
  vonage: { completed: 'completed', disconnected: 'completed', busy: 'busy', unanswered: 'no-answer', timeout: 'no-answer', failed: 'failed', rejected: 'failed', cancelled: 'failed' },
  // <Dial action>: DialStatus
  plivo: { answer: 'answered', answered: 'answered', completed: 'completed', busy: 'busy', timeout: 'no-answer', 'no-answer': 'no-answer', failed: 'failed', cancel: 'failed' },
  // dial actionHook: dial_call_status
  jambonz: { 'in-progress': 'answered', completed: 'completed', busy: 'busy', 'no-answer': 'no-answer', failed: 'failed', canceled: 'failed' },
};

/**
 * Vonage's forward events that are not an outcome yet: the other leg is being set up, or it
 * answered and the calls are connected (the forward's outcome is when that call ends, as on
 * the other platforms; answering the `answered` event with the next steps' NCCO would run them
 * during the conversation).
 */
export const FORWARD_PENDING: ReadonlySet<string> = new Set(['started', 'ringing', 'answered']);
