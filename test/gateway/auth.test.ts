// API keys through real HTTP on loopback (undici): a protected route refuses a missing, wrong
// or revoked key (401) and a key without its scope (403); an admin key reaches everything; open
// routes and provider webhooks need no key; each key is rate limited (429 with Retry-After),
// webhooks are not; a key revoked by `junction keys` against the server's store file is refused
// within the refresh window; a configured admin key works; no key text reaches the logs.
import t, { type Test as Tap } from 'tap';
import { request } from 'undici';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../gateway/app.js';
import { KeyStore } from '../../gateway/auth/keys.js';
import { keysCommand } from '../../bin/commands/keys.js';
import { eventsModule } from '../../engine/events/index.js';
import { messagingModule } from '../../engine/messaging/index.js';
import twilio from '../../channels/twilio/index.js';
import type { Module } from '../../engine/module.js';
import { world, flow, pauseDays } from '../engine/helpers.js';

const boom: Module = {
  name: 'boom',
  routes: [
    {
      method: 'GET',
      url: '/boom',
      handle: async () => {
        throw new Error('kaput');
      },
    },
  ],
};

interface Served {
  app: FastifyInstance;
  /** GET or POST `path` with these headers: status, headers and parsed body. */
  call(path: string, headers?: Record<string, string>, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: any }>;
}

async function serve(t: Tap, options: AppOptions = {}): Promise<Served> {
  const w = world({ modules: [eventsModule, messagingModule, twilio, boom] });
  w.engine.save(flow('welcome', [pauseDays('p', 1)]));
  w.engine.launch('welcome');
  const app = buildApp(w.engine, options);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return {
    app,
    async call(path, headers = {}, body) {
      const method = body === undefined ? 'GET' : 'POST';
      const res = await request(address + path, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
    },
  };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const ENTER = { person: { id: 'ana' } };
const EVENT = { person: { id: 'ana' }, name: 'nothing' };

t.test('a protected route refuses a missing or wrong key with 401', async (t) => {
  const { app, call } = await serve(t);
  const { key } = app.keys.create('ops', ['admin']);
  const missing = await call('/flows');
  t.equal(missing.status, 401);
  t.equal(missing.headers['www-authenticate'], 'Bearer');
  t.same(missing.body, { error: { code: 'JCT_AUTH_MISSING', message: 'this route needs an API key: send "Authorization: Bearer <key>"', details: {} } });
  const otherSecret = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const unknownId = key.replace(/^jk_[0-9a-f]{4}/, 'jk_0000');
  const wrong: Array<[string, string]> = [
    ['not a key', 'Bearer nope'],
    ['another secret', `Bearer ${otherSecret}`],
    ['an unknown id', `Bearer ${unknownId}`],
    ['another scheme', `Basic ${key}`],
    ['no key after the scheme', 'Bearer'],
  ];
  for (const [what, authorization] of wrong) {
    const r = await call('/flows', { authorization });
    t.equal(r.status, 401, what);
    t.equal(r.body.error.code, 'JCT_AUTH_INVALID', what);
  }
  t.equal((await call('/flows', { authorization: `App ${key}` })).status, 200, 'App <key> works as well as Bearer');
  t.equal((await call('/flows', { authorization: `bearer ${key}` })).status, 200, 'the scheme in any case');
});

t.test('several Authorization headers: 400 JCT_AUTH_AMBIGUOUS, whichever comes first', async (t) => {
  const { app, call } = await serve(t);
  const { key } = app.keys.create('ops', ['admin']);
  const address = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  for (const headers of [['authorization', `Bearer ${key}`, 'authorization', 'Bearer nope'], ['authorization', 'Bearer nope', 'Authorization', `Bearer ${key}`]]) {
    const res = await request(`${address}/flows`, { headers });
    t.equal(res.statusCode, 400, headers.join(' '));
    t.same(await res.body.json(), { error: { code: 'JCT_AUTH_AMBIGUOUS', message: 'the request carries several Authorization headers; send one', details: {} } });
  }
  t.equal((await call('/flows', bearer(key))).status, 200, 'one header works');
});

t.test('a key reaches the routes of its scopes; others answer 403; admin reaches everything', async (t) => {
  const { app, call } = await serve(t);
  const key = (scopes: string[]) => bearer(app.keys.create(scopes.join('+'), scopes).key);
  const [reports, flowApi, events, admin] = [key(['reports']), key(['flow-api']), key(['events']), key(['admin'])];
  const routes: Array<[string, string, unknown, Record<string, string>]> = [
    ['GET /flows', '/flows', undefined, reports],
    ['GET /flows/:id', '/flows/welcome', undefined, reports],
    ['POST /flows/:id/participants', '/flows/welcome/participants', ENTER, flowApi],
    ['POST /events', '/events', EVENT, events],
  ];
  for (const [what, path, body, allowed] of routes) {
    t.notOk([401, 403].includes((await call(path, allowed, body)).status), `${what}: its scope`);
    t.notOk([401, 403].includes((await call(path, admin, body)).status), `${what}: admin`);
    for (const other of [reports, flowApi, events].filter((h) => h !== allowed)) {
      const r = await call(path, other, body);
      t.equal(r.status, 403, `${what}: another scope`);
      t.equal(r.body.error.code, 'JCT_SCOPE_MISSING');
    }
  }
  const multi = key(['reports', 'events']);
  t.equal((await call('/flows', multi)).status, 200, 'a key with several scopes');
  t.equal((await call('/boom', reports)).status, 403, 'a module route that declares nothing needs admin');
  t.equal((await call('/boom', admin)).status, 500);
});

t.test('health, unknown paths, tracked links and provider webhooks need no key', async (t) => {
  const { call } = await serve(t);
  t.same(await call('/health').then((r) => [r.status, r.body]), [200, { status: 'ok' }]);
  t.equal((await call('/nope')).body.error.code, 'JCT_NOT_FOUND', 'an unknown path is 404, not 401');
  t.equal((await call('/l/abc')).body.error.code, 'JCT_NOT_FOUND', 'a tracked link is open');
  const webhook = await call('/webhooks/twilio', {}, { From: '+1' });
  t.notMatch(webhook.body.error.code, /^JCT_AUTH/, 'a webhook is checked by its own signature');
  t.match(webhook.body.error.code, /^JCT_(SIGNATURE|PROVIDER)_/);
});

t.test('each key is rate limited with 429 and Retry-After; webhooks are not', async (t) => {
  const { app, call } = await serve(t, { rateLimitPerSecond: 3 });
  const one = bearer(app.keys.create('one', ['reports']).key);
  const two = bearer(app.keys.create('two', ['reports']).key);
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await call('/flows', one)).status);
  t.same(statuses, [200, 200, 200, 429]);
  const limited = await call('/flows', one);
  t.equal(limited.status, 429);
  t.match(limited.headers['retry-after'], /^[1-9]\d*$/);
  t.match(limited.body, { error: { code: 'JCT_RATE_LIMITED', message: /more than 3 requests a second/, details: { retryAfterSeconds: Number } } });
  t.equal((await call('/flows', two)).status, 200, 'another key has its own limit');
  const hooks = [];
  for (let i = 0; i < 6; i++) hooks.push((await call('/webhooks/twilio', {}, { From: '+1' })).status);
  t.notOk(hooks.includes(429), 'webhooks are not limited');
});

t.test('a key created or revoked by `junction keys` on the server store file is noticed while it runs', async (t) => {
  const dir = t.testdir();
  let now = Date.UTC(2026, 0, 5);
  const { call } = await serve(t, { keys: KeyStore.open(dir, { now: () => now, refreshMs: 2_000 }) });
  const lines: string[] = [];
  const env = { JUNCTION_DATA_DIR: dir };
  t.equal(await keysCommand(['create'], { name: 'ci', scopes: 'reports', json: true }, env, (l) => lines.push(l)), 0);
  const created = JSON.parse(lines.pop()!) as { key: string; id: string };
  t.equal((await call('/flows', bearer(created.key))).status, 200, 'a new key works at once');
  await keysCommand(['revoke', created.id], {}, env, (l) => lines.push(l));
  now += 1_000;
  t.equal((await call('/flows', bearer(created.key))).status, 200, 'within the refresh window it may still work');
  now += 1_000;
  const refused = await call('/flows', bearer(created.key));
  t.equal(refused.status, 401, 'refused once the window passed');
  t.equal(refused.body.error.code, 'JCT_AUTH_INVALID');
});

t.test('a configured admin key is an admin; no key text is logged', async (t) => {
  const logs: unknown[] = [];
  const adminKey = 'configured-admin-key-for-tests-0123';
  const { app, call } = await serve(t, { adminKey, logger: { error: (obj, msg) => logs.push({ obj, msg }) } });
  const stored = app.keys.create('ops', ['admin']).key;
  t.equal((await call('/flows', bearer(adminKey))).status, 200);
  t.equal((await call('/flows', bearer('configured-admin-key-for-tests-0124'))).status, 401);
  t.equal((await call('/boom', bearer(adminKey))).status, 500);
  t.equal((await call('/boom', bearer(stored))).status, 500);
  t.equal(logs.length, 2, 'both failures were logged');
  const text = JSON.stringify(logs, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
  t.notMatch(text, adminKey);
  t.notMatch(text, stored.slice(20), 'not the secret of a stored key');
  t.notMatch(text, /authorization/i);
});

t.test('keys survive a restart on the same store; the key text is never stored', async (t) => {
  const dir = t.testdir();
  const first = KeyStore.open(dir);
  const { key, info } = first.create('ops', ['people', 'flows']);
  await first.close();
  const again = KeyStore.open(dir);
  t.teardown(() => again.close());
  t.same(again.verify(key), { id: info.id, scopes: ['people', 'flows'] });
  t.same(again.list(), [info]);
  t.equal(again.verify(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')), undefined);
  const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
  t.notMatch(files, key.slice(20), 'only the hash of the secret is in the files');
});
