// The Meta WhatsApp Cloud API provider: the GET verification handshake (hub.verify_token),
// event notifications signed with X-Hub-Signature-256 (hex HMAC-SHA256 of the raw body keyed
// with the App Secret), and sends through the Graph API (send.ts). Reading the notifications
// is in inbound.ts.
import { Type } from '@sinclair/typebox';
import type { RouteAnswer, RouteRequest } from '../../engine/module.js';
import { providerModule, requiredSetting as required, type CommonSettings, type Provider } from '../provider.js';
import { hmac, header, sameText } from '../signing.js';
import { payloadInvalid, signatureInvalid, signatureMissing } from '../errors.js';
import { queryOf } from '../form.js';
import { readNotification } from './inbound.js';
import { sendMessage, type SendSettings } from './send.js';

const NAME = 'meta-whatsapp';
const SIGNATURE = 'X-Hub-Signature-256 header';
const VERIFY_TOKEN = 'hub.verify_token parameter';

const Settings = {
  appSecret: Type.Optional(Type.String({ minLength: 8, description: 'the Meta app\'s App Secret, which signs every notification; unset: every notification is refused' })),
  verifyToken: Type.Optional(Type.String({ minLength: 8, description: 'the Verify Token typed into the app\'s webhook settings; unset: the handshake is refused' })),
  accessToken: Type.Optional(Type.String({ minLength: 8, description: 'a system-user access token with whatsapp_business_messaging; unset: sends fail' })),
  apiBaseUrl: Type.String({ pattern: '^https?://[^/]+$', default: 'https://graph.facebook.com', description: 'the Graph API base URL' }),
  apiVersion: Type.String({ pattern: '^v[0-9]+\\.[0-9]+$', default: 'v23.0', description: 'the Graph API version in the send path' }),
  phoneNumberIds: Type.Record(Type.String({ pattern: '^\\+[1-9][0-9]{1,14}$' }), Type.String({ pattern: '^[0-9]{1,32}$' }), {
    additionalProperties: false,
    default: {},
    description: 'our WhatsApp numbers (E.164) → their Cloud API phone number ids, e.g. {"+15550783881": "106540352242922"}',
  }),
};
type Settings = CommonSettings & SendSettings & { appSecret?: string; verifyToken?: string };

export const metaWhatsApp: Provider<Settings> = {
  name: NAME,
  channels: ['whatsapp'],
  settings: Settings,
  secrets: ['appSecret', 'verifyToken', 'accessToken'],
  verify(req, settings) {
    const secret = required(settings.appSecret, 'appSecret');
    const given = header(req, 'x-hub-signature-256');
    if (given === undefined) throw signatureMissing(SIGNATURE);
    if (!sameText(given, `sha256=${hmac('sha256', secret, req.rawBody, 'hex')}`)) throw signatureInvalid(SIGNATURE);
  },
  read: (req, settings) => readNotification(req.body, settings.phoneNumberIds ?? {}),
  send: sendMessage,
  routes: [{ method: 'GET', url: `/webhooks/${NAME}`, access: 'signature', handle: async (req, ctx) => handshake(req, ctx.settings['verifyToken'] as string | undefined) }],
};

/** Meta's subscription check: the verify token must match; the answer is the challenge, as plain text. */
function handshake(req: RouteRequest, verifyToken: string | undefined): RouteAnswer {
  const token = required(verifyToken, 'verifyToken');
  const query = new URLSearchParams(queryOf(req.url));
  const given = query.get('hub.verify_token');
  if (given === null) throw signatureMissing(VERIFY_TOKEN);
  if (!sameText(given, token)) throw signatureInvalid(VERIFY_TOKEN);
  if (query.get('hub.mode') !== 'subscribe') throw payloadInvalid('the handshake\'s hub.mode must be "subscribe"');
  const challenge = query.get('hub.challenge');
  if (!challenge || challenge.length > 1024) throw payloadInvalid('the handshake carries no usable hub.challenge');
  return { status: 200, body: challenge, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

export default providerModule(metaWhatsApp);
