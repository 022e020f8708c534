// The voice module of one provider: its call webhooks, verified by the provider's signature,
// read by its dialect, submitted as `call` inputs, and answered, once durable, with the
// instructions the steps gave, rendered in its dialect. Three routes under /voice/<provider>:
// the call's first webhook (the number's voice URL), the hooks our documents name (`?h=` the
// element's hook, `?p=` the person: some callbacks, e.g. Vonage's record events, do not say
// who calls; `?o=` an outbound call's reference, kept on every hook of that call), and status
// callbacks (answered 204). The module may place calls too (`effects`, see outbound.ts). A document that does not end waiting for
// the call (a collect, record, forward or redirect) ends with a hang-up: the journey left the
// call, or nobody answers this number; in the XML dialects, so does the answer to a hook no
// journey takes any more (Dialect.documentPerHook).
import { Type, type TProperties } from '@sinclair/typebox';
import { JunctionError } from '../engine/errors.js';
import type { EffectHandler, Module, RouteAnswer, RouteContext, RouteDefinition, RouteRequest, Settings } from '../engine/module.js';
import { PublicBaseUrl, publicBaseOf, type WebhookRequest } from '../channels/provider.js';
import { callerKey, eventEnds, type CallWebhook } from './call.js';
import type { CallEvent } from './call-event.js';
import type { Dialect } from './dialect.js';
import type { HookUrl, Instruction } from './instructions.js';

export interface VoiceProvider<Secrets> {
  /** URL segment and module name prefix: `/voice/<name>`, module `<name>-voice`. */
  readonly name: string;
  readonly dialect: Dialect<Secrets>;
  /** The provider's secret settings (their names are listed in `secrets`). */
  readonly settings: TProperties;
  readonly secrets: readonly string[];
  /** The dialect's secrets from the settings; undefined when they are not set. */
  secretsOf(settings: Settings): Secrets | undefined;
  /** HTTP methods the first webhook may come with (Vonage's answer URL: GET). Default POST. */
  readonly callMethods?: ReadonlyArray<'GET' | 'POST'>;
  /** What the module performs besides answering (placing outbound calls: outbound.ts). */
  readonly effects?: readonly EffectHandler[];
  /** The recordings under way in the background, shared with the module's other parts (jambonz's audio socket). */
  readonly arriving?: ArrivingRecordings;
  /** The hook addresses of a document (default hookRoute); jambonz gives its audio marker an address of its own. */
  hookUrl?(base: string, personId: string, settings: Settings, ref?: string): HookUrl;
}

type Route = 'call' | 'hook' | 'status';

const WAITING = new Set<Instruction['kind']>(['collect', 'record', 'forward', 'redirect']);

const COMMON = {
  publicBaseUrl: PublicBaseUrl,
  sessionTimeoutS: Type.Integer({ minimum: 60, maximum: 86_400, default: 3600, description: "seconds a call may go without a webhook before it counts as gone (the caller's journey ends); a Record element adds its longest length, a Forward call its ring timeout and 4 hours" }),
};

export function voiceModule<S>(provider: VoiceProvider<S>): Module {
  const arriving = provider.arriving ?? new ArrivingRecordings();
  const route = (method: 'GET' | 'POST', path: string, kind: Route): RouteDefinition => ({
    method,
    url: `/voice/${provider.name}${path}`,
    access: 'signature',
    handle: (req, ctx) => receive(provider, arriving, kind, req, ctx),
  });
  return {
    name: `${provider.name}-voice`,
    config: { schema: Type.Object({ ...COMMON, ...provider.settings }, { additionalProperties: false }), secrets: provider.secrets },
    routes: [...(provider.callMethods ?? ['POST']).map((m) => route(m, '', 'call')), route('POST', '/hook', 'hook'), route('POST', '/status', 'status')],
    ...(provider.effects ? { effects: provider.effects } : {}),
  };
}

async function receive<S>(provider: VoiceProvider<S>, arriving: ArrivingRecordings, kind: Route, req: RouteRequest, ctx: RouteContext): Promise<RouteAnswer> {
  const base = publicBaseOf(req, ctx.settings);
  const request: WebhookRequest = { ...req, publicUrl: base + req.url };
  const secrets = provider.secretsOf(ctx.settings);
  if (secrets === undefined) throw new JunctionError('JCT_PROVIDER_NOT_CONFIGURED', `voice webhooks from ${provider.name} are refused until its secrets are set (module "${provider.name}-voice")`);
  provider.dialect.verify(request, secrets, ctx.now());
  const hook = kind === 'hook' ? queryText(req, 'h') : undefined;
  const ref = kind === 'call' ? undefined : queryText(req, 'o');
  const event = provider.dialect.read(request);
  await arriving.settled(event, hook);
  const personKey = await personKeyOf(provider.name, event, req, ctx);
  const receipt = await ctx.submit(personKey, callWebhook(provider.name, event, { hook, ref, first: kind === 'call' }, ctx.settings));
  // A status callback, or a background recording (kept by its element, its answer not run): nothing to say.
  if (kind === 'status' || event.background) return NOTHING;
  const untaken = kind === 'hook' && !receipt.delivered;
  // A hook callback nobody took (a leg still ringing, a call already over, a journey canceled or expired): nothing to say, unless the provider needs a document.
  if (untaken && !provider.dialect.documentPerHook) return NOTHING;
  const hookUrl = provider.hookUrl?.(base, receipt.personId, ctx.settings, ref) ?? hookRoute(base, provider.name, receipt.personId, ref);
  const body = provider.dialect.render(ending(untaken ? [] : ((receipt.answer ?? []) as Instruction[])), hookUrl);
  return { status: 200, body, headers: { 'content-type': provider.dialect.contentType } };
}

const NOTHING: RouteAnswer = { status: 204, body: '' };

/** Where a webhook came: the hook called back on, an outbound call's reference, whether it is the call's first webhook. */
export interface CallWebhookAt {
  readonly hook?: string | undefined;
  readonly ref?: string | undefined;
  readonly first: boolean;
}

/** The `call` input of one webhook, expiring after the module's `sessionTimeoutS`. */
export function callWebhook(provider: string, event: CallEvent, { hook, ref, first }: CallWebhookAt, settings: Settings): CallWebhook {
  const expireAfterMs = (settings['sessionTimeoutS'] as number) * 1000;
  return { kind: 'call', provider, event, ...(hook === undefined ? {} : { hook }), ...(first ? { first } : {}), expireAfterMs, ...(ref === undefined ? {} : { ref }) };
}

/** Hook addresses on the module's hook route: `?h=` the hook, `?p=` the person, `?o=` an outbound call's reference, then the dialect's params. */
export function hookRoute(base: string, provider: string, personId: string, ref?: string): HookUrl {
  const own: Record<string, string> = ref === undefined ? { p: personId } : { p: personId, o: ref };
  return (h, params = {}) => `${base}/voice/${provider}/hook?${new URLSearchParams({ h, ...own, ...params }).toString()}`;
}

/** The status callback address of an outbound call: the module's status route with the person and the call's reference. */
export function statusRoute(base: string, provider: string, personId: string, ref: string): string {
  return `${base}/voice/${provider}/status?${new URLSearchParams({ p: personId, o: ref }).toString()}`;
}

/** How long a webhook waits for a recording still arriving for its element (ms). */
const ARRIVING_MS = 5_000;

/**
 * Recordings under way in the background (jambonz's audio streams), by call and element: the
 * element's next webhook, or a status callback saying the call is over, waits for the one still
 * arriving (at most ARRIVING_MS) until what it reports has been submitted, so the element has
 * it when that webhook comes. What a recording reports is itself an input, durable like any.
 */
export class ArrivingRecordings {
  private readonly coming = new Map<string, Promise<void>>();

  /** A recording under way: webhooks of its call and element wait for the function returned to be called. */
  arriving(callId: string, hook: string): () => void {
    const key = keyOf(callId, hook);
    let arrived = () => {};
    const done = new Promise<void>((resolve) => (arrived = resolve));
    this.coming.set(key, done);
    return () => {
      if (this.coming.get(key) === done) this.coming.delete(key);
      arrived();
    };
  }

  /** Waits for what is arriving for the webhook: its element's recording, or, when the call is over (no hook), every recording of the call. */
  async settled(event: CallEvent, hook: string | undefined): Promise<void> {
    if (event.background || (hook === undefined && !eventEnds(event))) return;
    const prefix = keyOf(event.callId, hook ?? '');
    const under = hook === undefined ? [...this.coming].filter(([key]) => key.startsWith(prefix)).map(([, done]) => done) : [this.coming.get(prefix)];
    await within(Promise.all(under).then(() => {}), ARRIVING_MS);
  }
}

/** Recordings arriving are per call and element (any attempt or step of it). */
const keyOf = (callId: string, hook: string) => `${callId}\u0000${hook.split('~')[0]}`;

/** Waits for `p`, at most `ms`. */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The person a hook names (`p`), else the caller's (see callerKey). */
export async function personKeyOf(provider: string, event: CallEvent, req: Pick<RouteRequest, 'query'>, ctx: RouteContext): Promise<string> {
  return queryText(req, 'p') ?? callerKey(provider, event, (phone) => ctx.owner(phone));
}

/** A short, non-empty text parameter, if present; anything else is JCT_CALL_MALFORMED. */
export function queryText(req: Pick<RouteRequest, 'query'>, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 300) throw new JunctionError('JCT_CALL_MALFORMED', `the query parameter "${name}" must be one short text`);
  return value;
}

/** The instructions, ending with a hang-up unless they end waiting for the call. */
export function ending(instructions: readonly Instruction[]): Instruction[] {
  const last = instructions.at(-1);
  return last !== undefined && WAITING.has(last.kind) ? [...instructions] : [...instructions, { kind: 'hangup' }];
}
