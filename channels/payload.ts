// Typed payloads at the edge: a provider's webhook body is checked against a TypeBox schema
// (compiled once) after its signature verified, so the adapter reads only what it declared.
// At most 20 problems are listed, so a hostile body costs time linear in its size.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { payloadInvalid } from './errors.js';

const MAX_PROBLEMS = 20;

/**
 * A checker for one payload shape: returns the body typed, or throws JCT_PAYLOAD_INVALID (400)
 * naming each problem's path from `at` (the place of the checked part in the whole body, "$" for the body).
 */
export function payload<T extends TSchema>(schema: T, what: string): (body: unknown, at?: string) => Static<T> {
  const check = TypeCompiler.Compile(schema);
  return (body, at = '$') => {
    if (check.Check(body)) return body;
    const problems: Array<{ path: string; message: string }> = [];
    for (const e of check.Errors(body)) {
      problems.push({ path: `${at}${e.path.replace(/\//g, '.')}`, message: e.message });
      if (problems.length === MAX_PROBLEMS) break;
    }
    throw payloadInvalid(`the ${what} is not what the provider sends: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  };
}
