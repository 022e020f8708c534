// What every IVR element shares: the check that it stands where a call exists (every path that
// reaches it starts at an Inbound Call or goes on from an Outbound call's answered branch), the
// prompts it speaks or plays (text with placeholders), how it waits for the call's next webhook, and
// what it keeps between the webhooks of one visit (KEPT).
import { Type, type Static } from '@sinclair/typebox';
import type { CompileContext, RunContext } from '../../engine/element.js';
import { compileTemplate, type CompiledTemplate } from '../../engine/expressions/template.js';
import { EXIT, type Outcome, type Wait } from '../../engine/vocabulary.js';
import { attemptOf, callEnded, callKeyOf, currentCall, type CallWebhook } from '../call.js';
import type { Instruction, Prompt } from '../instructions.js';

/** The entry point type that brings a call into a flow. */
export const INBOUND_CALL = 'inboundCall';

/** How long a call rings before it counts as not answered (Forward call, Outbound call), and its default (s). */
export const DEFAULT_RING_S = 30;
export const RingTimeout = Type.Optional(Type.Integer({ minimum: 5, maximum: 120, default: DEFAULT_RING_S, description: 'seconds to let it ring' }));

/** The element that places a call, and its branch that goes on in the call. */
export const OUTBOUND_CALL = 'outboundCall';
export const ANSWERED = 'answered';

/** The IVR elements that wait for the call's own next webhook: the call goes on after them. */
const CALL_WAITS: ReadonlySet<string> = new Set(['collect', 'record', 'forwardCall']);

/**
 * Reports JCT_IVR_NO_CALL (JCT_IVR_CALL_LOST when only a wait loses it: a rule added later, see
 * RULES_ADDED_LATER) at the element itself (its place in the flow is the problem, not its
 * config) when this element can be reached without a call, naming where the
 * call is missing: a call exists after an Inbound Call entry point and after an Outbound call's
 * `answered` branch; an Outbound call's other branches have none (placing a call ends the one
 * before), and neither has any element that waits for something else than the call (Call
 * webhook, Pause, the waits for events): the call's webhook is answered when the participant
 * starts waiting there, so the caller is gone.
 */
export function requireCall(ctx: CompileContext): void {
  const places = placesWithoutCall(ctx, ctx.node.id);
  if (places.length === 0) return;
  const reasons = (['entry', 'outbound', 'wait'] as const).flatMap((why) => {
    const names = places.filter((p) => p.why === why).map((p) => `"${p.id}" (${p.type})`);
    return names.length === 0 ? [] : [REASONS[why](names.join(', '), names.length > 1)];
  });
  ctx.nodeProblem(
    places.every((p) => p.why === 'wait') ? 'JCT_IVR_CALL_LOST' : 'JCT_IVR_NO_CALL',
    `an IVR element needs a call: it can be reached ${reasons.join(', and ')}; only Inbound Call entry points and the "answered" branch of an Outbound call bring one, and only elements that do not wait (or wait for the call) keep it`,
  );
}

/** Where the call is missing, in words. */
const REASONS: Readonly<Record<Place['why'], (names: string, many: boolean) => string>> = {
  entry: (names, many) => `from ${names}, which bring${many ? '' : 's'} no call`,
  outbound: (names) => `after a branch of ${names} other than "answered", where no call is under way`,
  wait: (names, many) => `after ${names}, which wait${many ? '' : 's'} for something else than the call (the call's webhook is answered, and the call over, when the wait begins)`,
};

interface Place {
  readonly id: string;
  readonly type: string;
  /** An entry point that brings no call, an Outbound call's branch that has none, or an element that waits for something else. */
  readonly why: 'entry' | 'outbound' | 'wait';
}

interface Edge {
  readonly to: string;
  /** true: a call exists after it; false: none; undefined: as before it. */
  readonly call: boolean | undefined;
}

/** The places the call is missing from, on the paths that reach `target` with no call. */
function placesWithoutCall(ctx: CompileContext, target: string): Place[] {
  const nodes = [...ctx.flow.entryPoints, ...ctx.flow.elements];
  const next = new Map(nodes.map((node) => [node.id, Object.entries(node.branches ?? {}).map(([branch, to]): Edge => ({ to, call: callAfter(ctx, node.type, branch) }))]));
  const typeOf = new Map(nodes.map((node) => [node.id, node.type]));
  const found = new Map<string, Place>();
  const starts = ctx.flow.entryPoints.map((e): [string, Place | undefined] => [e.id, e.type === INBOUND_CALL ? undefined : { id: e.id, type: e.type, why: 'entry' }]);
  const seen = new Set(starts.map(([id, missing]) => `${id}\u0000${missing?.id ?? ''}`));
  for (let item = starts.pop(); item !== undefined; item = starts.pop()) {
    const [id, missing] = item;
    for (const edge of next.get(id) ?? []) {
      const type = typeOf.get(id)!;
      const after = edge.call === false ? { id, type, why: type === OUTBOUND_CALL ? ('outbound' as const) : ('wait' as const) } : edge.call ? undefined : missing;
      if (edge.to === target && after) found.set(after.id, after);
      const key = `${edge.to}\u0000${after?.id ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      starts.push([edge.to, after]);
    }
  }
  return [...found.values()];
}

function callAfter(ctx: CompileContext, type: string, branch: string): boolean | undefined {
  if (type === OUTBOUND_CALL) return branch === ANSWERED;
  return ctx.waits(type) && !CALL_WAITS.has(type) ? false : undefined;
}

export const Voice = {
  voice: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "a voice in the provider's vocabulary (e.g. Polly.Joanna)" })),
  language: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', description: 'BCP-47 language tag, e.g. en-US' })),
};

export const Loop = Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 1, description: 'how many times' }));

export const PromptSchema = Type.Union([
  Type.Object({ say: Type.String({ minLength: 1, maxLength: 3000, description: 'text to speak; {{placeholders}} allowed' }), ...Voice, loop: Loop }, { additionalProperties: false }),
  Type.Object({ play: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'URL of an audio file' }), loop: Loop }, { additionalProperties: false }),
]);
export type PromptConfig = Static<typeof PromptSchema>;

/** A say's text is undefined only in a flow whose compile reported its placeholders (it never runs). */
export type PreparedPrompt = { kind: 'say'; text: CompiledTemplate | undefined; voice?: string; language?: string; loop?: number } | { kind: 'play'; url: string; loop?: number };

export function preparePrompt(p: PromptConfig, ctx: CompileContext, at: string): PreparedPrompt {
  if ('play' in p) return { kind: 'play', url: p.play, ...(p.loop ? { loop: p.loop } : {}) };
  const { voice, language, loop } = p;
  return { kind: 'say', text: compileTemplate(p.say, ctx, `${at}.say`), ...(voice ? { voice } : {}), ...(language ? { language } : {}), ...(loop ? { loop } : {}) };
}

/** The prompt as an instruction, its text rendered for this participant. */
export function promptOf(p: PreparedPrompt, run: RunContext): Prompt {
  if (p.kind === 'play') return p;
  return { ...p, text: p.text?.render({ vars: run.vars, person: run.person, now: run.now }) ?? '' };
}

/** Adds instructions to the call's answer; false (a failure recorded) when the step handles no call. */
export function answer(run: RunContext, ...instructions: Instruction[]): boolean {
  const call = currentCall(run);
  if (!call) {
    run.fail('JCT_IVR_NO_CALL', 'no call is being handled in this step (an IVR element after a wait that was not for the call)');
    return false;
  }
  if (callEnded(call)) return false; // the caller hung up (a post-call step led here): nobody to answer
  for (const i of instructions) run.answer(i);
  return true;
}

/**
 * Waits for the call's next webhook, for as long as the call's provider may take to send it
 * after what the caller is given runs: `busyMs` (a recording's longest length) comes on top.
 */
export function waitForCall(run: RunContext, busyMs = 0): Wait | typeof EXIT {
  const call = currentCall(run);
  return call ? { wait: true, on: callKeyOf(call), until: run.now + busyMs + call.expireAfterMs } : EXIT;
}

/** The caller hung up (`call` said so): what the element still expects of the call may come for `withinMs`. */
export function afterHangUp(run: RunContext, call: CallWebhook, withinMs: number): Wait {
  return { wait: true, on: callKeyOf(call), until: run.now + Math.min(withinMs, call.expireAfterMs) };
}

/**
 * What an IVR element keeps between the webhooks of one visit, with the participant's variables
 * (so it is durable with every step) under names no flow variable can take (those begin with a
 * letter). Each is written by the element before it is read there.
 */
export const KEPT = {
  /** The hook the call is to come back on (a collect), or that the visit began with (a record, a forward): a webhook on another one is late. */
  hook: '~hook',
  /** What a recording reported before the element's next webhook: `[url, seconds or null]`, or `[]` for nothing recorded (a record). */
  recording: '~recording',
  /** The call ended while a recording (a record) or a forward's outcome (a forward) was still to come. */
  hungUp: '~hungUp',
} as const;

/** Clears what an element kept on an earlier visit. */
export function forgetKept(run: RunContext, ...names: ReadonlyArray<(typeof KEPT)[keyof typeof KEPT]>): void {
  for (const name of names) if (run.vars[name] !== undefined && run.vars[name] !== null) run.setVar(name, null);
}

/** The hook the element last asked the call to come back on, if it said (a participant waiting since before it did says nothing). */
export function expectedHook(run: RunContext, nodeId: string): string | undefined {
  const hook = run.vars[KEPT.hook];
  return typeof hook === 'string' && attemptOf(hook, nodeId) !== undefined ? hook : undefined;
}

/**
 * A webhook on a hook the call has left (late, or repeated with another outcome, of an element
 * the call was at before or of an earlier visit of this one; or the call's first webhook again,
 * retried after the call went on), told apart by the element: true when the provider runs what
 * it is answered with (not a status callback, not one sent apart, not a hang-up), counted in
 * the element's report (`counters.lateHook`). The element then says again what it waits for,
 * on the hook it expects: a hang-up, or nothing, would end the call while the journey still
 * waits for it.
 */
export function lateHook(run: RunContext, input: CallWebhook): boolean {
  if (!runsAnswer(input) || input.event.background || callEnded(input)) return false;
  run.count('lateHook', 1);
  return true;
}

/** Instant IVR elements go on to `next` once their instructions are answered, or exit without a call. */
export function answered(run: RunContext, ...instructions: Instruction[]): Outcome {
  return answer(run, ...instructions) ? 0 : EXIT;
}

/** Whether the provider runs what a webhook is answered with: a hook's, or the call's first webhook (not a status callback). */
export function runsAnswer(input: CallWebhook): boolean {
  return input.hook !== undefined || input.first === true;
}
