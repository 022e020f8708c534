// Sending through Twilio's Messages API: POST {apiBaseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json,
// Basic auth AccountSid:AuthToken, a form with To, From (both "whatsapp:"-prefixed on WhatsApp),
// Body, one MediaUrl per attachment, a Content API template (ContentSid, ContentVariables) and
// the status callback URL when the public base URL is known. The answer's `sid` is the message id.
// Twilio's Messages API has no idempotency key. A full sender queue (21611) is retried like a 429.
import type { OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import { basicAuth, type Explanation, type ProviderAnswer, type ProviderHttp } from '../http.js';
import { requiredSetting as required, statusCallbackUrl } from '../provider.js';
import { EffectFailure } from '../../engine/errors.js';
import { withWhatsApp } from '../addresses.js';
import { answerId, textAt, valueAt } from '../answers.js';
import type { TwilioSettings } from './settings.js';

export async function sendTwilio(message: OutboundMessage, settings: TwilioSettings, http: ProviderHttp): Promise<SendResult> {
  const accountSid = required(settings.accountSid, 'accountSid');
  const answer = await http.call(
    {
      url: `${settings.apiBaseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`,
      headers: { authorization: basicAuth(accountSid, required(settings.authToken, 'authToken')) },
      form: formOf(message, settings),
    },
    twilioError,
  );
  return { providerMessageId: answerId(valueAt(answer.json, 'sid'), 'twilio', 'sid') };
}

function formOf(message: OutboundMessage, settings: TwilioSettings): Record<string, string | string[]> {
  if (message.interactive) {
    throw new EffectFailure('JCT_SEND_UNSUPPORTED', 'twilio sends WhatsApp buttons and lists only as Content API templates: send a template instead', false);
  }
  const address = (n: string): string => (message.channel === 'whatsapp' ? withWhatsApp(n) : n);
  return {
    To: address(message.to),
    From: address(message.from),
    ...(message.text !== undefined ? { Body: message.text } : {}),
    ...(message.media?.length ? { MediaUrl: [...message.media] } : {}),
    ...(message.template ? templateOf(message.template) : {}),
    ...(settings.publicBaseUrl !== undefined ? { StatusCallback: statusCallbackUrl('twilio', settings.publicBaseUrl, message) } : {}),
  };
}

/** A WhatsApp template is a Content API template: its name is the ContentSid, its parameters the numbered variables. */
function templateOf(template: NonNullable<OutboundMessage['template']>): Record<string, string> {
  if (!/^HX[0-9a-fA-F]{32}$/.test(template.name)) {
    throw new EffectFailure('JCT_SEND_UNSUPPORTED', `twilio templates are named by their ContentSid (HX…), not "${template.name}"`, false);
  }
  const variables = Object.fromEntries(template.parameters.map((p, i) => [String(i + 1), p]));
  return { ContentSid: template.name, ...(template.parameters.length ? { ContentVariables: JSON.stringify(variables) } : {}) };
}

/** Twilio error codes of a 4xx that mean "too many, try later": the sender's queue is full (21611). */
const THROTTLING_CODES = new Set(['21611']);

/** Twilio's error body: { code, message, more_info, status }. */
function twilioError({ json }: ProviderAnswer): Explanation | undefined {
  const message = valueAt(json, 'message');
  if (typeof message !== 'string') return undefined;
  const code = textAt(json, 'code');
  const more = valueAt(json, 'more_info');
  const words = `${message}${code !== undefined ? ` (error ${code})` : ''}${typeof more === 'string' ? `; see ${more}` : ''}`;
  return { words, throttled: code !== undefined && THROTTLING_CODES.has(code) };
}
