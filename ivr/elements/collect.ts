// Collect: plays its prompts and gathers the caller's keys (DTMF) and/or words (speech), with
// its own timing: seconds to the first key, seconds between keys, minimum and maximum digits,
// a finish key (the entry ends there, whatever the platform sent after it), whether a key
// stops the prompts. The entry goes into a text variable and down the first option it meets
// (exact keys, a range, an RE2 pattern, words said); without options, any entry of at least
// the minimum digits goes down `next`. Silence re-prompts (after the
// no-input prompt) up to `retries` times, then takes `noInput`; an entry no option holds
// re-prompts the same way (after the no-match prompt), then takes `noMatch`. Each silence
// and each entry no option holds is counted (the element's `noInput` and `noMatch` counters). A caller who hangs
// up ends the journey; so does a call whose provider stops calling back (the session expiry).
// The hook the call is expected on is kept (in-call.ts KEPT): a webhook on another one (late,
// or repeated with another outcome) is answered with the same question on it, the count kept
// (and the late hook counted, in-call.ts lateHook).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../../engine/element.js';
import { EXIT, type Input, type Outcome } from '../../engine/vocabulary.js';
import { attemptOf, callEnded, hookOf } from '../call.js';
import type { CallInput as CallResult } from '../call-event.js';
import type { Collect as CollectInstruction } from '../instructions.js';
import { answer, expectedHook, KEPT, lateHook, preparePrompt, promptOf, PromptSchema, requireCall, runsAnswer, waitForCall, type PreparedPrompt } from './in-call.js';
import { matchOption, OptionSchema, prepareOption, type PreparedOption } from './options.js';

const Seconds = (max: number, fallback: number, description: string) => Type.Optional(Type.Number({ minimum: 1, maximum: max, default: fallback, description }));

const Config = Type.Object(
  {
    prompts: Type.Array(PromptSchema, { minItems: 1, maxItems: 10, description: 'what the caller hears before answering' }),
    input: Type.Optional(Type.Union([Type.Literal('dtmf'), Type.Literal('speech'), Type.Literal('dtmfSpeech')], { default: 'dtmf', description: 'keys, words, or either' })),
    firstTimeout: Seconds(60, 5, 'seconds to wait for the first key or word, after the prompts'),
    interDigitTimeout: Seconds(30, 3, 'seconds to wait between two keys'),
    minDigits: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 1 })),
    maxDigits: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 1 })),
    finishKey: Type.Optional(Type.Union([Type.Literal('#'), Type.Literal('*'), Type.Literal('none')], { default: '#', description: 'the key that ends an entry (not part of it)' })),
    interruptPrompt: Type.Optional(Type.Boolean({ default: true, description: 'whether a key or word stops the prompts' })),
    speech: Type.Optional(
      Type.Object(
        {
          language: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
          hints: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, description: 'words and phrases to expect' })),
          endSilence: Type.Optional(Type.Number({ minimum: 0.5, maximum: 10, description: 'seconds of silence that end what is said' })),
        },
        { additionalProperties: false },
      ),
    ),
    options: Type.Optional(Type.Array(OptionSchema, { maxItems: 20, description: 'branches by what the caller enters, the first that holds wins' })),
    saveTo: Type.Optional(Type.String({ minLength: 1, description: 'a text flow variable that gets the keys or the words' })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 're-prompts after silence or an entry no option holds' })),
    noInputPrompt: Type.Optional(PromptSchema),
    noMatchPrompt: Type.Optional(PromptSchema),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly id: string;
  readonly prompts: readonly PreparedPrompt[];
  readonly collect: Omit<CollectInstruction, 'hook' | 'prompts'>;
  readonly options: readonly PreparedOption[];
  readonly saveTo: string | undefined;
  readonly retries: number;
  readonly noInputPrompt: PreparedPrompt | undefined;
  readonly noMatchPrompt: PreparedPrompt | undefined;
  /** Branch slots after the options (or `next`). */
  readonly noInput: number;
  readonly noMatch: number;
}

export default defineElement<Config, Prepared>({
  type: 'collect',
  role: 'element',
  title: 'Collect',
  description: "Plays prompts and gathers the caller's keys or words; branches by option, noInput or noMatch after its re-prompts.",
  config: Config,
  example: {
    prompts: [{ say: 'Press 1 or say sales. Press 2 or say support.' }],
    input: 'dtmfSpeech',
    options: [
      { name: 'sales', digits: '1', words: ['sales'] },
      { name: 'support', digits: '2', words: ['support'] },
    ],
    speech: { hints: ['sales', 'support'] },
    noMatchPrompt: { say: 'Sorry, that is not an option.' },
  },
  branches: (config) => [...branchNames(config), 'noInput', 'noMatch'],
  branchesFromConfig: 'the `name` of each of the `options` (`next` when there are none), then `noInput` and `noMatch`',
  branchesNeverTaken: [
    {
      branches: ['noMatch'],
      config: Type.Object({ options: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0 })), minDigits: Type.Optional(Type.Literal(1)) }),
      when: 'without "options" and with one digit enough (every entry takes next)',
      fix: 'give it "options", or a "minDigits" above 1',
    },
  ],
  waits: true,
  compile,
  execute: (p, run) => ask(p, run, 0),
  resume,
});

function branchNames(config: Config): string[] {
  return config.options?.length ? config.options.map((o) => o.name) : ['next'];
}

function compile(config: Config, ctx: CompileContext): Prepared {
  requireCall(ctx);
  const minDigits = config.minDigits ?? 1;
  const maxDigits = config.maxDigits ?? 1;
  if (minDigits > maxDigits) ctx.problem('JCT_COLLECT_DIGITS', 'minDigits is more than maxDigits', '.minDigits');
  if (config.saveTo !== undefined && ctx.variables.get(config.saveTo) !== 'text') ctx.problem('JCT_VARIABLE_UNKNOWN', `"${config.saveTo}" is not a text flow variable`, '.saveTo');
  const names = branchNames(config);
  if (new Set(names).size < names.length || names.some((n) => n === 'noInput' || n === 'noMatch')) ctx.problem('JCT_OPTION_NAME', 'option names must differ from each other and from noInput and noMatch', '.options');
  const input = config.input ?? 'dtmf';
  const speech = config.speech;
  return {
    id: ctx.node.id,
    prompts: config.prompts.map((p, i) => preparePrompt(p, ctx, `.prompts[${i}]`)),
    collect: {
      kind: 'collect',
      dtmf: input !== 'speech',
      speech: input !== 'dtmf',
      firstTimeout: config.firstTimeout ?? 5,
      interDigitTimeout: config.interDigitTimeout ?? 3,
      minDigits,
      maxDigits,
      finishKey: config.finishKey === 'none' ? null : (config.finishKey ?? '#'),
      interruptPrompt: config.interruptPrompt ?? true,
      ...(speech ? { speechOptions: { hints: speech.hints ?? [], ...(speech.language ? { language: speech.language } : {}), ...(speech.endSilence ? { endSilence: speech.endSilence } : {}) } } : {}),
    },
    options: (config.options ?? []).map((o, i) => prepareOption(o, ctx, `.options[${i}]`)),
    saveTo: config.saveTo,
    retries: config.retries ?? 2,
    noInputPrompt: config.noInputPrompt && preparePrompt(config.noInputPrompt, ctx, '.noInputPrompt'),
    noMatchPrompt: config.noMatchPrompt && preparePrompt(config.noMatchPrompt, ctx, '.noMatchPrompt'),
    noInput: names.length,
    noMatch: names.length + 1,
  };
}

/** Answers the call with the prompts (after `before`, if any) and the collect on a new hook, and waits for its result. */
function ask(p: Prepared, run: RunContext, attempt: number, before?: PreparedPrompt): Outcome {
  const hook = hookOf(p.id, attempt, run);
  run.setVar(KEPT.hook, hook);
  return put(p, run, hook, before);
}

/** Answers the call with the prompts (after `before`, if any) and the collect on `hook`, and waits for its result. */
function put(p: Prepared, run: RunContext, hook: string, before?: PreparedPrompt): Outcome {
  const collect: CollectInstruction = { ...p.collect, hook, prompts: p.prompts.map((q) => promptOf(q, run)) };
  const said = before ? [promptOf(before, run), collect] : [collect];
  return answer(run, ...said) ? waitForCall(run) : EXIT;
}

function resume(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'timer') return EXIT; // the provider stopped calling back: the call is gone
  if (input.kind !== 'call' || input.event.background) return undefined;
  if (callEnded(input)) return EXIT; // the caller hung up
  if (!runsAnswer(input)) return undefined; // a status callback
  const expected = expectedHook(run, p.id);
  // A hook the call already left (a repeated or late one, of this element or another): the same
  // question on the hook expected, so the caller stays on the line and the count is kept.
  if (expected !== undefined && input.hook !== expected) return lateHook(run, input) ? put(p, run, expected) : undefined;
  const attempt = attemptOf(input.hook, p.id);
  if (attempt === undefined) return undefined; // another element's hook (a participant waiting since before the hook was kept)
  const result = input.event.input && withoutFinishKey(input.event.input, p.collect.finishKey);
  if (!result || result.noInput || entryOf(result) === '') return again(p, run, attempt, p.noInputPrompt, p.noInput, 'noInput');
  if (p.saveTo !== undefined) run.setVar(p.saveTo, entryOf(result));
  const option = chosen(p, result);
  return option ?? again(p, run, attempt, p.noMatchPrompt, p.noMatch, 'noMatch');
}

/**
 * The keys up to the finish key: a platform that cannot end an entry on it (Vonage on "*")
 * sends it, and what the caller pressed after it, with the keys.
 */
function withoutFinishKey(result: CallResult, finishKey: CollectInstruction['finishKey']): CallResult {
  const at = finishKey === null || result.digits === undefined ? -1 : result.digits.indexOf(finishKey);
  return at === -1 ? result : { ...result, digits: result.digits!.slice(0, at) };
}

/** The keys, else the words. */
function entryOf(result: CallResult): string {
  return result.digits || result.speech?.text || '';
}

/** The branch the entry takes: an option's, or `next` without options; undefined when none holds. */
function chosen(p: Prepared, result: CallResult): number | undefined {
  const digits = result.digits ?? '';
  if (digits !== '' && digits.length < p.collect.minDigits) return undefined;
  if (p.options.length === 0) return 0;
  return matchOption(p.options, result);
}

/** Counts the attempt's end (`noInput` or `noMatch`, in the element's counters); re-prompts while attempts are left, else takes `branch`. */
function again(p: Prepared, run: RunContext, attempt: number, before: PreparedPrompt | undefined, branch: number, counter: 'noInput' | 'noMatch'): Outcome {
  run.count(counter, 1);
  return attempt < p.retries ? ask(p, run, attempt + 1, before) : branch;
}
