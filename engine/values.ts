// The typed values Junction stores in flow variables and person attributes, and how they
// are represented in JSON and in memory:
//   boolean → boolean        text → string            decimal → number
//   whole → integer number   date → "YYYY-MM-DD"      datetime → ISO 8601 UTC string
//   list → array             empty → null
import { Type, type Static } from '@sinclair/typebox';

export const VALUE_TYPES = ['boolean', 'text', 'decimal', 'whole', 'date', 'datetime', 'list'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const ValueTypeSchema = Type.Union(
  VALUE_TYPES.map((t) => Type.Literal(t)),
  { description: 'boolean, text, decimal, whole (number), date, datetime or list' },
);

export type Value = boolean | string | number | null | readonly unknown[];

export const ValueSchema = Type.Union([
  Type.Boolean(),
  Type.String(),
  Type.Number(),
  Type.Null(),
  Type.Array(Type.Unknown()),
]);

export type ValueSchemaStatic = Static<typeof ValueSchema>;

export type Coerced = { ok: true; value: Value } | { ok: false; message: string };

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Converts a raw value (from JSON, CSV, an API call or an expression) to the canonical
 * representation of `type`, or says why it cannot. `null` is the empty value of every type.
 */
export function coerceValue(type: ValueType, raw: unknown): Coerced {
  if (raw === null || raw === undefined) return { ok: true, value: null };
  switch (type) {
    case 'boolean':
      return toBoolean(raw);
    case 'text':
      return typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean'
        ? { ok: true, value: String(raw) }
        : fail(raw, type);
    case 'decimal':
      return toNumber(raw, false);
    case 'whole':
      return toNumber(raw, true);
    case 'date':
      return toDate(raw);
    case 'datetime':
      return toDateTime(raw);
    case 'list':
      return Array.isArray(raw) ? { ok: true, value: raw } : fail(raw, type);
  }
}

/**
 * As coerceValue, for a value whose JSON type its sender chose (an API body, a people file): a
 * number or true/false is not text there. Where a value has no type of its own (a CSV cell, a
 * placeholder's text, an expression's result) coerceValue reads them as text.
 */
export function coerceJsonValue(type: ValueType, raw: unknown): Coerced {
  return type === 'text' && (typeof raw === 'number' || typeof raw === 'boolean') ? fail(raw, type) : coerceValue(type, raw);
}

function fail(raw: unknown, type: ValueType): Coerced {
  return { ok: false, message: `${shownValue(raw)} is not a valid ${type}` };
}

/** A value as a message shows it: text quoted, a number or true/false as written. */
function shownValue(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return Array.isArray(raw) ? 'a list' : typeof raw;
}

function toBoolean(raw: unknown): Coerced {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
  return fail(raw, 'boolean');
}

function toNumber(raw: unknown, whole: boolean): Coerced {
  const type: ValueType = whole ? 'whole' : 'decimal';
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  // A whole number beyond ±(2^53 − 1) is not kept exactly (-9007199254740993 reads as …992).
  if (whole && Number.isFinite(n) && !Number.isInteger(n)) return { ok: false, message: `${shownValue(raw)} is not a whole number (round(), floor() or ceil() make one)` };
  if (!Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) return fail(raw, type);
  return { ok: true, value: n };
}

function toDate(raw: unknown): Coerced {
  if (typeof raw !== 'string' || !DATE_RE.test(raw)) return fail(raw, 'date');
  if (raw.startsWith('0000')) return outsideYears(raw, 'date');
  // Date.parse reads "YYYY-MM-DD" as UTC midnight, every year as written, and rolls a day that does not exist over (30 February is 2 March).
  const ms = Date.parse(raw);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(raw) ? { ok: true, value: raw } : fail(raw, 'date');
}

/** Dates run from year 0001 to 9999, as the calendar and expressions read them. */
function outsideYears(raw: string, type: ValueType): Coerced {
  return { ok: false, message: `${shownValue(raw)} is not a valid ${type}: years run from 0001 to 9999` };
}

function toDateTime(raw: unknown): Coerced {
  if (raw instanceof Date) return Number.isFinite(raw.getTime()) ? { ok: true, value: raw.toISOString() } : fail(raw, 'datetime');
  if (typeof raw === 'number') return Number.isFinite(raw) ? { ok: true, value: new Date(raw).toISOString() } : fail(raw, 'datetime');
  if (typeof raw !== 'string' || !DATETIME_RE.test(raw)) return { ok: false, message: `${shownValue(raw)} is not a valid datetime: write it with Z or an offset, e.g. 2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00` };
  if (raw.startsWith('0000')) return outsideYears(raw, 'datetime');
  const ms = Date.parse(raw);
  // Date.parse rolls a day or an hour that does not exist over (31 November is 1 December, 24:00 the next day).
  const real = toDate(raw.slice(0, 10)).ok && Number(raw.slice(11, 13)) < 24;
  return real && Number.isFinite(ms) ? { ok: true, value: new Date(ms).toISOString() } : fail(raw, 'datetime');
}
