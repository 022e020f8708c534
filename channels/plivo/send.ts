// Sending through Plivo's Message API: POST {apiBaseUrl}/v1/Account/{authId}/Message/ with a JSON
// body (src, dst, text, type sms/mms/whatsapp, media_urls, a WhatsApp template or interactive
// message, and the status callback url when the public base URL is known), Basic auth
// authId:authToken. The answer's first message_uuid is the message id. Plivo's Message API has
// no idempotency key.
import type { Interactive, OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import { basicAuth, type Explanation, type ProviderAnswer, type ProviderHttp } from '../http.js';
import { requiredSetting as required, statusCallbackUrl } from '../provider.js';
import { answerId, valueAt } from '../answers.js';
import type { PlivoSettings } from './settings.js';

export async function sendPlivo(message: OutboundMessage, settings: PlivoSettings, http: ProviderHttp): Promise<SendResult> {
  const authId = required(settings.authId, 'authId');
  const answer = await http.call(
    {
      url: `${settings.apiBaseUrl}/v1/Account/${encodeURIComponent(authId)}/Message/`,
      headers: { authorization: basicAuth(authId, required(settings.authToken, 'authToken')) },
      json: bodyOf(message, settings),
    },
    plivoError,
  );
  const uuid = valueAt(answer.json, 'message_uuid');
  return { providerMessageId: answerId(Array.isArray(uuid) ? valueAt(uuid, 0) : uuid, 'plivo', 'message_uuid') };
}

function bodyOf(message: OutboundMessage, settings: PlivoSettings): Record<string, unknown> {
  const media = message.media ?? [];
  return {
    src: message.from,
    dst: message.to,
    type: message.channel === 'whatsapp' ? 'whatsapp' : media.length > 0 ? 'mms' : 'sms',
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(media.length > 0 ? { media_urls: media } : {}),
    ...(message.template ? { template: templateOf(message.template) } : {}),
    ...(message.interactive ? { interactive: interactiveOf(message.interactive) } : {}),
    ...(settings.publicBaseUrl !== undefined ? { url: statusCallbackUrl('plivo', settings.publicBaseUrl, message), method: 'POST' } : {}),
  };
}

function templateOf(template: NonNullable<OutboundMessage['template']>): Record<string, unknown> {
  const parameters = template.parameters.map((text) => ({ type: 'text', text }));
  return { name: template.name, language: template.language, ...(parameters.length ? { components: [{ type: 'body', parameters }] } : {}) };
}

function interactiveOf(i: Interactive): Record<string, unknown> {
  if (i.type === 'buttons') return { type: 'button', body: { text: i.body }, action: { buttons: i.buttons.map((b) => ({ id: b.id, title: b.title })) } };
  return { type: 'list', body: { text: i.body }, action: { buttons: [{ title: i.button }], sections: i.sections } };
}

/** Plivo's error body: { api_id, error } where error is a sentence or an object of them. */
function plivoError({ json }: ProviderAnswer): Explanation | undefined {
  const error = valueAt(json, 'error');
  if (typeof error === 'string') return { words: error };
  return error !== null && typeof error === 'object' ? { words: JSON.stringify(error) } : undefined;
}
