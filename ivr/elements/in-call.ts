// What every IVR element shares: the check that it stands where a call exists (every entry
// point that reaches it is an Inbound Call), the prompts it speaks or plays (text with
// placeholders), and how it waits for the call's next webhook.
import { Type, type Static } from '@sinclair/typebox';
import type { CompileContext, RunContext } from '../../engine/element.js';
import type { FlowDefinition } from '../../engine/flow-schema.js';
import { compileTemplate, type CompiledTemplate } from '../../engine/expressions/template.js';
import { EXIT, type Outcome, type Wait } from '../../engine/vocabulary.js';
import { callWaitKey, currentCall } from '../call.js';
import type { Instruction, Prompt } from '../instructions.js';

/** The entry point type that brings a call into a flow. */
export const INBOUND_CALL = 'inboundCall';

/**
 * Reports JCT_IVR_NO_CALL unless every entry point from which this element can be reached is
 * an Inbound Call: elsewhere there is no call to speak to.
 */
export function requireCall(ctx: CompileContext): void {
  const without = entriesReaching(ctx.flow, ctx.node.id).filter((e) => e.type !== INBOUND_CALL);
  if (without.length === 0) return;
  const names = without.map((e) => `"${e.id}" (${e.type})`).join(', ');
  ctx.problem('JCT_IVR_NO_CALL', `an IVR element needs a call: it can be reached from ${names}, which bring${without.length === 1 ? 's' : ''} no call; only Inbound Call entry points do`);
}

function entriesReaching(flow: FlowDefinition, target: string): Array<{ id: string; type: string }> {
  const next = new Map<string, string[]>();
  for (const node of [...flow.entryPoints, ...flow.elements]) next.set(node.id, Object.values(node.branches ?? {}));
  return flow.entryPoints.filter((entry) => reaches(next, entry.id, target));
}

function reaches(next: ReadonlyMap<string, readonly string[]>, from: string, target: string): boolean {
  const seen = new Set<string>([from]);
  const queue = [from];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const to of next.get(id) ?? []) {
      if (to === target) return true;
      if (seen.has(to)) continue;
      seen.add(to);
      queue.push(to);
    }
  }
  return false;
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
  if (!currentCall(run)) {
    run.fail('JCT_IVR_NO_CALL', 'no call is being handled in this step (an IVR element after a wait that was not for the call)');
    return false;
  }
  for (const i of instructions) run.answer(i);
  return true;
}

/** Waits for the call's next webhook, for as long as the call's provider may take to send it. */
export function waitForCall(run: RunContext): Wait | typeof EXIT {
  const call = currentCall(run);
  return call ? { wait: true, on: callWaitKey(call.provider, call.event.callId), until: run.now + call.expireAfterMs } : EXIT;
}

/** Instant IVR elements go on to `next` once their instructions are answered, or exit without a call. */
export function answered(run: RunContext, ...instructions: Instruction[]): Outcome {
  return answer(run, ...instructions) ? 0 : EXIT;
}
