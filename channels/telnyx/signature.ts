// Telnyx's webhook signature (carrier-dialects.md §4.2): `telnyx-signature-ed25519` is the
// Base64 Ed25519 signature of `<telnyx-timestamp>|<raw body>`, checked with the account's
// public key (Base64 of 32 raw bytes); the timestamp must be within 300 s of our clock.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { EffectFailure } from '../../engine/errors.js';
import type { WebhookRequest } from '../provider.js';
import { header, requireFresh } from '../signing.js';
import { signatureInvalid, signatureMissing } from '../errors.js';

const SIGNATURE = 'telnyx-signature-ed25519 and telnyx-timestamp headers';
const TOLERANCE_S = 300;

/** Throws unless the request is signed with the key's private half, recently. */
export function verifyTelnyx(req: WebhookRequest, publicKey: string, now: number): void {
  const signature = header(req, 'telnyx-signature-ed25519');
  const timestamp = header(req, 'telnyx-timestamp');
  if (!signature || !timestamp) throw signatureMissing(SIGNATURE);
  requireFresh(/^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN, now, TOLERANCE_S, SIGNATURE);
  const bytes = Buffer.from(signature, 'base64');
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`), req.rawBody]);
  if (bytes.length !== 64 || !verify(null, signed, keyOf(publicKey), bytes)) throw signatureInvalid(SIGNATURE);
}

let cached: { text: string; key: KeyObject } | undefined;

/** The key object of a Base64 raw public key (the last one is kept: one account, one key). */
function keyOf(text: string): KeyObject {
  if (cached?.text === text) return cached.key;
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== 32) throw new EffectFailure('JCT_PROVIDER_NOT_CONFIGURED', 'the telnyx setting "publicKey" is not the Base64 of a 32-byte Ed25519 key', false);
  cached = { text, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }) };
  return cached.key;
}
