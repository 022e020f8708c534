// The URL a provider signs, when Junction sits behind a TLS proxy and no publicBaseUrl is set:
// from a trusted proxy, X-Forwarded-Proto and X-Forwarded-Host say where the webhook was sent,
// and the hooks of the answer point there too; from anyone else they are not believed.
import t from 'tap';
import twilio from 'twilio';
import { buildApp } from '../../gateway/app.js';
import { ivrModule } from '../../ivr/index.js';
import { VOICE_MODULES } from '../../ivr/providers.js';
import { world } from '../engine/helpers.js';
import { CALLER, MENU_FLOW, OUR_NUMBER } from './menu.js';

const TOKEN = 'twilio-test-token';
const PUBLIC = 'https://ivr.example.com';

function served(trustProxy: string) {
  const w = world({ start: new Date().toISOString(), modules: [ivrModule, ...VOICE_MODULES], settings: { 'twilio-voice': { authToken: TOKEN } } });
  w.engine.save(MENU_FLOW);
  w.engine.launch(MENU_FLOW.id);
  return buildApp(w.engine, { trustProxy });
}

function firstWebhook(callId: string) {
  const params = { CallSid: callId, AccountSid: 'AC00000000000000000000000000000000', From: CALLER, To: OUR_NUMBER, CallStatus: 'ringing', Direction: 'inbound' };
  return {
    method: 'POST' as const,
    url: '/voice/twilio',
    headers: {
      host: '10.0.0.7:8080',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'ivr.example.com',
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC}/voice/twilio`, params),
    },
    payload: new URLSearchParams(params).toString(),
  };
}

t.test('from a trusted proxy: the forwarded scheme and host are the signed URL and the hooks', async (t) => {
  const app = served('loopback');
  const r = await app.inject(firstWebhook('proxied-1'));
  t.equal(r.statusCode, 200, r.body);
  t.match(r.body, `action="${PUBLIC}/voice/twilio/hook?h=menu`);
});

t.test('from anyone else: the forwarded headers are not believed, and the signature does not match', async (t) => {
  const app = served('');
  const r = await app.inject(firstWebhook('direct-1'));
  t.equal(r.statusCode, 403);
  t.same(r.json().error.details, { url: 'http://10.0.0.7:8080/voice/twilio' }, 'the answer names the URL the signature was checked for');
  t.match(r.json().error.message, /set the module's publicBaseUrl/);
});
