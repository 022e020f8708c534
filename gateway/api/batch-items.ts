// The Flow API's batches check their participants one by one: a participant that does not fit
// the schema (an empty phone, an email too long, an attribute given as an object, …) is
// rejected on its own in the operation's report, saying where and what is wrong, as a person
// the engine refuses is; the others are added. The route's schema still shows each participant
// in the API document; only the check of the items moves here.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { schemaProblems } from '../../engine/schema-problems.js';

/** The schema as the API document shows it, which the route's own check lets through (it is checked here). */
export function describedOnly(schema: TSchema): TSchema {
  return Type.Any(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>);
}

export type CheckedItem<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refused: { readonly code: string; readonly message: string } };

/** A problem in a phone, an email or an identifier is an invalid contact; anything else an invalid participant. */
const CONTACT_PATH = /\.(identifyBy|contactInformation|phones|emails)\b/;

/** A check of one item at `$.participants[i]`: its value, or the first problem as a refusal. */
export function itemCheck<T extends TSchema>(schema: T): (item: unknown, index: number) => CheckedItem<Static<T>> {
  const compiled = TypeCompiler.Compile(schema);
  return (item, index) => {
    if (compiled.Check(item)) return { ok: true, value: item };
    const problem = schemaProblems(schema, item, `$.participants[${index}]`, 'JCT_PARTICIPANT_INVALID', 1)[0];
    const path = problem?.path ?? `$.participants[${index}]`;
    const code = CONTACT_PATH.test(path) ? 'JCT_CONTACT_INVALID' : 'JCT_PARTICIPANT_INVALID';
    return { ok: false, refused: { code, message: `${path}: ${problem?.message ?? 'does not fit the request schema'}` } };
  };
}
