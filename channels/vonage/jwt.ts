// HS256 JSON Web Tokens, verification only (Vonage signs Messages API webhooks with them): the
// header must say HS256 (no "none", no other algorithm), the signature must match in constant
// time, and the claims must be a JSON object. No JWT library is installed; this is the whole
// of what Vonage's webhooks need.
import { hmac, sameText } from '../signing.js';
import { signatureInvalid } from '../errors.js';

/** The claims of a token signed with `secret`; throws JCT_SIGNATURE_INVALID otherwise. */
export function verifiedClaims(token: string, secret: string, what: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw signatureInvalid(what);
  const [head, body, signature] = parts as [string, string, string];
  if (decoded(head, what)['alg'] !== 'HS256') throw signatureInvalid(what);
  const expected = Buffer.from(hmac('sha256', secret, `${head}.${body}`, 'base64'), 'base64').toString('base64url');
  if (!sameText(signature, expected)) throw signatureInvalid(what);
  return decoded(body, what);
}

function decoded(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw signatureInvalid(what);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw signatureInvalid(what);
  return value as Record<string, unknown>;
}
