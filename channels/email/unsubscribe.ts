// One-click unsubscribe for mail flows send (RFC 2369 List-Unsubscribe, RFC 8058
// List-Unsubscribe-Post): the headers a mail carries, the token of its link (the contact and our
// sender, signed with HMAC-SHA256 under `unsubscribeSecret`, so nobody can make a link for
// another address or sender), and the link's route on our public address. A POST whose form
// holds the pair `List-Unsubscribe=One-Click` (RFC 8058 asks only that it be there: other fields,
// and other values of that name before or after it, change nothing) adds the contact to the
// do-not-contact list for email from that sender, answered 200 once durable (a repeat changes
// nothing) and counted as the module event `email.unsubscribed`; a GET (a person opening the
// link, a link scanner) changes nothing and answers a page whose button makes that POST.
import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { JunctionError } from '../../engine/errors.js';
import type { RouteAnswer, RouteContext, RouteDefinition, RouteRequest } from '../../engine/module.js';
import type { OutboundMessage } from '../../engine/messaging/message.js';
import { normalizeEmail } from '../../engine/people/contacts.js';
import { sameText } from '../signing.js';
import { formFields } from './inbound.js';
import type { EmailSettings } from './settings.js';

export const UNSUBSCRIBE_PATH = '/unsubscribe/';
/** The token's form; a token of another (an older or a future one) is refused. */
const VERSION = '1';
/** 128 bits of HMAC-SHA256: enough that a signature cannot be guessed. */
const SIGNATURE_BYTES = 16;
/** Longest token taken: two addresses of 320 characters, base64url, and the rest. */
const MAX_TOKEN = 1000;

/** A contact and the sender whose mail it no longer wants. */
export interface Unsubscriber {
  readonly contact: string;
  readonly sender: string;
}

/**
 * The List-Unsubscribe and List-Unsubscribe-Post headers of a mail: none when it answers the
 * person's own mail (a reply in their conversation), when `listUnsubscribe` is off, or when
 * `unsubscribeSecret` or `publicBaseUrl` is unset (no link can be made).
 */
export function unsubscribeHeaders(message: Pick<OutboundMessage, 'from' | 'to' | 'answers'>, settings: EmailSettings): Record<string, string> {
  const { listUnsubscribe, unsubscribeSecret: secret, publicBaseUrl } = settings;
  if (!listUnsubscribe || message.answers !== undefined || secret === undefined || publicBaseUrl === undefined) return {};
  const url = `${publicBaseUrl}${UNSUBSCRIBE_PATH}${unsubscribeToken({ contact: message.to, sender: message.from }, secret)}`;
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/** `<version>.<base64url of contact and sender>.<base64url signature>`. */
export function unsubscribeToken(who: Unsubscriber, secret: string): string {
  const payload = Buffer.from(`${who.contact}\n${who.sender}`).toString('base64url');
  return `${VERSION}.${payload}.${signatureOf(payload, secret)}`;
}

/** Who a token names; JCT_UNSUBSCRIBE_TOKEN_INVALID (403) when it is not one we signed. */
export function readUnsubscribeToken(token: string, secret: string): Unsubscriber {
  const [version, payload, signature, ...rest] = token.split('.');
  if (version !== VERSION || !payload || signature === undefined || rest.length > 0 || !sameText(signature, signatureOf(payload, secret))) throw tokenInvalid();
  const [contact, sender, ...more] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
  const named = normalizeEmail(contact ?? '');
  if (named === undefined || !sender || more.length > 0) throw tokenInvalid();
  return { contact: named, sender };
}

function signatureOf(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`list-unsubscribe.${VERSION}.${payload}`).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
}

function tokenInvalid(): JunctionError {
  return new JunctionError('JCT_UNSUBSCRIBE_TOKEN_INVALID', 'this unsubscribe link is not one of ours, or was cut short');
}

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: MAX_TOKEN }) });

const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-robots-tag': 'noindex' } as const;

const CONFIRM_PAGE =
  '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Unsubscribe</title>' +
  '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><p>Stop receiving these emails?</p><button type="submit">Unsubscribe</button></form></html>';

const DONE_PAGE = '<!doctype html><html lang="en"><meta charset="utf-8"><title>Unsubscribed</title><p>You are unsubscribed: these emails will not be sent to you again.</p></html>';

/** The link's two routes: POST unsubscribes, GET asks first. */
export const unsubscribeRoutes: readonly RouteDefinition[] = [
  {
    method: 'POST',
    url: `${UNSUBSCRIBE_PATH}:token`,
    access: 'open', // a mail provider posts it for the person, with no credentials: the token is the authority
    schema: { params: TokenParams },
    handle: unsubscribe,
  },
  {
    method: 'GET',
    url: `${UNSUBSCRIBE_PATH}:token`,
    access: 'open',
    schema: { params: TokenParams },
    handle: async (req, ctx) => {
      unsubscriberOf(req, ctx);
      return { status: 200, body: CONFIRM_PAGE, headers: PAGE_HEADERS };
    },
  },
];

async function unsubscribe(req: RouteRequest, ctx: RouteContext): Promise<RouteAnswer> {
  const { contact, sender } = unsubscriberOf(req, ctx);
  if (!(await formFields(req)).some(([name, value]) => name === 'List-Unsubscribe' && value === 'One-Click')) {
    throw new JunctionError('JCT_PAYLOAD_INVALID', 'a one-click unsubscribe posts the form field List-Unsubscribe=One-Click (RFC 8058)');
  }
  await ctx.submit((await ctx.owner(contact)) ?? contact, { kind: 'doNotContact', change: { op: 'add', entries: [{ channel: 'email', contact, senders: [sender] }] } });
  ctx.counted('email.unsubscribed');
  return { status: 200, body: DONE_PAGE, headers: PAGE_HEADERS };
}

/** Who the request's token names, checked with the module's secret. */
function unsubscriberOf(req: RouteRequest, ctx: RouteContext): Unsubscriber {
  const secret = (ctx.settings as EmailSettings).unsubscribeSecret;
  if (secret === undefined) throw new JunctionError('JCT_PROVIDER_NOT_CONFIGURED', 'unsubscribe links are not served: the email module\'s "unsubscribeSecret" is not set');
  return readUnsubscribeToken(req.params['token']!, secret);
}
