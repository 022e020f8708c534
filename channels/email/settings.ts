// The email module's settings: the inbound SMTP listener, the two inbound webhooks (SendGrid
// Inbound Parse, Mailgun routes), the outbound SMTP relay and its unsubscribe links, and which
// recipients are ours.
import { Type } from '@sinclair/typebox';
import type { CommonSettings } from '../provider.js';

export const EmailSettings = {
  domains: Type.Array(Type.String({ minLength: 1, maxLength: 320 }), {
    default: [],
    maxItems: 10_000,
    description: 'recipient domains ("example.com") or addresses ("help@example.com") we accept mail for, by SMTP or webhook; empty: none',
  }),
  smtpListen: Type.Boolean({ default: false, description: 'run the inbound SMTP listener' }),
  smtpHost: Type.String({ default: '127.0.0.1', description: 'address the SMTP listener binds' }),
  smtpPort: Type.Integer({ minimum: 0, maximum: 65_535, default: 2525, description: 'port the SMTP listener binds; 0: any free port (logged)' }),
  maxMessageBytes: Type.Integer({ minimum: 1024, maximum: 100 * 1024 * 1024, default: 10 * 1024 * 1024, description: 'largest mail the SMTP listener accepts (advertised as SIZE; larger: 552)' }),
  smtpUser: Type.Optional(Type.String({ minLength: 1, description: 'with smtpPassword: SMTP AUTH required of whoever delivers to the listener; unset: no AUTH (trusted relay/MX on a private network)' })),
  smtpPassword: Type.Optional(Type.String({ minLength: 8, description: 'password of smtpUser' })),
  tlsKeyFile: Type.Optional(Type.String({ minLength: 1, filePath: true, description: 'with tlsCertFile: the listener offers STARTTLS with this PEM private key' })),
  tlsCertFile: Type.Optional(Type.String({ minLength: 1, filePath: true, description: 'PEM certificate chain offered with STARTTLS' })),
  sendgridKey: Type.Optional(Type.String({ minLength: 16, description: 'secret the SendGrid Inbound Parse URL carries as ?key=; unset: that webhook is refused' })),
  mailgunSigningKey: Type.Optional(Type.String({ minLength: 8, description: 'Mailgun HTTP webhook signing key; unset: that webhook is refused' })),
  relayHost: Type.Optional(Type.String({ minLength: 1, description: 'SMTP server mail is sent through; unset: sends fail for good' })),
  relayPort: Type.Integer({ minimum: 1, maximum: 65_535, default: 587, description: 'port of the SMTP relay' }),
  relaySecure: Type.Boolean({ default: false, description: 'TLS from the first byte (port 465); false: STARTTLS when the relay offers it' }),
  relayUser: Type.Optional(Type.String({ minLength: 1, description: 'user to authenticate to the relay as' })),
  relayPassword: Type.Optional(Type.String({ minLength: 1, description: 'password of relayUser' })),
  listUnsubscribe: Type.Boolean({
    default: true,
    description: 'mail sent that does not answer the person\'s own mail carries List-Unsubscribe (a link on publicBaseUrl) and List-Unsubscribe-Post for one-click unsubscribe (RFC 8058), when unsubscribeSecret and publicBaseUrl are set; false: never',
  }),
  unsubscribeSecret: Type.Optional(Type.String({ minLength: 32, description: 'key the unsubscribe links are signed with (HMAC-SHA256), at least 32 characters; changing it voids the links of mail sent before; unset: no unsubscribe headers, and /unsubscribe links are refused' })),
};

export type EmailSettings = CommonSettings & {
  domains: string[];
  smtpListen: boolean;
  smtpHost: string;
  smtpPort: number;
  maxMessageBytes: number;
  smtpUser?: string;
  smtpPassword?: string;
  tlsKeyFile?: string;
  tlsCertFile?: string;
  sendgridKey?: string;
  mailgunSigningKey?: string;
  relayHost?: string;
  relayPort: number;
  relaySecure: boolean;
  relayUser?: string;
  relayPassword?: string;
  listUnsubscribe: boolean;
  unsubscribeSecret?: string;
};

export const SECRETS = ['smtpPassword', 'sendgridKey', 'mailgunSigningKey', 'relayPassword', 'unsubscribeSecret'] as const;

/** Whether mail to `address` is ours: its domain or the address itself is listed in `domains`. */
export function isOurs(address: string, domains: readonly string[]): boolean {
  const lower = address.toLowerCase();
  const listed = lowered(domains);
  return lower.includes('@') && (listed.has(lower) || listed.has(lower.slice(lower.lastIndexOf('@') + 1)));
}

/** The `domains` setting lower-cased, made once per settings list (up to 10,000 entries, asked per recipient). */
const LOWERED = new WeakMap<readonly string[], ReadonlySet<string>>();

function lowered(domains: readonly string[]): ReadonlySet<string> {
  let set = LOWERED.get(domains);
  if (!set) LOWERED.set(domains, (set = new Set(domains.map((d) => d.toLowerCase()))));
  return set;
}
