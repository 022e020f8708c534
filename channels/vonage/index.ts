// The Vonage provider: one webhook, /webhooks/vonage (GET and POST), that takes both of
// Vonage's formats, told apart by shape: a JSON body with a `message_uuid` is the Messages
// API's (signed with a JWT; messages-api.ts), anything else is the SMS API's (fields signed
// with `sig`; sms-api.ts), whose long SMS come part by part and are put together (concat.ts),
// by each provider made here on its own.
// Sends go through the Messages API: text on SMS and WhatsApp.
import { providerModule, requiredSetting as required, type Provider } from '../provider.js';
import { isMessagesApi, readMessagesApi, sendMessage, verifyMessagesApi } from './messages-api.js';
import { readSmsApi, smsApiFields, verifySmsApi } from './sms-api.js';
import { LongSms, partOf } from './concat.js';
import { Settings, type VonageSettings } from './settings.js';

/** A Vonage provider, with its own long SMS being put together (concat.ts). */
export function vonageProvider(): Provider<VonageSettings> {
  const longSms = new LongSms();
  return {
    name: 'vonage',
    channels: ['sms', 'whatsapp'],
    settings: Settings,
    secrets: ['apiSecret', 'signatureSecret'],
    methods: ['GET', 'POST'],
    verify(req, settings, now) {
      const secret = required(settings.signatureSecret, 'signatureSecret');
      if (isMessagesApi(req)) verifyMessagesApi(req, secret, settings.signatureWindowS, now);
      else verifySmsApi(smsApiFields(req), secret, settings.signatureMethod, settings.signatureWindowS, now);
    },
    read(req, _settings, now) {
      if (isMessagesApi(req)) return readMessagesApi(req.body, now);
      const fields = smsApiFields(req);
      const content = readSmsApi(fields, now);
      const part = partOf(fields);
      const [message] = content.messages;
      return part && message ? longSms.gathered(message, part).then((messages) => ({ messages, reports: [] })) : content;
    },
    send: sendMessage,
  };
}

export const vonage = vonageProvider();

export default providerModule(vonage);
