// Sending through Infobip with `Authorization: App <apiKey>`: SMS via /sms/2/text/advanced,
// WhatsApp text, template (body placeholders) and interactive buttons or list via the
// /whatsapp/1/message/* endpoints. Our outbox key is the message's `messageId` (Infobip lets the
// sender choose it), so every retry names the same message; an answer whose status group is
// REJECTED fails for good, and Infobip's error bodies are told in their own words.
import type { Interactive, OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import { EffectFailure } from '../../engine/errors.js';
import type { Explanation, ProviderAnswer, ProviderHttp } from '../http.js';
import { requiredSetting as required } from '../provider.js';
import { withoutPlus } from '../addresses.js';
import { answerId, textAt, unsupported, valueAt } from '../answers.js';

const PROVIDER = 'infobip';

export interface SendSettings {
  readonly apiKey?: string;
  readonly apiBaseUrl: string;
}

export async function sendMessage(message: OutboundMessage, settings: SendSettings, http: ProviderHttp): Promise<SendResult> {
  const { path, json } = requestFor(message);
  const answer = await http.call({ url: `${settings.apiBaseUrl}${path}`, headers: { authorization: `App ${required(settings.apiKey, 'apiKey')}` }, json }, infobipError);
  return { providerMessageId: idOf(answer.json) };
}

/** The endpoint and JSON body for one message. */
function requestFor(m: OutboundMessage): { path: string; json: unknown } {
  if (m.media?.length) throw unsupported(PROVIDER, 'media');
  const from = withoutPlus(m.from);
  const to = withoutPlus(m.to);
  const messageId = m.idempotencyKey;
  if (m.channel === 'sms') {
    if (!m.text) throw unsupported(PROVIDER, 'an SMS without text');
    return { path: '/sms/2/text/advanced', json: { messages: [{ from, destinations: [{ to, messageId }], text: m.text }] } };
  }
  if (m.channel !== 'whatsapp') throw unsupported(PROVIDER, `${m.channel} messages`);
  if (m.template) {
    const { name, language, parameters } = m.template;
    return { path: '/whatsapp/1/message/template', json: { messages: [{ from, to, messageId, content: { templateName: name, templateData: { body: { placeholders: parameters } }, language } }] } };
  }
  if (m.interactive) return { path: `/whatsapp/1/message/interactive/${m.interactive.type}`, json: { from, to, messageId, content: interactiveOf(m.interactive) } };
  if (m.text) return { path: '/whatsapp/1/message/text', json: { from, to, messageId, content: { text: m.text } } };
  throw unsupported(PROVIDER, 'a WhatsApp message without text, template or interactive content');
}

function interactiveOf(i: Interactive): unknown {
  if (i.type === 'buttons') return { body: { text: i.body }, action: { buttons: i.buttons.map(({ id, title }) => ({ type: 'REPLY', id, title })) } };
  return { body: { text: i.body }, action: { title: i.button, sections: i.sections } };
}

/** Infobip's error bodies: `{"requestError":{"serviceException":{"messageId":"…","text":"…"}}}` or `{"errorCode":"E…","description":"…"}`. */
function infobipError({ json }: ProviderAnswer): Explanation | undefined {
  const exception = valueAt(json, 'requestError', 'serviceException');
  const name = textAt(exception, 'messageId') ?? textAt(json, 'errorCode');
  const text = textAt(exception, 'text') ?? textAt(json, 'description');
  if (text === undefined) return undefined;
  return { words: name ? `${name}: ${text}` : text };
}

/** The message id of an answer (`{messages:[…]}` or one message); a REJECTED status fails for good. */
function idOf(answer: unknown): string {
  const sent = valueAt(answer, 'messages', 0) ?? answer;
  if (valueAt(sent, 'status', 'groupName') === 'REJECTED') {
    throw new EffectFailure('JCT_SEND_REJECTED', `infobip rejected the message: ${String(valueAt(sent, 'status', 'name'))}: ${String(valueAt(sent, 'status', 'description'))}`, false);
  }
  return answerId(valueAt(sent, 'messageId'), 'Infobip', 'messageId');
}
