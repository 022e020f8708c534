// A provider's send rate (sendsPerSecond, sendBurst, sendRatePer): read from its settings, and
// honoured by the outbox — a Twilio stand-in on 127.0.0.1 sees a burst of sends one per second
// of the engine's clock, in order, each once, and every flow goes on; each of our numbers has
// the rate to itself, unless the setting says the whole provider shares it.
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { world } from '../engine/helpers.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { loadModuleSettings } from '../../config/modules.js';
import type { Settings } from '../../engine/module.js';
import twilio from '../../channels/twilio/index.js';
import { NOTIFY } from '../e2e/helpers.js';

const rateOf = (settings: Settings) => twilio.effects![0]!.rate!(settings);

t.test('the rate comes from sendsPerSecond and sendBurst; the burst defaults to the rate, at least 1', async (t) => {
  t.equal(rateOf({ numbers: [] }), undefined, 'unset: no limit');
  t.same(rateOf({ sendsPerSecond: 80 }), { perSecond: 80, burst: 80 });
  t.same(rateOf({ sendsPerSecond: 0.5 }), { perSecond: 0.5, burst: 1 });
  t.same(rateOf({ sendsPerSecond: 1, sendBurst: 5 }), { perSecond: 1, burst: 5 });
});

t.test('the settings are checked, and read from the environment as numbers', async (t) => {
  const load = (env: NodeJS.ProcessEnv) => loadModuleSettings([{ name: twilio.name, ...twilio.config! }], {}, env)['twilio']!;
  t.match(load({ JUNCTION_TWILIO_SENDS_PER_SECOND: '2.5', JUNCTION_TWILIO_SEND_BURST: '10' }), { sendsPerSecond: 2.5, sendBurst: 10 });
  t.throws(() => load({ JUNCTION_TWILIO_SENDS_PER_SECOND: '0' }), /sendsPerSecond/);
  t.throws(() => load({ JUNCTION_TWILIO_SEND_BURST: '0' }), /sendBurst/);
});

/** An engine whose Twilio module sends to a stand-in on 127.0.0.1 for +15550100 and +15550101; `sent` is what the stand-in got, with the engine clock's ms since the start. */
async function twilioWorld(t: Test, settings: Settings) {
  const sent: Array<{ from: string; to: string; at: number }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      sent.push({ from: form.get('From')!, to: form.get('To')!, at: w.clock.now() - start });
      res.writeHead(201, { 'content-type': 'application/json' }).end(`{"sid":"SM${sent.length}"}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const w = world({
    modules: [messagingModule, twilio],
    settings: {
      twilio: { accountSid: `AC${'1'.repeat(32)}`, authToken: 'token', apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, numbers: ['+15550100', '+15550101'], ...settings },
    },
  });
  const start = w.clock.now();
  t.teardown(() => w.engine.close());
  return { w, sent };
}

t.test('sendsPerSecond 1: five sends reach the provider one per second, in order', async (t) => {
  const { w, sent } = await twilioWorld(t, { sendsPerSecond: 1 });
  w.engine.save(NOTIFY);
  w.engine.launch('notify');
  const phones = [1, 2, 3, 4, 5].map((i) => `+1202555010${i}`);
  for (const [i, phone] of phones.entries()) {
    await w.engine.submit(`p${i}`, { kind: 'flow.enter', flowId: 'notify', person: { id: `p${i}`, phones: [phone] } });
  }
  await w.engine.idle();
  t.equal(sent.length, 1, 'one at once; the others wait in the outbox');
  for (let s = 1; s <= 4; s++) {
    w.clock.advance(1000);
    await w.engine.idle();
    t.equal(sent.length, s + 1, `one more after ${s} s`);
  }
  t.same(sent, phones.map((to, i) => ({ from: '+15550100', to, at: i * 1000 })), 'in order, one per second, each once');
  t.ok(phones.every((_, i) => w.people.get(`p${i}`)!.tags.includes('notified')), 'every flow went on');
  t.same([...w.engine.effectFailures], [], 'no failure');
  t.same(w.logs.filter((l) => l.level !== 'info'), [], 'no retry, no error');
});

/** Three people enter a flow sending from +15550100 and three one sending from +15550101; the times each sender's sends went at. */
async function twoSenders(t: Test, settings: Settings): Promise<Record<string, number[]>> {
  const { w, sent } = await twilioWorld(t, settings);
  for (const [id, from] of [['notify', '+15550100'], ['other', '+15550101']] as const) {
    w.engine.save({ ...NOTIFY, id, name: id, elements: [{ ...NOTIFY.elements[0]!, config: { from, text: 'Shipped' } }, NOTIFY.elements[1]!] });
    w.engine.launch(id);
    for (let i = 0; i < 3; i++) await w.engine.submit(`${id}${i}`, { kind: 'flow.enter', flowId: id, person: { id: `${id}${i}`, phones: [`+1202555${from.slice(-3)}${i}`] } });
  }
  await w.engine.idle();
  for (let s = 0; s < 6; s++) {
    w.clock.advance(1000);
    await w.engine.idle();
  }
  const at: Record<string, number[]> = {};
  for (const { from, at: ms } of sent) (at[from] ??= []).push(ms);
  return at;
}

t.test('the rate is per sending number: each of our numbers sends at the rate on its own', async (t) => {
  t.same(await twoSenders(t, { sendsPerSecond: 1 }), { '+15550100': [0, 1000, 2000], '+15550101': [0, 1000, 2000] });
});

t.test('sendRatePer "provider": every send through the provider shares the rate', async (t) => {
  t.same(await twoSenders(t, { sendsPerSecond: 1, sendRatePer: 'provider' }), { '+15550100': [0, 1000, 2000], '+15550101': [3000, 4000, 5000] });
});
