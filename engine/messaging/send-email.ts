// Send email: subject, text and optional HTML with {{placeholders}}, from one of our
// addresses (with an optional display name), with an optional reply-to. See send.ts for the
// recipient and branches. Sent to the address the person last wrote from in this journey (or
// the one their mail's Reply-To named), it answers their mail (address.ts keeps its Message-ID
// and References): it threads with it.
import { Type } from '@sinclair/typebox';
import type { CompiledTemplate } from '../expressions/template.js';
import { compileTemplate } from '../expressions/template.js';
import type { CompileContext } from '../element.js';
import { normalizeEmail } from '../people/contacts.js';
import { sendElement, type SendElement } from './send.js';
import { answerAddress, channelOf, threadOf } from './address.js';
import type { Thread } from './message.js';

interface Config {
  from: string;
  to?: string;
  timeoutSeconds?: number;
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  fromName?: string;
}

interface Prepared {
  readonly subject: CompiledTemplate | undefined;
  readonly text: CompiledTemplate | undefined;
  readonly html: CompiledTemplate | undefined;
  readonly replyTo: string | undefined;
  readonly fromName: string | undefined;
}

/** The channel's parts of the element (failover.ts sends them too). */
export const emailSend: SendElement<Config, Prepared> = {
  type: 'sendEmail',
  channel: 'email',
  title: 'Send email',
  description: 'Sends an email from one of our addresses; next once the provider accepted it.',
  fields: {
    subject: Type.String({ minLength: 1, maxLength: 998, description: 'subject, with {{placeholders}}' }),
    text: Type.String({ minLength: 1, maxLength: 1_000_000, description: 'plain-text body, with {{placeholders}}' }),
    html: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000_000, description: 'HTML body, with {{placeholders}}' })),
    replyTo: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: 'reply-to address: one address, like from (otherwise JCT_EMAIL_ADDRESS_INVALID)' })),
    fromName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]*$', description: 'sender display name shown beside from, e.g. "Club Support" (one line)' })),
  },
  example: { from: 'hello@example.com', subject: 'Welcome, {{person.firstName}}', text: 'Glad to have you.' },
  compile: (config, ctx) => {
    checkAddresses(config, ctx);
    return {
      subject: compileTemplate(config.subject, ctx, '.subject'),
      text: compileTemplate(config.text, ctx, '.text'),
      html: config.html === undefined ? undefined : compileTemplate(config.html, ctx, '.html'),
      replyTo: config.replyTo,
      fromName: config.fromName?.trim() || undefined,
    };
  },
  content: (p, run, to) => {
    const scope = { vars: run.vars, person: run.person, now: run.now };
    return {
      subject: p.subject?.render(scope) ?? '',
      text: p.text?.render(scope) ?? '',
      ...(p.html ? { html: p.html.render(scope) } : {}),
      ...(p.replyTo ? { replyTo: p.replyTo } : {}),
      ...(p.fromName ? { fromName: p.fromName } : {}),
      ...answering(run.participant.replyAddress, to),
    };
  },
};

/** `answers` when the mail goes where answers to the person's last mail in this journey go. */
function answering(replyAddress: string, to: string): { answers?: Thread } {
  return channelOf(replyAddress) === 'email' && answerAddress(replyAddress) === to ? { answers: threadOf(replyAddress) } : {};
}

/**
 * `from` and `replyTo` must each be one address: a name beside it ("Club <club@example.com>")
 * matches no provider's `numbers`, and a reply-to that is no address loses the replies.
 */
function checkAddresses(config: Pick<Config, 'from' | 'replyTo'>, ctx: CompileContext): void {
  for (const [field, value] of [['from', config.from], ['replyTo', config.replyTo]] as const) {
    if (value !== undefined && normalizeEmail(value) === undefined) ctx.problem('JCT_EMAIL_ADDRESS_INVALID', `${field} "${value}" is not one email address, e.g. hello@example.com`, `.${field}`);
  }
}

export default sendElement(emailSend);
