// The Call webhook's request: idempotency key, a signature a receiver can check with the
// shared secret, the configured timeout, and which answers are retried.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequest, signature } from '../../../engine/effects/http-request.js';
import { coreModule } from '../../../engine/elements/index.js';
import { Registry, type EffectContext } from '../../../engine/module.js';
import type { Effect } from '../../../engine/vocabulary.js';

interface Seen {
  headers: IncomingMessage['headers'];
  body: string;
}

async function sink(t: { teardown(fn: () => void): void }, answer: (res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

const NOW = Date.parse('2026-12-03T10:00:00Z');

function effect(url: string): Effect {
  return { kind: 'http.request', key: 'p1:3', participantId: 'p1', personId: 'ana', origin: { flowId: 'f', version: 1, node: 1 }, url, method: 'POST', body: '{"hello":"world"}' };
}

function ctx(settings: Record<string, unknown>): EffectContext {
  const defaults = new Registry([coreModule]).settings('core');
  return { people: undefined as never, now: () => NOW, settings: { ...defaults, ...settings } };
}

t.test('the request carries the idempotency key and, with a secret, a signature over time and body', async (t) => {
  const { url, seen } = await sink(t, (res) => res.writeHead(204).end());
  t.same(await httpRequest.perform(effect(url), ctx({ httpSigningSecret: 'a-secret-of-24-characters' })), { status: 204 });
  const [request] = seen;
  t.equal(request!.headers['idempotency-key'], 'p1:3');
  t.equal(request!.body, '{"hello":"world"}');
  const [, t1, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request!.headers['x-junction-signature'])) ?? [];
  t.equal(Number(t1), NOW / 1000);
  t.equal(v1, createHmac('sha256', 'a-secret-of-24-characters').update(`${t1}.{"hello":"world"}`).digest('hex'), 'a receiver recomputes it');
  t.equal(signature('a-secret-of-24-characters', '{"hello":"world"}', NOW), request!.headers['x-junction-signature']);
  await httpRequest.perform({ ...effect(url), deadline: NOW + 30_000 }, ctx({}));
  t.equal(seen[1]!.headers['idempotency-key'], `p1:3.${(NOW + 30_000).toString(36)}`, "with the entry's deadline beside its key: another store's entry of the same key (keys start over) is another request to the receiver");
  await httpRequest.perform(effect(url), ctx({}));
  t.notOk(seen[1]!.headers['x-junction-signature'], 'unsigned without a secret');
});

t.test('5xx, 429 and 408 are retried; other refusals fail for good', async (t) => {
  for (const [status, retryable] of [[500, true], [503, true], [429, true], [408, true], [404, false], [400, false]] as const) {
    const { url } = await sink(t, (res) => res.writeHead(status).end());
    await t.rejects(httpRequest.perform(effect(url), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_STATUS', retryable }, `${status}`);
  }
});

t.test('a receiver slower than the configured timeout, or none at all, is retried', async (t) => {
  const { url } = await sink(t, () => undefined);
  await t.rejects(httpRequest.perform(effect(url), ctx({ httpTimeoutMs: 100 })) as Promise<unknown>, { code: 'JCT_HTTP_UNREACHABLE', retryable: true });
  await t.rejects(httpRequest.perform(effect('http://127.0.0.1:9/none'), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_UNREACHABLE', retryable: true });
});

t.test('a redirect is not followed: the body would be lost on the way, so it fails for good and says where it points', async (t) => {
  const target = await sink(t, (res) => res.writeHead(200).end('{}'));
  const { url, seen } = await sink(t, (res) => res.writeHead(302, { location: `${target.url}?token=secret` }).end());
  const failure = { code: 'JCT_HTTP_STATUS', retryable: false, message: /^the webhook answered 302 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/hook, not followed[^?]*$/ };
  await t.rejects(httpRequest.perform(effect(url), ctx({})) as Promise<unknown>, failure, 'origin and path only: a query may hold a token');
  t.equal(seen.length, 1);
  t.same(target.seen, [], 'the place it points at is not called');
});

t.test('with answer paths, the values at them are read from a JSON answer; anything else reads as null', async (t) => {
  const paths = ['$.customer.points', '$.customer.tiers[1]', '$.customer', '$.customer.missing', '$.ok'];
  const answering = (body: string) => sink(t, (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  const withPaths = (url: string): Effect => ({ ...effect(url), answerPaths: paths });
  const json = await answering(JSON.stringify({ customer: { points: 42, tiers: ['silver', 'gold'] }, ok: true }));
  t.same(await httpRequest.perform(withPaths(json.url), ctx({})), { status: 200, values: [42, 'gold', null, null, true] });
  const text = await answering('hello, not JSON');
  t.same(await httpRequest.perform(withPaths(text.url), ctx({})), { status: 200, values: [null, null, null, null, null] }, 'not JSON');
  const big = await answering(JSON.stringify({ ok: true, pad: 'x'.repeat(2 * 1024 * 1024) }));
  t.same(await httpRequest.perform(withPaths(big.url), ctx({})), { status: 200, values: [null, null, null, null, null] }, 'over 1 MiB: not read');
  t.same(await httpRequest.perform(effect(json.url), ctx({})), { status: 200 }, 'without paths the body is not read');
});

t.test('an entry without a body (a GET) is sent without one, signed over the empty body', async (t) => {
  const { url, seen } = await sink(t, (res) => res.writeHead(200).end());
  const get: Effect = { kind: 'http.request', key: 'p1:3', personId: 'ana', origin: { flowId: 'f', version: 1, node: 1 }, url, method: 'GET' };
  t.same(await httpRequest.perform(get, ctx({ httpSigningSecret: 'a-secret-of-24-characters' })), { status: 200 });
  t.equal(seen[0]!.body, '');
  t.notOk(seen[0]!.headers['content-type'], 'no content type for no content');
  t.equal(seen[0]!.headers['x-junction-signature'], signature('a-secret-of-24-characters', '', NOW));
});

t.test("the flow's headers are sent; its Content-Type replaces JSON's; ours are always set", async (t) => {
  const { url, seen } = await sink(t, (res) => res.writeHead(204).end());
  const form: Effect = { ...effect(url), body: 'a=1', headers: { Authorization: 'Basic dTpw', 'Content-Type': 'application/x-www-form-urlencoded' } };
  await httpRequest.perform(form, ctx({}));
  t.equal(seen[0]!.headers['authorization'], 'Basic dTpw');
  t.equal(seen[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
  t.equal(seen[0]!.headers['idempotency-key'], 'p1:3');
  await httpRequest.perform({ ...effect(url), headers: { 'X-Name': Buffer.from('Ana Žić', 'utf8').toString('latin1') } }, ctx({}));
  t.equal(seen[1]!.headers['content-type'], 'application/json');
  t.equal(Buffer.from(String(seen[1]!.headers['x-name']), 'latin1').toString('utf8'), 'Ana Žić', "a value's UTF-8 bytes arrive as they were");
});

t.test('a refusal carries its status, and a retry waits as long as Retry-After asks', async (t) => {
  const throttled = await sink(t, (res) => res.writeHead(429, { 'retry-after': '120' }).end());
  await t.rejects(httpRequest.perform(effect(throttled.url), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_STATUS', retryable: true, retryAfterMs: 120_000, status: 429 });
  const at = new Date(NOW + 30_000).toUTCString();
  const down = await sink(t, (res) => res.writeHead(503, { 'retry-after': at }).end());
  await t.rejects(httpRequest.perform(effect(down.url), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_STATUS', retryable: true, retryAfterMs: 30_000, status: 503 } as never, 'an HTTP date');
  const gone = await sink(t, (res) => res.writeHead(410, { 'retry-after': '5' }).end());
  await t.rejects(httpRequest.perform(effect(gone.url), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_STATUS', retryable: false, retryAfterMs: undefined, status: 410 } as never, 'not retried: no wait');
});

t.test("answer headers are read by name, null when the answer has none", async (t) => {
  const { url } = await sink(t, (res) => res.writeHead(200, { 'x-request-id': 'r-1', 'content-type': 'application/json' }).end('{"points":3}'));
  const asking: Effect = { ...effect(url), answerHeaders: ['x-request-id', 'x-missing'] };
  t.same(await httpRequest.perform(asking, ctx({})), { status: 200, headers: ['r-1', null] });
  t.same(await httpRequest.perform({ ...asking, answerPaths: ['$.points'] }, ctx({})), { status: 200, values: [3], headers: ['r-1', null] });
});

t.test('the timeout covers reading the answer: a body that stalls is retried like no answer', async (t) => {
  const { url } = await sink(t, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"points":');
  });
  const started = Date.now();
  await t.rejects(httpRequest.perform({ ...effect(url), answerPaths: ['$.points'] }, ctx({ httpTimeoutMs: 200 })) as Promise<unknown>, { code: 'JCT_HTTP_UNREACHABLE', retryable: true });
  t.ok(Date.now() - started < 5_000, 'given up once the time ran out');
});

t.test("a request names Junction as its User-Agent, unless the flow's headers name another", async (t) => {
  const { url, seen } = await sink(t, (res) => res.writeHead(204).end());
  await httpRequest.perform(effect(url), ctx({}));
  await httpRequest.perform({ ...effect(url), headers: { 'User-Agent': 'crm-sync/2' } }, ctx({}));
  t.same(seen.map((s) => s.headers['user-agent']), ['junction', 'crm-sync/2']);
});

t.test('a URL that is none, or names a user or password, fails for good without being quoted', async (t) => {
  for (const url of ['http://user:pa55word@127.0.0.1:1/hook', 'http://:pa55word@127.0.0.1:1/hook', 'http://[::1/hook?token=pa55word', 'http://pa55 word/']) {
    const failure = await (httpRequest.perform(effect(url), ctx({})) as Promise<unknown>).catch((e: unknown) => e);
    t.match(failure, { code: 'JCT_HTTP_URL_INVALID', retryable: false }, url);
    t.notMatch((failure as Error).message, 'pa55word', 'the message does not quote it: it is logged and kept');
  }
});
