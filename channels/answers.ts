// Reading what a provider answers a send: values found by path in its JSON (for the message
// id of a 2xx answer and the words of a refusal, see `Explain` in http.ts), and the failures a
// send ends with when the answer lacks its id or the message is one the adapter cannot carry.
import { EffectFailure } from '../engine/errors.js';

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` in a JSON value (own keys of objects, indexes of arrays); undefined where the path breaks. */
export function valueAt(json: unknown, ...path: ReadonlyArray<string | number>): unknown {
  let value = json;
  for (const step of path) {
    if (typeof step === 'number') value = Array.isArray(value) ? (value[step] as unknown) : undefined;
    else value = isRecord(value) && Object.hasOwn(value, step) ? value[step] : undefined;
  }
  return value;
}

/** The string or number at `path`, as text; undefined when absent or of another type. */
export function textAt(json: unknown, ...path: ReadonlyArray<string | number>): string | undefined {
  const value = valueAt(json, ...path);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The message id in a send's 2xx answer; without one the send fails for good. */
export function answerId(id: unknown, provider: string, field: string): string {
  if (typeof id === 'string' && id !== '') return id;
  throw new EffectFailure('JCT_SEND_ANSWER_INVALID', `${provider} accepted the message but its answer has no "${field}"`, false);
}

/** A message this provider cannot carry: it fails for good. */
export function unsupported(provider: string, what: string): EffectFailure {
  return new EffectFailure('JCT_SEND_UNSUPPORTED', `${provider} cannot send ${what}`, false);
}
