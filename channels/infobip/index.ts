// The Infobip provider: inbound SMS and WhatsApp messages and their delivery reports (read in
// inbound.ts), sends (send.ts). Infobip does not sign these webhooks; we require the Basic
// credentials a notification profile can carry (Subscriptions Management, security type BASIC)
// and compare them in constant time, so nothing unauthenticated reaches a flow.
import { Type } from '@sinclair/typebox';
import { providerModule, requiredSetting as required, type CommonSettings, type Provider } from '../provider.js';
import { header, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';
import { readResults } from './inbound.js';
import { sendMessage, type SendSettings } from './send.js';

const CREDENTIALS = 'Basic authentication in the Authorization header';

const Settings = {
  apiKey: Type.Optional(Type.String({ minLength: 8, description: 'the Infobip API key (sent as "Authorization: App <key>"); unset: sends fail' })),
  apiBaseUrl: Type.String({ pattern: '^https?://[^/]+$', default: 'https://api.infobip.com', description: 'the account\'s API base URL, e.g. https://xxxxx.api.infobip.com' }),
  webhookUsername: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^:]*$', default: 'infobip', description: 'the user name of the Basic credentials Infobip sends with webhooks' }),
  webhookPassword: Type.Optional(Type.String({ minLength: 16, description: 'the password of those Basic credentials; unset: every webhook is refused' })),
};
type Settings = CommonSettings & SendSettings & { webhookUsername: string; webhookPassword?: string };

export const infobip: Provider<Settings> = {
  name: 'infobip',
  channels: ['sms', 'whatsapp'],
  settings: Settings,
  secrets: ['apiKey', 'webhookPassword'],
  verify(req, settings) {
    const expected = `${required(settings.webhookUsername, 'webhookUsername')}:${required(settings.webhookPassword, 'webhookPassword')}`;
    const given = /^basic\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '')?.[1];
    if (given === undefined) throw signatureMissing(CREDENTIALS);
    if (!sameText(Buffer.from(given, 'base64').toString('utf8'), expected)) throw signatureInvalid(CREDENTIALS);
  },
  read: (req, _settings, now) => readResults(req.body, now),
  send: sendMessage,
};

export default providerModule(infobip);
