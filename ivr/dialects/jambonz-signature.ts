// jambonz's webhook signature (carrier-dialects.md §8.2): `Jambonz-Signature: t=<unix s>,v1=<hex>`
// where the hex is HMAC-SHA256 keyed with the webhook secret over `t + "." + raw body`. The
// header may list several v1 values, several secrets may be tried (rotation), and the
// timestamp must be within 300 s of our clock.
import type { WebhookRequest } from '../../channels/provider.js';
import { header, hmac, requireFresh, sameText } from '../../channels/signing.js';
import { signatureInvalid, signatureMissing } from '../../channels/errors.js';

const SIGNATURE = 'Jambonz-Signature header';
const TOLERANCE_S = 300;
/** A header lists a signature per secret at most; more parts than this are not looked at. */
const MAX_PARTS = 16;

/** The v1 value jambonz sends for `body` at `timestamp` (seconds, as text). */
export function jambonzSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return hmac('sha256', secret, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]), 'hex');
}

/** Throws unless one of the header's v1 values is the signature of the raw body under one of the secrets, recently. */
export function verifyJambonz(req: WebhookRequest, secrets: readonly string[], now: number): void {
  const given = header(req, 'jambonz-signature');
  if (given === undefined || given.trim() === '') throw signatureMissing(SIGNATURE);
  const { t, v1 } = parts(given);
  if (t === undefined || v1.length === 0) throw signatureInvalid(SIGNATURE);
  requireFresh(/^\d{1,12}$/.test(t) ? Number(t) : NaN, now, TOLERANCE_S, SIGNATURE);
  const expected = secrets.filter((s) => s !== '').map((s) => jambonzSignature(s, t, req.rawBody));
  if (!v1.some((value) => expected.some((want) => sameText(value, want)))) throw signatureInvalid(SIGNATURE);
}

/** The timestamp (the first `t=`) and every `v1=` value of the header. */
function parts(text: string): { t: string | undefined; v1: string[] } {
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of text.split(',', MAX_PARTS)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq === -1 || value === '') continue;
    if (key === 't') t ??= value;
    else if (key === 'v1') v1.push(value.toLowerCase());
  }
  return { t, v1 };
}
