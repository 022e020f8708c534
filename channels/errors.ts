// The errors webhook adapters raise, each with its stable code; the gateway answers them 401,
// 403 and 400 and counts them.
import { JunctionError } from '../engine/errors.js';

/** A request without the signature its provider always sends: 401. */
export function signatureMissing(what: string): JunctionError {
  return new JunctionError('JCT_SIGNATURE_MISSING', `the request carries no ${what}`);
}

/**
 * A request whose signature does not verify: 403. A signature over the URL names the URL it
 * was checked for, the usual mistake being a public address other than the one the provider calls.
 */
export function signatureInvalid(what: string, url?: string): JunctionError {
  if (url === undefined) return new JunctionError('JCT_SIGNATURE_INVALID', `the ${what} does not match the request`);
  return new JunctionError(
    'JCT_SIGNATURE_INVALID',
    `the ${what} does not match the request, checked as sent to ${url}; if the provider calls another address, set the module's publicBaseUrl to it`,
    { url },
  );
}

/** A request signed right but not acceptable for another reason (`why`: stale, replayed): 403. */
export function signatureRefused(what: string, why: string): JunctionError {
  return new JunctionError('JCT_SIGNATURE_INVALID', `the ${what} cannot be accepted: ${why}`);
}

/** A verified request whose content is not what the provider sends: 400. */
export function payloadInvalid(message: string, details?: Record<string, unknown>): JunctionError {
  return new JunctionError('JCT_PAYLOAD_INVALID', message, details);
}
