// Call webhook through a real engine and a real receiver on loopback: the flow's headers (as
// UTF-8 bytes) and form body arrive as written, a 4xx answer takes clientError, a 5xx one (retries used up)
// serverError, and with waitForAnswer false the participant goes on before the answer.
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flow, pathOf, tag, world } from '../helpers.js';
import type { NodeDefinition } from '../../../engine/flow-schema.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver answering each request with the status its path names (/404, /500, /200). */
async function receiver(t: { teardown(fn: () => void): void }): Promise<{ origin: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(Number(req.url!.slice(1))).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** Call webhook → tag `ok` on next, and (when the answer is awaited) `refused` on clientError, `down` on serverError. */
function callFlow(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const awaited = extra['waitForAnswer'] !== false;
  const call: NodeDefinition = {
    id: 'call',
    type: 'callWebhook',
    config: { url, headers: { Authorization: 'Basic dTpw', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'who={{who}}', timeoutSeconds: 3600, ...extra },
    branches: awaited ? { next: 'ok', clientError: 'refused', serverError: 'down' } : { next: 'ok' },
  };
  const failures = awaited ? [tag('refused', 'refused'), tag('down', 'down')] : [];
  return flow('hook', [call, tag('ok', 'ok'), ...failures], { variables: [{ name: 'who', type: 'text' }] });
}

async function run(url: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  const w = world({ settings: { core: { httpTimeoutMs: 5_000 } } });
  w.engine.save(callFlow(url, extra));
  w.engine.launch('hook');
  w.people.upsert({ id: 'ana' });
  await w.engine.enter('hook', 'ana', { vars: { who: 'Ana & co' } });
  await w.engine.idle();
  for (let i = 0; i < 6; i++) {
    w.clock.advance(120_000); // retries of a 5xx, a minute apart at most
    await w.engine.idle();
  }
  return pathOf(w, 'ana').filter((id) => id !== 'start' && !id.includes('.'));
}

t.test('the request carries the flow headers and a form body; a 2xx takes next', async (t) => {
  const { origin, received } = await receiver(t);
  t.same(await run(`${origin}/200`), ['call', 'ok']);
  t.equal(received[0]!.headers['authorization'], 'Basic dTpw');
  t.equal(received[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
  t.equal(received[0]!.body, 'who=Ana%20%26%20co');
});

t.test("a header value's text past Latin-1 is sent as UTF-8 bytes, as its placeholders are, not retried as unsendable", async (t) => {
  const { origin, received } = await receiver(t);
  t.same(await run(`${origin}/200`, { headers: { 'X-Greeting': 'Dobrodošlica ✓ {{who}}\u2028' } }), ['call', 'ok']);
  t.equal(received.length, 1, 'sent once');
  t.equal(Buffer.from(String(received[0]!.headers['x-greeting']), 'latin1').toString('utf8'), 'Dobrodošlica ✓ Ana & co\u2028');
});

t.test('a 4xx answer takes clientError at once', async (t) => {
  const { origin, received } = await receiver(t);
  t.same(await run(`${origin}/404`), ['call', 'refused']);
  t.equal(received.length, 1, 'not retried');
});

t.test('a 5xx answer is retried, then takes serverError', async (t) => {
  const { origin, received } = await receiver(t);
  t.same(await run(`${origin}/503`), ['call', 'down']);
  t.ok(received.length > 1, `retried (${received.length} requests)`);
});

t.test('with waitForAnswer false the participant goes on, whatever the answer', async (t) => {
  const { origin, received } = await receiver(t);
  t.same(await run(`${origin}/500`, { waitForAnswer: false }), ['call', 'ok']);
  t.ok(received.length >= 1, 'the request was still sent');
});

t.test('a sending speed spreads the requests of an element evenly over time', async (t) => {
  const { origin, received } = await receiver(t);
  const w = world();
  const call = { id: 'call', type: 'callWebhook', config: { url: `${origin}/200`, speed: { count: 1, per: 'minute' }, timeoutSeconds: 600 }, branches: { next: 'ok' } };
  w.engine.save(flow('paced', [call, tag('ok', 'ok')]));
  w.engine.launch('paced');
  for (const id of ['a', 'b', 'c']) {
    w.people.upsert({ id });
    await w.engine.enter('paced', id, {});
  }
  await w.engine.idle();
  const seen: number[] = [received.length];
  for (let i = 0; i < 3; i++) {
    w.clock.advance(60_000);
    await w.engine.idle();
    seen.push(received.length);
  }
  t.same(seen, [1, 2, 3, 3], 'one a minute');
  t.same(['a', 'b', 'c'].map((id) => pathOf(w, id).includes('ok')), [true, true, true]);
});
