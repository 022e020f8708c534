// The operand kinds shared by several value types: true/false, numbers, text and durations.
// Values go through coerceValue, so "18" is accepted for 18 as it is everywhere else.
import { Value as TypeValue } from '@sinclair/typebox/value';
import { DurationSchema, type Duration } from '../flow-schema.js';
import { coerceValue, type Value, type ValueType } from '../values.js';
import { operand, type Operand } from './define.js';

/** Text as conditions compare it: without surrounding spaces, lower-cased. */
export function fold(text: string): string {
  return text.trim().toLowerCase();
}

function coerced<T extends Value>(type: ValueType, description: string, is: (v: Value) => v is T): Operand<T> {
  return operand(description, (raw) => {
    const c = coerceValue(type, raw);
    return c.ok && is(c.value) ? c.value : undefined;
  });
}

export const BOOLEAN = coerced('boolean', 'true or false', (v): v is boolean => typeof v === 'boolean');

export const NUMBER = coerced('decimal', 'a number', (v): v is number => typeof v === 'number');

/** Text put through `normalize`, which returns undefined or "" for a value it cannot use. */
export function normalizedText(description: string, normalize: (text: string) => string | undefined): Operand<string> {
  return operand(description, (raw) => {
    const c = coerceValue('text', raw);
    return (c.ok && typeof c.value === 'string' && normalize(c.value)) || undefined;
  });
}

export const TEXT = normalizedText('a text that is not blank (isEmpty tests for no value)', fold);

/** `raw` when it is a duration { amount, unit }. */
export function durationOf(raw: unknown): Duration | undefined {
  return TypeValue.Check(DurationSchema, raw) ? raw : undefined;
}

export const DURATION = operand<Duration>('a duration such as { "amount": 3, "unit": "days" }', durationOf);
