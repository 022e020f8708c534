// X-Twilio-Signature (carrier-dialects.md §1.3): Base64 HMAC-SHA1 keyed with the Auth Token over
// the URL Twilio called followed by every POST parameter as name + value, names sorted, the
// values of a repeated name de-duplicated and sorted. A JSON body is signed through the URL: it
// carries bodySHA256, the hex SHA-256 of the raw body, and the parameter list is empty. Like the
// SDK, the URL is tried as received and normalized, each with and without its default port, and
// normalized with the query re-encoded the legacy way.
import { createHash } from 'node:crypto';
import { parse, stringify } from 'node:querystring';
import type { WebhookRequest } from '../provider.js';
import { header, hmac, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';
import { bodyParams, queryOf } from '../form.js';

const SIGNATURE = 'X-Twilio-Signature header';

/** The signature Twilio sends for `url` and the POST parameters. */
export function twilioSignature(authToken: string, url: string, params: ReadonlyMap<string, readonly string[]>): string {
  let data = url;
  for (const name of [...params.keys()].sort()) for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  return hmac('sha1', authToken, data, 'base64');
}

/** Throws unless the request carries Twilio's signature of it. */
export function verifyTwilio(req: WebhookRequest, authToken: string): void {
  const given = header(req, 'x-twilio-signature');
  if (given === undefined || given === '') throw signatureMissing(SIGNATURE);
  const bodyHash = new URLSearchParams(queryOf(req.publicUrl)).get('bodySHA256');
  const params = bodyHash === null ? bodyParams(req) : new Map<string, string[]>();
  const signed = candidates(req.publicUrl).some((url) => sameText(given, twilioSignature(authToken, url, params)));
  const bodyIntact = bodyHash === null || sameText(bodyHash, createHash('sha256').update(req.rawBody).digest('hex'));
  if (!signed || !bodyIntact) throw signatureInvalid(SIGNATURE);
}

/** The forms of the URL Twilio may have signed. */
function candidates(url: string): string[] {
  const forms = portForms(url);
  const normalized = normalize(url);
  if (normalized !== undefined) {
    const ported = portForms(normalized);
    forms.push(...ported, ...ported.map(legacyQuery));
  }
  return [...new Set(forms)];
}

/** The URL without its port and with it (the scheme's default one when it has none). */
function portForms(url: string): string[] {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!m) return [url];
  const [prefix, scheme, authority] = m as unknown as [string, string, string];
  const userInfo = authority.slice(0, authority.lastIndexOf('@') + 1);
  const hostPort = authority.slice(userInfo.length);
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const port = colon === -1 ? (scheme.toLowerCase() === 'https://' ? ':443' : ':80') : hostPort.slice(colon);
  const rest = url.slice(prefix.length);
  return [scheme + userInfo + host + rest, scheme + userInfo + host + port + rest];
}

function normalize(url: string): string | undefined {
  try {
    return new URL(url).toString();
  } catch {
    return undefined;
  }
}

/** The URL with its query re-encoded as Node's legacy querystring module does. */
function legacyQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${stringify(parse(url.slice(q + 1)))}`;
}
