// What every inbound path of email shares (SMTP listener, SendGrid and Mailgun webhooks): the
// mail as read (sender, Reply-To, recipients, subject, text, Message-ID, References) turned into one InboundMessage
// per recipient of ours and submitted to the inbox (none for a mail sent automatically: see
// isAutomatic); HTML turned into text; and the webhook
// route itself (form read from the raw bytes, verified, read, submitted, answered once durable).
import { createHash } from 'node:crypto';
import type { AddressObject, ParsedMail } from 'mailparser';
import { JunctionError } from '../../engine/errors.js';
import { lazyRequire } from '../../engine/lazy-require.js';
import type { RouteAnswer, RouteDefinition, RouteRequest } from '../../engine/module.js';
import type { InboundMessage } from '../../engine/messaging/message.js';
import { keptIds } from '../../engine/messaging/address.js';
import { header } from '../signing.js';
import { payloadInvalid } from '../errors.js';
import { isOurs, type EmailSettings } from './settings.js';
import { submitInbound } from '../provider.js';

const mailparser = lazyRequire<typeof import('mailparser')>('mailparser');
const undici = lazyRequire<typeof import('undici')>('undici');

/** One mail as any inbound path read it. */
export interface Mail {
  /** The From header's address, else the envelope sender. */
  readonly from: string;
  /** The Reply-To header's first address: where answers go (RFC 5322 §3.6.2). */
  readonly replyTo?: string;
  readonly recipients: readonly string[];
  readonly subject: string | undefined;
  readonly text: string;
  readonly messageId: string;
  /** The Message-IDs of the mails before it in its thread (References, else In-Reply-To), oldest first. */
  readonly references?: readonly string[];
  readonly receivedAt: number;
  /** Sent automatically (an out-of-office reply, a bounce): taken, but given to no flow. */
  readonly automatic: boolean;
}

/**
 * Whether a mail was sent automatically, by its headers (`header` gives one by its lower-case
 * name) and its envelope: an Auto-Submitted header but "no" (RFC 3834), a Precedence of bulk,
 * junk, list or auto_reply, an X-Autoreply or X-Autorespond header (responders older than RFC
 * 3834), or a null envelope sender (`MAIL FROM:<>`, '' here: bounces and other notifications,
 * RFC 5321). Flows are automatic responders: answering such a mail, or letting it answer a
 * waiting element, would loop with another responder or spend the person's reply.
 */
export function isAutomatic(header: (lowerName: string) => unknown, envelopeSender?: string): boolean {
  const autoSubmitted = textOfHeader(header('auto-submitted'));
  return (
    (autoSubmitted !== '' && !/^no\b/.test(autoSubmitted)) ||
    /^(bulk|junk|list|auto_reply)\b/.test(textOfHeader(header('precedence'))) ||
    textOfHeader(header('x-autoreply')) !== '' ||
    textOfHeader(header('x-autorespond')) !== '' ||
    envelopeSender === ''
  );
}

function textOfHeader(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

/**
 * The longest text of a mail a flow reads (UTF-16 units): what a mail says anew is at its top,
 * and a flow variable holding megabytes would be journaled with every step of its participant.
 */
const MAX_TEXT = 64 * 1024;

/** The longest subject kept (as the webhooks' subject fields allow): a flow may capture it into a variable. */
const MAX_SUBJECT = 4096;

/** The inbound messages of a mail: one per recipient, addresses lower-cased; its text cut at MAX_TEXT, its subject at MAX_SUBJECT. */
export function messagesOf(mail: Mail): InboundMessage[] {
  const recipients = [...new Set(mail.recipients.map((r) => r.toLowerCase()))];
  const from = mail.from.toLowerCase();
  const replyTo = replyToOf(mail.replyTo, from);
  return recipients.map((to) => ({
    channel: 'email',
    provider: 'email',
    from,
    ...(replyTo !== undefined ? { replyTo } : {}),
    to,
    text: newPart(mail.text.slice(0, MAX_TEXT)),
    media: [],
    ...(mail.subject !== undefined ? { subject: mail.subject.slice(0, MAX_SUBJECT) } : {}),
    providerMessageId: mail.messageId,
    ...(mail.references?.length ? { references: mail.references } : {}),
    receivedAt: mail.receivedAt,
  }));
}

/** Longest address kept (RFC 5321's limit on a path); a longer Reply-To is ignored. */
const MAX_ADDRESS = 320;

/** The Reply-To address lower-cased, when it is one and names another address than `from`. */
function replyToOf(replyTo: string | undefined, from: string): string | undefined {
  const address = replyTo?.toLowerCase();
  return address !== undefined && address !== from && address.length <= MAX_ADDRESS ? address : undefined;
}

const ORIGINAL_MESSAGE = /^-{2,}[ \t]*Original Message[ \t]*-{2,}[ \t]*$/i;
/** Outlook's rule above the header block of the mail answered (underscores in plain text, an <hr> as dashes in HTML). */
const RULE = /^[ \t]*(_{30,}|-{30,})[ \t]*$/;
/** The first line of that header block: "From:", or its translation ("Von:", "De :", "Od:"…). */
const HEADER_LINE = /^[ \t]*\*?\p{L}{1,20}\*? ?:/u;
/** The signature separator (RFC 3676 "-- ", often sent without its space). */
const SIGNATURE = /^-- ?$/;
const WROTE = /^On\b.*\bwrote:[ \t]*$/;
/** The line a phone's mail app adds under what was written ("Sent from my iPhone", "Get Outlook for Android", translated). */
const DEVICE_LINE = /^[ \t]*(sent from |get outlook for |von meinem |envoyé de mon |enviado desde mi |inviato da(l mio)? |verzonden vanaf mijn )/i;
const DEVICE_LINE_MAX = 100;

/** In another language, a line ending with ":" that names a date or an address ("Le 5 déc. 2026, … a écrit :"). */
function isForeignAttribution(line: string): boolean {
  return line.trimEnd().endsWith(':') && /[\d@]/.test(line);
}

/**
 * What a mail says anew: its text above its signature ("-- ", or a phone's "Sent from my …"
 * line at its end), above the quoted history of a reply, i.e. above the trailing block of ">"
 * and blank lines (and the attribution line before it, wrapped once at most), and above
 * Outlook's "Original Message" line or rule followed by the header block of the mail answered.
 * The whole text when nothing is above it. Linear time.
 */
export function newPart(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let cut = historyStart(lines);
  let quoted = cut;
  while (quoted > 0 && /^[ \t]*(>.*)?$/.test(lines[quoted - 1]!)) quoted--;
  if (lines.slice(quoted, cut).some((line) => line.startsWith('>'))) cut = attributionAbove(lines, quoted) ?? quoted;
  cut = deviceLineAbove(lines, cut) ?? cut;
  const above = lines.slice(0, cut).join('\n').trim();
  return above === '' ? text : above;
}

/** The first line of the signature or of Outlook's history; the line count when there is neither. */
function historyStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SIGNATURE.test(line) || ORIGINAL_MESSAGE.test(line)) return i;
    if (RULE.test(line) && HEADER_LINE.test(nextWritten(lines, i + 1))) return i;
  }
  return lines.length;
}

/** The last written line above `at` when it is a phone mail app's "Sent from my …" line. */
function deviceLineAbove(lines: readonly string[], at: number): number | undefined {
  let last = at - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  return last >= 0 && lines[last]!.length <= DEVICE_LINE_MAX && DEVICE_LINE.test(lines[last]!) ? last : undefined;
}

/** The first line from `from` on that is not blank ("" when none). */
function nextWritten(lines: readonly string[], from: number): string {
  for (let i = from; i < lines.length; i++) if (lines[i]!.trim() !== '') return lines[i]!;
  return '';
}

/**
 * The line where an attribution ending just above `at` starts: "On … wrote:" on one line or
 * wrapped on two; else one in another language, on two lines when the first names a date or an
 * address and starts a paragraph, else on one.
 */
function attributionAbove(lines: readonly string[], at: number): number | undefined {
  const one = lines[at - 1];
  const two = at >= 2 ? `${lines[at - 2]!} ${lines[at - 1]!}` : undefined;
  if (one !== undefined && WROTE.test(one)) return at - 1;
  if (two !== undefined && WROTE.test(two)) return at - 2;
  if (two !== undefined && isForeignAttribution(two) && /[\d@]/.test(lines[at - 2]!) && lines[at - 3]?.trim() === '') return at - 2;
  if (one !== undefined && isForeignAttribution(one)) return at - 1;
  return undefined;
}

/** The addresses of an address header ("Ana <ana@example.com>, bo@example.com"), groups flattened. */
export function addressesOf(value: string | AddressObject | undefined): string[] {
  const parsed = typeof value === 'string' ? mailparser().parseAddressHeader(value, { flatten: true }) : value;
  return (parsed?.value ?? []).flatMap((a) => a.group ?? [a]).flatMap((a) => (a.address?.includes('@') ? [a.address] : []));
}

/** The person's address: the From header's first mailbox, else the envelope sender; 400 without either. */
export function senderOf(fromHeader: string | AddressObject | undefined, envelopeSender: string | undefined): string {
  const address = addressesOf(fromHeader)[0] ?? envelopeSender;
  if (address === undefined || !address.includes('@')) throw payloadInvalid('the mail has no sender address (From header or envelope sender)');
  return address;
}

const PARSING = { skipTextToHtml: true, skipImageLinks: true, maxHtmlLengthToParse: 2 * 1024 * 1024 } as const;

/** A whole MIME message read, with its envelope (the recipients it was delivered to and its sender: '' for the null sender). */
export async function readMime(raw: Buffer, recipients: readonly string[], envelopeSender: string | undefined, now: number): Promise<Mail> {
  const parsed = await parseMime(raw);
  return {
    from: senderOf(parsed.from, envelopeSender || undefined),
    replyTo: addressesOf(parsed.replyTo)[0],
    recipients,
    subject: parsed.subject,
    text: await textOf(parsed.text, parsed.html || undefined),
    messageId: messageIdOr(parsed.messageId, raw),
    references: referencesOf(parsed.references, parsed.inReplyTo),
    receivedAt: now,
    automatic: isAutomatic((name) => parsed.headers.get(name), envelopeSender),
  };
}

/** A Message-ID, or when the mail has none a stable hash of what identifies it. */
export function messageIdOr(messageId: string | undefined, ...identifying: ReadonlyArray<string | Buffer | undefined>): string {
  if (messageId !== undefined && messageId.trim() !== '') return messageId.trim();
  const hash = createHash('sha256');
  for (const part of identifying) hash.update(part ?? '').update('\0');
  return `sha256:${hash.digest('hex')}`;
}

const MESSAGE_IDS = /<[^<>\s]+>/g;
/** Most Message-IDs kept of a References header (a participant keeps ten of them, address.ts). */
const MAX_REFERENCES = 100;

/**
 * The Message-IDs of a References header (as mailparser gives it, or its raw text), else of
 * In-Reply-To: the mails before this one in its thread, oldest first; the first and the latest
 * of a long list (the header has no length limit, and the message is journaled).
 */
export function referencesOf(references: string | readonly string[] | undefined, inReplyTo?: string): string[] {
  const ids = (value: string | readonly string[] | undefined): string[] => (typeof value === 'string' ? [value] : (value ?? [])).flatMap((v) => v.match(MESSAGE_IDS) ?? []);
  const listed = ids(references);
  return keptIds(listed.length > 0 ? listed : ids(inReplyTo), MAX_REFERENCES);
}

/** A MIME message (or header block) parsed; 400 when mailparser cannot. */
export async function parseMime(raw: Buffer): Promise<ParsedMail> {
  try {
    return await mailparser().simpleParser(raw, PARSING);
  } catch (err) {
    throw payloadInvalid(`the mail could not be parsed: ${(err as Error).message}`);
  }
}

const HTML_HEAD = Buffer.from('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n');

/** The text part, else (none, or only blank lines) the HTML part as text. */
export async function textOf(text: string | undefined, html: string | undefined): Promise<string> {
  if (text !== undefined && text.trim() !== '') return text.trim();
  return html !== undefined ? htmlToText(html) : '';
}

/** HTML as plain text, converted as mailparser converts an HTML-only mail (with its depth limits). */
async function htmlToText(html: string): Promise<string> {
  const parsed = await parseMime(Buffer.concat([HTML_HEAD, Buffer.from(html)]));
  return (parsed.text ?? '').trim();
}

/** The text fields of a form (multipart or urlencoded) read from the raw body; files are left out. */
export type Form = Readonly<Record<string, string>>;

/** One inbound webhook dialect: how its requests are verified and what mail they carry. */
export interface WebhookDialect {
  /**
   * Throws JCT_SIGNATURE_MISSING / JCT_SIGNATURE_INVALID. May return how to forget what it
   * remembered of this request (a single-use token), for when the webhook is not accepted.
   * `form` reads the body: a dialect signed outside it checks its signature without, so that
   * an unsigned body is refused before it costs a parse (tens of MiB of multipart take seconds).
   */
  verify(req: RouteRequest, form: () => Promise<Form>, settings: EmailSettings, now: number): Promise<void | (() => void)>;
  /** The mail a verified request carries; throws JCT_PAYLOAD_INVALID (400) when malformed. */
  read(form: Form, now: number): Promise<Mail>;
}

const OK: RouteAnswer = { status: 200, body: '' };

/** Largest webhook body: a whole raw mail (32 MiB in its form field) and the fields beside it. */
const WEBHOOK_BODY_LIMIT = 40 * 1024 * 1024;

/** A webhook route: form read, verified, read, each recipient of ours submitted (none of an automatic mail), 200 once durable. */
export function webhookRoute(url: string, dialect: WebhookDialect): RouteDefinition {
  return {
    method: 'POST',
    url,
    access: 'signature',
    bodyLimit: WEBHOOK_BODY_LIMIT,
    handle: async (req, ctx) => {
      const settings = ctx.settings as EmailSettings;
      const now = ctx.now();
      let form: Promise<Form> | undefined;
      const read = () => (form ??= formOf(req));
      const undo = await dialect.verify(req, read, settings, now);
      try {
        const mail = await dialect.read(await read(), now);
        const recipients = oursOnly(mail.recipients, settings);
        if (!mail.automatic) await submitInbound(ctx, messagesOf({ ...mail, recipients }));
        return OK;
      } catch (err) {
        undo?.();
        throw err;
      }
    },
  };
}

/** Most parts a multipart webhook body may have: a mail's fields and attachments, with room to spare. */
const MAX_PARTS = 1000;

/**
 * The text fields of a form body (multipart or urlencoded) by name, a repeated name's last value
 * (what the inbound mail webhooks are read from); 400 as formFields.
 */
export async function formOf(req: RouteRequest): Promise<Form> {
  return Object.fromEntries(await formFields(req));
}

/** Every text field of a form body (multipart or urlencoded) in order, repeated names each time; 400 when it is neither, or has more than MAX_PARTS parts. */
export async function formFields(req: RouteRequest): Promise<Array<[name: string, value: string]>> {
  const type = header(req, 'content-type') ?? '';
  if (partsAbove(req.rawBody, type, MAX_PARTS)) throw payloadInvalid(`the form has more than ${MAX_PARTS} parts`);
  let data: Awaited<ReturnType<InstanceType<typeof Response>['formData']>>;
  try {
    data = await new (undici().Response)(req.rawBody, { headers: { 'content-type': type } }).formData();
  } catch {
    throw payloadInvalid('the body is not a multipart/form-data or urlencoded form');
  }
  const fields: Array<[string, string]> = [];
  for (const [name, value] of data) if (typeof value === 'string') fields.push([name, value]);
  return fields;
}

/**
 * Whether a multipart body has more than `max` parts, counted by its boundary lines before
 * anything is parsed: the parser takes seconds over a few hundred thousand tiny parts.
 */
function partsAbove(raw: Buffer, type: string, max: number): boolean {
  const boundary = /^multipart\/form-data\b.*;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(type);
  if (!boundary) return false;
  const line = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let parts = 0;
  for (let at = raw.indexOf(line); at !== -1; at = raw.indexOf(line, at + line.length)) if (++parts > max + 1) return true; // the closing line too
  return false;
}

function oursOnly(recipients: readonly string[], settings: EmailSettings): string[] {
  const ours = recipients.filter((r) => isOurs(r, settings.domains));
  if (ours.length === 0) {
    throw new JunctionError('JCT_EMAIL_RECIPIENT_UNKNOWN', `none of the recipients is an address or domain this module accepts (setting "domains")`);
  }
  return ours;
}
