// The options of a Collect: what the caller's keys or words must be to take an option's branch.
// An option holds when any of its tests does: exact digits, a number range, an RE2 pattern
// over the whole entry (keys, or the words said), or one of its words said.
import { Type, type Static } from '@sinclair/typebox';
import type RE2 from 're2';
import type { CompileContext } from '../../engine/element.js';
import { compilePattern } from '../../engine/messaging/keywords.js';
import type { CallInput as CallResult } from '../call-event.js';

export const OptionSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$', description: "the option's branch name" }),
    digits: Type.Optional(Type.String({ pattern: '^[0-9*#]{1,50}$', description: 'exactly these keys' })),
    range: Type.Optional(Type.Object({ from: Type.Integer({ minimum: 0 }), to: Type.Integer({ minimum: 0 }) }, { additionalProperties: false, description: 'keys that read as a number from…to' })),
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'an RE2 pattern the whole entry (keys or words) must match' })),
    words: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, description: 'the caller says one of these (any case)' })),
  },
  { additionalProperties: false },
);
export type OptionConfig = Static<typeof OptionSchema>;

export interface PreparedOption {
  readonly digits?: string;
  readonly range?: { readonly from: number; readonly to: number };
  readonly pattern?: RE2;
  readonly words: readonly string[];
}

export function prepareOption(o: OptionConfig, ctx: CompileContext, at: string): PreparedOption {
  if (o.digits === undefined && o.range === undefined && o.pattern === undefined && o.words === undefined) {
    ctx.problem('JCT_OPTION_EMPTY', `option "${o.name}" needs digits, a range, a pattern or words`, at);
  }
  if (o.range && o.range.from > o.range.to) ctx.problem('JCT_OPTION_RANGE', `option "${o.name}": the range starts after it ends`, `${at}.range`);
  return { ...(o.digits ? { digits: o.digits } : {}), ...(o.range ? { range: o.range } : {}), ...(o.pattern ? { pattern: pattern(o.pattern, ctx, `${at}.pattern`) } : {}), words: (o.words ?? []).map(fold) };
}

function pattern(source: string, ctx: CompileContext, at: string): RE2 | undefined {
  try {
    return compilePattern(`^(?:${source})$`);
  } catch (err) {
    ctx.problem('JCT_PATTERN_INVALID', `not a valid RE2 pattern: ${err instanceof Error ? err.message : String(err)}`, at);
    return undefined;
  }
}

/** The first option the caller's entry holds, by index. */
export function matchOption(options: readonly PreparedOption[], result: CallResult): number | undefined {
  const digits = result.digits ?? '';
  const said = fold(result.speech?.text ?? '');
  const i = options.findIndex((o) => (digits !== '' && byDigits(o, digits)) || (said !== '' && bySpeech(o, said)));
  return i < 0 ? undefined : i;
}

function byDigits(o: PreparedOption, digits: string): boolean {
  if (o.digits === digits) return true;
  if (o.range && /^\d{1,15}$/.test(digits) && Number(digits) >= o.range.from && Number(digits) <= o.range.to) return true;
  return o.pattern?.test(digits) === true;
}

function bySpeech(o: PreparedOption, said: string): boolean {
  if (o.words.some((w) => ` ${said} `.includes(` ${w} `))) return true;
  return o.pattern?.test(said) === true;
}

/** Lower case, punctuation to spaces, spaces collapsed: how words are compared. */
function fold(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}
