// Turns TypeBox validation errors into Junction problems: one per JSON path (the first is
// the clearest), with paths written the way people read them (`$.people[3].custom["a b"]`),
// and a value that fits no member of a union explained by the member it comes closest to. A
// choice of words names every allowed word; a text that misses its pattern is explained by the
// field's description rather than the regular expression.
import type { TSchema } from '@sinclair/typebox';
import { Value as TypeValue, ValueErrorType } from '@sinclair/typebox/value';
import type { ValueError } from '@sinclair/typebox/errors';
import type { Problem } from './vocabulary.js';

/** Deeper JSON is refused before any (recursive) validation touches it. */
export const MAX_DEPTH = 64;

/**
 * Problems of `value` against `schema`, each with `code` and a JSON path under `base`; at most
 * `limit` of them (a request with 100,000 bad items stops being checked at the limit).
 */
export function schemaProblems(schema: TSchema, value: unknown, base: string, code: string, limit = Infinity): Problem[] {
  const deep = depthProblem(value, base, code);
  if (deep !== undefined) return [deep];
  const out = new Map<string, Problem>();
  for (const e of explain(TypeValue.Errors(schema, value), limit)) {
    const path = base + jsonPath(e.path);
    if (!out.has(path)) out.set(path, { code, message: messageOf(e), path });
  }
  return [...out.values()];
}

/** The problem of a value nested more than MAX_DEPTH levels deep, found without recursion; else undefined. */
export function depthProblem(value: unknown, base: string, code: string): Problem | undefined {
  const deep = tooDeep(value, MAX_DEPTH);
  return deep === undefined ? undefined : { code, message: `nested more than ${MAX_DEPTH} levels deep`, path: base + jsonPath(deep) };
}

/**
 * `{ kind: 'forPeriod', until: '25:00' }` is explained by the forPeriod member: its `until`.
 * A union of words is explained by its words, and one with a description by the description,
 * unless the value is an object or a list: then by the member it comes closest to, so a
 * mistake deep inside (a condition in a group) is named where it is.
 */
function explain(errors: Iterable<ValueError>, limit = Infinity): ValueError[] {
  const out: ValueError[] = [];
  for (const e of errors) {
    if (out.length >= limit) break;
    const structured = typeof e.value === 'object' && e.value !== null;
    const described = e.type === ValueErrorType.Union && ((e.schema.description && !structured) || literals(e.schema) !== undefined);
    const variants = described ? [] : e.errors.map((it) => explain(it)).filter((list) => list.length > 0);
    if (variants.length === 0) out.push(e);
    else out.push(...variants.reduce((best, list) => (list.length < best.length ? list : best)));
  }
  return out;
}

function messageOf(e: ValueError): string {
  if (e.type === ValueErrorType.Union) {
    if (e.schema.description) return `Expected ${e.schema.description}`;
    const words = literals(e.schema);
    if (words !== undefined) return `Expected one of ${words.map((w) => JSON.stringify(w)).join(', ')}`;
  }
  if (e.type === ValueErrorType.StringPattern && e.schema.description) return `Expected ${e.schema.description}`;
  if (e.type === ValueErrorType.ObjectRequiredProperty) return `"${lastKey(e.path)}" is required here`;
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return unknownField(lastKey(e.path), e.schema);
  return e.message;
}

/** A field the object does not have, and the fields it has (when its schema lists them). */
function unknownField(key: string, schema: TSchema): string {
  const allowed = Object.keys((schema as { properties?: object }).properties ?? {});
  return `unknown field "${key}"${allowed.length > 0 ? `; the fields here are ${allowed.join(', ')}` : ''}`;
}

/** The last key of a JSON pointer, unescaped. */
function lastKey(pointer: string): string {
  return unescapeKey(pointer.slice(pointer.lastIndexOf('/') + 1));
}

function unescapeKey(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The allowed values of a union of literals (a choice of words), or undefined. */
function literals(schema: TSchema): unknown[] | undefined {
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!members || !members.every((m) => 'const' in m)) return undefined;
  return members.map((m) => (m as unknown as { const: unknown }).const);
}

/** The JSON pointer of the first value nested deeper than `max`, found without recursion. */
function tooDeep(value: unknown, max: number): string | undefined {
  const stack: Array<{ value: unknown; depth: number; pointer: string }> = [{ value, depth: 0, pointer: '' }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= max) return item.pointer;
    for (const [key, child] of Object.entries(item.value)) stack.push({ value: child, depth: item.depth + 1, pointer: `${item.pointer}/${key}` });
  }
  return undefined;
}

/** `/people/3/custom/a b` → `.people[3].custom["a b"]` */
function jsonPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map(unescapeKey)
    .map((key) => (/^\d+$/.test(key) ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`))
    .join('');
}
