// Record: records what the caller says (after an optional prompt and a beep) until the finish
// key, silence or the longest length; the recording's URL and length go into variables, then
// `recorded`, or `notRecorded` when nothing was captured. Where the recording comes on a webhook
// of its own, in the background while the call goes on (Vonage's record event, jambonz's audio
// stream), what it reports is kept with the participant (in-call.ts KEPT, durable with the step)
// for the element's next webhook; one that comes before it is there holds the call — a second of
// silence, then ask again — (at most HOLD_TRIES times). A hang-up while recording still gets its
// recording when the provider sends it, before or after the status callback that says so (for
// AFTER_HANG_UP_MS); a call whose provider stops calling back ends the journey. A webhook on a
// hook the call has left (another element's, or of an earlier visit) gets the prompt and the
// record again on the visit's hook (in-call.ts lateHook): it never finishes this visit.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../../engine/element.js';
import { EXIT, type Input, type Outcome } from '../../engine/vocabulary.js';
import { attemptOf, callEnded, hookOf, stepOf, type CallWebhook } from '../call.js';
import type { RecordMessage } from '../instructions.js';
import { afterHangUp, answer, expectedHook, forgetKept, KEPT, lateHook, preparePrompt, promptOf, PromptSchema, requireCall, waitForCall, type PreparedPrompt } from './in-call.js';

const Config = Type.Object(
  {
    prompt: Type.Optional(PromptSchema),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'longest recording, seconds' })),
    finishKey: Type.Optional(Type.Union([Type.Literal('#'), Type.Literal('*'), Type.Literal('none')], { default: '#', description: 'the key that ends the recording' })),
    beep: Type.Optional(Type.Boolean({ default: true })),
    silenceTimeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, default: 5, description: 'seconds of silence that end the recording' })),
    urlTo: Type.Optional(Type.String({ minLength: 1, description: "a text flow variable that gets the recording's URL" })),
    durationTo: Type.Optional(Type.String({ minLength: 1, description: "a whole or decimal flow variable that gets the recording's length in seconds" })),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly id: string;
  readonly prompt: PreparedPrompt | undefined;
  readonly record: Omit<RecordMessage, 'hook'>;
  readonly urlTo: string | undefined;
  readonly durationTo: string | undefined;
}

const RECORDED = 0;
const NOT_RECORDED = 1;
const HOLD_TRIES = 10;
/** How long after a hang-up the recording may still come (ms). */
const AFTER_HANG_UP_MS = 5 * 60_000;

export default defineElement<Config, Prepared>({
  type: 'record',
  role: 'element',
  title: 'Record',
  description: "Records the caller; the recording's URL and length go into variables.",
  config: Config,
  example: { prompt: { say: 'Leave a message after the beep, then press the pound key.' }, maxLength: 120, urlTo: 'recording' },
  branches: () => ['recorded', 'notRecorded'],
  waits: true,
  compile,
  execute: (p, run) => start(p, run),
  resume,
});

function compile(config: Config, ctx: CompileContext): Prepared {
  requireCall(ctx);
  if (config.urlTo !== undefined && ctx.variables.get(config.urlTo) !== 'text') ctx.problem('JCT_VARIABLE_UNKNOWN', `"${config.urlTo}" is not a text flow variable`, '.urlTo');
  const durationType = config.durationTo === undefined ? undefined : ctx.variables.get(config.durationTo);
  if (config.durationTo !== undefined && durationType !== 'whole' && durationType !== 'decimal') ctx.problem('JCT_VARIABLE_UNKNOWN', `"${config.durationTo}" is not a whole or decimal flow variable`, '.durationTo');
  return {
    id: ctx.node.id,
    prompt: config.prompt && preparePrompt(config.prompt, ctx, '.prompt'),
    record: {
      kind: 'record',
      maxLength: config.maxLength ?? 60,
      finishKey: config.finishKey === 'none' ? null : (config.finishKey ?? '#'),
      beep: config.beep ?? true,
      silenceTimeout: config.silenceTimeout ?? 5,
    },
    urlTo: config.urlTo,
    durationTo: config.durationTo,
  };
}

function start(p: Prepared, run: RunContext): Outcome {
  forgetKept(run, KEPT.recording, KEPT.hungUp);
  const hook = hookOf(p.id, 0, run);
  run.setVar(KEPT.hook, hook);
  return open(p, run, hook);
}

/** The prompt and the record on `hook`, waiting for the recording. */
function open(p: Prepared, run: RunContext, hook: string): Outcome {
  const record: RecordMessage = { ...p.record, hook };
  return answer(run, ...(p.prompt ? [promptOf(p.prompt, run), record] : [record])) ? waitForCall(run, p.record.maxLength * 1000) : EXIT;
}

/** Keeps the caller on the line while the recording is on its way. */
function hold(p: Prepared, run: RunContext, attempt: number): Outcome {
  return answer(run, { kind: 'pause', seconds: 1 }, { kind: 'redirect', hook: hookOf(p.id, attempt, run) }) ? waitForCall(run) : EXIT;
}

function resume(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'timer') return EXIT;
  if (input.kind !== 'call') return undefined;
  const opened = expectedHook(run, p.id);
  const attempt = attemptOf(input.hook, p.id);
  if (attempt === undefined || (opened !== undefined && !sameVisit(input.hook!, opened))) return elsewhere(p, run, input, opened);
  const { recording, background } = input.event;
  const silence = input.event.input?.noInput ? NOTHING : undefined;
  if (background) {
    const report = recording ?? silence;
    if (report === undefined) return undefined;
    return run.vars[KEPT.hungUp] === true ? finish(p, run, report) : keep(run, report);
  }
  const got = recording ?? kept(run) ?? silence;
  if (got !== undefined) return finish(p, run, got);
  return callEnded(input) || attempt >= HOLD_TRIES ? NOT_RECORDED : hold(p, run, attempt + 1);
}

/** Whether `hook` (this element's) was given on the visit that began with `opened` (its hold hooks come at later steps). */
function sameVisit(hook: string, opened: string): boolean {
  return (stepOf(hook) ?? -1) >= stepOf(opened)!;
}

/** A webhook on a hook of another element or visit: a hang-up, or a late hook (the record again, unless the caller is gone). */
function elsewhere(p: Prepared, run: RunContext, input: CallWebhook, opened: string | undefined): Outcome | undefined {
  if (callEnded(input)) return hungUp(p, run, input);
  if (opened === undefined || run.vars[KEPT.hungUp] === true || !lateHook(run, input)) return undefined;
  return open(p, run, opened);
}

/** A recording, or nothing recorded. */
type Report = { readonly url: string; readonly durationS?: number } | typeof NOTHING;
const NOTHING = 'nothing';

/** A report that came before the element's next webhook: kept for it, waiting on. */
function keep(run: RunContext, report: Report): Outcome {
  run.setVar(KEPT.recording, report === NOTHING ? [] : [report.url, report.durationS ?? null]);
  return waitForCall(run);
}

/** The report kept, if any. */
function kept(run: RunContext): Report | undefined {
  const value = run.vars[KEPT.recording];
  if (!Array.isArray(value)) return undefined;
  const [url, durationS] = value as unknown[];
  if (typeof url !== 'string') return NOTHING;
  return typeof durationS === 'number' ? { url, durationS } : { url };
}

/** The caller hung up: the recording kept, else the one still to come (see AFTER_HANG_UP_MS). */
function hungUp(p: Prepared, run: RunContext, call: CallWebhook): Outcome {
  const got = kept(run);
  if (got !== undefined) return finish(p, run, got);
  run.setVar(KEPT.hungUp, true);
  return afterHangUp(run, call, AFTER_HANG_UP_MS);
}

function finish(p: Prepared, run: RunContext, report: Report): Outcome {
  if (report === NOTHING) return NOT_RECORDED;
  if (p.urlTo !== undefined) run.setVar(p.urlTo, report.url);
  if (p.durationTo !== undefined && report.durationS !== undefined) run.setVar(p.durationTo, report.durationS);
  return RECORDED;
}
