// The jambonz WebSocket API (carrier-dialects.md §8.6): instead of HTTP webhooks, jambonz opens
// a WebSocket (subprotocol `ws.jambonz.org`) to the application URL and sends each webhook as a
// JSON text message `{type, msgid, call_sid, hook?, data}`; `data` is what the HTTP body would be.
// `session:new` (the call's first webhook), `verb:hook` (an actionHook) and `session:redirect`
// (a redirect verb's actionHook) are submitted as
// `call` inputs and acknowledged, once their receipt is durable, with `{type: "ack", msgid,
// data: [verbs]}`; `call:status` is submitted and not acknowledged. Messages are handled one at
// a time per socket, so acks leave in the order their messages came. A malformed message that
// waits for an ack gets one with no verbs (jambonz would wait otherwise) and is counted.
//
// Hooks: over the socket an actionHook is a name, which jambonz sends back as the `hook` of the
// `verb:hook` message. Ours is `<element>~<attempt>~<step>?p=<person>` plus any params of the
// dialect: the same hook and query the HTTP hook route reads from `?h=…&p=…`. The one address
// that must be a URL, where `listen` streams a recording's audio (the `audio` marker), is the
// signed audio socket's (jambonz-audio.ts), as ws(s); the recording it receives reaches the
// record element before the listen's `verb:hook`, as over HTTP.
//
// jambonz signs no WebSocket message; the upgrade carries the application's HTTP Basic
// credentials (§8.2: hooks may carry a user name and password), which must match the module's
// `socketUsername` and `socketPassword`. Until both are set, every upgrade is refused.
import { Type } from '@sinclair/typebox';
import { JunctionError } from '../engine/errors.js';
import { parseJsonText } from '../engine/json-text.js';
import type { ModuleSocket, RouteContext, RouteRequest, Settings, SocketDefinition } from '../engine/module.js';
import { header, sameText } from '../channels/signing.js';
import { signatureInvalid, signatureMissing } from '../channels/errors.js';
import { jambonzVerbs, readJambonzCall } from './dialects/jambonz.js';
import type { HookUrl, Instruction } from './instructions.js';
import { withAudioAddress } from './jambonz-audio.js';
import { publicBaseOf } from '../channels/provider.js';
import { callWebhook, ending, personKeyOf, queryText, type ArrivingRecordings } from './voice.js';

export const JAMBONZ_PROTOCOL = 'ws.jambonz.org';

const PROVIDER = 'jambonz';
const CREDENTIALS = 'Basic authentication in the Authorization header';
const MALFORMED = 'JCT_CALL_MALFORMED';

/** The jambonz-voice settings of the socket. */
export const JAMBONZ_SOCKET_SETTINGS = {
  socketUsername: Type.Optional(Type.String({ minLength: 1, pattern: '^[^:]*$', description: "the user name of the HTTP Basic credentials jambonz sends when it opens the WebSocket API (the application URL's user name); unset: every WebSocket is refused" })),
  socketPassword: Type.Optional(Type.String({ minLength: 16, description: 'the password of those credentials (at least 16 characters); unset: every WebSocket is refused' })),
};

/** Types jambonz does not wait an ack for (§8.6). */
const NO_ACK = new Set(['call:status', 'verb:status', 'jambonz:error', 'llm:event', 'llm:tool-call', 'tts:streaming-event', 'tts:tokens-result']);

type Verb = Readonly<Record<string, unknown>>;

interface Message {
  readonly type: string;
  readonly msgid: string;
  readonly hook?: unknown;
  readonly data?: unknown;
}

/** The jambonz WebSocket API at `url`; `arriving`: the recordings its module's audio socket is receiving. */
export function jambonzSocket(url: string, arriving: ArrivingRecordings): SocketDefinition {
  return {
    url,
    protocol: JAMBONZ_PROTOCOL,
    access: 'signature',
    accept: (req, ctx) => checkCredentials(req, ctx.settings),
    open: (socket, req, ctx) => converse(socket, { base: publicBaseOf(req, ctx.settings), arriving, ctx }),
  };
}

/** What answering a socket's messages needs. */
interface Session {
  readonly base: string;
  readonly arriving: ArrivingRecordings;
  readonly ctx: RouteContext;
}

function checkCredentials(req: RouteRequest, settings: Settings): void {
  const user = settings['socketUsername'] as string | undefined;
  const password = settings['socketPassword'] as string | undefined;
  if (!user || !password) throw new JunctionError('JCT_PROVIDER_NOT_CONFIGURED', `the jambonz WebSocket API is refused until socketUsername and socketPassword are set (module "${PROVIDER}-voice")`);
  const given = /^basic\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '')?.[1];
  if (given === undefined) throw signatureMissing(CREDENTIALS);
  if (!sameText(Buffer.from(given, 'base64').toString('utf8'), `${user}:${password}`)) throw signatureInvalid(CREDENTIALS);
}

/**
 * Answers the socket's messages one after the other; an ack leaves once its receipt is durable.
 * A message refused as malformed (e.g. a verb:hook without its hook) whose type waits for an ack
 * is acknowledged with no verbs, so jambonz goes on with the verbs it runs instead of waiting,
 * and the refusal is counted.
 */
function converse(socket: ModuleSocket, session: Session): void {
  let last: Promise<unknown> = Promise.resolve();
  socket.onMessage((text) => {
    const message = messageOf(text);
    const ack = (verbs: Verb[]) => socket.send(JSON.stringify({ type: 'ack', msgid: message.msgid, data: verbs }));
    const done = last.then(() => answer(message, session));
    last = done.catch(() => undefined);
    return done.then(
      (verbs) => {
        if (verbs !== undefined) ack(verbs);
      },
      (err: unknown) => {
        if (err instanceof JunctionError && err.code === MALFORMED && !NO_ACK.has(message.type)) ack([]);
        throw err;
      },
    );
  });
}

/** The verbs to acknowledge the message with; undefined: no ack. */
async function answer(message: Message, session: Session): Promise<Verb[] | undefined> {
  switch (message.type) {
    case 'session:new':
      return submit(message.data, {}, session, true);
    case 'verb:hook':
    case 'session:redirect': // a redirect verb's actionHook (the record element's hold while a recording arrives)
      return submit(message.data, hookQuery(message.hook), session);
    case 'call:status':
      await submit(message.data, {}, session);
      return undefined;
    default:
      // session:reconnect (the socket of a call under way dropped): the call goes on with the
      // verbs it runs, whose hooks name their person. Other types need nothing of Junction.
      return NO_ACK.has(message.type) ? undefined : [];
  }
}

/** Submits the webhook (once a recording arriving for its hook is in); its answer as verbs (none for a hook nobody took: jambonz goes on). */
async function submit(data: unknown, query: Readonly<Record<string, string>>, { base, arriving, ctx }: Session, first = false): Promise<Verb[]> {
  const event = readJambonzCall(data);
  const hook = queryText({ query }, 'h');
  await arriving.settled(event, hook);
  const receipt = await ctx.submit(await personKeyOf(PROVIDER, event, { query }, ctx), callWebhook(PROVIDER, event, { hook, first }, ctx.settings));
  if (hook !== undefined && !receipt.delivered) return [];
  return jambonzVerbs(ending((receipt.answer ?? []) as Instruction[]), withAudioAddress(hookName(receipt.personId), base, receipt.personId, ctx.settings));
}

/** Hook names over the socket: `<hook>?p=<person>&<params>`. */
function hookName(personId: string): HookUrl {
  return (h, params = {}) => `${h}?${new URLSearchParams({ p: personId, ...params }).toString()}`;
}

/** A `verb:hook` or `session:redirect` message's hook as the HTTP hook route's query: `h` the hook, then its params. */
function hookQuery(hook: unknown): Record<string, string> {
  if (typeof hook !== 'string') throw new JunctionError(MALFORMED, 'a jambonz verb:hook or session:redirect message must name its hook');
  const at = hook.indexOf('?');
  const params = at === -1 ? {} : Object.fromEntries(new URLSearchParams(hook.slice(at + 1)));
  return { ...params, h: at === -1 ? hook : hook.slice(0, at) };
}

function messageOf(text: string): Message {
  const m = parseJsonText(text, 'a jambonz message') as Partial<Message> | null;
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string' || typeof m.msgid !== 'string') {
    throw new JunctionError(MALFORMED, 'a jambonz message needs a type and a msgid');
  }
  return m as Message;
}
