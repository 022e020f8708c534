// jambonz recordings through the real server on loopback: a scripted jambonz answers a record
// with `listen`, streams the audio (metadata, then PCM frames) to the signed address, closes,
// then calls the listen's actionHook. A recording of known length gives its URL and whole
// seconds to the flow, a WAV whose header says what came, served as audio/wav; an empty stream
// is notRecorded; the actionHook waits for a stream still open. Refused and counted: an
// upgrade without the token or with another, metadata that is not JSON or lacks what is
// needed, audio before metadata. A stream longer than maxLength + 5 s is cut there, closed
// (1009) and still recorded. The recordings route answers 404 to any name it did not make.
import t, { type Test } from 'tap';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { jambonzCall, jambonzTurn, listenMetadata, streamAudio, tone, JAMBONZ_AUDIO_PROTOCOL, type Turn } from './callers.js';
import { CALLER, OUR_NUMBER, menuServer } from './menu.js';
import { wavHeader } from '../../ivr/wav.js';

const SECRET = 'jambonz-audio-test-webhook-secret';
const MAX_LENGTH = 2;

const FLOW = {
  schemaVersion: 1,
  id: 'voicemail',
  name: 'Voicemail',
  entryPoints: [{ id: 'call', type: 'inboundCall', config: { numbers: [OUR_NUMBER] }, branches: { next: 'record' } }],
  elements: [
    { id: 'record', type: 'record', config: { prompt: { say: 'Speak.' }, maxLength: MAX_LENGTH, urlTo: 'url', durationTo: 'seconds' }, branches: { recorded: 'saved', notRecorded: 'nothing' } },
    { id: 'saved', type: 'say', config: { text: 'Saved {{url}} {{seconds}}' }, branches: { next: 'end' } },
    { id: 'nothing', type: 'say', config: { text: 'Nothing recorded.' }, branches: { next: 'end' } },
    { id: 'end', type: 'exit', config: {} },
  ],
  settings: {
    variables: [
      { name: 'url', type: 'text', default: '' },
      { name: 'seconds', type: 'whole', default: 0 },
    ],
  },
};

interface Server {
  readonly app: FastifyInstance;
  readonly origin: string;
  readonly dir: string;
  /** A new call answered up to its listen. */
  record(callId: string): Promise<Turn>;
  /** The listen's actionHook (jambonz sends the call only), following redirects as jambonz does. */
  ended(turn: Turn, callId: string): Promise<Turn>;
}

const signed = (body: string) => {
  const ts = String(Math.floor(Date.now() / 1000));
  return { 'content-type': 'application/json', 'jambonz-signature': `t=${ts},v1=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}` };
};

async function post(url: string, body: object): Promise<Turn> {
  const text = JSON.stringify(body);
  const r = await request(url, { method: 'POST', headers: signed(text), body: text });
  const answer = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`answered ${r.statusCode}: ${answer}`);
  return jambonzTurn(answer);
}

async function server(t: Test): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-audio-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { app, origin } = await menuServer(t, { 'jambonz-voice': { webhookSecrets: [SECRET], recordingsDir: dir } }, FLOW);
  const call = (id: string) => jambonzCall(id, CALLER, OUR_NUMBER, 'in-progress');
  return {
    app,
    origin,
    dir,
    record: (id) => post(`${origin}/voice/jambonz`, jambonzCall(id, CALLER, OUR_NUMBER, 'trying')),
    ended: async (turn, id) => {
      let next = await post(turn.waits!.url, call(id));
      for (let i = 0; i < 20 && next.redirect !== undefined; i++) next = await post(next.redirect, call(id));
      return next;
    },
  };
}

const audioOf = (turn: Turn) => turn.waits!.audio!;
const meta = (callId: string, sampleRate: number) => listenMetadata(callId, CALLER, OUR_NUMBER, sampleRate);

/** The header fields of a WAV file. */
function header(wav: Buffer) {
  return {
    riff: wav.toString('ascii', 0, 4),
    riffSize: wav.readUInt32LE(4),
    wave: wav.toString('ascii', 8, 12),
    fmt: wav.toString('ascii', 12, 16),
    format: wav.readUInt16LE(20),
    channels: wav.readUInt16LE(22),
    sampleRate: wav.readUInt32LE(24),
    byteRate: wav.readUInt32LE(28),
    blockAlign: wav.readUInt16LE(32),
    bits: wav.readUInt16LE(34),
    data: wav.toString('ascii', 36, 40),
    dataSize: wav.readUInt32LE(40),
  };
}

/** The status of an upgrade Junction refuses. */
async function refused(url: string, protocol = JAMBONZ_AUDIO_PROTOCOL): Promise<number> {
  const socket = new WebSocket(url, protocol);
  socket.on('error', () => {}); // the refusal: not an error of the test
  const [, res] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
  socket.terminate();
  return res.statusCode;
}

t.test('a recording of known length: URL and seconds into variables, a WAV that parses, served as audio/wav', async (t) => {
  const s = await server(t);
  const turn = await s.record('rec-1');
  t.same(turn.said, ['Speak.']);
  t.equal(turn.waits?.kind, 'record');
  const pcm = tone(1.5, 16000); // the metadata's rate wins over the one asked for
  t.equal(await streamAudio(audioOf(turn).url, meta('rec-1', 16000), pcm), 1000, 'closed normally');
  const done = await s.ended(turn, 'rec-1');
  t.equal(done.hangup, true);
  const [, url, seconds] = /^Saved (\S+) (\d+)$/.exec(done.said[0] ?? '') ?? [];
  t.match(url, new RegExp(`^${s.origin}/voice/jambonz/recordings/[0-9a-f]{32}\\.wav$`), 'the URL into its variable');
  t.equal(seconds, '2', '1.5 s rounds to 2 whole seconds, as providers report them');

  const files = await readdir(s.dir);
  t.same(files, [url!.split('/').at(-1)], 'one file in the recordings folder, named as in the URL');
  const wav = await readFile(join(s.dir, files[0]!));
  t.same(header(wav), { riff: 'RIFF', riffSize: 36 + pcm.length, wave: 'WAVE', fmt: 'fmt ', format: 1, channels: 1, sampleRate: 16000, byteRate: 32000, blockAlign: 2, bits: 16, data: 'data', dataSize: pcm.length });
  t.same(wav.subarray(44), pcm, 'the audio as it came');

  const served = await request(url!);
  t.equal(served.statusCode, 200);
  t.equal(served.headers['content-type'], 'audio/wav');
  t.same(Buffer.from(await served.body.arrayBuffer()), wav, 'the URL serves the file');
});

t.test('a 1 s recording at 8 kHz: 1 s', async (t) => {
  const s = await server(t);
  const turn = await s.record('rec-8k');
  await streamAudio(audioOf(turn).url, meta('rec-8k', 8000), tone(1, 8000), 320);
  t.match((await s.ended(turn, 'rec-8k')).said, [/^Saved \S+ 1$/]);
});

t.test('an empty stream: notRecorded at once, no file', async (t) => {
  const s = await server(t);
  const turn = await s.record('rec-empty');
  await streamAudio(audioOf(turn).url, meta('rec-empty', 8000), Buffer.alloc(0));
  t.same(await s.ended(turn, 'rec-empty'), { said: ['Nothing recorded.'], hangup: true });
  t.same(await readdir(s.dir), []);
});

t.test('the actionHook while the stream is still open waits for its end', async (t) => {
  const s = await server(t);
  const turn = await s.record('rec-late');
  const socket = new WebSocket(audioOf(turn).url, JAMBONZ_AUDIO_PROTOCOL);
  await once(socket, 'open');
  socket.send(JSON.stringify(meta('rec-late', 8000)));
  socket.send(tone(1, 8000), { binary: true });
  for (let i = 0; i < 200 && (await readdir(s.dir).catch(() => [])).length === 0; i++) await new Promise((r) => setTimeout(r, 5)); // the metadata is read: its file is there
  const answer = s.ended(turn, 'rec-late');
  await new Promise((r) => setTimeout(r, 20));
  socket.close(1000);
  t.match((await answer).said, [/^Saved \S+ 1$/]);
});

t.test('a stream past maxLength + 5 s is cut there, closed 1009, and still recorded; counted', async (t) => {
  const s = await server(t);
  const turn = await s.record('rec-long');
  const limit = (MAX_LENGTH + 5) * 8000 * 2;
  t.equal(await streamAudio(audioOf(turn).url, meta('rec-long', 8000), tone(30, 8000), 8000), 1009, 'closed: too big');
  t.match((await s.ended(turn, 'rec-long')).said, [/^Saved \S+ 7$/], 'the cut recording');
  const [file] = await readdir(s.dir);
  const wav = await readFile(join(s.dir, file!));
  t.equal(wav.length, 44 + limit);
  t.equal(header(wav).dataSize, limit);
  t.same(s.app.socketErrors['/voice/jambonz/audio'], { JCT_RECORDING_TOO_LONG: 1 });
});

t.test('upgrades without the token, or with another, are refused and counted', async (t) => {
  const s = await server(t);
  const url = new URL(audioOf(await s.record('rec-auth')).url);
  const without = (name: string) => {
    const u = new URL(url);
    u.searchParams.delete(name);
    return u.toString();
  };
  const changed = (name: string, value: string) => {
    const u = new URL(url);
    u.searchParams.set(name, value);
    return u.toString();
  };
  t.equal(await refused(without('t')), 401, 'no token');
  t.equal(await refused(changed('t', '0'.repeat(64))), 403, 'a wrong token');
  t.equal(await refused(changed('maxLength', '3600')), 403, 'a longer maxLength than signed');
  t.equal(await refused(changed('h', 'record~0~99')), 403, 'another hook');
  t.equal(await refused(without('h')), 403, 'no hook');
  t.equal(await refused(`${s.origin.replace(/^http/, 'ws')}/voice/jambonz/audio`), 401, 'nothing');
  t.equal(await refused(url.toString(), 'chat'), 400, 'the right token but another subprotocol than listen offers');
  t.match(s.app.errorCounts, { 400: { JCT_SOCKET_PROTOCOL: 1 }, 401: { JCT_SIGNATURE_MISSING: 2 }, 403: { JCT_SIGNATURE_INVALID: 4 } }, 'counted');
  const unset = await menuServer(t, {}, FLOW);
  t.equal(await refused(`${unset.origin.replace(/^http/, 'ws')}${url.pathname}${url.search}`), 403, 'no secrets configured: refused');
});

t.test('bad metadata, or audio before it: the socket is closed (1008), counted, nothing written', async (t) => {
  const s = await server(t);
  const url = audioOf(await s.record('rec-bad')).url;
  const pcm = tone(0.1, 8000);
  t.equal(await streamAudio(url, '{"callSid": "rec-bad", not json', pcm), 1008, 'not JSON');
  t.equal(await streamAudio(url, { sampleRate: 8000 }, pcm), 1008, 'no callSid');
  t.equal(await streamAudio(url, { callSid: 'rec-bad', sampleRate: 1 }, pcm), 1008, 'an impossible sample rate');
  t.equal(await streamAudio(url, { ...meta('rec-bad', 8000), mixType: 'stereo' }, pcm), 1008, 'stereo');
  const socket = new WebSocket(url, JAMBONZ_AUDIO_PROTOCOL);
  await once(socket, 'open');
  const closed = once(socket, 'close');
  socket.send(pcm, { binary: true });
  t.equal(((await closed) as [number])[0], 1008, 'audio before the metadata');
  t.same(s.app.socketErrors['/voice/jambonz/audio'], { JCT_JSON_INVALID: 1, JCT_CALL_MALFORMED: 4 });
  t.same(await readdir(s.dir).catch(() => []), [], 'no file');
});

t.test('the recordings route: 404 for any name it did not make, path traversal included', async (t) => {
  const s = await server(t);
  const status = async (path: string) => (await request(`${s.origin}/voice/jambonz/recordings/${path}`)).statusCode;
  for (const path of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e%2fjunction.db', '..%5C..%5Cjunction.db', `${'0'.repeat(32)}.wav`, `${'0'.repeat(32)}.WAV`, 'x.wav', '', `..%2F${'0'.repeat(28)}.wav`]) {
    t.equal(await status(path), 404, path || '(empty)');
  }
  t.equal(await status('../../../etc/passwd'), 404, 'unencoded ..');
});

t.test('wavHeader: sizes of an empty recording', async (t) => {
  t.same(header(wavHeader(8000, 0)), { riff: 'RIFF', riffSize: 36, wave: 'WAVE', fmt: 'fmt ', format: 1, channels: 1, sampleRate: 8000, byteRate: 16000, blockAlign: 2, bits: 16, data: 'data', dataSize: 0 });
});
