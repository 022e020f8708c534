// Plivo's webhook signatures (carrier-dialects.md §3.3), Base64 HMAC-SHA256 keyed with an Auth
// Token and sent with a nonce header:
// - V3 (X-Plivo-Signature-V3 / -Ma-V3, nonce X-Plivo-Signature-V3-Nonce) signs the URL without
//   its query, the query sorted, the POST parameters sorted, then "." and the nonce; the header
//   may list several signatures, comma-separated.
// - V2 (X-Plivo-Signature-V2 / -Ma-V2, nonce X-Plivo-Signature-V2-Nonce) signs only the URL
//   without its query, then the nonce.
// The plain header is keyed with the Auth Token of the (sub-)account, the -Ma- one with the main
// account's. V3 is checked when present, since it also covers the query and the body.
import type { WebhookRequest } from '../provider.js';
import { header, hmac, sameText } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';
import { bodyParams, formParams, queryOf, withoutQuery } from '../form.js';

export interface PlivoTokens {
  /** The (sub-)account's Auth Token: the plain headers. */
  readonly authToken: string;
  /** The main account's Auth Token: the -Ma- headers. */
  readonly mainAuthToken: string;
}

interface Generation {
  readonly name: string;
  readonly plain: string;
  readonly main: string;
  readonly nonce: string;
  readonly signed: (req: WebhookRequest, nonce: string) => string;
}

const V3: Generation = {
  name: 'X-Plivo-Signature-V3 header',
  plain: 'x-plivo-signature-v3',
  main: 'x-plivo-signature-ma-v3',
  nonce: 'x-plivo-signature-v3-nonce',
  signed: (req, nonce) => `${v3Base(req.method, req.publicUrl, bodyParams(req))}.${nonce}`,
};

const V2: Generation = {
  name: 'X-Plivo-Signature-V2 header',
  plain: 'x-plivo-signature-v2',
  main: 'x-plivo-signature-ma-v2',
  nonce: 'x-plivo-signature-v2-nonce',
  signed: (req, nonce) => withoutQuery(req.publicUrl) + nonce,
};

/** A Plivo signature of `data`. */
export function plivoSignature(authToken: string, data: string): string {
  return hmac('sha256', authToken, data, 'base64');
}

/** Throws unless the request carries a V3 (or, without one, a V2) signature Plivo made of it. */
export function verifyPlivo(req: WebhookRequest, tokens: PlivoTokens): void {
  const generation = [V3, V2].find((g) => present(req, g));
  if (!generation) throw signatureMissing('X-Plivo-Signature-V3 or X-Plivo-Signature-V2 header with its nonce');
  const data = generation.signed(req, header(req, generation.nonce)!);
  const listed = (name: string, token: string): boolean => {
    const given = header(req, name);
    if (!given) return false;
    const want = plivoSignature(token, data); // once per header: the cost stays linear in the request, whatever the list holds
    return given.split(',', MAX_LISTED).some((one) => one !== '' && sameText(one.trim(), want));
  };
  if (!listed(generation.plain, tokens.authToken) && !listed(generation.main, tokens.mainAuthToken)) throw signatureInvalid(generation.name, req.publicUrl);
}

/** Plivo lists a signature per auth token of the account (a few at most); more are not looked at. */
const MAX_LISTED = 8;

function present(req: WebhookRequest, g: Generation): boolean {
  return Boolean(header(req, g.nonce)) && Boolean(header(req, g.plain) || header(req, g.main));
}

/** The URL as V3 signs it: without its query, then the query and the POST parameters, sorted (§3.3). */
export function v3Base(method: string, url: string, params: ReadonlyMap<string, readonly string[]>): string {
  const base = withoutQuery(url);
  const query = sorted(formParams(queryOf(url)), '=', '&');
  if (method === 'GET') return query === '' ? base : `${base}?${query}`;
  const hasParams = params.size > 0;
  return `${base}${query !== '' || hasParams ? '?' : ''}${query}${query !== '' && hasParams ? '.' : ''}${sorted(params, '', '')}`;
}

function sorted(params: ReadonlyMap<string, readonly string[]>, between: string, separator: string): string {
  const parts: string[] = [];
  for (const name of [...params.keys()].sort()) for (const value of [...params.get(name)!].sort()) parts.push(name + between + value);
  return parts.join(separator);
}
