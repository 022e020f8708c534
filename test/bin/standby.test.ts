// The standby's answers on their own (no lease, no store): its health, 503 JCT_STANDBY with no
// owner to forward to, and a request forwarded to the owner as it came (method, path, body,
// headers) with the forwarding mark and the caller's address appended to X-Forwarded-For; a
// WebSocket upgrade is refused, not forwarded. Once it holds the lease, until its state is
// recovered: its health, and 503 JCT_STANDBY naming itself. Either way GET /metrics is its own: it stands by. Listening on every address with no
// advertiseUrl is warned of: the others would forward to 0.0.0.0, their own machine.
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { answerStandingBy, answerTakingOver, askEvery, unreachableAdvertisement } from '../../bin/standby.js';
import type { LeaseHolder } from '../../engine/store/lease.js';
import { samples } from '../gateway/metrics-helper.js';

async function listen(t: Test, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An owner that answers with what it received. */
async function echoOwner(t: Test): Promise<string> {
  return listen(
    t,
    createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body })));
    }),
  );
}

async function standby(t: Test, owner: LeaseHolder | undefined): Promise<string> {
  return listen(t, createServer((req, res) => answerStandingBy(req, res, owner)));
}

t.test('an owner that takes the request and never answers: 503 JCT_STANDBY once the forward has been idle too long', async (t) => {
  const silent = createServer(() => {}); // reads the request, never answers (a paused owner)
  const address = await listen(t, silent);
  t.teardown(() => silent.closeAllConnections());
  const origin = await listen(t, createServer((req, res) => answerStandingBy(req, res, { owner: 'paused', address, token: '1' }, 100)));
  const r = await fetch(`${origin}/flows`);
  t.equal(r.status, 503);
  t.equal(r.headers.get('retry-after'), '1');
  t.match(await r.json(), { error: { code: 'JCT_STANDBY', details: { owner: 'paused' } } });
});

t.test('forwarded as it came, marked, the caller appended to X-Forwarded-For', async (t) => {
  const origin = await standby(t, { owner: 'a', address: await echoOwner(t), token: '1' });
  const first = await fetch(`${origin}/flows/welcome/participants?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: '{"person":{"id":"ana"}}' });
  t.equal(first.status, 201, "the owner's status");
  t.match(await first.json(), {
    method: 'POST',
    url: '/flows/welcome/participants?x=1',
    body: '{"person":{"id":"ana"}}',
    headers: { authorization: 'Bearer k', 'x-junction-forwarded': '1', 'x-forwarded-for': '127.0.0.1' },
  });
  const proxied = await fetch(`${origin}/api/v1/flows`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
  t.match(await proxied.json(), { url: '/api/v1/flows', headers: { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' } }, 'a chain from a load balancer is kept and extended');
});

t.test('its own health; 503 JCT_STANDBY with Retry-After when there is no owner to forward to', async (t) => {
  const origin = await standby(t, undefined);
  t.same(await (await fetch(`${origin}/healthz`)).json(), { status: 'standby' });
  const refused = await fetch(`${origin}/flows`);
  t.equal(refused.status, 503);
  t.equal(refused.headers.get('retry-after'), '1');
  t.match(await refused.json(), { error: { code: 'JCT_STANDBY', message: 'this process stands by and no owner of the partitions serves yet' } });
});

t.test('a WebSocket upgrade is refused with 503 JCT_STANDBY, not forwarded', async (t) => {
  const origin = new URL(await standby(t, { owner: 'a', address: await echoOwner(t), token: '1' }));
  const answer = await new Promise<{ status?: number; retryAfter?: string }>((resolve, reject) => {
    const req = request({ host: origin.hostname, port: origin.port, path: '/api/v1/feed', headers: { connection: 'upgrade', upgrade: 'websocket' } });
    req.on('response', (res) => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] }));
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('error', reject);
    req.end();
  });
  t.same(answer, { status: 503, retryAfter: '1' });
});

t.test('taking over (the lease taken, the state not yet recovered): its health, else 503 JCT_STANDBY naming itself', async (t) => {
  const origin = await listen(t, createServer((req, res) => answerTakingOver(req, res, 'b')));
  t.same(await (await fetch(`${origin}/healthz`)).json(), { status: 'standby' });
  for (const path of ['/readyz', '/flows']) {
    const refused = await fetch(`${origin}${path}`, { method: path === '/flows' ? 'POST' : 'GET' });
    t.equal(refused.status, 503, path);
    t.equal(refused.headers.get('retry-after'), '1');
    t.same(await refused.json(), { error: { code: 'JCT_STANDBY', message: 'this process is taking over the partitions: it serves once its state is recovered', details: { owner: 'b' } } });
  }
});

t.test('its own metrics, not the owner\'s (a scrape of each process would count the owner twice): it stands by, without a key', async (t) => {
  const owner = await echoOwner(t);
  const standing = await standby(t, { owner: 'a', address: owner, token: '1' });
  const taking = await listen(t, createServer((req, res) => answerTakingOver(req, res, 'b')));
  for (const origin of [standing, taking]) {
    const r = await fetch(`${origin}/metrics`);
    t.equal(r.status, 200);
    t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    t.match(text, /^# HELP junction_standing_by .+\n# TYPE junction_standing_by gauge\n/);
    t.same(samples(text), new Map([['junction_standing_by', 1]]));
  }
});

t.test('a standby asks for the lease every tenth of its length, between 0.1 and 0.5 s', async (t) => {
  t.same([askEvery(3000), askEvery(1500), askEvery(300), askEvery(60_000)], [300, 150, 100, 500]);
});

t.test('listening on every address with no advertiseUrl is warned of, naming the setting; a given URL or one address is fine', async (t) => {
  t.match(unreachableAdvertisement('', { address: '0.0.0.0', family: 'IPv4', port: 8080 }), /JUNCTION_ADVERTISE_URL.*0\.0\.0\.0:8080.*http:\/\/10\.0\.0\.7:8080/);
  t.match(unreachableAdvertisement('', { address: '::', family: 'IPv6', port: 8080 }), /\[::\]:8080/);
  t.equal(unreachableAdvertisement('http://10.0.0.7:8080', { address: '0.0.0.0', family: 'IPv4', port: 8080 }), undefined);
  t.equal(unreachableAdvertisement('', { address: '10.0.0.7', family: 'IPv4', port: 8080 }), undefined);
  t.equal(unreachableAdvertisement('', { address: '127.0.0.1', family: 'IPv4', port: 8080 }), undefined, 'one machine only: the others are on it');
});
