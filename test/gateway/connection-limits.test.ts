// The app's connection limits over real sockets on loopback, with short settings: a client that
// stops reading a large streamed answer (the engaged persons CSV) is cut off after the idle
// time; a request body that stops, or trickles past the request time, is cut (the latter with
// 408); headers that trickle are cut after the idle time. What must not be cut is not: a handler
// slower than the idle time (a long webhook wait), a connection kept alive between requests, the
// live feed and a module's WebSocket left silent longer than the idle time.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../gateway/app.js';
import { connectionLimits, type ConnectionLimits } from '../../gateway/connection-limits.js';
import type { Module } from '../../engine/module.js';
import { flow, pauseDays, world, type World } from '../engine/helpers.js';

const LIMITS: ConnectionLimits = { idleMs: 300, requestMs: 1200, keepAliveMs: 900 };
/** Room for a loaded machine: a limit is met within this much past it. */
const SLACK_MS = 1500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A module with a webhook that answers after `ms` (a long wait for something) and a socket that echoes. */
function slowModule(ms: number): Module {
  return {
    name: 'slow',
    routes: [{ method: 'POST', url: '/slow/hook', access: 'signature', handle: async () => (await sleep(ms), { status: 200, body: { waited: ms } }) }],
    sockets: [{ url: '/slow/socket', access: 'signature', open: (socket) => socket.onMessage((text) => socket.send(text)) }],
  };
}

async function serve(t: Test, w: World = world({ modules: [slowModule(3 * LIMITS.idleMs)] })): Promise<{ app: FastifyInstance; port: number; authorization: string }> {
  const app = buildApp(w.engine, { connections: LIMITS });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => (app.server.closeAllConnections(), app.close())); // without the limits, a request never whole would hold the close
  return { app, port: (app.server.address() as AddressInfo).port, authorization: `Bearer ${app.keys.create('test', ['admin']).key}` };
}

/** A raw connection: what it was sent so far, and when the server closed it (ms after it opened; reading stops when `reading` is false). */
async function raw(port: number, reading = true): Promise<{ socket: Socket; received: () => string; closedAfter: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const opened = performance.now();
  let received = '';
  if (reading) socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => {});
  const closedAfter = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened))); // a reset closes it too
  return { socket, received: () => received, closedAfter };
}

/** Which comes first: `p`, or `ms` passing ('not yet'). */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'not yet'> {
  return Promise.race([p, sleep(ms).then(() => 'not yet' as const)]);
}

t.test('a client that stops reading the engaged persons CSV is cut off after the idle time', async (t) => {
  const w = world();
  w.engine.save({ ...flow('promo', [pauseDays('p', 1)]), name: 'n'.repeat(200) });
  w.engine.launch('promo');
  const people = 25_000; // about 10 MB of CSV: more than the sockets' buffers hold
  for (let i = 0; i < people; i++) {
    const id = `${'x'.repeat(180)}${i}`;
    w.people.upsert({ id });
    await w.engine.enter('promo', id);
  }
  const { app, port, authorization } = await serve(t, w);
  const closedOnServer = once(app.server, 'connection').then(([socket]) => once(socket as Socket, 'close'));
  const client = await raw(port, false);
  client.socket.pause(); // reads nothing
  client.socket.write(`GET /api/v1/reports/engaged?month=2026-01&format=csv HTTP/1.1\r\nhost: x\r\nauthorization: ${authorization}\r\n\r\n`);
  const closed = await within(closedOnServer, LIMITS.idleMs * 3 + SLACK_MS);
  t.not(closed, 'not yet', 'the server let the connection go');
  if (closed === 'not yet') return void client.socket.destroy();
  let length = 0;
  client.socket.on('data', (chunk: Buffer) => (length += chunk.length));
  client.socket.resume();
  await client.closedAfter;
  t.ok(length < people * 400, `the answer was cut short (${length} bytes)`);
});

t.test('a request body that stops is cut after the idle time', async (t) => {
  const { port, authorization } = await serve(t);
  const client = await raw(port);
  client.socket.write(`POST /api/v1/flows HTTP/1.1\r\nhost: x\r\nauthorization: ${authorization}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":`);
  const after = await within(client.closedAfter, LIMITS.idleMs + SLACK_MS);
  t.not(after, 'not yet', 'closed');
  t.ok((after as number) >= LIMITS.idleMs, `not before the idle time (${Math.round(after as number)} ms)`);
  t.equal(client.received(), '', 'nothing answered: the client went silent');
});

t.test('a request body trickled past the request time is answered 408 JCT_REQUEST_TIMEOUT', async (t) => {
  const { port, authorization } = await serve(t);
  const client = await raw(port);
  client.socket.write(`POST /api/v1/flows HTTP/1.1\r\nhost: x\r\nauthorization: ${authorization}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n`);
  const trickle = setInterval(() => client.socket.writable && client.socket.write(' '), LIMITS.idleMs / 3); // never silent for the idle time
  t.teardown(() => clearInterval(trickle));
  const after = await within(client.closedAfter, LIMITS.requestMs + SLACK_MS);
  t.not(after, 'not yet', 'closed');
  t.ok((after as number) >= LIMITS.requestMs, `not before the request time (${Math.round(after as number)} ms)`);
  t.match(client.received(), /^HTTP\/1\.1 408 [^]*"code":"JCT_REQUEST_TIMEOUT"/);
});

t.test('headers trickled past the idle time are answered 408', async (t) => {
  const { port } = await serve(t);
  const client = await raw(port);
  client.socket.write('GET /healthz HTTP/1.1\r\n');
  const trickle = setInterval(() => client.socket.writable && client.socket.write('x-a: b\r\n'), LIMITS.idleMs / 3);
  t.teardown(() => clearInterval(trickle));
  const after = await within(client.closedAfter, LIMITS.idleMs + SLACK_MS);
  t.not(after, 'not yet', 'closed');
  t.ok((after as number) < LIMITS.requestMs, 'well before the request time');
  t.match(client.received(), /^HTTP\/1\.1 408 /);
});

t.test('a webhook whose handling takes longer than the idle time is answered, not cut', async (t) => {
  const { port } = await serve(t);
  const r = await fetch(`http://127.0.0.1:${port}/slow/hook`, { method: 'POST' });
  t.equal(r.status, 200);
  t.same(await r.json(), { waited: 3 * LIMITS.idleMs });
});

t.test('a connection kept alive waits the keep-alive time for a next request, then is closed', async (t) => {
  const { port } = await serve(t);
  const client = await raw(port);
  const ask = () => client.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
  ask();
  await sleep(2 * LIMITS.idleMs); // longer than the idle time, shorter than the keep-alive time
  ask();
  const after = await within(client.closedAfter, LIMITS.keepAliveMs + 1000 + SLACK_MS); // Node adds a second to what it says
  t.equal(client.received().match(/HTTP\/1\.1 200/g)?.length, 2, 'both answered on one connection');
  t.not(after, 'not yet', 'closed once idle for the keep-alive time');
  t.ok((after as number) >= 2 * LIMITS.idleMs + LIMITS.keepAliveMs, `not before (${Math.round(after as number)} ms)`);
});

t.test('WebSockets stay open when silent longer than the idle time: the live feed and a module socket', async (t) => {
  const w = world({ modules: [slowModule(0)] });
  w.engine.save(flow('a', [pauseDays('p', 1)]));
  w.engine.launch('a');
  w.people.upsert({ id: 'ana' });
  const { port, authorization } = await serve(t, w);
  const feed = new WebSocket(`ws://127.0.0.1:${port}/api/v1/feed`, { headers: { authorization } });
  const echo = new WebSocket(`ws://127.0.0.1:${port}/slow/socket`);
  t.teardown(() => (feed.terminate(), echo.terminate()));
  await Promise.all([once(feed, 'open'), once(echo, 'open')]);
  await sleep(4 * LIMITS.idleMs);
  const step = once(feed, 'message');
  await w.engine.enter('a', 'ana');
  t.match(JSON.parse(String((await step)[0])), { flowId: 'a', personId: 'ana' }, 'the feed still delivers');
  const echoed = once(echo, 'message');
  echo.send('still there');
  t.equal(String((await echoed)[0]), 'still there', "the module's socket still answers");
});

t.test('the limits default to the configuration defaults, which a load balancer in front expects', async (t) => {
  t.same(connectionLimits(), { idleMs: 30_000, requestMs: 120_000, keepAliveMs: 72_000 });
  t.ok(connectionLimits().keepAliveMs > 60_000, "longer than the 60 s most load balancers keep an idle connection: they close it first");
  t.same(connectionLimits({ httpIdleTimeoutMs: 1000 }), { idleMs: 1000, requestMs: 120_000, keepAliveMs: 72_000 });
});
