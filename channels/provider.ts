// The provider contract, and the module made of a provider. A provider adapter does four
// things and nothing else: verify a webhook's signature, read the inbound messages a webhook
// carries, read the delivery reports a status callback carries, and send an OutboundMessage.
// providerModule() turns one into a module: its webhook route (verify, read, hand everything to
// the inbox, answer once it is durable), its `message.send` handler (chosen for the senders
// the provider's settings list: one listing the sender for the message's channel first, then
// one listing it bare, then one listing "*"), its settings and secrets. Two providers listing a
// sender alike for a channel both send on is a configuration problem (senderConflicts).
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import type { Module, Reference, RouteAnswer, RouteContext, RouteDefinition, RouteRequest, Settings } from '../engine/module.js';
import type { Channel } from '../engine/person.js';
import { senderProfile, type DeliveryReport, type InboundMessage, type OutboundMessage, type SendResult } from '../engine/messaging/message.js';
import { externalKey, type Effect } from '../engine/vocabulary.js';
import { ProviderHttp } from './http.js';
import { EffectFailure, type JunctionError } from '../engine/errors.js';
import { sentMessage, sentRef, type SentMessage } from '../engine/messaging/references.js';
import { trackLinks } from '../engine/messaging/links.js';
import { prefixOf } from '../engine/id-prefix.js';

/** The setting of the scheme and host a provider calls (the signed URLs start with it), for messaging and voice modules alike. */
export const PublicBaseUrl = Type.Optional(
  Type.String({
    pattern: '^https?://[^/]+$',
    description:
      'scheme and host the provider calls, e.g. https://junction.example.com, with no path or trailing slash (behind a proxy, the public one); default: where the request says it was sent (X-Forwarded-Proto and X-Forwarded-Host from a trusted proxy, else the Host header)',
  }),
);

/** A sender as a provider's `numbers` lists it: what a send's `from` is once normalized (engine/messaging/address.ts), for one channel when prefixed with it, or "*". */
const SENDER = '^(\\*|((sms|whatsapp|email):)?(\\+[1-9][0-9]{6,14}|[0-9A-Za-z]{1,15}|(?=[0-9 ]*[A-Za-z])[0-9A-Za-z][0-9A-Za-z ]{0,9}[0-9A-Za-z]|[^\\sA-Z@]+@[^\\sA-Z@]+))$';

/** Settings every provider has, beside its own. */
export const CommonSettings = {
  publicBaseUrl: PublicBaseUrl,
  numbers: Type.Array(Type.String({ pattern: SENDER, maxLength: 320, description: 'a number in E.164 without spaces (+15550100), a short code or alphanumeric sender id (12345, MyShop, "ACME Shop": up to 11 letters, digits and spaces), a lower-case email address, any of them for one channel (whatsapp:+15550100), or "*"' }), {
    default: [],
    maxItems: 10_000,
    description:
      'senders this provider sends for, as flows name them once normalized: numbers in E.164 without spaces (+15550100, WhatsApp numbers too), short codes and alphanumeric sender ids as configured, spaces kept (12345, MyShop, ACME Shop), lower-case email addresses; prefixed with a channel, for that channel only, before any provider that lists the sender bare (sms:+15550100 here, whatsapp:+15550100 at another provider); "*" for any sender no other provider lists',
  }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000, description: 'longest one request to the provider may take (ms)' }),
  sendsPerSecond: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 100_000,
      description:
        "most sends per second from each of our senders on each channel through this provider (sendRatePer: provider: from all of them together), above 0 (the provider's limit, e.g. 1 for a Twilio long code); more wait their turn in the outbox; per process; default: no limit",
    }),
  ),
  sendRatePer: Type.Optional(
    Type.Union([Type.Literal('sender'), Type.Literal('provider')], {
      default: 'sender',
      description: 'what sendsPerSecond and sendBurst limit: "sender", each of our numbers (or sender ids, addresses) on each channel on its own, as providers count; "provider", every send through this provider together (one account-wide limit)',
    }),
  ),
  sendBurst: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100_000, description: 'with sendsPerSecond: most sends at once after a quiet spell; default: sendsPerSecond (at least 1)' }),
  ),
};
export type CommonSettings = Static<TObject<typeof CommonSettings>>;

/** A webhook request as a provider adapter reads it (its public URL says where it was sent). */
export interface WebhookRequest extends Omit<RouteRequest, 'origin'> {
  /** The URL the provider called, as it sees it: the public base URL and the path and query. */
  readonly publicUrl: string;
}

/** What a webhook carries, read by the adapter. */
export interface WebhookContent {
  readonly messages: readonly InboundMessage[];
  readonly reports: readonly DeliveryReport[];
  /**
   * Items passed over and counted as refused, by their code, while the rest is applied and the
   * webhook answered as taken: the malformed items of a batch (JCT_PAYLOAD_INVALID), whose 400
   * would have the provider send the whole batch again for days, its good items never applied;
   * and messages no flow can read (a binary SMS, JCT_MESSAGE_BINARY), which the provider would
   * send again just the same.
   */
  readonly malformed?: readonly JunctionError[];
}

export interface Provider<S extends CommonSettings = CommonSettings> {
  /** Module name and URL segment: `/webhooks/<name>`. */
  readonly name: string;
  readonly channels: readonly Channel[];
  /** The provider's own settings (the common ones are added). */
  readonly settings: TProperties;
  readonly secrets: readonly string[];
  /** HTTP methods its webhooks arrive with. Default POST. */
  readonly methods?: ReadonlyArray<'GET' | 'POST'>;
  /** Throws JunctionError JCT_SIGNATURE_MISSING (401) or JCT_SIGNATURE_INVALID (403). */
  verify(req: WebhookRequest, settings: S, now: number): void;
  /**
   * The messages and reports in a verified webhook; throws JunctionError (400) when malformed.
   * A promise when what the webhook carries waits for other webhooks (the parts of a long SMS).
   */
  read(req: WebhookRequest, settings: S, now: number): WebhookContent | Promise<WebhookContent>;
  /** Sends one message; throws EffectFailure (see http.ts). */
  send(message: OutboundMessage, settings: S, http: ProviderHttp): Promise<SendResult>;
  /** What the provider expects back once the webhook is accepted. Default 200 with no body. */
  readonly accepted?: RouteAnswer;
  /** Routes besides the webhook (e.g. a verification handshake); they get the module's settings. */
  readonly routes?: readonly RouteDefinition[];
}

const OK: RouteAnswer = { status: 200, body: '' };

/** The channels of each provider module by name (a module may add to what providerModule made), for the check across providers (senderConflicts). */
const PROVIDER_CHANNELS = new Map<string, readonly Channel[]>();

/**
 * The senders two providers list alike for a channel both send on (the same `whatsapp:+1…`,
 * bare `+1…` or `*`): which of them would send depends on the order of the modules, so the
 * configuration is refused naming each, at the second provider's numbers.
 */
export function senderConflicts(modules: readonly Module[], settingsOf: (module: string) => Settings): Array<{ code: 'JCT_CONFIG_INVALID'; path: string; message: string }> {
  const listedBy = new Map<string, string>();
  const problems: Array<{ code: 'JCT_CONFIG_INVALID'; path: string; message: string }> = [];
  for (const module of modules) {
    const channels = PROVIDER_CHANNELS.get(module.name);
    if (!channels) continue;
    for (const sender of (settingsOf(module.name)['numbers'] as readonly string[] | undefined) ?? []) {
      for (const channel of channelsListed(sender, channels)) {
        const other = listedBy.get(`${channel} ${sender}`);
        if (other === undefined) listedBy.set(`${channel} ${sender}`, module.name);
        else if (other !== module.name) problems.push({ code: 'JCT_CONFIG_INVALID', path: `$.modules.${module.name}.numbers`, message: conflict(sender, channel, other, module.name) });
      }
    }
  }
  return problems;
}

/** The channels a `numbers` entry claims senders on: its own channel when it names one, else every channel the provider sends. */
function channelsListed(sender: string, channels: readonly Channel[]): readonly Channel[] {
  const named = channels.find((c) => sender.startsWith(`${c}:`));
  return named ? [named] : /^[a-z]+:/.test(sender) ? [] : channels;
}

function conflict(sender: string, channel: Channel, first: string, second: string): string {
  const how = sender === '*' || sender.includes(':') ? 'keep it under one of them' : `list "${channel}:${sender}" under the one that should send ${channel} from it (an entry for the channel comes before a bare one)`;
  return `"${sender}" is listed by both ${first} and ${second}, which both send ${channel}: which one would send from it depends on the order of the modules; ${how}`;
}

export function providerModule<S extends CommonSettings>(provider: Provider<S>): Module {
  const schema = Type.Object({ ...CommonSettings, ...provider.settings }, { additionalProperties: false });
  const pools = new Map<number, ProviderHttp>();
  const http = (settings: S): ProviderHttp => {
    let pool = pools.get(settings.timeoutMs);
    if (!pool) pools.set(settings.timeoutMs, (pool = new ProviderHttp(provider.name, settings.timeoutMs)));
    return pool;
  };
  const sending = new Set<Promise<unknown>>();
  PROVIDER_CHANNELS.set(provider.name, provider.channels);
  return {
    name: provider.name,
    config: { schema, secrets: provider.secrets },
    routes: [
      ...(provider.methods ?? ['POST']).map((method) => ({
        method,
        url: `/webhooks/${provider.name}`,
        access: 'signature' as const,
        handle: (req: RouteRequest, ctx: RouteContext) => receive(provider, req, ctx, sending),
      })),
      ...(provider.routes ?? []),
    ],
    effects: [
      {
        kind: 'message.send',
        accepts: (effect, settings) => closeness(provider, effect, settings as S),
        rate: (settings) => {
          const { sendsPerSecond: perSecond, sendBurst } = settings as S;
          return perSecond === undefined ? undefined : { perSecond, burst: sendBurst ?? Math.max(1, perSecond) };
        },
        rateKey: (effect, settings) => ((settings as S).sendRatePer === 'provider' ? '' : `${String(effect['channel'])}:${String(effect['from'])}`),
        perform: (effect, ctx) => tracked(sending, sendMessage(provider, outboundOf(effect), ctx.settings as S, http(ctx.settings as S))),
      },
    ],
  };
}

async function receive<S extends CommonSettings>(provider: Provider<S>, req: RouteRequest, ctx: RouteContext, sending: ReadonlySet<Promise<unknown>>): Promise<RouteAnswer> {
  const settings = ctx.settings as S;
  const now = ctx.now();
  const request: WebhookRequest = { ...req, publicUrl: publicUrlOf(req, settings) };
  provider.verify(request, settings, now);
  const { messages, reports, malformed = [] } = await provider.read(request, settings, now);
  for (const err of malformed) ctx.refused('message.inbound', err.code);
  const urlShard = typeof req.query[SHARD_PARAM] === 'string' ? `${req.query[SHARD_PARAM]}-` : undefined;
  await Promise.all([submitInbound(ctx, messages), ...reports.map((report) => submitReport(report, ctx, sending, urlShard ?? report.sentKey))]);
  return provider.accepted ?? OK;
}

/** The query parameter of a status callback URL naming the sending shard's number (statusCallbackUrl). */
const SHARD_PARAM = 'shard';

/**
 * The URL a provider that takes one per message (Twilio, Plivo, Telnyx) sends a message's statuses to:
 * the provider's webhook on `publicBaseUrl`; in a sharded cluster with the shard the message was
 * sent from (its key's prefix, engine/id-prefix.ts), so that its reports are asked of that shard alone.
 */
export function statusCallbackUrl(provider: string, publicBaseUrl: string, message: OutboundMessage): string {
  const prefix = prefixOf(message.idempotencyKey);
  return `${publicBaseUrl}/webhooks/${provider}${prefix === '' ? '' : `?${SHARD_PARAM}=${prefix.slice(0, -1)}`}`;
}

/** Submits each inbound message to its sender's person; resolves once every one is durable. */
export async function submitInbound(ctx: RouteContext, messages: readonly InboundMessage[]): Promise<void> {
  await Promise.all(messages.map((message) => ctx.submitFor(senderProfile(message), { kind: 'message.inbound', message })));
}

/**
 * A report goes to the person the message was sent to (in a sharded cluster asked of the shard
 * that `named` names by its prefix: the callback URL's, or the send's key the provider echoes).
 * A provider may report on a message before its answer naming it arrives, so one on a message we
 * do not know yet is held back (at most REPORT_HOLD_MS, heldBack). One on a message we still do
 * not know (sent by something else, or longer ago than the reference window) is answered like
 * any other, so the provider does not retry it, and changes nothing.
 */
async function submitReport(report: DeliveryReport, ctx: RouteContext, sending: ReadonlySet<Promise<unknown>>, named: string | undefined): Promise<void> {
  const key = sentRef(report.provider, report.providerMessageId);
  const ref = (await ctx.reference(key, named)) ?? (await heldBack(key, ctx, sending, named));
  if (ref !== undefined) await ctx.submit(ref.personId, { kind: 'message.status', report });
}

/** Longest a report waits for the answers of sends in flight (providers want webhooks answered within a few seconds). */
const REPORT_HOLD_MS = 1000;
/** How often a report naming a shard is asked of it again while it is held back. */
const ASK_AGAIN_MS = 100;

/**
 * The reference of a report not known yet, once it may be: when it names a shard (a sharded
 * cluster, where the send may be in flight in another process), asked of that shard again every
 * ASK_AGAIN_MS; else once the sends in flight here are answered, when there are any.
 */
async function heldBack(key: string, ctx: RouteContext, sending: ReadonlySet<Promise<unknown>>, named: string | undefined): Promise<Reference | undefined> {
  if (named !== undefined && prefixOf(named) !== '') {
    for (let waited = 0; waited < REPORT_HOLD_MS; waited += ASK_AGAIN_MS) {
      await new Promise((resolve) => setTimeout(resolve, ASK_AGAIN_MS));
      const ref = await ctx.reference(key, named);
      if (ref !== undefined) return ref;
    }
    return undefined;
  }
  if (sending.size === 0) return undefined;
  await answered(sending);
  return ctx.reference(key, named);
}

/** Resolves once the sends in flight now are answered and their results recorded, or after REPORT_HOLD_MS. */
async function answered(sending: ReadonlySet<Promise<unknown>>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const held = new Promise<void>((resolve) => (timer = setTimeout(resolve, REPORT_HOLD_MS)));
  await Promise.race([Promise.allSettled([...sending]), held]);
  clearTimeout(timer);
  await new Promise<void>((resolve) => setImmediate(resolve)); // the outbox records a result in the microtasks after its answer
}

/** Keeps a send in `sending` until it is answered. */
function tracked<T>(sending: Set<Promise<unknown>>, send: Promise<T>): Promise<T> {
  sending.add(send);
  const done = (): void => void sending.delete(send);
  send.then(done, done);
  return send;
}

/** Sends a message (its links made tracked short URLs on our public address when it asks and one is set). */
async function sendMessage<S extends CommonSettings>(provider: Provider<S>, message: OutboundMessage, settings: S, http: ProviderHttp): Promise<SentMessage> {
  const tracked = message.trackLinks && settings.publicBaseUrl ? trackLinks(message, settings.publicBaseUrl) : { message, links: {} };
  const { providerMessageId } = await provider.send(tracked.message, settings, http);
  return sentMessage(provider.name, tracked.message, providerMessageId, tracked.links);
}

/** How closely the provider's numbers name the effect's sender: on its channel (`whatsapp:+1…`) 3, on any channel 2, as "*" 1; 0 when not at all or not on a channel it sends. */
function closeness<S extends CommonSettings>(provider: Provider<S>, effect: Effect, settings: S): number {
  const channel = effect['channel'] as Channel;
  const from = effect['from'] as string;
  if (!provider.channels.includes(channel)) return 0;
  const listed = settings.numbers;
  return listed.includes(`${channel}:${from}`) ? 3 : listed.includes(from) ? 2 : listed.includes('*') ? 1 : 0;
}

function outboundOf(effect: Effect): OutboundMessage {
  const { kind: _kind, key: _key, personId: _personId, origin: _origin, ...message } = effect;
  return { ...(message as unknown as Omit<OutboundMessage, 'idempotencyKey'>), idempotencyKey: externalKey(effect) };
}

/** A setting a provider cannot work without; unset, its sends fail for good with a clear code. */
export function requiredSetting<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new EffectFailure('JCT_PROVIDER_NOT_CONFIGURED', `the provider's setting "${name}" is not set`, false);
  return value;
}

function publicUrlOf(req: RouteRequest, settings: Settings): string {
  return `${publicBaseOf(req, settings)}${req.url}`;
}

/** The scheme and host a provider calls: the `publicBaseUrl` setting, else where the request says it was sent (RouteRequest.origin). */
export function publicBaseOf(req: Pick<RouteRequest, 'origin'>, settings: Settings): string {
  return (settings['publicBaseUrl'] as string | undefined) ?? req.origin;
}
