// Junction's functions and operators on top of standard CEL, each with the description the
// docs are generated from. Calendar functions work in the flow time zone; `now()` is the
// evaluation time from the scope, never the machine clock. Nothing here reaches the file
// system, the network, the environment or the process.
import type { RegisteredFunctionHandler } from '@marcbachmann/cel-js';
import {
  DATE_PARTS,
  TIME_UNITS,
  addTime,
  formatTime,
  parseDate,
  parseDateTime,
  startOfDay,
  timeBetween,
  timePart,
} from './calendar.js';
import { TIMESTAMP } from './convert.js';
import { currentScope, currentZone, evaluationFailed } from './scope.js';

export interface FunctionEntry {
  /** cel-js signature: `name(args): result`, or `type.name(args): result` for a method. */
  readonly signature: string;
  readonly description: string;
  readonly handler: RegisteredFunctionHandler;
  /** An argument that must be one of these words; checked at compile when written literally. */
  readonly word?: { readonly arg: number; readonly words: readonly string[] };
}

export interface OperatorEntry {
  /** cel-js operator signature: `left op right: result`. */
  readonly signature: string;
  readonly description: string;
  readonly handler: (left: any, right: any) => unknown;
}

const TS = TIMESTAMP;
const MAX_DIGITS = 15;

export const FUNCTIONS: readonly FunctionEntry[] = [
  {
    signature: `now(): ${TS}`,
    description: 'The time of this evaluation (the step being run), in UTC.',
    handler: () => new Date(currentScope().now),
  },
  {
    signature: `date(string): ${TS}`,
    description: 'The start of the day written YYYY-MM-DD, in the flow time zone.',
    handler: (text: string) => parseDate(text, currentZone()),
  },
  {
    signature: `date(${TS}): ${TS}`,
    description: 'The start of the day (in the flow time zone) containing a time: `date(now())` is today.',
    handler: (time: Date) => startOfDay(time, currentZone()),
  },
  {
    signature: `datetime(string): ${TS}`,
    description: 'An ISO 8601 date-time; one without an offset is read in the flow time zone.',
    handler: (text: string) => parseDateTime(text, currentZone()),
  },
  {
    signature: `dateAdd(${TS}, int, string): ${TS}`,
    description:
      'Adds an amount (negative subtracts) of seconds, minutes, hours, days, weeks, months or years, on the flow ' +
      'calendar: adding days keeps the wall-clock time across a daylight-saving change, adding hours does not.',
    handler: (time: Date, amount: bigint, unit: string) => addTime(time, Number(amount), unit, currentZone()),
    word: { arg: 2, words: TIME_UNITS },
  },
  {
    signature: `dateDiff(${TS}, ${TS}, string): int`,
    description:
      'Whole units (seconds … years) from the first time to the second, negative when the second is earlier, on ' +
      'the flow calendar. Calendar days between two times: `dateDiff(date(a), date(b), "days")`.',
    handler: (from: Date, to: Date, unit: string) => BigInt(timeBetween(from, to, unit, currentZone())),
    word: { arg: 2, words: TIME_UNITS },
  },
  {
    signature: `datePart(${TS}, string): int`,
    description:
      'The year, month (1–12), day, hour, minute, second or weekday (1 = Monday … 7 = Sunday) of a time in the ' +
      'flow time zone.',
    handler: (time: Date, part: string) => BigInt(timePart(time, part, currentZone())),
    word: { arg: 1, words: DATE_PARTS },
  },
  {
    signature: `formatDate(${TS}, string): string`,
    description: 'Formats a time in the flow time zone with luxon tokens, e.g. "dd.MM.yyyy HH:mm".',
    handler: (time: Date, pattern: string) => formatTime(time, pattern, currentZone()),
  },
  {
    signature: `formatDate(${TS}, string, string): string`,
    description: 'Formats a time in the given IANA time zone, e.g. `formatDate(now(), "HH:mm", "America/New_York")`.',
    handler: formatTime,
  },
  {
    signature: 'round(double): int',
    description: 'The nearest whole number; halves round away from zero.',
    handler: (x: number) => toWhole(roundTo(x, 0n)),
  },
  {
    signature: 'round(double, int): double',
    description: `A number rounded to 0–${MAX_DIGITS} decimal digits; halves round away from zero.`,
    handler: roundTo,
  },
  {
    signature: 'floor(double): int',
    description: 'The largest whole number not above a number.',
    handler: (x: number) => toWhole(Math.floor(x)),
  },
  {
    signature: 'ceil(double): int',
    description: 'The smallest whole number not below a number.',
    handler: (x: number) => toWhole(Math.ceil(x)),
  },
  ...['double', 'int'].map((type) => ({
    signature: `formatNumber(${type}, int): string`,
    description: 'A number as text with exactly the given count of decimal digits, e.g. "12.50".',
    handler: (x: number | bigint, digits: bigint) => roundTo(Number(x), digits).toFixed(Number(digits)),
  })),
  {
    signature: 'string.upper(): string',
    description: 'The text in upper case (all letters, not only ASCII).',
    handler: (text: string) => text.toUpperCase(),
  },
  {
    signature: 'string.lower(): string',
    description: 'The text in lower case (all letters, not only ASCII).',
    handler: (text: string) => text.toLowerCase(),
  },
  {
    signature: 'ifEmpty(dyn, dyn): dyn',
    description: 'The first value, or the second when the first is empty (null or ""): `ifEmpty(person.firstName, "there")`.',
    handler: (value: unknown, fallback: unknown) => (value === null || value === '' ? fallback : value),
  },
];

const ARITHMETIC: Readonly<Record<string, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

export const OPERATORS: readonly OperatorEntry[] = [
  ...Object.entries(ARITHMETIC).flatMap(([op, apply]) => [
    {
      signature: `int ${op} double: double`,
      description: `Whole ${op} decimal gives a decimal.`,
      handler: (a: bigint, b: number) => apply(Number(a), b),
    },
    {
      signature: `double ${op} int: double`,
      description: `Decimal ${op} whole gives a decimal.`,
      handler: (a: number, b: bigint) => apply(a, Number(b)),
    },
  ]),
  {
    signature: 'int == double: bool',
    description: 'A whole and a decimal number compare by value (also `!=`, and either way round).',
    handler: (a: bigint, b: number) => Number(a) === b,
  },
  ...['int', 'double'].flatMap((type) => [
    {
      signature: `string + ${type}: string`,
      description: `Text + a ${type === 'int' ? 'whole' : 'decimal'} number appends the number as text.`,
      handler: (text: string, n: number | bigint) => text + String(n),
    },
    {
      signature: `${type} + string: string`,
      description: `A ${type === 'int' ? 'whole' : 'decimal'} number + text puts the number as text in front.`,
      handler: (n: number | bigint, text: string) => String(n) + text,
    },
  ]),
];

/** Rounds half away from zero; toPrecision(15) absorbs binary noise such as 1.005 * 100 = 100.49999…. */
function roundTo(x: number, digits: bigint): number {
  if (digits < 0n || digits > BigInt(MAX_DIGITS)) {
    throw evaluationFailed(`${digits} decimal digits asked for; 0 to ${MAX_DIGITS} are possible`);
  }
  const factor = 10 ** Number(digits);
  return (Math.sign(x) * Math.round(Number((Math.abs(x) * factor).toPrecision(15)))) / factor;
}

function toWhole(x: number): bigint {
  if (!Number.isFinite(x)) throw evaluationFailed(`${x} has no whole-number value`);
  return BigInt(x);
}
