// The shared harness every provider's tests use: tables of incoming cases (a webhook request →
// the status answered, and the messages and reports it became, or the error code refusing it)
// and outgoing cases (a message → the request the provider receives, what the provider answers,
// and the send's result or typed error). Incoming requests go through the real gateway and
// engine; outgoing ones through the real handler to a local HTTP server standing in for the
// provider's API. Every case also checks that no secret of the settings appears in the answer.
import type { Test } from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../gateway/app.js';
import { Registry, type Module, type Settings } from '../../engine/module.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { world } from '../engine/helpers.js';
import type { Input } from '../../engine/vocabulary.js';
import type { DeliveryReport, InboundMessage, OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import type { Effect } from '../../engine/vocabulary.js';

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
}

/** Runs incoming cases through the gateway with the provider's module and settings. */
export async function runIncoming(t: Tap, module: Module, cases: readonly IncomingCase[], settings: Settings = {}): Promise<void> {
  for (const c of cases) {
    await t.test(c.label, async (t) => {
      const caseSettings = { ...settings, ...c.settings };
      const { engine } = world({ modules: [messagingModule, module], settings: { [module.name]: caseSettings } });
      const submitted: Input[] = [];
      const submit = engine.submit.bind(engine);
      engine.submit = (key, input) => (submitted.push(input), submit(key, input));
      const app = buildApp(engine);
      const res = await app.inject({ method: c.method ?? 'POST', url: c.url ?? `/webhooks/${module.name}`, headers: c.headers, payload: c.body });
      t.equal(res.statusCode, c.status, `status (answer: ${res.body.slice(0, 300)})`);
      if (c.code !== undefined) t.equal((res.json() as { error: { code: string } }).error.code, c.code);
      if (c.answer !== undefined) t.match(res.body, c.answer);
      t.match(inputsOf(submitted, 'message.inbound'), c.messages ?? [], 'messages');
      t.equal(inputsOf(submitted, 'message.inbound').length, (c.messages ?? []).length, 'message count');
      t.match(inputsOf(submitted, 'message.status'), c.reports ?? [], 'reports');
      t.equal(inputsOf(submitted, 'message.status').length, (c.reports ?? []).length, 'report count');
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
      const effect = { kind: 'message.send', key: 'p1.1:2:0', personId: 'ana', ...c.message } as unknown as Effect;
      const handler = registry.handler(effect);
      if (!handler) throw new Error(`${module.name} does not accept ${JSON.stringify(c.message)} with these settings`);
      const performing = Promise.resolve(handler.perform(effect, { people: undefined as never, now: () => Date.now(), settings: registry.settingsOf(handler) }));
      if (c.error) await t.rejects(performing, c.error, 'typed error');
      else t.same(await performing, c.result, 'result');
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
