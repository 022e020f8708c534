// The email module: a provider (sends over an SMTP relay) plus what providerModule has no place
// for: the inbound SMTP listener, and the SendGrid Inbound Parse and Mailgun route webhooks at
// /webhooks/email/sendgrid and /webhooks/email/mailgun. Mail for addresses of `domains` becomes
// one `message.inbound` per recipient, keyed to the person of the sender's address. Mail sent
// carries a one-click unsubscribe link, served at /unsubscribe/<token> (unsubscribe.ts).
import { JunctionError } from '../../engine/errors.js';
import type { Module } from '../../engine/module.js';
import { providerModule, type Provider } from '../provider.js';
import { EmailSettings, SECRETS } from './settings.js';
import { sendMail } from './send.js';
import { smtpListener } from './smtp.js';
import { webhookRoute } from './inbound.js';
import { sendgrid } from './sendgrid.js';
import { mailgun } from './mailgun.js';
import { unsubscribeRoutes } from './unsubscribe.js';

const elsewhere = (): JunctionError =>
  new JunctionError('JCT_NOT_FOUND', 'email webhooks are served at /webhooks/email/sendgrid and /webhooks/email/mailgun');

export const email: Provider<EmailSettings> = {
  name: 'email',
  channels: ['email'],
  settings: EmailSettings,
  secrets: SECRETS,
  // A POST to /webhooks/email is a misdirected SendGrid or Mailgun webhook: say where they go.
  verify() {
    throw elsewhere();
  },
  read() {
    throw elsewhere();
  },
  send: (message, settings) => sendMail(message, settings),
  routes: [webhookRoute('/webhooks/email/sendgrid', sendgrid), webhookRoute('/webhooks/email/mailgun', mailgun), ...unsubscribeRoutes],
};

const emailModule: Module = { ...providerModule(email), listeners: [smtpListener] };
export default emailModule;
