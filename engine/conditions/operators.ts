// The operators of each value type (dates and date-times are in dates.ts). Decisions:
//   - Text compares case-insensitively and ignores surrounding spaces ("zagreb " is
//     "Zagreb"); blank text counts as empty.
//   - Numbers: whole and decimal share one table; a whole attribute may be compared with 17.5.
//   - Lists: is and contains = some element equals the value (["premium"] does not contain
//     "prem"); isNot = no element does. An empty list is empty. Other lists compare their
//     elements like text. The contact lists search inside their elements instead:
//       phone: is/isNot take a valid number in international format and compare in E.164;
//              contains takes digits ("385 91") and looks for them in a number.
//       email: is/isNot take an address and compare it normalized (lower case); contains
//              looks for the text in an address ("example.com").
import type { AttributeInfo } from '../people/catalog.js';
import { normalizeEmail, normalizePhone } from '../people/contacts.js';
import type { ValueType } from '../values.js';
import { DATE_OPERATORS, DATETIME_OPERATORS } from './dates.js';
import { MATCHES_EMPTY, operator, PRESENCE, typeOperators, type Operand, type Test, type TypeOperators } from './define.js';
import { BOOLEAN, fold, normalizedText, NUMBER, TEXT } from './operands.js';

const BOOLEAN_OPERATORS = typeOperators((v) => (typeof v === 'boolean' ? v : undefined), {
  is: operator(BOOLEAN, (o) => (v: boolean) => v === o),
  isNot: operator(BOOLEAN, (o) => (v: boolean) => v !== o, MATCHES_EMPTY),
  ...PRESENCE,
});

const TEXT_OPERATORS = typeOperators((v) => (typeof v === 'string' ? fold(v) || undefined : undefined), {
  is: operator(TEXT, (o) => (v: string) => v === o),
  isNot: operator(TEXT, (o) => (v: string) => v !== o, MATCHES_EMPTY),
  contains: operator(TEXT, (o) => (v: string) => v.includes(o)),
  startsWith: operator(TEXT, (o) => (v: string) => v.startsWith(o)),
  endsWith: operator(TEXT, (o) => (v: string) => v.endsWith(o)),
  ...PRESENCE,
});

const NUMBER_OPERATORS = typeOperators((v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined), {
  is: operator(NUMBER, (o) => (v: number) => v === o),
  isNot: operator(NUMBER, (o) => (v: number) => v !== o, MATCHES_EMPTY),
  lessThan: operator(NUMBER, (o) => (v: number) => v < o),
  lessOrEqual: operator(NUMBER, (o) => (v: number) => v <= o),
  greaterOrEqual: operator(NUMBER, (o) => (v: number) => v >= o),
  greaterThan: operator(NUMBER, (o) => (v: number) => v > o),
  ...PRESENCE,
});

interface ListKind {
  /** The operand of is and isNot, normalized like the elements. */
  readonly whole: Operand<string>;
  /** The operand of a contains that looks inside elements; without it, contains means has an element equal to the value. */
  readonly part?: Operand<string>;
  /** An element in the form the operands are compared with. */
  element(item: unknown): string;
}

function listOperators(kind: ListKind): TypeOperators {
  const has = (o: string) => (list: readonly unknown[]) => list.some((item) => kind.element(item) === o);
  const isNot = (o: string): Test<readonly unknown[]> => {
    const found = has(o);
    return (list) => !found(list);
  };
  return typeOperators((v) => (Array.isArray(v) && v.length > 0 ? v : undefined), {
    is: operator(kind.whole, has),
    isNot: operator(kind.whole, isNot, MATCHES_EMPTY),
    contains: kind.part ? operator(kind.part, (o) => (list: readonly unknown[]) => list.some((item) => kind.element(item).includes(o))) : operator(kind.whole, has),
    ...PRESENCE,
  });
}

// Profiles keep phones in E.164 and emails in lower case, so their elements compare as stored.
const CONTACT_OPERATORS: ReadonlyMap<string, TypeOperators> = new Map([
  [
    'phone',
    listOperators({
      whole: normalizedText('a valid phone number in international format, e.g. "+385 91 234 5678"', normalizePhone),
      part: normalizedText('digits of a phone number, e.g. "385 91"', (t) => t.replace(/\D/g, '')),
      element: String,
    }),
  ],
  ['email', listOperators({ whole: normalizedText('an email address', normalizeEmail), part: TEXT, element: String })],
]);

const BY_TYPE: Readonly<Record<ValueType, TypeOperators>> = {
  boolean: BOOLEAN_OPERATORS,
  text: TEXT_OPERATORS,
  decimal: NUMBER_OPERATORS,
  whole: NUMBER_OPERATORS,
  date: DATE_OPERATORS,
  datetime: DATETIME_OPERATORS,
  list: listOperators({ whole: TEXT, element: (item) => fold(String(item)) }),
};

export function operatorsFor(type: ValueType): TypeOperators {
  return BY_TYPE[type];
}

/** The table for an attribute: its type's, or the contact one for phone and email. */
export function attributeOperators(info: AttributeInfo): TypeOperators {
  return (info.kind === 'contact' && CONTACT_OPERATORS.get(info.name)) || BY_TYPE[info.type];
}
