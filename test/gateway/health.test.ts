// Health and service routes, and metrics, through real HTTP on loopback (undici): liveness, readiness (ready; a failed
// store: 503 JCT_NOT_READY with Retry-After; stopping), GET /, and Prometheus /metrics (needs a
// reports key; parses as the text format; series by route pattern, provider, flow and element,
// commits and error codes).
import t, { type Test } from 'tap';
import { request } from 'undici';
import { buildApp } from '../../gateway/app.js';
import type { Module } from '../../engine/module.js';
import { world, flow, pauseDays, type World } from '../engine/helpers.js';
import { samples } from './metrics-helper.js';

const ADMIN = 'operations-test-admin-key-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };

/** A module with a provider webhook, so webhooks are counted by provider. */
const carrier: Module = {
  name: 'test-carrier',
  routes: [{ method: 'POST', url: '/webhooks/test-carrier', access: 'signature', handle: async () => ({ status: 204, body: undefined }) }],
};

async function serve(t: Test, w: World = world({ modules: [carrier] })) {
  w.engine.save(flow('welcome', [pauseDays('wait', 1)]));
  w.engine.launch('welcome');
  await w.engine.journal.flush();
  const app = buildApp(w.engine, { version: '9.9.9', adminKey: ADMIN });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await request(`http://127.0.0.1:${port}${path}`, { headers });
    return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = auth) => {
    const r = await request(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: r.statusCode, text: await r.body.text() };
  };
  return { w, app, get, post };
}

t.test('liveness: /healthz, and /health its older name, need no key', async (t) => {
  const { get } = await serve(t);
  for (const path of ['/healthz', '/health']) {
    const r = await get(path);
    t.equal(r.status, 200, path);
    t.same(JSON.parse(r.text), { status: 'ok' }, path);
  }
});

t.test('readiness: ready while the store takes input', async (t) => {
  const { get } = await serve(t);
  const r = await get('/readyz');
  t.equal(r.status, 200);
  t.same(JSON.parse(r.text), { status: 'ready', checks: { store: 'ok', http: 'ok' }, flows: 1, flowFilesRefused: [] });
});

t.test('readiness: a failed store is 503 JCT_NOT_READY with Retry-After, and so is input', async (t) => {
  const w = world({ modules: [carrier] });
  const { get, post } = await serve(t, w);
  w.backend.commit = () => {
    throw new Error('disk full');
  };
  w.engine.save(flow('later', [pauseDays('wait', 1)]));
  await w.engine.journal.flush().catch(() => {});
  const r = await get('/readyz');
  t.equal(r.status, 503);
  t.equal(r.headers['retry-after'], '5');
  t.match(JSON.parse(r.text), { error: { code: 'JCT_NOT_READY', message: 'not ready: store', details: { checks: { store: 'failed', http: 'ok' }, requestId: String } } });
  const input = await post('/flows/welcome/participants', { person: { id: 'ana' } });
  t.equal(input.status, 503);
  t.equal(JSON.parse(input.text).error.code, 'JCT_STORE_UNAVAILABLE');
});

t.test('readiness: a closing app is not ready, and still answers in the one error shape', async (t) => {
  const app = buildApp(world().engine);
  let answer: { status: number; text: string } | undefined;
  app.addHook('preClose', async () => {
    const { port } = app.server.address() as { port: number };
    const r = await request(`http://127.0.0.1:${port}/readyz`);
    answer = { status: r.statusCode, text: await r.body.text() };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  await app.close();
  t.equal(answer?.status, 503);
  t.match(JSON.parse(answer!.text), { error: { code: 'JCT_NOT_READY', details: { checks: { store: 'ok', http: 'stopping' } } } });
});

t.test('GET / says what this is and where to look', async (t) => {
  const { get } = await serve(t);
  const r = await get('/');
  t.equal(r.status, 200);
  t.match(JSON.parse(r.text), {
    name: 'Junction',
    version: '9.9.9',
    description: String,
    links: { docs: '/docs', openapi: '/openapi.json', health: '/healthz', ready: '/readyz', metrics: '/metrics' },
    documentation: { readme: 'README.md', configuration: 'docs/configuration.md', api: 'docs/api.md', operations: 'docs/operations.md' },
  });
});

t.test('metrics: a reports key is needed', async (t) => {
  const { get } = await serve(t);
  const r = await get('/metrics');
  t.equal(r.status, 401);
  t.equal(JSON.parse(r.text).error.code, 'JCT_AUTH_MISSING');
});

t.test('metrics: Prometheus text with requests by route pattern, webhooks, participants, commits and errors', async (t) => {
  const w = world({ modules: [carrier] });
  const { get, post } = await serve(t, w);
  t.equal((await post('/flows/welcome/participants', { person: { id: 'ana' } })).status, 201);
  await get('/flows/welcome', auth);
  await get('/nowhere?secret=1');
  await t.rejects(w.engine.enter('no-such-flow', 'ana'), { code: 'JCT_FLOW_UNKNOWN' });
  t.equal((await post('/webhooks/test-carrier', {}, {})).status, 204);
  const r = await get('/metrics', auth);
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const m = samples(r.text);
  t.equal(m.get('junction_http_requests_total{method="GET",route="/flows/:id",status="200"}'), 1, 'the route pattern, not the URL');
  t.equal(m.get('junction_http_requests_total{method="POST",route="/flows/:id/participants",status="201"}'), 1);
  t.equal(m.get('junction_http_requests_total{method="GET",route="unmatched",status="404"}'), 1, 'an unknown URL is not a label');
  t.equal(m.get('junction_http_request_duration_seconds_count{method="GET",route="/flows/:id"}'), 1);
  t.equal(m.get('junction_webhooks_total{provider="test-carrier",status="204"}'), 1);
  t.equal(m.get('junction_participants{flow="welcome",version="1",element="wait"}'), 1);
  t.equal(m.get('junction_outbox_pending'), 0);
  t.equal(m.get('junction_inputs_refused_total{input="flow.enter",code="JCT_FLOW_UNKNOWN"}'), 1, 'inputs refused, by kind and code');
  t.equal(m.get('junction_effect_failures_total{kind="http.request"}'), undefined, 'no effect failed');
  t.ok(m.get('junction_journal_commit_duration_seconds_count')! > 0, 'commits observed');
  t.ok(m.get('junction_journal_batch_rows_sum')! > 0);
  t.equal(m.get('junction_http_errors_total{status="404",code="JCT_NOT_FOUND"}'), 1);
  t.equal(m.get('junction_http_errors_total{status="401",code="JCT_AUTH_MISSING"}'), undefined, 'no refusal yet');
});

t.test('metrics: two apps in one process keep their own series', async (t) => {
  const a = await serve(t);
  const b = await serve(t);
  await a.get('/healthz');
  const fromB = samples((await b.get('/metrics', auth)).text);
  t.equal(fromB.get('junction_http_requests_total{method="GET",route="/healthz",status="200"}'), undefined);
});
