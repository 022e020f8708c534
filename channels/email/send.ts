// Outbound email over SMTP (nodemailer): one pooled transport per relay configuration, the
// outbox key as the Message-ID's local part and in X-Junction-Idempotency-Key, and the relay's
// answer read as the engine wants it: 4xx and connection failures retryable, 5xx not. Every mail
// says it was sent automatically (RFC 3834 Auto-Submitted: auto-replied when it answers the
// person's mail, with In-Reply-To and References to thread with it; auto-generated otherwise,
// with its one-click unsubscribe headers: unsubscribe.ts).
import type { Transporter } from 'nodemailer';
import { EffectFailure } from '../../engine/errors.js';
import { lazyRequire } from '../../engine/lazy-require.js';
import type { OutboundMessage, SendResult } from '../../engine/messaging/message.js';
import { requiredSetting as required } from '../provider.js';
import type { EmailSettings } from './settings.js';
import { unsubscribeHeaders } from './unsubscribe.js';

const nodemailer = lazyRequire<typeof import('nodemailer')>('nodemailer');

/** Failures of the connection rather than of what was sent: worth retrying. */
const CONNECTION_FAILURES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'EMAXLIMIT', 'EPROXY']);

const transports = new Map<string, Transporter>();

export async function sendMail(message: OutboundMessage, settings: EmailSettings): Promise<SendResult> {
  const messageId = messageIdOf(message);
  const transport = transportOf(settings);
  try {
    const info = (await transport.sendMail({
      from: message.fromName ? { name: message.fromName, address: message.from } : message.from,
      to: message.to,
      subject: message.subject ?? '',
      text: message.text,
      html: message.html,
      replyTo: message.replyTo,
      messageId,
      ...threading(message),
      headers: {
        'X-Junction-Idempotency-Key': message.idempotencyKey,
        'Auto-Submitted': message.answers ? 'auto-replied' : 'auto-generated',
        ...unsubscribeHeaders(message, settings),
      },
    })) as { messageId?: string };
    return { providerMessageId: info.messageId ?? messageId };
  } catch (err) {
    throw failureOf(err);
  }
}

/** In-Reply-To and References of a mail that answers one that had a Message-ID. */
function threading(message: Pick<OutboundMessage, 'answers'>): { inReplyTo?: string; references?: string[] } {
  const { inReplyTo, references } = message.answers ?? {};
  return inReplyTo === undefined ? {} : { inReplyTo, references: [...(references ?? [inReplyTo])] };
}

/**
 * The same outbox entry always gets the same Message-ID, so receivers can spot a retried send;
 * its idempotency key carries the entry's deadline (externalKey), which keeps another store's
 * entry of the same key (keys start over in a new store) from reusing it: receivers such as
 * Gmail drop a mail whose Message-ID they have.
 */
export function messageIdOf(message: Pick<OutboundMessage, 'from' | 'idempotencyKey'>): string {
  const domain = message.from.slice(message.from.lastIndexOf('@') + 1) || 'localhost';
  return `<${Buffer.from(message.idempotencyKey).toString('base64url')}@${domain}>`;
}

function transportOf(s: EmailSettings): Transporter {
  const host = required(s.relayHost, 'relayHost');
  const key = JSON.stringify([host, s.relayPort, s.relaySecure, s.relayUser, s.relayPassword, s.timeoutMs]);
  let transport = transports.get(key);
  if (!transport) {
    transport = nodemailer().createTransport({
      pool: true,
      host,
      port: s.relayPort,
      secure: s.relaySecure,
      ...relayAuth(s),
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    transports.set(key, transport);
  }
  return transport;
}

/** The relay credentials: none, or both; one without the other fails the send for good, naming the missing one. */
function relayAuth(s: EmailSettings): { auth?: { user: string; pass: string } } {
  if (s.relayUser === undefined && s.relayPassword === undefined) return {};
  return { auth: { user: required(s.relayUser, 'relayUser'), pass: required(s.relayPassword, 'relayPassword') } };
}

function failureOf(err: unknown): EffectFailure {
  const { code, responseCode, message } = err as { code?: string; responseCode?: number; message?: string };
  const said = `the SMTP relay ${responseCode !== undefined ? `answered ${responseCode}` : `failed (${code ?? 'error'})`}: ${String(message).slice(0, 300)}`;
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return new EffectFailure('JCT_SEND_UNAVAILABLE', said, true);
  if (responseCode !== undefined && responseCode >= 500) return new EffectFailure('JCT_SEND_REJECTED', said, false);
  if (code !== undefined && CONNECTION_FAILURES.has(code)) return new EffectFailure('JCT_SEND_UNREACHABLE', said, true);
  return new EffectFailure('JCT_SEND_REJECTED', said, false);
}
