// Rate limits through real HTTP on loopback (undici): every limited answer carries
// X-RateLimit-Limit, -Remaining (decreasing) and -Reset; a refused one is 429 with Retry-After
// in the one error shape; webhooks and health checks carry none. With `redisUrl`, two apps (as two processes)
// share each key's count in the real Redis at 127.0.0.1:6379 (skipped loudly when it is not
// there, failed when JUNCTION_REQUIRE_SERVICES=1); an unreachable Redis neither hangs nor
// refuses requests, warns once (and tells once, at info, that it is back) and never logs the URL's password.
import t, { type Test } from 'tap';
import { request } from 'undici';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../gateway/app.js';
import { KeyStore } from '../../gateway/auth/keys.js';
import { MemoryKeyTable } from '../../gateway/auth/key-table.js';
import { counterNamespace } from '../../gateway/auth/rate-limit.js';
import { tempPrefix } from '../engine/store/redis-service.js';
import { hasRedisServer, redisServer } from '../engine/store/redis-server.js';
import type { Module } from '../../engine/module.js';
import { world } from '../engine/helpers.js';
import { closedPort, unlessReachable } from './services.js';

const REDIS = 'redis://127.0.0.1:6379';

const hook: Module = {
  name: 'hook',
  routes: [{ method: 'POST', url: '/webhooks/hook', access: 'signature', handle: async () => ({ status: 200, body: { ok: true } }) }],
};

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: any;
}

async function serve(t: Test, options: AppOptions = {}): Promise<{ app: FastifyInstance; call(path: string, headers?: Record<string, string>, method?: 'GET' | 'POST'): Promise<Answer> }> {
  const app = buildApp(world({ modules: [hook] }).engine, options);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return {
    app,
    async call(path, headers = {}, method = 'GET') {
      const res = await request(address + path, { method, headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, body: method === 'POST' ? '{}' : undefined });
      return { status: res.statusCode, headers: res.headers, body: await res.body.json() };
    },
  };
}

const bearer = (app: FastifyInstance) => ({ authorization: `Bearer ${app.keys.create('rl', ['reports']).key}` });
const limits = (a: Answer) => [a.headers['x-ratelimit-limit'], a.headers['x-ratelimit-remaining']];

t.test('each limited answer tells the limit, what remains and when it resets; over it: 429 with Retry-After', async (t) => {
  const { app, call } = await serve(t, { rateLimitPerSecond: 3 });
  const key = bearer(app);
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await call('/flows', key));
  t.same(answers.map((a) => a.status), [200, 200, 200, 429]);
  t.same(answers.map(limits), [['3', '2'], ['3', '1'], ['3', '0'], ['3', '0']], 'Remaining decreases to 0');
  for (const a of answers) t.match(a.headers['x-ratelimit-reset'], /^[01]$/, 'Reset: seconds left of the one-second window');
  const limited = answers[3]!;
  t.match(limited.headers['retry-after'], /^1$/);
  t.same(Object.keys(limited.body), ['error']);
  t.match(limited.body.error, { code: 'JCT_RATE_LIMITED', message: /more than 3 requests a second/, details: { retryAfterSeconds: 1 } });
});

t.test('open routes are limited per address with the same headers; webhooks and health checks are neither limited nor told', async (t) => {
  const { call } = await serve(t, { rateLimitPerSecond: 2 });
  const open = [await call('/'), await call('/'), await call('/')];
  t.same(open.map((a) => a.status), [200, 200, 429]);
  t.same(open.map(limits), [['2', '1'], ['2', '0'], ['2', '0']]);
  t.equal(open[2]!.body.error.code, 'JCT_RATE_LIMITED');
  const missing = await call('/nowhere');
  t.equal(missing.status, 429, 'an unknown path counts for the address too');
  for (let i = 0; i < 4; i++) {
    const webhook = await call('/webhooks/hook', {}, 'POST');
    t.equal(webhook.status, 200);
    t.notOk(Object.keys(webhook.headers).some((h) => h.startsWith('x-ratelimit') || h === 'retry-after'), 'a webhook answer has no rate-limit header');
  }
  for (const path of ['/healthz', '/health', '/readyz', '/healthz']) {
    const probe = await call(path);
    t.equal(probe.status, 200, `${path}: a load balancer's probe from an address over its limit is still answered`);
    t.notOk(Object.keys(probe.headers).some((h) => h.startsWith('x-ratelimit')), 'and carries no rate-limit header');
  }
});

t.test('behind a trusted proxy each caller is counted by the address X-Forwarded-For names; from anyone else the header is ignored', async (t) => {
  const trusted = await serve(t, { rateLimitPerSecond: 1, trustProxy: '10.0.0.0/8, 127.0.0.1' });
  const viaProxy = (address: string) => trusted.call('/', { 'x-forwarded-for': address });
  t.same([(await viaProxy('203.0.113.7')).status, (await viaProxy('203.0.113.8')).status], [200, 200], 'two callers behind the proxy: a count each');
  t.equal((await viaProxy('203.0.113.7')).status, 429, 'the same caller again: over its limit');
  const untrusted = await serve(t, { rateLimitPerSecond: 1 });
  const spoofed = [await untrusted.call('/', { 'x-forwarded-for': '203.0.113.7' }), await untrusted.call('/', { 'x-forwarded-for': '203.0.113.8' })];
  t.same(spoofed.map((a) => a.status), [200, 429], 'no trustProxy: a caller cannot escape its limit by naming another address');
});

t.test('with redisUrl, two apps share one count per key', { skip: await unlessReachable(t, 'Redis', '127.0.0.1', 6379) }, async (t) => {
  const keys = new KeyStore(new MemoryKeyTable()); // one key store, as two processes share keys.db
  const { key, info } = keys.create('shared', ['reports']);
  const redisPrefix = tempPrefix(t, 'jct-rl');
  const one = await serve(t, { keys, rateLimitPerSecond: 5, redisUrl: REDIS, redisPrefix });
  const two = await serve(t, { keys, rateLimitPerSecond: 5, redisUrl: REDIS, redisPrefix });
  const auth = { authorization: `Bearer ${key}` };
  const answers = [];
  for (const server of [one, one, one, two, two, two]) answers.push(await server.call('/flows', auth));
  t.same(answers.map((a) => a.status), [200, 200, 200, 200, 200, 429], 'the sixth request in the second is refused, whichever app gets it');
  t.same(answers.map((a) => a.headers['x-ratelimit-remaining']), ['4', '3', '2', '1', '0', '0']);
  const redis = new Redis(REDIS);
  t.teardown(() => redis.disconnect());
  t.ok((await redis.pttl(`${redisPrefix}rl:${info.id}`)) > 0, 'the counter is the key id under the deployment\'s prefix, expiring with the window');
  t.equal(counterNamespace(), 'junction:rl:', 'with no prefix given: the configuration\'s default');
});

t.test('an unreachable Redis neither hangs nor refuses requests; warned once, without the password', async (t) => {
  const logs: Array<{ level: string; obj: object; msg?: string }> = [];
  const logger = { error: (obj: object, msg?: string) => logs.push({ level: 'error', obj, msg }), warn: (obj: object, msg?: string) => logs.push({ level: 'warn', obj, msg }) };
  const started = Date.now();
  const { app, call } = await serve(t, { rateLimitPerSecond: 2, redisUrl: `redis://:hunter2-secret@127.0.0.1:${await closedPort()}`, logger });
  const key = bearer(app);
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await call('/flows', key));
  t.same(answers.map((a) => a.status), [200, 200, 200, 200], 'let through uncounted');
  t.equal(answers[0]!.headers['x-ratelimit-limit'], '2');
  await app.close();
  t.ok(Date.now() - started < 3000, 'start, requests and close take no longer than the connect timeout');
  const warnings = logs.filter((l) => l.level === 'warn');
  t.equal(warnings.length, 1, 'one warning for the outage');
  t.match(warnings[0], { obj: { redis: /^redis:\/\/127\.0\.0\.1:\d+$/, code: 'ECONNREFUSED' }, msg: /rate limits are not enforced/ });
  t.notMatch(JSON.stringify(logs), /hunter2/);
});

t.test('a Redis that comes back is told once at info, after the one warning', { skip: hasRedisServer() ? false : 'redis-server is not installed' }, async (t) => {
  const logs: Array<{ level: string; obj: object; msg?: string }> = [];
  const logger = { error: (obj: object, msg?: string) => logs.push({ level: 'error', obj, msg }), warn: (obj: object, msg?: string) => logs.push({ level: 'warn', obj, msg }), info: (obj: object, msg?: string) => logs.push({ level: 'info', obj, msg }) };
  const port = await closedPort();
  const { app, call } = await serve(t, { rateLimitPerSecond: 2, redisUrl: `redis://:hunter2-secret@127.0.0.1:${port}`, logger });
  t.equal((await call('/flows', bearer(app))).status, 200, 'let through while Redis is down');
  await redisServer(t, port, ['--save', '', '--appendonly', 'no', '--requirepass', 'hunter2-secret']);
  for (let i = 0; i < 250 && !logs.some((l) => l.level === 'info'); i++) await new Promise((resolve) => setTimeout(resolve, 20)); // ioredis reconnects by itself, within its backoff
  t.match(logs.map((l) => [l.level, l.msg]), [['warn', /rate limits are not enforced/], ['info', 'Redis is back: API rate limits are enforced again']]);
  t.match(logs[1], { obj: { redis: `redis://127.0.0.1:${port}` } });
  t.notMatch(JSON.stringify(logs), /hunter2/);
  const key = bearer(app);
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push((await call('/flows', key)).status);
  t.same(answers, [200, 200, 429], 'counted again');
});
