// Signature helpers every provider shares: HMAC digests, comparison in constant time, header
// reading, and the replay window for signed timestamps.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RouteRequest } from '../engine/module.js';
import { signatureRefused } from './errors.js';

/** A keyed digest of `data`. */
export function hmac(algorithm: 'sha1' | 'sha256' | 'sha512' | 'md5', key: string | Buffer, data: string | Buffer, encoding: 'hex' | 'base64'): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

/** Whether two texts are equal, in time that depends only on their lengths. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A header's first value, if present. */
export function header(req: Pick<RouteRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Refuses a signed timestamp (seconds) further than `toleranceS` from now (ms). */
export function requireFresh(timestampS: number, now: number, toleranceS: number, what: string): void {
  if (!Number.isFinite(timestampS)) throw signatureRefused(what, 'it carries no timestamp');
  const off = Math.round(now / 1000 - timestampS);
  if (Math.abs(off) > toleranceS) {
    throw signatureRefused(what, `it was signed ${Math.abs(off)} s ${off > 0 ? 'ago' : 'ahead of our clock'}, more than the ${toleranceS} s allowed (a replayed request, or a clock out of step)`);
  }
}
