// A send the provider first throttles (429 with Retry-After) and then accepts reaches the
// person once: the outbox waits as asked on the engine's clock and tries again with the same
// idempotency key, and the flow goes on only after the provider accepted it.
import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { world } from '../engine/helpers.js';
import { messagingModule } from '../../engine/messaging/index.js';
import twilio from '../../channels/twilio/index.js';
import { NOTIFY } from './helpers.js';

t.test('429 then 201: sent once, after the Retry-After', async (t) => {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      if (bodies.length === 1) res.writeHead(429, { 'retry-after': '30', 'content-type': 'application/json' }).end('{"code":20429,"message":"Too Many Requests"}');
      else res.writeHead(201, { 'content-type': 'application/json' }).end('{"sid":"SM-accepted"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const w = world({
    modules: [messagingModule, twilio],
    settings: { twilio: { accountSid: `AC${'1'.repeat(32)}`, authToken: 'token', apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, numbers: ['+15550100'] } },
  });
  w.engine.save(NOTIFY);
  w.engine.launch('notify');
  await w.engine.submit('ana', { kind: 'flow.enter', flowId: 'notify', person: { id: 'ana', phones: ['+12025550101'] } });
  for (let i = 0; i < 50 && bodies.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
  await w.engine.idle();
  t.equal(bodies.length, 1, 'the first attempt was throttled');
  w.clock.advance(29_000);
  await w.engine.idle();
  t.equal(bodies.length, 1, 'no second attempt before the Retry-After');
  w.clock.advance(1_000);
  for (let i = 0; i < 50 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  await w.engine.idle();
  t.equal(bodies.length, 2, 'tried again once');
  t.equal(bodies[0], bodies[1], 'the same request both times');
  t.match(new URLSearchParams(bodies[1]).get('Body'), 'Your order shipped');
  t.ok(w.people.get('ana')!.tags.includes('notified'), 'the flow went on once the provider accepted it');
  await w.engine.close();
});
