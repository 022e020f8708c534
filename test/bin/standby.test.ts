// The standby's answers on their own (no lease, no store): its health, 503 JCT_STANDBY with no
// owner to forward to, and a request forwarded to the owner as it came (method, path, body,
// headers) with the forwarding mark and the caller's address appended to X-Forwarded-For.
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerStandingBy, askEvery } from '../../bin/standby.js';
import type { LeaseHolder } from '../../engine/store/lease.js';

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

t.test('a standby asks for the lease every tenth of its length, between 0.1 and 0.5 s', async (t) => {
  t.same([askEvery(3000), askEvery(1500), askEvery(300), askEvery(60_000)], [300, 150, 100, 500]);
});
