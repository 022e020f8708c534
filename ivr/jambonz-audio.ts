// jambonz recordings. jambonz has no verb that records to a file for us: a record renders as
// `listen` (dialects/jambonz.ts), which streams the caller's audio over a WebSocket. This module
// owns that stream's end: the address `listen` is given (a signed token in its query), the
// WebSocket that receives the audio there, the WAV files it writes, and the route serving them.
//
// The stream (docs.jambonz.org, listen; subprotocol audio.jambonz.org): one text frame first, JSON metadata with the call's
// attributes (`callSid`, …) plus `sampleRate` and `mixType`; then binary frames of linear
// 16-bit PCM. Its end (the socket closing) is the reliable signal that the recording is whole:
// the file's sizes are fixed then, and the outcome (a recording with its URL and length, or
// "nothing recorded" for an empty stream) is submitted as a background `call` input on the
// listen's hook, which the record element keeps durably for its next webhook. jambonz calls the
// listen's actionHook after closing the socket; that webhook waits for a stream still open on
// the same call and element (ArrivingRecordings in voice.ts, at most a few seconds), and one
// arriving before the stream even began is held by the record element (pause, ask again) until
// the recording is there.
//
// Authentication: jambonz signs nothing on this socket, so the address carries
// `t` = HMAC-SHA256 of the hook, the person, the longest length and an outbound call's reference
// (`o`, when the call is one Junction placed), keyed with the module's
// first secret (socketPassword, else the first webhook secret; any of them verifies). Without
// it, or with another, the upgrade is refused (401/403). A stream may carry at most
// maxLength (+ MARGIN_S) seconds of audio at its sample rate: more is cut, the socket closed
// (1009) and the cut recording kept. Refusals and cut streams are counted by code.
//
// Files: `<recordingsDir>/<32 hex>.wav` (random, unguessable names), served as audio/wav at
// GET /voice/jambonz/recordings/<name>.wav to anyone who has the URL; kept until deleted.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { JunctionError } from '../engine/errors.js';
import { parseJsonText } from '../engine/json-text.js';
import type { ModuleSocket, RouteContext, RouteDefinition, RouteRequest, Settings, SocketDefinition } from '../engine/module.js';
import { hmac, sameText } from '../channels/signing.js';
import { signatureInvalid, signatureMissing } from '../channels/errors.js';
import { isRecord } from '../channels/answers.js';
import { MARKER } from './dialects/shared.js';
import type { HookUrl } from './instructions.js';
import { publicBaseOf } from '../channels/provider.js';
import type { CallEvent } from './call-event.js';
import { callWebhook, queryText, type ArrivingRecordings } from './voice.js';
import { WavWriter, wavSeconds } from './wav.js';

export const AUDIO_PATH = '/voice/jambonz/audio';
/** The subprotocol listen opens its socket with (docs.jambonz.org, listen). */
const AUDIO_PROTOCOL = 'audio.jambonz.org';
const PROVIDER = 'jambonz';
export const RECORDINGS_PATH = '/voice/jambonz/recordings';

/** The jambonz-voice settings of recordings. */
export const JAMBONZ_AUDIO_SETTINGS = {
  recordingsDir: Type.String({
    minLength: 1,
    default: 'recordings',
    dataPath: true,
    description: `folder the WAV files of recordings are written to (the audio jambonz's listen streams), inside the data directory unless absolute; served at ${RECORDINGS_PATH}/{name}.wav; kept until you delete them`,
  }),
};

/** The longest recording the record element allows (s): the cap when the address says nothing. */
const MAX_LENGTH_S = 3600;
/** Audio accepted beyond the recording's maxLength (s): jambonz's clock is not ours. */
const MARGIN_S = 5;
const TOKEN = 'audio token (the t parameter of the listen address)';
const NAME = /^[0-9a-f]{32}\.wav$/;
const TOO_LONG = 'JCT_RECORDING_TOO_LONG';

// ---- the address ----

/**
 * The document's hook addresses with the audio marker's turned into the signed audio address
 * (http(s); the dialect makes it ws(s)); `maxLength` comes with the marker, `ref` is an outbound
 * call's reference.
 */
export function withAudioAddress(hookUrl: HookUrl, base: string, personId: string, settings: Settings, ref?: string): HookUrl {
  return (h, params = {}) => (MARKER.audio in params ? audioUrl(base, { hook: h, person: personId, maxLength: params['maxLength'] ?? String(MAX_LENGTH_S), ref }, settings) : hookUrl(h, params));
}

/** What the audio address names, as its query gives it (all signed). */
interface Signed {
  readonly hook: string;
  readonly person: string;
  readonly maxLength: string;
  readonly ref: string | undefined;
}

function audioUrl(base: string, signed: Signed, settings: Settings): string {
  const key = keysOf(settings)[0];
  if (key === undefined) throw notConfigured();
  const { hook: h, person: p, maxLength, ref } = signed;
  return `${base}${AUDIO_PATH}?${new URLSearchParams({ h, p, maxLength, ...(ref === undefined ? {} : { o: ref }), t: token(key, signed) }).toString()}`;
}

function token(key: string, { hook, person, maxLength, ref }: Signed): string {
  return hmac('sha256', key, ['jambonz-audio', hook, person, maxLength, ...(ref === undefined ? [] : [ref])].join('\u0000'), 'hex');
}

/** The secrets a token may be keyed with: the socket password, then the webhook secrets. */
function keysOf(settings: Settings): string[] {
  const password = settings['socketPassword'] as string | undefined;
  const secrets = (settings['webhookSecrets'] as readonly string[] | undefined) ?? [];
  return [password, ...secrets].filter((k): k is string => typeof k === 'string' && k !== '');
}

const notConfigured = () => new JunctionError('JCT_PROVIDER_NOT_CONFIGURED', 'jambonz recordings are refused until webhookSecrets or socketPassword is set (module "jambonz-voice")');

interface Address {
  readonly hook: string;
  readonly person: string;
  readonly ref: string | undefined;
  readonly maxLength: number;
}

/** The upgrade's hook, person, call reference and longest length, once its token verifies. */
function verifiedAddress(req: Pick<RouteRequest, 'query'>, settings: Settings): Address {
  const keys = keysOf(settings);
  if (keys.length === 0) throw notConfigured();
  const given = queryText(req, 't');
  if (given === undefined) throw signatureMissing(TOKEN);
  const hook = queryText(req, 'h');
  const person = queryText(req, 'p');
  const maxLength = queryText(req, 'maxLength');
  if (hook === undefined || person === undefined || maxLength === undefined || !/^\d{1,4}$/.test(maxLength)) throw signatureInvalid(TOKEN);
  const signed = { hook, person, maxLength, ref: queryText(req, 'o') };
  if (!keys.some((key) => sameText(given, token(key, signed)))) throw signatureInvalid(TOKEN);
  return { ...signed, maxLength: Math.min(Number(maxLength), MAX_LENGTH_S) };
}

// ---- the socket ----

/** The WebSocket `listen` streams a recording's audio to. */
export function jambonzAudioSocket(arriving: ArrivingRecordings): SocketDefinition {
  return {
    url: AUDIO_PATH,
    protocol: AUDIO_PROTOCOL,
    access: 'signature',
    binary: true,
    accept: (req, ctx) => void verifiedAddress(req, ctx.settings),
    open: (socket, req, ctx) => receive(socket, new Stream(verifiedAddress(req, ctx.settings), publicBaseOf(req, ctx.settings), arriving, ctx)),
  };
}

function receive(socket: ModuleSocket, stream: Stream): void {
  socket.onMessage((text) => refusing(socket, () => stream.metadata(text)));
  socket.onBinary((pcm) => refusing(socket, () => stream.audio(pcm)));
  socket.onClose(() => void stream.end());
}

/** Runs `f`; when it throws, closes the socket (1009 too long, else 1008) and rethrows: the gateway counts it. */
function refusing(socket: ModuleSocket, f: () => void): void {
  try {
    f();
  } catch (err) {
    const code = err instanceof JunctionError ? err.code : 'JCT_INTERNAL';
    socket.close(code === TOO_LONG ? 1009 : 1008, code);
    throw err;
  }
}

interface Metadata {
  readonly callSid: string;
  readonly sampleRate: number;
}

/** One stream: waiting for its metadata, then writing its audio, then ended. */
class Stream {
  private writer: WavWriter | undefined;
  private name = '';
  private callSid = '';
  private arrived: (() => void) | undefined;
  private limit = 0;
  private state: 'waiting' | 'writing' | 'cut' | 'refused' | 'ended' = 'waiting';

  constructor(
    private readonly address: Address,
    private readonly base: string,
    private readonly arriving: ArrivingRecordings,
    private readonly ctx: RouteContext,
  ) {}

  metadata(text: string): void {
    if (this.state !== 'waiting') return; // only audio is expected after the metadata
    this.state = 'refused';
    const m = metadataOf(text);
    this.callSid = m.callSid;
    this.arrived = this.arriving.arriving(m.callSid, this.address.hook);
    this.name = `${randomBytes(16).toString('hex')}.wav`;
    this.writer = new WavWriter(join(this.ctx.settings['recordingsDir'] as string, this.name), m.sampleRate);
    this.limit = (this.address.maxLength + MARGIN_S) * m.sampleRate * 2;
    this.state = 'writing';
  }

  audio(pcm: Buffer): void {
    if (this.state === 'waiting') {
      this.state = 'refused';
      throw new JunctionError('JCT_CALL_MALFORMED', 'a jambonz audio stream must begin with its metadata (a JSON text frame)');
    }
    if (this.state !== 'writing' || this.writer === undefined) return;
    const room = this.limit - this.writer.dataBytes;
    if (pcm.length <= room) return this.writer.append(pcm);
    this.writer.append(pcm.subarray(0, room - (room % 2)));
    this.state = 'cut';
    throw new JunctionError(TOO_LONG, `a jambonz audio stream went past its recording's ${this.address.maxLength} s: cut there`);
  }

  /**
   * The socket closed: the recording (or that nothing was recorded) is submitted on the listen's
   * hook, for its element to keep; webhooks waiting for it go on once it is durable (or refused:
   * the element then finds nothing recorded).
   */
  async end(): Promise<void> {
    const { writer, arrived } = this;
    const ended = this.state;
    this.state = 'ended';
    if (writer === undefined || arrived === undefined || ended === 'ended') return;
    try {
      const event: CallEvent = { callId: this.callSid, from: '', to: '', ...(await this.outcome(writer)), background: true };
      const { hook, person, ref } = this.address;
      await this.ctx.submit(person, callWebhook(PROVIDER, event, { hook, ref, first: false }, this.ctx.settings));
    } catch {
      // not submitted (the store out of reach): the element takes notRecorded
    } finally {
      arrived();
    }
  }

  private async outcome(writer: WavWriter): Promise<Pick<CallEvent, 'recording' | 'input'>> {
    try {
      const bytes = await writer.finish();
      if (bytes === 0) return { input: { noInput: true } };
      return { recording: { url: `${this.base}${RECORDINGS_PATH}/${this.name}`, durationS: wavSeconds(writer.sampleRate, bytes) } };
    } catch {
      await writer.discard();
      return { input: { noInput: true } }; // the file could not be written: nothing recorded
    }
  }
}

/** The first text frame: JSON with the call's sid (callSid, or call_sid) and the audio's sample rate (mono only). */
function metadataOf(text: string): Metadata {
  const value = parseJsonText(text, 'the metadata of a jambonz audio stream');
  const malformed = (why: string) => new JunctionError('JCT_CALL_MALFORMED', `the metadata of a jambonz audio stream ${why}`);
  if (!isRecord(value)) throw malformed('must be a JSON object');
  const { sampleRate, mixType } = value;
  const callSid = value['callSid'] ?? value['call_sid']; // the call's attributes, as documented (callSid) or as HTTP hooks name them
  if (typeof callSid !== 'string' || callSid === '' || callSid.length > 300) throw malformed('needs a callSid');
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 64000) throw malformed('needs a sampleRate from 8000 to 64000');
  if (mixType !== undefined && mixType !== 'mono') throw malformed('must be mono (mixType)');
  return { callSid, sampleRate };
}

// ---- serving ----

/** GET /voice/jambonz/recordings/<name>.wav: the file, audio/wav; any other name is 404. */
export function jambonzRecordings(): RouteDefinition {
  return {
    method: 'GET',
    url: `${RECORDINGS_PATH}/:name`,
    access: 'open',
    handle: async (req, ctx) => {
      const name = req.params['name'] ?? '';
      const path = join(ctx.settings['recordingsDir'] as string, name);
      const size = NAME.test(name) ? await stat(path).then((s) => s.size, () => undefined) : undefined;
      if (size === undefined) throw new JunctionError('JCT_NOT_FOUND', 'no such recording');
      return { status: 200, body: createReadStream(path), headers: { 'content-type': 'audio/wav', 'content-length': String(size) } };
    },
  };
}
