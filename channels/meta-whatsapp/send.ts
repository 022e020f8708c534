// Sending through the WhatsApp Cloud API: POST {apiBaseUrl}/{apiVersion}/{phoneNumberId}/messages
// with the access token as a Bearer token; text, a template with body parameters, or
// interactive reply buttons or a list. The sender's phone number id comes from the
// `phoneNumberIds` setting; Graph API errors are told in Meta's words, throttling codes retried.
import type { Interactive, OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import type { Explanation, ProviderAnswer, ProviderHttp } from '../http.js';
import { requiredSetting as required } from '../provider.js';
import { withoutPlus } from '../addresses.js';
import { answerId, textAt, unsupported, valueAt } from '../answers.js';

const PROVIDER = 'meta-whatsapp';

/** Graph API error codes that mean "too many, try later": app, account, throughput and pair rate limits. */
const THROTTLING_CODES = new Set(['4', '80007', '130429', '131056']);

export interface SendSettings {
  readonly accessToken?: string;
  readonly apiBaseUrl: string;
  readonly apiVersion: string;
  readonly phoneNumberIds?: Readonly<Record<string, string>>;
}

export async function sendMessage(message: OutboundMessage, settings: SendSettings, http: ProviderHttp): Promise<SendResult> {
  const ids = settings.phoneNumberIds ?? {};
  const phoneNumberId = required(Object.hasOwn(ids, message.from) ? ids[message.from] : undefined, `phoneNumberIds["${message.from}"]`);
  const answer = await http.call(
    {
      url: `${settings.apiBaseUrl}/${settings.apiVersion}/${encodeURIComponent(phoneNumberId)}/messages`,
      headers: { authorization: `Bearer ${required(settings.accessToken, 'accessToken')}` },
      json: { messaging_product: 'whatsapp', recipient_type: 'individual', to: withoutPlus(message.to), biz_opaque_callback_data: message.idempotencyKey, ...contentOf(message) },
    },
    graphError,
  );
  return { providerMessageId: answerId(valueAt(answer.json, 'messages', 0, 'id'), 'Meta', 'messages[0].id') };
}

/** The typed part of the Cloud API request for one message. */
function contentOf(m: OutboundMessage): Record<string, unknown> {
  if (m.channel !== 'whatsapp') throw unsupported(PROVIDER, `${m.channel} messages`);
  if (m.media?.length) throw unsupported(PROVIDER, 'media (send a template with a media header instead)');
  if (m.template) {
    const { name, language, parameters } = m.template;
    const components = parameters.length ? [{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }] : [];
    return { type: 'template', template: { name, language: { code: language }, ...(components.length ? { components } : {}) } };
  }
  if (m.interactive) return { type: 'interactive', interactive: interactiveOf(m.interactive) };
  if (m.text) return { type: 'text', text: { body: m.text } };
  throw unsupported(PROVIDER, 'a message without text, template or interactive content');
}

function interactiveOf(i: Interactive): Record<string, unknown> {
  if (i.type === 'buttons') {
    return { type: 'button', body: { text: i.body }, action: { buttons: i.buttons.map(({ id, title }) => ({ type: 'reply', reply: { id, title } })) } };
  }
  return { type: 'list', body: { text: i.body }, action: { button: i.button, sections: i.sections } };
}

/** A Graph API error body: `{"error":{"message":"(#131026) …","code":131026,"error_data":{"details":"…"}}}`. */
function graphError({ json }: ProviderAnswer): Explanation | undefined {
  const message = textAt(json, 'error', 'message');
  if (message === undefined) return undefined;
  const details = textAt(json, 'error', 'error_data', 'details');
  const code = textAt(json, 'error', 'code');
  return { words: details ? `${message} (${details})` : message, throttled: code !== undefined && THROTTLING_CODES.has(code) };
}
