// Conversions between Junction values and CEL values. Inside expressions a whole number is
// a CEL int (BigInt), and date and datetime are both timestamps (Date) so date arithmetic
// works: a date becomes the start of that day in the flow time zone, and a timestamp stored
// into a date becomes the day containing it in that zone.
import { coerceValue, type Value, type ValueType } from '../values.js';
import { isoDate, parseDate } from './calendar.js';
import { evaluationFailed } from './scope.js';

export const TIMESTAMP = 'google.protobuf.Timestamp';

/** The CEL type a flow variable of each Junction type is declared with. */
export const CEL_TYPES: Readonly<Record<ValueType, string>> = {
  boolean: 'bool',
  text: 'string',
  decimal: 'double',
  whole: 'int',
  date: TIMESTAMP,
  datetime: TIMESTAMP,
  list: 'list<dyn>',
};

const MAX_WHOLE = BigInt(Number.MAX_SAFE_INTEGER);

/** CEL result types each Junction type accepts at compile; dyn and null fit every type. */
const ACCEPTS: Readonly<Record<ValueType, readonly string[]>> = {
  boolean: ['bool'],
  text: ['string', 'int', 'double', 'bool', TIMESTAMP],
  decimal: ['double', 'int'],
  whole: ['int'],
  date: [TIMESTAMP, 'string'],
  datetime: [TIMESTAMP, 'string'],
  list: ['list'],
};

/** Whether a result of CEL type `celType` (as cel-js's check() names it) can become `expected`. */
export function resultFits(celType: string, expected: ValueType): boolean {
  const base = celType.split('<')[0] ?? celType;
  return base === 'dyn' || base === 'null' || ACCEPTS[expected].includes(base);
}

/** A Junction value as CEL sees it. */
export function toCel(type: ValueType, value: Value, zone: string): unknown {
  if (value === null) return null;
  switch (type) {
    case 'whole':
      return BigInt(value as number);
    case 'date':
      return parseDate(value as string, zone);
    case 'datetime':
      return new Date(value as string);
    default:
      return value;
  }
}

/** A CEL result as the canonical Junction value of `expected` (or its natural one); throws when it cannot be. */
export function fromCel(raw: unknown, expected: ValueType | undefined, zone: string): Value {
  const plain = expected === 'date' && raw instanceof Date ? isoDate(raw, zone) : toPlain(raw);
  if (expected === undefined) return plain;
  const coerced = coerceValue(expected, plain);
  if (!coerced.ok) throw evaluationFailed(coerced.message);
  return coerced.value;
}

function toPlain(raw: unknown): Value {
  switch (typeof raw) {
    case 'string':
    case 'boolean':
      return raw;
    case 'number':
      if (!Number.isFinite(raw)) throw evaluationFailed(`the result ${raw} is not a finite number`);
      return raw;
    case 'bigint':
      if (raw > MAX_WHOLE || raw < -MAX_WHOLE) {
        throw evaluationFailed(`the result ${raw} is too large for a whole number`);
      }
      return Number(raw);
  }
  if (raw === null) return null;
  if (raw instanceof Date) return raw.toISOString();
  if (Array.isArray(raw)) return raw.map(toPlain);
  throw evaluationFailed(`a ${describeType(raw)} cannot be stored as a value`);
}

function describeType(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null) return typeof raw;
  return raw.constructor === Object || raw instanceof Map ? 'map' : String(raw.constructor?.name ?? 'object');
}
