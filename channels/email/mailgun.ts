// Mailgun routes with a forward() action (carrier-dialects.md §7.2): each mail POSTed as a form
// (multipart, or urlencoded without attachments), parsed (recipient, sender, from, subject,
// body-plain, body-html, Message-Id) or raw (`body-mime`, when the route URL ends in "mime").
// Signed: signature = hex HMAC-SHA256(signing key, timestamp + token); the timestamp must be
// within 300 s of our clock and each token is accepted once (recent tokens are remembered).
import { Type } from '@sinclair/typebox';
import { requiredSetting as required } from '../provider.js';
import { hmac, requireFresh, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing, signatureRefused } from '../errors.js';
import { payload } from '../payload.js';
import { addressesOf, isAutomatic, messageIdOr, readMime, referencesOf, senderOf, textOf, type WebhookDialect } from './inbound.js';

const SIGNATURE = 'Mailgun signature (fields timestamp, token, signature)';
const TOLERANCE_S = 300;
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }));

const Fields = payload(
  Type.Object({
    recipient: Type.String({ minLength: 3, maxLength: 65_536 }),
    sender: Text(320),
    from: Text(4096),
    subject: Text(4096),
    'body-plain': Text(16 * 1024 * 1024),
    'body-html': Text(16 * 1024 * 1024),
    'Message-Id': Text(1024),
    'body-mime': Text(32 * 1024 * 1024),
  }),
  'Mailgun route form',
);

/** Tokens seen within the replay window, oldest first; at most MAX_TOKENS are kept. */
export class RecentTokens {
  private readonly until = new Map<string, number>();

  constructor(private readonly max = 100_000) {}

  /** Takes a token for good; false when it was already taken. */
  claim(token: string, expiresAt: number, now: number): boolean {
    for (const [old, at] of this.until) {
      if (at > now && this.until.size < this.max) break;
      this.until.delete(old);
    }
    if (this.until.has(token)) return false;
    this.until.set(token, expiresAt);
    return true;
  }

  /** Gives a token back (its webhook was not accepted, so Mailgun will retry it). */
  release(token: string): void {
    this.until.delete(token);
  }
}

const tokens = new RecentTokens();

/** A header of the mail: Mailgun posts each as a field of its own, named as the mail spells it. */
function headerField(form: Readonly<Record<string, string>>, lowerName: string): string | undefined {
  return Object.entries(form).find(([name]) => name.toLowerCase() === lowerName)?.[1];
}

export const mailgun: WebhookDialect = {
  async verify(_req, form, settings, now) {
    const key = required(settings.mailgunSigningKey, 'mailgunSigningKey');
    const { timestamp, token, signature } = await form();
    if (timestamp === undefined || token === undefined || signature === undefined) throw signatureMissing(SIGNATURE);
    const t = Number(timestamp);
    requireFresh(t, now, TOLERANCE_S, SIGNATURE);
    if (!sameText(signature, hmac('sha256', key, timestamp + token, 'hex'))) throw signatureInvalid(SIGNATURE);
    if (!tokens.claim(token, (t + TOLERANCE_S) * 1000, now)) throw signatureRefused(SIGNATURE, 'its token was already used (a replayed request)');
    return () => tokens.release(token);
  },
  async read(form, now) {
    const f = Fields(form);
    const recipients = addressesOf(f.recipient);
    if (f['body-mime'] !== undefined) return readMime(Buffer.from(f['body-mime']), recipients, f.sender, now);
    return {
      from: senderOf(f.from, f.sender || undefined),
      replyTo: addressesOf(headerField(form, 'reply-to'))[0],
      recipients,
      subject: f.subject,
      text: await textOf(f['body-plain'], f['body-html']),
      messageId: messageIdOr(f['Message-Id'], f.from, f.recipient, f.subject, f['body-plain'], f['body-html']),
      references: referencesOf(headerField(form, 'references'), headerField(form, 'in-reply-to')),
      receivedAt: now,
      automatic: isAutomatic((name) => headerField(form, name), f.sender),
    };
  },
};
