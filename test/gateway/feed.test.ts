// The live feed over a real WebSocket on loopback: a key is needed (401 without, 403 without
// the flows scope); each step arrives as one message (entered, the path, where it waits or why
// it left, the effects it asked for); ?flow= keeps only some flows.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket from 'ws';
import { buildApp } from '../../gateway/app.js';
import { MAX_SOCKET_MESSAGE_BYTES } from '../../gateway/websockets.js';
import { flow, pauseDays, world } from '../engine/helpers.js';

async function feed(t: Test) {
  const w = world();
  for (const id of ['a', 'b']) {
    w.engine.save(flow(id, [pauseDays('p', 1)]));
    w.engine.launch(id);
  }
  w.people.upsert({ id: 'ana' });
  const app = buildApp(w.engine);
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/feed`;
  const open = async (query = '', scopes = ['flows']) => {
    const socket = new WebSocket(url + query, { headers: { authorization: `Bearer ${app.keys.create('feed', scopes).key}` } });
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await once(socket, 'open');
    t.teardown(() => socket.close());
    return messages;
  };
  return { w, url, open, keys: app.keys, app };
}

/** The status code a refused upgrade answered with. */
async function refused(url: string, headers: Record<string, string>): Promise<number> {
  const socket = new WebSocket(url, { headers });
  socket.on('error', () => {}); // the refusal: not an error of the test
  const [, res] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
  socket.terminate();
  return res.statusCode;
}

t.test('each step as a message; filtered by flow', async (t) => {
  const { w, open } = await feed(t);
  const all = await open();
  const onlyB = await open('?flow=b');
  await w.engine.enter('a', 'ana');
  w.clock.advance(86_400_000);
  await w.engine.idle();
  await w.engine.enter('b', 'ana');
  await new Promise((r) => setTimeout(r, 50));
  t.match(all[0], { flowId: 'a', version: 1, personId: 'ana', entered: true, path: ['start', 'p'], waiting: { element: 'p', until: '2026-01-06T09:00:00.000Z' } });
  t.match(all[1], { flowId: 'a', path: ['p.next.exit'], exited: { reason: 'p.next.exit' } });
  t.notOk('entered' in all[1]);
  t.equal(all.length, 3);
  t.same(onlyB.map((m) => m.flowId), ['b']);
});

t.test('a filter naming a flow that does not exist is refused (404 JCT_FLOW_UNKNOWN), not followed in silence', async (t) => {
  const { url, keys, open } = await feed(t);
  const authorization = `Bearer ${keys.create('feed', ['flows']).key}`;
  const answerTo = async (query: string) => {
    const socket = new WebSocket(url + query, { headers: { authorization } });
    socket.on('error', () => {});
    const opened = once(socket, 'open').then(() => undefined);
    const refusal = once(socket, 'unexpected-response').then(async ([, res]) => {
      let body = '';
      for await (const chunk of res as NodeJS.ReadableStream) body += String(chunk);
      return { status: (res as { statusCode: number }).statusCode, json: JSON.parse(body) };
    });
    const answer = await Promise.race([opened, refusal]);
    socket.terminate();
    return answer;
  };
  t.match(await answerTo('?flow=a&flow=nope'), { status: 404, json: { error: { code: 'JCT_FLOW_UNKNOWN', details: { flows: ['nope'] } } } });
  t.ok(await open('?flow=a&flow=b'), 'known flows are followed');
});

t.test('the feed speaks no subprotocol: one a client offers is not agreed to', async (t) => {
  const { url, keys } = await feed(t);
  const socket = new WebSocket(url, ['chat', 'ws.jambonz.org'], { headers: { authorization: `Bearer ${keys.create('feed', ['flows']).key}` } });
  const failed = once(socket, 'error');
  const [err] = (await failed) as [Error];
  t.match(err.message, /Server sent no subprotocol/, 'the handshake answers none, so the client knows');
  socket.terminate();
});

t.test('frames the server refuses close the socket and are counted: too large (1009), not WebSocket (1002)', async (t) => {
  const { url, keys, app } = await feed(t);
  const connect = async () => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${keys.create('feed', ['flows']).key}` } });
    socket.on('error', () => {}); // the server's close: not an error of the test
    await once(socket, 'open');
    return socket;
  };
  const large = await connect();
  const closedLarge = once(large, 'close');
  large.send('x'.repeat(MAX_SOCKET_MESSAGE_BYTES + 1));
  t.equal(((await closedLarge) as [number])[0], 1009);
  const reserved = await connect();
  const closedReserved = once(reserved, 'close');
  (reserved as unknown as { _socket: Socket })._socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0])); // a frame with a reserved opcode
  t.equal(((await closedReserved) as [number])[0], 1002);
  t.same(app.socketErrors['/api/v1/feed'], { JCT_SOCKET_MESSAGE_TOO_LARGE: 1, JCT_SOCKET_FRAME_INVALID: 1 });
});

t.test('a feed lasts no longer than its key: revoked, it is closed (1008) and sends nothing more', async (t) => {
  const { w, url, keys } = await feed(t);
  const connect = async () => {
    const { key, info } = keys.create('feed', ['flows']);
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await once(socket, 'open');
    t.teardown(() => socket.close());
    return { socket, messages, id: info.id };
  };
  const stepping = await connect();
  const closed = once(stepping.socket, 'close');
  keys.revoke(stepping.id);
  await w.engine.enter('a', 'ana');
  const [code, reason] = (await closed) as [number, Buffer];
  t.same([code, String(reason)], [1008, 'the API key was revoked'], 'closed at the next step');
  t.same(stepping.messages, [], 'the step was not sent');
  const idle = await connect();
  const closedIdle = once(idle.socket, 'close');
  keys.revoke(idle.id);
  t.equal(((await closedIdle) as [number])[0], 1008, 'an idle feed is closed too');
});

t.test('a key with the flows scope is needed', async (t) => {
  const { url, keys } = await feed(t);
  t.equal(await refused(url, {}), 401);
  t.equal(await refused(url, { authorization: 'Bearer jk_0000000000000000_nope' }), 401);
  t.equal(await refused(url, { authorization: `Bearer ${keys.create('crm', ['people']).key}` }), 403);
});

t.test('when the app closes (Junction stops), a feed client is told: 1001 going away, with a reason', async (t) => {
  const { url, keys, app } = await feed(t);
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${keys.create('feed', ['flows']).key}` } });
  await once(socket, 'open');
  const closed = once(socket, 'close') as Promise<[number, Buffer]>;
  await app.close();
  const [code, reason] = await closed;
  t.equal(code, 1001);
  t.equal(String(reason), 'Junction is stopping');
});

t.test('a key revoked while its feed is open gets no further step: the socket is closed (1008)', async (t) => {
  const { w, url, keys } = await feed(t);
  const { key, info } = keys.create('feed', ['flows']);
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await once(socket, 'open');
  await w.engine.enter('a', 'ana');
  const closed = once(socket, 'close') as Promise<[number, Buffer]>;
  keys.revoke(info.id);
  w.clock.advance(86_400_000);
  await w.engine.idle();
  const [code, reason] = await closed;
  t.same([code, String(reason)], [1008, 'the API key was revoked']);
  t.equal(messages.length, 1, 'only the step before the revocation');
});

t.test('participants taken out because their version ended (canceled) are told as exited, with the reason', async (t) => {
  const { w, open } = await feed(t);
  const messages = await open('?flow=a');
  await w.engine.enter('a', 'ana');
  w.engine.cancel('a');
  await w.engine.idle();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(messages.length, 2);
  t.match(messages[1], { flowId: 'a', version: 1, personId: 'ana', path: [], exited: { reason: 'canceled' } });
  t.notOk('waiting' in messages[1]);
});

t.test('the configured admin key (not a stored one) follows the feed like any key', async (t) => {
  const w = world();
  w.engine.save(flow('a', [pauseDays('p', 1)]));
  w.engine.launch('a');
  w.people.upsert({ id: 'ana' });
  const adminKey = 'configured-admin-key-0123456789';
  const app = buildApp(w.engine, { adminKey });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const socket = new WebSocket(`ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/feed`, { headers: { authorization: `Bearer ${adminKey}` } });
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await once(socket, 'open');
  t.teardown(() => socket.close());
  await w.engine.enter('a', 'ana');
  w.clock.advance(86_400_000);
  await w.engine.idle();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(messages.length, 2);
});
