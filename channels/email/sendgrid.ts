// SendGrid Inbound Parse (carrier-dialects.md §7.1): each mail POSTed as multipart/form-data,
// parsed (from, to, subject, text, html, headers, envelope) or raw (the whole MIME message in
// `email`). SendGrid does not sign these requests, so the URL configured at SendGrid carries a
// shared secret, `?key=<sendgridKey>`, compared in constant time.
import { Type } from '@sinclair/typebox';
import { requiredSetting as required } from '../provider.js';
import { hmac, sameText } from '../signing.js';
import { payloadInvalid, signatureInvalid, signatureMissing } from '../errors.js';
import { payload } from '../payload.js';
import type { ParsedMail } from 'mailparser';
import { addressesOf, isAutomatic, messageIdOr, parseMime, readMime, referencesOf, senderOf, textOf, type Mail, type WebhookDialect } from './inbound.js';

const KEY = 'key query parameter';
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }));

const Fields = payload(
  Type.Object({
    from: Text(4096),
    to: Text(65_536),
    subject: Text(4096),
    text: Text(16 * 1024 * 1024),
    html: Text(16 * 1024 * 1024),
    headers: Text(1024 * 1024),
    envelope: Text(65_536),
    email: Text(32 * 1024 * 1024),
  }),
  'SendGrid Inbound Parse form',
);

const Envelope = payload(
  Type.Object({ to: Type.Array(Type.String({ maxLength: 320 }), { maxItems: 1000 }), from: Type.Optional(Type.String({ maxLength: 320 })) }),
  'SendGrid envelope',
);

export const sendgrid: WebhookDialect = {
  async verify(req, _form, settings) {
    const secret = required(settings.sendgridKey, 'sendgridKey');
    const given = req.query['key'];
    if (given === undefined) throw signatureMissing(KEY);
    // Both sides digested first, so the comparison's time does not tell the secret's length.
    if (typeof given !== 'string' || !sameText(hmac('sha256', 'sendgrid', given, 'hex'), hmac('sha256', 'sendgrid', secret, 'hex'))) throw signatureInvalid(KEY);
  },
  async read(form, now) {
    const f = Fields(form);
    const envelope = envelopeOf(f.envelope);
    const recipients = envelope?.to ?? addressesOf(f.to ?? '');
    if (f.email !== undefined) return readMime(Buffer.from(f.email), recipients, envelope?.from, now);
    const head = await headerBlockOf(f.headers);
    return {
      from: senderOf(f.from, envelope?.from || undefined),
      replyTo: addressesOf(head?.parsed.replyTo)[0],
      recipients,
      subject: f.subject,
      text: await textOf(f.text, f.html),
      messageId: head ? messageIdOr(head.parsed.messageId, head.block) : messageIdOr(undefined, f.from, f.to, f.subject, f.text, f.html),
      references: referencesOf(head?.parsed.references, head?.parsed.inReplyTo),
      receivedAt: now,
      automatic: isAutomatic((name) => head?.parsed.headers.get(name), envelope?.from),
    } satisfies Mail;
  },
};

function envelopeOf(json: string | undefined): { to: string[]; from?: string } | undefined {
  if (json === undefined) return undefined;
  try {
    return Envelope(JSON.parse(json));
  } catch (err) {
    throw err instanceof SyntaxError ? payloadInvalid('the SendGrid envelope is not JSON') : err;
  }
}

/** The mail's header block (its Message-ID, else a hash of it, the same on SendGrid's retries, names the mail), parsed. */
async function headerBlockOf(headers: string | undefined): Promise<{ block: Buffer; parsed: ParsedMail } | undefined> {
  if (headers === undefined) return undefined;
  const block = Buffer.from(`${headers.trimEnd()}\r\n\r\n`);
  return { block, parsed: await parseMime(block) };
}
