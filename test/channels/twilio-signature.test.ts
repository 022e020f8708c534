// verifyTwilio tries the URL as received first and builds the other forms the SDK accepts
// only when it does not match: each form must still be accepted, and nothing else.
import t from 'tap';
import { createHash } from 'node:crypto';
import twilioSdk from 'twilio';
import { twilioSignature, verifyTwilio } from '../../channels/twilio/signature.js';
import { formParams } from '../../channels/form.js';
import type { WebhookRequest } from '../../channels/provider.js';

const TOKEN = 'twilio-auth-token-0123456789';
const BODY = 'From=%2B15551230001&Body=hi&Body=ho';

function request(publicUrl: string, signature: string, body = BODY, rawBody = Buffer.from(body)): WebhookRequest {
  return { method: 'POST', url: '', publicUrl, params: {}, query: {}, headers: { 'x-twilio-signature': signature }, body: undefined, rawBody };
}

const sign = (url: string, body = BODY) => twilioSignature(TOKEN, url, formParams(body));

t.test('every form of the URL the SDK accepts is accepted', async (t) => {
  const received = 'https://Junction.Example.com/hook?a=x:y&b=%7e';
  const forms = [
    received,
    'https://Junction.Example.com:443/hook?a=x:y&b=%7e',
    'https://junction.example.com/hook?a=x:y&b=%7e',
    'https://junction.example.com:443/hook?a=x:y&b=%7e',
    'https://junction.example.com/hook?a=x%3Ay&b=~',
    'https://junction.example.com:443/hook?a=x%3Ay&b=~',
  ];
  for (const url of forms) {
    t.doesNotThrow(() => verifyTwilio(request(received, sign(url)), TOKEN), url);
    t.ok(twilioSdk.validateRequest(TOKEN, sign(url), received, { From: '+15551230001', Body: ['hi', 'ho'] }), `the SDK agrees: ${url}`);
  }
  t.throws(() => verifyTwilio(request(received, sign('https://junction.example.com/hook')), TOKEN), { code: 'JCT_SIGNATURE_INVALID' });
  t.throws(() => verifyTwilio(request(received, sign(received, 'From=%2B15551230001&Body=hi')), TOKEN), { code: 'JCT_SIGNATURE_INVALID' });
});

t.test('a URL that does not parse is tried as received and with its port', async (t) => {
  const received = 'https://exa mple.com/hook';
  t.doesNotThrow(() => verifyTwilio(request(received, sign(received)), TOKEN));
  t.doesNotThrow(() => verifyTwilio(request(received, sign('https://exa mple.com:443/hook')), TOKEN));
  t.throws(() => verifyTwilio(request(received, sign('https://exa%20mple.com/hook')), TOKEN), { code: 'JCT_SIGNATURE_INVALID' });
});

t.test('the body parameters the content parser gave the request are signed like parsed ones', async (t) => {
  const url = 'https://junction.example.com/hook';
  const given = (signature: string) => ({ ...request(url, signature), form: formParams(BODY) });
  t.doesNotThrow(() => verifyTwilio(given(sign(url)), TOKEN));
  t.throws(() => verifyTwilio(given(sign(url, 'From=%2B15551230001&Body=hi')), TOKEN), { code: 'JCT_SIGNATURE_INVALID' });
});

t.test('bodySHA256 is found however its name is written, and only then', async (t) => {
  const json = '{"event":"test"}';
  const hash = createHash('sha256').update(json).digest('hex');
  for (const name of ['bodySHA256', 'body%53HA256', '%62odySHA256']) {
    const url = `https://junction.example.com/hook?x=%20&${name}=${hash}`;
    t.doesNotThrow(() => verifyTwilio(request(url, twilioSignature(TOKEN, url, new Map()), json), TOKEN), name);
    t.throws(() => verifyTwilio(request(url, twilioSignature(TOKEN, url, new Map()), '{"event":"tesT"}'), TOKEN), { code: 'JCT_SIGNATURE_INVALID' });
  }
  const url = 'https://junction.example.com/hook?x=%20&bodysha256=0';
  t.doesNotThrow(() => verifyTwilio(request(url, sign(url)), TOKEN), 'another name: the body is a form, signed as such');
  const empty = 'https://junction.example.com/hook?bodySHA256=';
  t.throws(() => verifyTwilio(request(empty, twilioSignature(TOKEN, empty, new Map()), ''), TOKEN), { code: 'JCT_SIGNATURE_INVALID' }, 'an empty hash matches no body');
});
