import t from 'tap';
import { connect, type AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { buildApp } from '../../gateway/app.js';
import { JunctionError } from '../../engine/errors.js';
import { VirtualClock } from '../../engine/clock.js';
import { errorReplier } from '../../gateway/errors.js';
import { world } from '../engine/helpers.js';

const SECRET = 'db password is hunter2';
const ADMIN_KEY = 'errors-test-admin-key-0123456789';
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/** An app whose failures are logged into `logs`, with test routes that throw a plain Error. */
function setup() {
  const logs: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
  const app = buildApp(world().engine, { adminKey: ADMIN_KEY, logger: { error: (obj, msg) => logs.push({ obj: obj as Record<string, unknown>, msg }) } });
  app.get('/boom', async () => {
    throw new Error(SECRET);
  });
  app.post('/boom', async () => {
    throw new Error(SECRET);
  });
  app.get<{ Params: { code: string } }>('/fail/:code', async (req) => {
    throw new JunctionError(req.params.code, `${req.params.code}: ${SECRET}`);
  });
  return { app, logs };
}

const participants = '/flows/welcome/participants';
const json = { 'content-type': 'application/json', ...auth };

t.test('unknown route: 404 JCT_NOT_FOUND', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'GET', url: '/nope?token=x' });
  t.equal(r.statusCode, 404);
  t.same(r.json(), { error: { code: 'JCT_NOT_FOUND', message: 'no route GET /nope', details: {} } });
  t.equal((await app.inject({ method: 'DELETE', url: '/flows' })).json().error.code, 'JCT_NOT_FOUND', 'a known path with another method too');
});

t.test('body too large: 413 JCT_BODY_TOO_LARGE', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'POST', url: participants, headers: auth, payload: { person: { id: 'x'.repeat(2 * 1024 * 1024) } } });
  t.equal(r.statusCode, 413);
  t.same(r.json(), { error: { code: 'JCT_BODY_TOO_LARGE', message: 'the request body is too large', details: {} } });
});

t.test('unsupported content type: 415 JCT_UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const { app } = setup();
  for (const type of ['application/xml', 'text/plain']) {
    const r = await app.inject({ method: 'POST', url: participants, headers: { 'content-type': type, ...auth }, payload: '<person/>' });
    t.equal(r.statusCode, 415, type);
    t.equal(r.json().error.code, 'JCT_UNSUPPORTED_MEDIA_TYPE', type);
  }
});

t.test('malformed JSON: 400 JCT_JSON_INVALID; a forbidden key: 400 JCT_JSON_FORBIDDEN_KEY; an empty body is no body, which a route that needs one refuses', async (t) => {
  const { app } = setup();
  for (const [payload, code] of <Array<[string, string]>>[
    ['{"person":', 'JCT_JSON_INVALID'],
    ['{"__proto__":{"x":1}}', 'JCT_JSON_FORBIDDEN_KEY'],
    ['{"person":{"id":"p","constructor":{"prototype":{"x":1}}}}', 'JCT_JSON_FORBIDDEN_KEY'],
  ]) {
    const r = await app.inject({ method: 'POST', url: participants, headers: json, payload });
    t.equal(r.statusCode, 400, payload);
    t.equal(r.json().error.code, code, payload);
  }
  const empty = await app.inject({ method: 'POST', url: participants, headers: json, payload: '' });
  t.same([empty.statusCode, empty.json().error.code], [400, 'JCT_REQUEST_INVALID']);
});

t.test('JSON nested deeper than 64 levels: 400 JCT_JSON_TOO_DEEP before it is parsed, on API and module routes', async (t) => {
  const { app } = setup();
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  for (const url of [participants, '/events']) {
    const r = await app.inject({ method: 'POST', url, headers: json, payload: `{"person":{"id":"deep"},"variables":{"l":${nested(5000)}}}` });
    t.equal(r.statusCode, 400, url);
    t.match(r.json().error, { code: 'JCT_JSON_TOO_DEEP', details: { maxDepth: 64 } }, url);
  }
  const shallower = await app.inject({ method: 'POST', url: '/events', headers: json, payload: `{"person":{"id":"deep"},"name":"x","properties":{"l":${nested(60)}}}` });
  t.not(shallower.json().error?.code, 'JCT_JSON_TOO_DEEP', '60 levels get past the parser');
});

t.test('a JSON body that is not valid UTF-8: 400 JCT_BODY_ENCODING whatever charset it claims, nothing stored', async (t) => {
  const { app } = setup();
  const latin1 = Buffer.concat([Buffer.from('{"id":"latin","standard":{"firstName":"Caf'), Buffer.from([0xe9]), Buffer.from('"}}')]);
  for (const type of ['application/json', 'application/json; charset=iso-8859-1']) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/people', headers: { ...auth, 'content-type': type }, payload: latin1 });
    t.equal(r.statusCode, 400, type);
    t.same(r.json(), { error: { code: 'JCT_BODY_ENCODING', message: 'the request body is not valid UTF-8', details: {} } }, type);
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/people/latin', headers: auth })).statusCode, 404, 'nobody was stored');
  const utf8 = await app.inject({ method: 'POST', url: '/api/v1/people', headers: { ...auth, 'content-type': 'application/json' }, payload: Buffer.from('{"id":"utf8","standard":{"firstName":"Café"}}') });
  t.equal(utf8.json().standard.firstName, 'Café', 'UTF-8 is read as it is');
});

t.test('a request too malformed to read: 400 in the one error shape, counted, connection closed', async (t) => {
  const { app } = setup();
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  const answer = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
  t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.same(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { error: { code: 'JCT_BAD_REQUEST', message: 'the request is not valid HTTP', details: {} } });
  t.same(app.errorCounts[400], { JCT_BAD_REQUEST: 1 });
});

t.test('a WebSocket address asked without an upgrade: 426 JCT_UPGRADE_REQUIRED', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'GET', url: '/api/v1/feed', headers: auth });
  t.equal(r.statusCode, 426);
  t.same(r.json(), { error: { code: 'JCT_UPGRADE_REQUIRED', message: 'this address is a WebSocket: connect with Upgrade: websocket', details: {} } });
});

t.test('a WebSocket upgrade with a broken handshake: 400 JCT_WEBSOCKET_HANDSHAKE in the one error shape, counted, closed', async (t) => {
  const { app } = setup();
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  const upgrade = 'GET /api/v1/feed HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n';
  for (const [headers, what] of [['', 'Sec-WebSocket-Key'], ['Sec-WebSocket-Key: short\r\n', 'Sec-WebSocket-Key']] as const) {
    const answer = await rawRequest(port, `${upgrade}${headers}Authorization: Bearer ${ADMIN_KEY}\r\n\r\n`);
    t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\ncontent-type: application\/json/);
    t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { error: { code: 'JCT_WEBSOCKET_HANDSHAKE', message: new RegExp(what), details: {} } });
  }
  t.same(app.errorCounts[400], { JCT_WEBSOCKET_HANDSHAKE: 2 });
});

/** Sends `text` on a new connection to `port` and gives everything answered until it closes. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => (answer += String(chunk)));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

t.test('malformed URL: 400 JCT_URL_INVALID', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'GET', url: '/flows/%E0%A4%A' });
  t.equal(r.statusCode, 400);
  t.equal(r.json().error.code, 'JCT_URL_INVALID');
});

t.test('schema validation: 400 JCT_REQUEST_INVALID listing every problem with its path', async (t) => {
  const { app } = setup();
  const r = await app.inject({ method: 'POST', url: participants, headers: auth, payload: { person: { phones: [12345], nickname: 'x' }, extra: true } });
  t.equal(r.statusCode, 400);
  const { error } = r.json();
  t.equal(error.code, 'JCT_REQUEST_INVALID');
  t.match(error.message, /^invalid body: \$\.extra: unknown field "extra"; the fields here are .* \(and 2 more\)$/);
  t.same(
    error.details.problems.map((p: { path: string }) => p.path),
    ['$.extra', '$.person.nickname', '$.person.phones[0]'],
  );
  t.ok(error.details.problems.every((p: { message: unknown }) => typeof p.message === 'string' && p.message !== ''));
});

t.test('a plain Error: 500 JCT_INTERNAL, logged with its stack, never shown', async (t) => {
  const { app, logs } = setup();
  const r = await app.inject({ method: 'POST', url: '/boom', headers: auth, payload: { password: 's3cret' } });
  t.equal(r.statusCode, 500);
  const { error } = r.json();
  t.same(error, { code: 'JCT_INTERNAL', message: 'internal error', details: { requestId: String(error.details.requestId) } });
  t.notMatch(r.body, /hunter2|at /, 'neither the message nor the stack leaks');
  t.equal(logs.length, 1);
  const { obj, msg } = logs[0]!;
  t.equal(msg, 'request failed');
  t.same(Object.keys(obj).sort(), ['err', 'method', 'requestId', 'route'], 'the body is not logged');
  t.match(obj, { method: 'POST', route: '/boom', requestId: error.details.requestId });
  t.equal((obj.err as Error).message, SECRET);
  t.match((obj.err as Error).stack, /errors\.test\.ts/);
});

t.test('JunctionErrors: status by code, message kept, except JCT_INTERNAL', async (t) => {
  const { app, logs } = setup();
  const cases: Array<[string, number]> = [
    ['JCT_FLOW_UNKNOWN', 404],
    ['JCT_FLOW_STATUS', 409],
    ['JCT_VARIABLE_TYPE', 400],
    ['JCT_STORE_UNAVAILABLE', 503],
  ];
  for (const [code, status] of cases) {
    const r = await app.inject({ method: 'GET', url: `/fail/${code}`, headers: auth });
    t.equal(r.statusCode, status, code);
    t.match(r.json().error, { code, message: `${code}: ${SECRET}` }, code);
  }
  const wrapped = await app.inject({ method: 'GET', url: '/fail/JCT_INTERNAL', headers: auth });
  t.equal(wrapped.statusCode, 500);
  t.match(wrapped.json().error, { code: 'JCT_INTERNAL', message: 'internal error' });
  t.equal(logs.length, 2, 'both 5xx are logged');
});

t.test('4xx are not logged; every error answer is counted by status and code', async (t) => {
  const { app, logs } = setup();
  await app.inject({ method: 'GET', url: '/nope' });
  await app.inject({ method: 'GET', url: '/nope' });
  await app.inject({ method: 'GET', url: '/flows/nope', headers: auth });
  await app.inject({ method: 'POST', url: participants, headers: json, payload: '{' });
  await app.inject({ method: 'POST', url: participants, headers: auth, payload: { person: { phones: {} } } });
  await app.inject({ method: 'GET', url: '/boom', headers: auth });
  await app.inject({ method: 'GET', url: '/health' });
  t.same(app.errorCounts, {
    400: { JCT_JSON_INVALID: 1, JCT_REQUEST_INVALID: 1 },
    404: { JCT_NOT_FOUND: 2, JCT_FLOW_UNKNOWN: 1 },
    500: { JCT_INTERNAL: 1 },
  });
  t.equal(logs.length, 1, 'only the 5xx is logged');
});

/** A bare Fastify app answering through errorReplier, whose log lines land in `logs`, timed by `clock`. */
function outageApp(clock: VirtualClock) {
  const logs: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = [];
  const logger = {
    error: (obj: object, msg?: string) => logs.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg?: string) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
  const app = Fastify();
  app.setErrorHandler(errorReplier({}, logger, () => clock.now()));
  app.get<{ Params: { code: string } }>('/fail/:code', async (req) => {
    throw new JunctionError(req.params.code, `${req.params.code} now`);
  });
  app.get('/other', async () => {
    throw new JunctionError('JCT_STORE_UNAVAILABLE', 'the store is out of reach');
  });
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  return { app, logs };
}

t.test('routine 503s are warnings without a stack, once per code and route every 10 s, counting those left out', async (t) => {
  const clock = new VirtualClock(0);
  const { app, logs } = outageApp(clock);
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ method: 'GET', url: '/fail/JCT_NOT_READY' })).statusCode, 503);
  await app.inject({ method: 'GET', url: '/fail/JCT_STORE_UNAVAILABLE' });
  await app.inject({ method: 'GET', url: '/other' });
  t.same(
    logs.map((l) => [l.level, l.obj['code'], l.obj['route'], l.obj['suppressed']]),
    [
      ['warn', 'JCT_NOT_READY', '/fail/:code', 0],
      ['warn', 'JCT_STORE_UNAVAILABLE', '/fail/:code', 0],
      ['warn', 'JCT_STORE_UNAVAILABLE', '/other', 0],
    ],
    'one line per code and route',
  );
  t.notOk(logs.some((l) => 'err' in l.obj), 'no error object, hence no stack');
  t.equal(logs[0]!.msg, 'request refused (503): JCT_NOT_READY now');
  clock.advance(9_999);
  await app.inject({ method: 'GET', url: '/fail/JCT_NOT_READY' });
  t.equal(logs.length, 3, 'still within 10 s: left out');
  clock.advance(1);
  await app.inject({ method: 'GET', url: '/fail/JCT_NOT_READY' });
  t.match(logs[3], { level: 'warn', obj: { code: 'JCT_NOT_READY', suppressed: 5 } }, 'after 10 s: logged, with the count of those left out');
});

t.test('provider webhooks refused for their signature are warnings too, with what was checked', async (t) => {
  const clock = new VirtualClock(0);
  const { app, logs } = outageApp(clock);
  app.post('/voice/twilio', async () => {
    throw new JunctionError('JCT_SIGNATURE_INVALID', 'the X-Twilio-Signature header does not match the request', { url: 'http://10.0.0.7/voice/twilio' });
  });
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'POST', url: '/voice/twilio' })).statusCode, 403);
  t.same(
    logs.map((l) => [l.level, l.msg, l.obj['details']]),
    [['warn', 'request refused (403): the X-Twilio-Signature header does not match the request', { url: 'http://10.0.0.7/voice/twilio' }]],
    'once per code and route: a provider retrying every webhook does not flood the log',
  );
});

t.test('other 5xx stay errors with their stack and request id, every one', async (t) => {
  const { app, logs } = outageApp(new VirtualClock(0));
  const ids = [];
  for (let i = 0; i < 2; i++) ids.push((await app.inject({ method: 'GET', url: '/boom' })).json().error.details.requestId);
  await app.inject({ method: 'GET', url: '/fail/JCT_STORE_FENCED' });
  t.same(logs.map((l) => l.level), ['error', 'error', 'error']);
  t.same(logs.slice(0, 2).map((l) => l.obj['requestId']), ids);
  t.ok(logs.every((l) => l.obj['err'] instanceof Error));
});

t.test('every error body has details, {} when there are none', async (t) => {
  const { app } = outageApp(new VirtualClock(0));
  t.same((await app.inject({ method: 'GET', url: '/fail/JCT_FLOW_UNKNOWN' })).json(), { error: { code: 'JCT_FLOW_UNKNOWN', message: 'JCT_FLOW_UNKNOWN now', details: {} } });
  t.match((await app.inject({ method: 'GET', url: '/fail/JCT_NOT_READY' })).json(), { error: { details: { requestId: String } } }, 'a 5xx: its request id');
});
