// What the dialects share: the instructions that can run (nothing after one that hands the
// call back to a hook), checks every renderer makes, clamping to provider limits, the markers a
// renderer adds to a hook address and its reader looks for, and reading typed webhook fields.
import { isRecord } from '../../channels/answers.js';
import { queryFields } from '../../channels/form.js';
import { header } from '../../channels/signing.js';
import type { WebhookRequest } from '../../channels/provider.js';
import { callMalformed, type CallStatus, type ForwardStatus } from '../call-event.js';
import { instructionInvalid, type Collect, type Forward, type HookUrl, type Instruction } from '../instructions.js';

/** Markers a renderer adds to a hook address so its reader knows why the provider called. */
export const MARKER = {
  /** The collect (or record) ended without input: the provider fell through to our fallback. */
  noInput: 'noInput',
  /** Events of a forwarded leg (Vonage sends them to the connect's eventUrl). */
  forward: 'forward',
  /** Where jambonz streams a recording's audio. */
  audio: 'audio',
} as const;

/** The hook's address with a marker set. */
export function markedHook(hookUrl: HookUrl, hook: string, marker: string): string {
  return hookUrl(hook, { [marker]: '1' });
}

/** Whether the request's query carries the marker. */
export function hasMarker(req: WebhookRequest, marker: string): boolean {
  return queryFields(req.url)[marker] === '1';
}

/** Instructions after which the provider asks a hook what comes next (or the call ends). */
const HANDS_BACK: ReadonlySet<Instruction['kind']> = new Set(['collect', 'record', 'forward', 'redirect', 'hangup']);

/**
 * The instructions up to and including the first that hands the call back to a hook (collect,
 * record, forward, redirect) or ends it (hangup): what follows it would never run in the XML
 * dialects, and would run only on an empty answer in the others, so no dialect renders it.
 * A say with no words (a text of placeholders that render empty) is left out, in a collect's
 * prompts too: every platform refuses an empty one (Twilio's error 13520 ends the call).
 */
export function reachable(instructions: readonly Instruction[]): readonly Instruction[] {
  const end = instructions.findIndex((i) => HANDS_BACK.has(i.kind));
  const kept = end === -1 ? instructions : instructions.slice(0, end + 1);
  return kept.filter(audible).map((i) => (i.kind === 'collect' && !i.prompts.every(audible) ? { ...i, prompts: i.prompts.filter(audible) } : i));
}

/** Whether an instruction has something to say: a say with words, or anything else. */
function audible(i: Instruction): boolean {
  return i.kind !== 'say' || i.text.trim() !== '';
}

/** The inputs a collect listens for; it must listen for one at least. */
export function inputsOf(c: Collect): { dtmf: boolean; speech: boolean } {
  if (!c.dtmf && !c.speech) throw instructionInvalid(`the collect on hook "${c.hook}" listens for neither keys nor speech`);
  return { dtmf: c.dtmf, speech: c.speech };
}

/** A forward's targets; it must have one at least. */
export function targetsOf(f: Forward): Forward['targets'] {
  if (f.targets.length === 0) throw instructionInvalid(`the forward on hook "${f.hook}" has no target`);
  return f.targets;
}

/** The value within [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Whole seconds within [min, max] (most providers take integers). */
export function wholeSeconds(value: number, min: number, max: number): number {
  return clamp(Math.round(value), min, max);
}

/** The digits a collect stops at: one count when fixed, else a range. */
export function digitCount(c: Collect): { exactly: number } | { min: number; max: number } {
  return c.minDigits === c.maxDigits ? { exactly: c.maxDigits } : { min: c.minDigits, max: c.maxDigits };
}

/** A key=value pair only when the value is defined (to spread into an object). */
export function maybe<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return value === undefined || value === null ? {} : ({ [key]: value } as { [P in K]?: V });
}

// ---- reading webhook fields ----

const MAX_TEXT = 8192;

/** A request's JSON body; undefined for a body of another type. */
export function jsonBody(req: WebhookRequest): unknown {
  return /^application\/json\b/i.test(header(req, 'content-type') ?? '') ? req.body : undefined;
}

/** A webhook body that must be an object of fields. */
export function fieldsRecord(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (!isRecord(value)) throw callMalformed(`the ${what} is not a set of fields`);
  return value;
}

/** A text field; undefined when absent or null. */
export function optionalText(fields: Readonly<Record<string, unknown>>, name: string, what: string): string | undefined {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT) throw callMalformed(`the ${what}'s "${name}" is not a text`);
  return value;
}

/** A text field that must be there and not empty. */
export function requiredText(fields: Readonly<Record<string, unknown>>, name: string, what: string): string {
  const value = optionalText(fields, name, what);
  if (value === undefined || value === '') throw callMalformed(`the ${what} has no "${name}"`);
  return value;
}

/** A number field, given as a number or as its text; undefined when absent, null or empty. */
export function optionalNumber(fields: Readonly<Record<string, unknown>>, name: string, what: string): number | undefined {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const text = optionalText(fields, name, what);
  if (text === undefined || text.trim() === '') return undefined;
  const number = Number(text);
  if (!Number.isFinite(number)) throw callMalformed(`the ${what}'s "${name}" is not a number`);
  return number;
}

/** A nested object field; undefined when absent or null. */
export function optionalObject(fields: Readonly<Record<string, unknown>>, name: string, what: string): Readonly<Record<string, unknown>> | undefined {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (value === undefined || value === null) return undefined;
  return fieldsRecord(value, `${what}'s "${name}"`);
}

/** The normalized status of a provider's word; undefined for a word not in the table. */
export function callStatus(table: Readonly<Record<string, CallStatus>>, word: string | undefined): CallStatus | undefined {
  return word !== undefined && Object.hasOwn(table, word) ? table[word] : undefined;
}

/** The normalized outcome of a forward; a word not in the table reads as `failed`. */
export function forwardStatus(table: Readonly<Record<string, ForwardStatus>>, word: string): ForwardStatus {
  return Object.hasOwn(table, word) ? table[word]! : 'failed';
}

/** `inbound` or `outbound` from a provider's direction word (Twilio says `outbound-api`, `outbound-dial`). */
export function directionOf(word: string | undefined): 'inbound' | 'outbound' | undefined {
  if (word === undefined) return undefined;
  if (word === 'inbound') return 'inbound';
  return word.startsWith('outbound') ? 'outbound' : undefined;
}
