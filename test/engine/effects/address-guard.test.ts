// The address guard of outgoing requests to URLs users write: link-local and unspecified
// addresses are never called, loopback and private ones only while allowed; checked on the IP
// in the URL and on what DNS answers for a name.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedLookup, refusal } from '../../../engine/effects/address-guard.js';
import { httpRequest } from '../../../engine/effects/http-request.js';
import { coreModule } from '../../../engine/elements/index.js';
import { Registry, type EffectContext } from '../../../engine/module.js';
import type { Effect } from '../../../engine/vocabulary.js';

t.test('which addresses are refused', async (t) => {
  for (const ip of ['169.254.169.254', '169.254.0.1', '0.0.0.0', 'fe80::1', '::', '::ffff:169.254.169.254']) t.ok(refusal(ip, true), `${ip}: never`);
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '::1', 'fd00:ec2::254', '::ffff:10.0.0.1']) {
    t.notOk(refusal(ip, true), `${ip}: allowed by default`);
    t.ok(refusal(ip, false), `${ip}: refused when private addresses are`);
  }
  for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:4860:4860::8888']) t.notOk(refusal(ip, false), `${ip}: public`);
});

t.test('an IPv6 address carrying an IPv4 one is judged by it too, in every way it may be written', async (t) => {
  const metadata = ['::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:169.254.169.254', '::ffff:0:a9fe:a9fe', '::a9fe:a9fe', '::169.254.169.254', '64:ff9b::a9fe:a9fe', '64:FF9B::169.254.169.254', '2002:a9fe:a9fe::1', '::ffff:0.0.0.0'];
  for (const ip of metadata) t.ok(refusal(ip, true), `${ip}: never`);
  for (const ip of ['::ffff:0:a00:1', '::7f00:1', '::127.0.0.1', '64:ff9b::c0a8:101', '2002:c0a8:101::', '64:ff9b:1::a00:1', 'fec0::1']) {
    t.notOk(refusal(ip, true), `${ip}: allowed by default`);
    t.ok(refusal(ip, false), `${ip}: refused when private addresses are`);
  }
  for (const ip of ['64:ff9b::808:808', '2002:808:808::1', '::ffff:808:808']) t.notOk(refusal(ip, false), `${ip}: a public IPv4 address`);
});

t.test('a name is checked on the addresses DNS gives for it', async (t) => {
  const lookup = (allow: boolean, all: boolean) =>
    new Promise<unknown>((resolve) => guardedLookup(allow)('localhost', { all } as never, (err: Error | null, address: unknown) => resolve(err ?? address)));
  t.match(await lookup(false, false), { name: 'AddressRefused', message: /loopback or private/ });
  t.match(await lookup(false, true), { name: 'AddressRefused' }, 'in the form the connection asks for every address too');
  t.match(await lookup(true, true), [{ address: /^(127\.0\.0\.1|::1)$/ }]);
});

const NOW = Date.parse('2026-12-05T10:00:00Z');
const effect = (url: string): Effect => ({ kind: 'http.request', key: 'p1:3', personId: 'ana', origin: { flowId: 'f', version: 1, node: 1 }, url, method: 'POST', body: '{}' });
function ctx(settings: Record<string, unknown>): EffectContext {
  return { people: undefined as never, now: () => NOW, settings: { ...new Registry([coreModule]).settings('core'), ...settings } };
}

t.test('a Call webhook to a refused address fails for good, before any connection', async (t) => {
  await t.rejects(httpRequest.perform(effect('http://169.254.169.254/latest/meta-data/'), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_ADDRESS_REFUSED', retryable: false, message: /169\.254\.169\.254 is link-local/ });
  await t.rejects(httpRequest.perform(effect('http://[::ffff:a9fe:a9fe]/'), ctx({})) as Promise<unknown>, { code: 'JCT_HTTP_ADDRESS_REFUSED' }, 'an IPv4-mapped IPv6 literal too');
  const server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  t.same(await httpRequest.perform(effect(`http://127.0.0.1:${port}/`), ctx({})), { status: 204 }, 'loopback allowed by default');
  const refuse = ctx({ httpPrivateAddresses: 'refuse' });
  await t.rejects(httpRequest.perform(effect(`http://127.0.0.1:${port}/`), refuse) as Promise<unknown>, { code: 'JCT_HTTP_ADDRESS_REFUSED', retryable: false });
  await t.rejects(httpRequest.perform(effect(`http://localhost:${port}/`), refuse) as Promise<unknown>, { code: 'JCT_HTTP_ADDRESS_REFUSED', retryable: false }, 'a name resolving to loopback');
});
