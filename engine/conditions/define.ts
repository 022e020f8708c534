// The building blocks of the operator tables: the scope a condition is tested in, operands
// (a condition's `value`, checked and converted once at compile time), operators, and the
// per-type table that reads a stored value into the type's form before an operator sees it.
//
// Empty values (null, absent, and whatever a type's reader calls empty, e.g. blank text or
// an empty list) never reach an operator: isEmpty and isNot are true for them, every other
// operator is false.
import type { Person } from '../person.js';
import type { Value } from '../values.js';
import type { EventView } from '../vocabulary.js';
import type { OperatorName } from './schema.js';

export interface ConditionScope {
  readonly person: Person;
  readonly vars: Readonly<Record<string, Value>>;
  readonly now: number;
  /** The zone "today", local days and date-times without an offset are read in. */
  readonly timeZone: string;
  /** The person's event history, where event conditions may be used (flows). */
  readonly events?: EventView;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A test of a non-empty stored value, already read into its type's form. */
export type Test<T> = (value: T, scope: ConditionScope) => boolean;

/** A test of a stored value as it comes, empty or not. */
export type ValueTest = (value: Value, scope: ConditionScope) => boolean;

export interface Operand<O> {
  /** The converted value, or what is wrong with it; messages read on from e.g. `"is" on attribute "city"`. */
  parse(raw: unknown): Parsed<O>;
}

export interface Operator<T> {
  /** The result for an empty stored value. */
  readonly whenEmpty: boolean;
  prepare(raw: unknown): Parsed<Test<T>>;
}

export interface TypeOperators {
  /** The operator names of the type, for messages. */
  readonly names: readonly string[];
  /** The test for operator `name` with the condition's `value`; undefined when the type has no such operator. */
  prepare(name: string, raw: unknown): Parsed<ValueTest> | undefined;
}

/** An operand that must be present; `convert` returns undefined for a wrong value. */
export function operand<O>(description: string, convert: (raw: unknown) => O | undefined): Operand<O> {
  return {
    parse(raw) {
      if (raw === undefined) return { ok: false, problem: `needs a value: ${description}` };
      const value = convert(raw);
      if (value === undefined) return { ok: false, problem: `needs ${description}, not ${JSON.stringify(raw)}` };
      return { ok: true, value };
    },
  };
}

/** Pass as `whenEmpty` for the operators an empty value satisfies: isEmpty and isNot. */
export const MATCHES_EMPTY = true;

const NO_VALUE: Operand<undefined> = {
  parse: (raw) => (raw === undefined ? { ok: true, value: undefined } : { ok: false, problem: 'takes no value; remove "value"' }),
};

/** An operator whose test `build` makes from the checked operand. */
export function operator<T, O>(operand: Operand<O>, build: (operand: O) => Test<T>, whenEmpty = false): Operator<T> {
  return {
    whenEmpty,
    prepare(raw) {
      const parsed = operand.parse(raw);
      return parsed.ok ? { ok: true, value: build(parsed.value) } : parsed;
    },
  };
}

/** An operator that takes no value. */
export function valueless<T>(build: () => Test<T>, whenEmpty = false): Operator<T> {
  return operator(NO_VALUE, build, whenEmpty);
}

export const PRESENCE = {
  isEmpty: valueless(() => () => false, MATCHES_EMPTY),
  isNotEmpty: valueless(() => () => true),
} satisfies Record<string, Operator<unknown>>;

/** A type's table: `read` gives the value in the type's form, or undefined when it is empty. */
export function typeOperators<T>(
  read: (value: Value) => T | undefined,
  operators: Partial<Record<OperatorName, Operator<T>>>,
): TypeOperators {
  const byName = new Map(Object.entries(operators));
  return {
    names: [...byName.keys()],
    prepare(name, raw) {
      const op = byName.get(name);
      if (!op) return undefined;
      const prepared = op.prepare(raw);
      if (!prepared.ok) return prepared;
      const test = prepared.value;
      const whenEmpty = op.whenEmpty;
      return {
        ok: true,
        value: (value, scope) => {
          const typed = read(value);
          return typed === undefined ? whenEmpty : test(typed, scope);
        },
      };
    },
  };
}
