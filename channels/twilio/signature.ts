// X-Twilio-Signature (carrier-dialects.md §1.3): Base64 HMAC-SHA1 keyed with the Auth Token over
// the URL Twilio called followed by every POST parameter as name + value, names sorted, the
// values of a repeated name de-duplicated and sorted. A JSON body is signed through the URL: it
// carries bodySHA256, the hex SHA-256 of the raw body, and the parameter list is empty. Like the
// SDK, the URL is tried as received and normalized, each with and without its default port, and
// normalized with the query re-encoded the legacy way. The URL as received (what Twilio signs)
// is tried first, the other forms are built only when it does not match, the costlier ones last.
import { createHash } from 'node:crypto';
import { parse, stringify } from 'node:querystring';
import type { WebhookRequest } from '../provider.js';
import { header, hmac, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';
import { bodyParams, queryOf } from '../form.js';

const SIGNATURE = 'X-Twilio-Signature header';

/** The signature Twilio sends for `url` and the POST parameters. */
export function twilioSignature(authToken: string, url: string, params: ReadonlyMap<string, readonly string[]>): string {
  return hmac('sha1', authToken, url + signedParams(params), 'base64');
}

/** Throws unless the request carries Twilio's signature of it. */
export function verifyTwilio(req: WebhookRequest, authToken: string): void {
  const given = header(req, 'x-twilio-signature');
  if (given === undefined || given === '') throw signatureMissing(SIGNATURE);
  const bodyHash = bodyHashOf(req.publicUrl);
  const paramText = bodyHash === null ? signedParams(bodyParams(req)) : '';
  const signed = anyMatches(candidates(req.publicUrl), (url) => sameText(given, hmac('sha1', authToken, url + paramText, 'base64')));
  const bodyIntact = bodyHash === null || sameText(bodyHash, createHash('sha256').update(req.rawBody).digest('hex'));
  if (!signed || !bodyIntact) throw signatureInvalid(SIGNATURE, req.publicUrl);
}

/** The POST parameters as signed: name + value, names sorted, a name's values de-duplicated and sorted. */
function signedParams(params: ReadonlyMap<string, readonly string[]>): string {
  let data = '';
  for (const name of [...params.keys()].sort()) for (const value of distinctSorted(params.get(name)!)) data += name + value;
  return data;
}

function distinctSorted(values: readonly string[]): readonly string[] {
  return values.length === 1 ? values : [...new Set(values)].sort();
}

/** The bodySHA256 parameter of the URL's query, or null; a query that cannot hold it is not parsed. */
function bodyHashOf(url: string): string | null {
  const query = queryOf(url);
  const mayHold = query.includes('bodySHA256') || query.includes('%');
  return mayHold ? new URLSearchParams(query).get('bodySHA256') : null;
}

/** Whether `test` holds for one of the URLs, each distinct one tested once, in order. */
function anyMatches(urls: Iterable<string>, test: (url: string) => boolean): boolean {
  const tried = new Set<string>();
  for (const url of urls) {
    if (tried.has(url)) continue;
    if (test(url)) return true;
    tried.add(url);
  }
  return false;
}

/** The forms of the URL Twilio may have signed, the URL as received first; later ones are built when asked for. */
function* candidates(url: string): Generator<string> {
  yield url;
  yield* portForms(url);
  const normalized = normalize(url);
  if (normalized === undefined) return;
  const ported = portForms(normalized);
  yield* ported;
  for (const form of ported) yield legacyQuery(form);
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
