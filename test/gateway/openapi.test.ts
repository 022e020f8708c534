// The API document: GET /openapi.json (open, over real HTTP) validates as OpenAPI 3.1 with
// @apidevtools/swagger-parser and holds exactly the routes the app serves (every module of this
// build mounted), each with the schemas it validates with; /docs is the browsable page.
import t, { type Test } from 'tap';
import { request } from 'undici';
import SwaggerParser from '@apidevtools/swagger-parser';
import { buildApp } from '../../gateway/app.js';
import { MODULES } from '../../bin/modules.js';
import { coreModule } from '../../engine/elements/index.js';
import { world } from '../engine/helpers.js';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: Array<{ name: string }>; responses?: Record<string, Response>; security?: unknown }>>;
}

interface Response {
  content?: Record<string, { schema: { properties: Record<string, unknown> } }>;
}

async function serve(t: Test) {
  const app = buildApp(world({ modules: MODULES.filter((m) => m !== coreModule) }).engine, { version: '1.0.0' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}` };
}

/** WebSocket routes (the live feed and every module's sockets): OpenAPI cannot describe them, and @fastify/websocket hides them from the document. */
const WEBSOCKETS = ['GET /api/v1/feed', ...MODULES.flatMap((m) => (m.sockets ?? []).map((s) => `GET ${s.url}`))];

/** "METHOD /path/{param}" of every route in Fastify's route tree (printRoutes), HEAD and the /docs page's own left out. */
function servedRoutes(tree: string): string[] {
  const paths: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (paths[depth - 1] ?? '') + m[2]!;
    paths[depth] = path;
    for (const method of m[3]?.split(', ') ?? []) out.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return out.filter((r) => !r.startsWith('HEAD ') && !/ \/docs(\/|\*|$)/.test(r) && !WEBSOCKETS.includes(r)).sort();
}

function documentedRoutes(doc: Document): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

t.test('GET /openapi.json: a valid OpenAPI 3.1 document of every route served', async (t) => {
  const { app, base } = await serve(t);
  const r = await request(`${base}/openapi.json`);
  t.equal(r.statusCode, 200);
  const doc = (await r.body.json()) as Document;
  t.equal(doc.openapi, '3.1.0');
  await t.resolves(SwaggerParser.validate(structuredClone(doc) as never), 'swagger-parser validates it');
  const served = servedRoutes(app.printRoutes({ commonPrefix: false }));
  t.ok(served.length > 20, `${served.length} routes served`);
  t.same(documentedRoutes(doc), served, 'the document has every route served, and no other');
  for (const route of ['GET /healthz', 'GET /readyz', 'GET /', 'GET /metrics', 'GET /openapi.json', 'POST /webhooks/twilio', 'POST /events', 'POST /flows/{id}/participants']) {
    t.ok(served.includes(route), `${route} is served and documented`);
  }
  t.ok(doc.paths['/flows/{id}/participants']!['post']!.requestBody, 'a route body schema is in the document');
  t.same(doc.paths['/flows/{id}']!['get']!.parameters!.map((p) => p.name).sort(), ['id', 'versions'], 'path and query parameters');
  const created = doc.paths['/api/v1/flows']!['post']!.responses!;
  t.same(Object.keys(created).sort(), ['201', '4XX', '5XX'], 'a create documents its 201 and the errors');
  t.same(Object.keys(created['4XX']!.content!['application/json']!.schema.properties), ['error'], 'errors in the one error shape');
  t.ok(doc.paths['/api/v1/flows/{id}']!['delete']!.responses!['204'], 'a delete its 204');
  const statuses = (path: string, method: string) => Object.keys(doc.paths[path]![method]!.responses!).sort();
  t.same(statuses('/api/v1/people', 'post'), ['200', '201', '4XX', '5XX'], 'a create that may merge: 201 and 200');
  t.same(statuses('/events', 'post'), ['200', '202', '4XX', '5XX'], 'a module route: its declared statuses (one event 202, a batch 200)');
});

t.test('each operation says what it needs: the API key with its scope, or nothing', async (t) => {
  const { base } = await serve(t);
  const doc = (await (await request(`${base}/openapi.json`)).body.json()) as Document;
  const security = (path: string, method: string) => doc.paths[path]![method]!.security;
  t.same(security('/api/v1/people', 'post'), [{ apiKey: ['people'] }], 'a management route: a key with its scope');
  t.same(security('/api/v1/flows/{id}/participants', 'post'), [{ apiKey: ['flow-api'] }]);
  t.same(security('/events', 'post'), [{ apiKey: ['events'] }], 'a module route');
  t.same(security('/metrics', 'get'), [{ apiKey: ['reports'] }]);
  t.same(security('/healthz', 'get'), [], 'open');
  t.same(security('/webhooks/twilio', 'post'), [], 'a webhook checks its provider signature instead');
  const missing = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).filter(([, op]) => op.security === undefined).map(([m]) => `${m} ${path}`));
  t.same(missing, [], 'no operation leaves it unsaid');
});

t.test('/docs: the browsable page, open', async (t) => {
  const { base } = await serve(t);
  const r = await request(`${base}/docs`);
  t.equal(r.statusCode, 200);
  t.match(r.headers['content-type'], /^text\/html/);
  t.match(await r.body.text(), /Swagger UI/);
});
