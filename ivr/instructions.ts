// The dialect-neutral call instructions: what an IVR step asks the call to do next (speak,
// play, wait, collect keys or words, record, forward, ask again, hang up), before any provider's
// markup exists. Each dialect in ivr/dialects/ turns a list of them into its call-control
// document. A `hook` is a name the caller of a renderer turns into a callback address.
import { JunctionError } from '../engine/errors.js';

/** Text spoken by the provider's text-to-speech. */
export interface SayPrompt {
  readonly kind: 'say';
  readonly text: string;
  /** A voice name in the provider's own vocabulary (e.g. `Polly.Joanna`). */
  readonly voice?: string;
  /** BCP-47 language tag, e.g. `en-US`. */
  readonly language?: string;
  /** How many times to say it; default once. */
  readonly loop?: number;
}

/** An audio file played from a URL. */
export interface PlayPrompt {
  readonly kind: 'play';
  readonly url: string;
  /** How many times to play it; default once. */
  readonly loop?: number;
}

export type Prompt = SayPrompt | PlayPrompt;

/** Silence for a number of seconds. */
export interface Pause {
  readonly kind: 'pause';
  readonly seconds: number;
}

export interface SpeechOptions {
  readonly language?: string;
  /** Words and phrases the recognizer should expect. */
  readonly hints: readonly string[];
  /** Seconds of silence that end an utterance. */
  readonly endSilence?: number;
}

/** Plays the prompts and collects keys and/or speech; the result goes to `hook`. */
export interface Collect {
  readonly kind: 'collect';
  readonly hook: string;
  readonly prompts: readonly Prompt[];
  readonly dtmf: boolean;
  readonly speech: boolean;
  /** Seconds to wait for the first key or word (counted after the prompts). */
  readonly firstTimeout: number;
  /** Seconds to wait between two keys. */
  readonly interDigitTimeout: number;
  readonly minDigits: number;
  readonly maxDigits: number;
  /** The key that ends the entry (not part of the digits); null: none. */
  readonly finishKey: '#' | '*' | null;
  /** Whether a key or word stops the prompts. */
  readonly interruptPrompt: boolean;
  readonly speechOptions?: SpeechOptions;
}

/** Records the caller; the recording goes to `hook`. */
export interface RecordMessage {
  readonly kind: 'record';
  readonly hook: string;
  /** Longest recording, seconds. */
  readonly maxLength: number;
  /** The key that ends the recording; null: none. */
  readonly finishKey: string | null;
  /** Whether a beep marks the start. */
  readonly beep: boolean;
  /** Seconds of silence that end the recording. */
  readonly silenceTimeout: number;
}

export interface ForwardTarget {
  readonly type: 'phone' | 'sip';
  /** E.164 number (`+15551230001`) or SIP URI (`sip:alice@example.com`). */
  readonly address: string;
}

/** Connects the caller to another party; the outcome goes to `hook`. */
export interface Forward {
  readonly kind: 'forward';
  readonly hook: string;
  readonly targets: readonly ForwardTarget[];
  /** The number shown to the called party. */
  readonly callerId?: string;
  /** Seconds to let the targets ring. */
  readonly ringTimeout: number;
}

/** Asks Junction again, on `hook`, what comes next. */
export interface Redirect {
  readonly kind: 'redirect';
  readonly hook: string;
}

export interface Hangup {
  readonly kind: 'hangup';
}

export type Instruction = Prompt | Pause | Collect | RecordMessage | Forward | Redirect | Hangup;

/**
 * Turns a hook name into the address the provider calls back: an absolute URL for HTTP
 * dialects, the hook name itself for the jambonz WebSocket API. `params` are added to it (the
 * dialects use them for markers such as `noInput=1`).
 */
export type HookUrl = (hook: string, params?: Readonly<Record<string, string>>) => string;

/** An instruction no dialect can render (a programming error of the caller): 400. */
export function instructionInvalid(message: string): JunctionError {
  return new JunctionError('JCT_IVR_INSTRUCTION_INVALID', message);
}
