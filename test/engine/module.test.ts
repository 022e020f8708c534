// The registry built from modules: several handlers of one kind chosen by `accepts`, each
// handler and route given its own module's settings (defaults when none are configured),
// and a type or input kind declared twice refused.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { Registry, type EffectHandler, type Module, type RouteDefinition } from '../../engine/module.js';
import { coreModule } from '../../engine/elements/index.js';
import type { Effect } from '../../engine/vocabulary.js';
import twilio from '../../channels/twilio/index.js';
import metaWhatsApp from '../../channels/meta-whatsapp/index.js';

const sender = (name: string): EffectHandler => ({
  kind: 'message.send',
  accepts: (effect) => effect['provider'] === name,
  perform: (_effect, ctx) => ctx.settings,
});

const route: RouteDefinition = { method: 'POST', url: '/b/inbound', handle: async () => ({ status: 204, body: null }) };

const providerA: Module = {
  name: 'a',
  effects: [sender('a')],
  config: { schema: Type.Object({ region: Type.String({ default: 'eu' }), token: Type.Optional(Type.String()) }), secrets: ['token'] },
};
const providerB: Module = { name: 'b', effects: [sender('b')], routes: [route], config: { schema: Type.Object({ region: Type.String({ default: 'us' }) }), secrets: [] } };

const message = (channel: string, from: string): Effect => ({ ...send('x'), channel, from, to: '+385911234567' });
const send = (provider: string): Effect => ({ kind: 'message.send', key: 'k', participantId: 'p', personId: 'ana', origin: { flowId: 'f', version: 1, node: 1 }, provider });

t.test('several handlers serve one kind; the one that accepts the entry performs it, with its module settings', async (t) => {
  const registry = new Registry([coreModule, providerA, providerB], { a: { region: 'ap', token: 'x' } });
  const a = registry.handler(send('a'))!;
  const b = registry.handler(send('b'))!;
  t.not(a, b);
  t.same(registry.settingsOf(a), { region: 'ap', token: 'x' }, 'configured settings');
  t.same(registry.settingsOf(b), { region: 'us' }, 'defaults when the module was not configured');
  t.same(registry.settingsOf(route), { region: 'us' }, 'a route gets its module settings too');
  t.same(registry.settings('core'), { httpTimeoutMs: 10_000, httpPrivateAddresses: 'allow' });
  t.same(registry.settings('nosuch'), {});
  t.equal(registry.handler(send('c')), undefined, 'no handler accepts it');
  t.same(registry.routes, [route]);
});

t.test('a provider that lists a sender sends for it, before one that lists "*" (whatever their order)', async (t) => {
  const registry = new Registry([twilio, metaWhatsApp], { twilio: { numbers: ['*'] }, 'meta-whatsapp': { numbers: ['+15550600'] } });
  t.equal(registry.handler(message('whatsapp', '+15550600')), metaWhatsApp.effects![0], 'the number Meta lists goes through Meta');
  t.equal(registry.handler(message('whatsapp', '+15550999')), twilio.effects![0], 'any other through the provider that sends for any');
  t.equal(registry.handler(message('email', '+15550600')), undefined, 'neither sends email');
});

t.test('one number, SMS through one provider and WhatsApp through another: the channel-prefixed entry wins', async (t) => {
  const registry = new Registry([twilio, metaWhatsApp], { twilio: { numbers: ['+15550100'] }, 'meta-whatsapp': { numbers: ['whatsapp:+15550100'] } });
  t.equal(registry.handler(message('whatsapp', '+15550100')), metaWhatsApp.effects![0]);
  t.equal(registry.handler(message('sms', '+15550100')), twilio.effects![0]);
  const reversed = new Registry([twilio, metaWhatsApp], { twilio: { numbers: ['sms:+15550100'] }, 'meta-whatsapp': { numbers: ['+15550100'] } });
  t.equal(reversed.handler(message('whatsapp', '+15550100')), metaWhatsApp.effects![0], 'Twilio lists it for SMS only');
  t.equal(reversed.handler(message('sms', '+15550100')), twilio.effects![0]);
});

t.test('a type or input kind declared twice is refused, naming the module', async (t) => {
  t.throws(() => new Registry([coreModule, { name: 'copy', elements: [coreModule.elements![0]!] }]), /element type "exit" declared twice \(module copy\)/);
  const input = { kind: 'sms.inbound', waitKey: () => undefined };
  t.throws(() => new Registry([{ name: 'x', inputs: [input] }, { name: 'y', inputs: [input] }]), /input kind "sms.inbound" declared twice \(module y\)/);
});
