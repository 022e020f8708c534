// The shared harness every provider's tests use: tables of incoming cases (a webhook request →
// the status answered, and the messages and reports it became, or the error code refusing it)
// and outgoing cases (a message → the request the provider receives, what the provider answers,
// and the send's result or typed error). Incoming requests go through the real gateway and
// engine; outgoing ones through the real handler to a local HTTP server standing in for the
// provider's API. Every case also checks that no secret of the settings appears in the answer.
// The fuzz tests share one gateway per provider (webhookGateway), the check that an answer is
// one a webhook may give (wellAnswered) and a timer for their linear-time checks (fastest).
import type { Test } from 'tap';
import fc from 'fast-check';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../gateway/app.js';
import { Registry, type Module, type Settings } from '../../engine/module.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { world } from '../engine/helpers.js';
import type { Input } from '../../engine/vocabulary.js';
import type { DeliveryReport, InboundMessage, OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import type { Effect } from '../../engine/vocabulary.js';
import type { CommonSettings, Provider, WebhookRequest } from '../../channels/provider.js';

type Tap = Test;

export interface IncomingCase {
  readonly label: string;
  /** The provider module's settings for this case (merged over `settings` of runIncoming). */
  readonly settings?: Settings;
  readonly method?: 'GET' | 'POST';
  /** Path and query; default `/webhooks/<module name>`. */
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly status: number;
  /** The error code of a refused request. */
  readonly code?: string;
  /** Matched (tap `match`) against the messages submitted, in order; omit to expect none. */
  readonly messages?: ReadonlyArray<Partial<InboundMessage>>;
  readonly reports?: ReadonlyArray<Partial<DeliveryReport>>;
  /** Matched against the answer body (text). */
  readonly answer?: string | RegExp;
  /** Items passed over as malformed, counted in the refused inputs; default none. */
  readonly malformed?: number;
  /** The code a message passed over for another reason (e.g. JCT_MESSAGE_BINARY) is counted under in the refused inputs, once. */
  readonly refused?: string;
}

/** Runs incoming cases through the gateway with the provider's module and settings. */
export async function runIncoming(t: Tap, module: Module, cases: readonly IncomingCase[], settings: Settings = {}): Promise<void> {
  for (const c of cases) {
    await t.test(c.label, async (t) => {
      const caseSettings = { ...settings, ...c.settings };
      const { engine } = world({ start: new Date().toISOString(), modules: [messagingModule, module], settings: { [module.name]: caseSettings } });
      const submitted: Input[] = [];
      const submit = engine.submit.bind(engine);
      engine.submit = (key, input) => (submitted.push(input), submit(key, input));
      // every report is on a message sent to her (the sends are not part of these cases)
      engine.reference = () => ({ at: 0, personId: 'ana', flowId: 'f', version: 1, node: 0, data: {}, recorded: [] });
      const app = buildApp(engine);
      const res = await app.inject({ method: c.method ?? 'POST', url: c.url ?? `/webhooks/${module.name}`, headers: c.headers, payload: c.body });
      t.equal(res.statusCode, c.status, `status (answer: ${res.body.slice(0, 300)})`);
      if (c.code !== undefined) t.equal((res.json() as { error: { code: string } }).error.code, c.code);
      if (c.answer !== undefined) t.match(res.body, c.answer);
      t.match(inputsOf(submitted, 'message.inbound'), c.messages ?? [], 'messages');
      t.equal(inputsOf(submitted, 'message.inbound').length, (c.messages ?? []).length, 'message count');
      t.match(inputsOf(submitted, 'message.status'), c.reports ?? [], 'reports');
      t.equal(inputsOf(submitted, 'message.status').length, (c.reports ?? []).length, 'report count');
      t.equal(engine.refusedInputs.get('message.inbound JCT_PAYLOAD_INVALID') ?? 0, c.malformed ?? 0, 'malformed items passed over and counted');
      if (c.refused !== undefined) t.equal(engine.refusedInputs.get(`message.inbound ${c.refused}`) ?? 0, 1, `passed over and counted as ${c.refused}`);
      for (const secret of secretsOf(module, caseSettings)) t.notMatch(res.body, secret, 'no secret in the answer');
      await engine.close();
    });
  }
}

export interface ProviderResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface OutgoingCase {
  readonly label: string;
  readonly settings?: Settings;
  readonly message: Partial<OutboundMessage> & Pick<OutboundMessage, 'channel' | 'from' | 'to'>;
  /** What the provider's API answers, one per request, in order (the last repeats). */
  readonly responses: readonly ProviderResponse[];
  /** Checks of each request the provider received, in order. */
  readonly requests?: ReadonlyArray<(r: ReceivedRequest) => void | Promise<void>>;
  readonly result?: SendResult;
  readonly error?: { readonly code: string; readonly retryable: boolean };
  /** The outbox entry's key (default `p1.1:2:0`; a sharded cluster's start with the shard, `3-…`). */
  readonly key?: string;
}

/**
 * Runs outgoing cases: `sink(url)` gives the settings that point the provider at the local
 * server standing in for its API (e.g. `{ apiBaseUrl: url }`).
 */
export async function runOutgoing(t: Tap, module: Module, cases: readonly OutgoingCase[], sink: (url: string) => Settings, settings: Settings = {}): Promise<void> {
  for (const c of cases) {
    await t.test(c.label, async (t) => {
      const api = await fakeApi(t, c.responses);
      const registry = new Registry([messagingModule, module], { [module.name]: { ...settings, ...sink(api.url), ...c.settings } });
      const effect = { kind: 'message.send', key: c.key ?? 'p1.1:2:0', personId: 'ana', ...c.message } as unknown as Effect;
      const handler = registry.handler(effect);
      if (!handler) throw new Error(`${module.name} does not accept ${JSON.stringify(c.message)} with these settings`);
      const performing = Promise.resolve(handler.perform(effect, { people: undefined as never, now: () => Date.now(), settings: registry.settingsOf(handler) }));
      if (c.error) await t.rejects(performing, c.error, 'typed error');
      else t.match(await performing, c.result, 'result (with what a sent message leaves behind: parts, references)');
      for (const [i, check] of (c.requests ?? []).entries()) {
        const received = api.received[i];
        if (!received) throw new Error(`the provider received ${api.received.length} requests, expected at least ${i + 1}`);
        await check(received);
      }
    });
  }
}

async function fakeApi(t: Tap, responses: readonly ProviderResponse[]): Promise<{ url: string; received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const r = responses[Math.min(received.length - 1, responses.length - 1)]!;
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {});
      res.writeHead(r.status, { 'content-type': typeof r.body === 'string' ? 'text/plain' : 'application/json', ...r.headers }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** A request to a webhook gateway; the method defaults to POST, the URL to the module's webhook. */
export interface Injected {
  readonly method?: 'GET' | 'POST';
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** A gateway's answer: its status, the error code of a refusal, and the body. */
export interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly body: string;
}

export interface WebhookGateway {
  inject(request: Injected): Promise<Answer>;
  close(): Promise<void>;
}

/** One gateway and engine with the provider's module and settings, for many requests (a fuzz test's). */
export function webhookGateway(module: Module, settings: Settings): WebhookGateway {
  const { engine } = world({ start: new Date().toISOString(), modules: [messagingModule, module], settings: { [module.name]: settings } });
  const app = buildApp(engine);
  return {
    async inject(r) {
      const res = await app.inject({ method: r.method ?? 'POST', url: r.url ?? `/webhooks/${module.name}`, headers: r.headers, ...(r.body !== undefined ? { payload: r.body } : {}) });
      return { status: res.statusCode, code: res.statusCode === 200 ? undefined : errorCodeOf(res.body), body: res.body };
    },
    close: () => engine.close(),
  };
}

/** What a correctly signed request may get: read, or refused as malformed. */
export const verified = (status: number): boolean => status === 200 || status === 400;

/** Anything but a refusal of the signature: what a correctly signed request may get. */
export const notForItsSignature = (status: number): boolean => status !== 401 && status !== 403;

/**
 * Whether an answer is one a webhook may give: 200, or a 4xx with a JCT_ code, and `allowed`.
 * Anything else (a 5xx above all) throws, failing the property so that fast-check shrinks it.
 */
export function wellAnswered(a: Answer, allowed: (status: number) => boolean = () => true): true {
  const well = a.status === 200 || (a.status >= 400 && a.status < 500 && /^JCT_[A-Z_]+$/.test(a.code ?? ''));
  if (!well || !allowed(a.status)) throw new Error(`answered ${a.status} ${a.code ?? ''}: ${a.body.slice(0, 300)}`);
  return true;
}

/** Sends `numRuns` requests made of what `requests` generates; each must be well answered (see wellAnswered). */
export async function fuzzAnswers<T>(requests: fc.Arbitrary<T>, send: (r: T) => Promise<Answer>, numRuns: number, allowed?: (status: number) => boolean): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (r) => wellAnswered(await send(r), allowed)),
    { numRuns },
  );
}

/** The fastest of `times` runs, in ms. */
export async function fastest(run: () => unknown, times = 5): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/**
 * Checks that a provider's own verify and read (not the gateway's parsing) cost time linear in
 * a form's size: a signed form of 2 000 fields, then one of 64 000, each read and refused as
 * malformed; 32× the fields must take less than 400× the time (quadratic would be 1,024×). On a
 * quiet machine it takes about 125× (the large form falls out of the processor's caches, and the
 * signature sorts the fields), and a loaded machine doubles that: 16× the fields against 128×,
 * as this was before, once took 137×. `sign` gives the signature headers.
 */
export async function formCostIsLinear<S extends CommonSettings>(
  t: Tap,
  provider: Provider<S>,
  settings: S,
  url: string,
  sign: (url: string, body: string) => Record<string, string>,
): Promise<void> {
  const request = (n: number): WebhookRequest => {
    const body = new URLSearchParams(Array.from({ length: n }, (_, i): [string, string] => [i % 2 ? 'Tag' : `Field${i}`, `value-${i}`])).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...sign(url, body) };
    return { method: 'POST', url, publicUrl: `${settings.publicBaseUrl}${url}`, params: {}, query: {}, headers, body: Object.fromEntries(new URLSearchParams(body)), rawBody: Buffer.from(body) };
  };
  const timed = (req: WebhookRequest): Promise<number> =>
    fastest(() => {
      provider.verify(req, settings, Date.now());
      t.throws(() => provider.read(req, settings, Date.now()), { code: 'JCT_PAYLOAD_INVALID' });
    }, 11);
  const [small, large] = [request(2_000), request(64_000)];
  await timed(small);
  await timed(large);
  const ratio = (await timed(large)) / (await timed(small));
  t.ok(ratio < 400, `32× the fields took ${ratio.toFixed(1)}× the time`);
}

function errorCodeOf(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function inputsOf(inputs: readonly Input[], kind: 'message.inbound' | 'message.status'): unknown[] {
  const found: unknown[] = [];
  for (const i of inputs) {
    if (i.kind === kind && i.kind === 'message.inbound') found.push(i.message);
    if (i.kind === kind && i.kind === 'message.status') found.push(i.report);
  }
  return found;
}

function secretsOf(module: Module, settings: Settings): string[] {
  return (module.config?.secrets ?? []).map((s) => settings[s]).filter((v): v is string => typeof v === 'string' && v.length >= 8);
}
