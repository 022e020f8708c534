// Send SMS: a text with placeholders from one of our numbers (see send.ts for the recipient,
// do-not-contact and the branches). The flow's "messages sent" counts the parts it takes
// (segments.ts).
import { Type } from '@sinclair/typebox';
import { compileTemplate } from '../expressions/template.js';
import { sendElement, type SendElement } from './send.js';

/** The channel's parts of the element (failover.ts sends them too). */
export const smsSend: SendElement<{ from: string; to?: string; timeoutSeconds?: number; text: string }, ReturnType<typeof compileTemplate>> = {
  type: 'sendSms',
  channel: 'sms',
  title: 'Send SMS',
  description: 'Sends a text message from one of our numbers; next once the provider accepted it.',
  fields: { text: Type.String({ minLength: 1, maxLength: 10_000, description: 'the text, with {{placeholders}}' }) },
  example: { from: '+385800100', text: 'Hi {{person.firstName}}, reply YES to confirm.' },
  compile: (config, ctx) => compileTemplate(config.text, ctx, '.text'),
  content: (text, run) => ({ text: text?.render({ vars: run.vars, person: run.person, now: run.now }) ?? '' }),
};

export default sendElement(smsSend);
