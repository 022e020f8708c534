// The `call` input: one call webhook, read by its dialect into a CallEvent and submitted to the
// caller's person. It reaches the participant whose IVR element waits on the call (wait key
// `call:<provider>:<call id>`, or `call:<provider>:<reference>` for a call Junction placed, see
// elements/outbound-call.ts), or, as a call's first webhook, starts the flow whose Inbound
// Call entry point has the number called. Its receipt carries the instructions the steps
// answered with (RunContext.answer), which the voice route renders in the provider's dialect.
// A provider's retry of one webhook (same call, hook, step and outcome) is answered with the
// first answer and applied once, while the call is still where that answer left it; once the
// call has gone on, the retry is a late hook (elements/in-call.ts). A call said to have ended
// is remembered (for the de-duplication window, durably), so a first webhook that arrives after
// its hang-up starts no journey (counted as `call JCT_SESSION_ENDED`) and is answered with one.
//
// Hooks: what an IVR element asks the provider to call back on is `<element id>~<attempt>~<step>`;
// the step makes every rendered document's hooks unique, so a retry is told apart from a re-prompt.
import type { InputDefinition, TriggerEntry, TriggerMatcher } from '../engine/module.js';
import type { RunContext } from '../engine/element.js';
import type { Input, PersonInput } from '../engine/vocabulary.js';
import { normalizePhone } from '../engine/people/contacts.js';
import { withPlus } from '../channels/addresses.js';
import type { CallEvent, CallStatus } from './call-event.js';

declare module '../engine/vocabulary.js' {
  interface InputKinds {
    call: {
      kind: 'call';
      /** The voice module the webhook came through (e.g. `twilio`). */
      provider: string;
      event: CallEvent;
      /** The hook called back on (undefined: the call's first webhook or a status callback). */
      hook?: string;
      /** The call's first webhook (the number's voice URL; jambonz's `session:new`): only it may start a flow, never a status callback. */
      first?: true;
      /** How long a participant waits for the call's next webhook before the call counts as gone (ms). */
      expireAfterMs: number;
      /**
       * An outbound call's reference (the `o` of every address Junction gave the provider for
       * it): its webhooks are routed by it, not by the provider's call id, which may not be
       * known yet when the first one arrives.
       */
      ref?: string;
    };
  }
}

export type CallWebhook = Extract<Input, { kind: 'call' }>;

/** What an Inbound Call entry point prepares (elements/inbound-call.ts): the numbers it answers. */
export interface InboundCallEntry {
  /** E.164. */
  readonly numbers: readonly string[];
}

/** Statuses after which the call is over. */
const ENDED: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export function callEnded(input: CallWebhook): boolean {
  return eventEnds(input.event);
}

/** Whether the webhook says the call is over. */
export function eventEnds(event: CallEvent): boolean {
  return event.status !== undefined && ENDED.has(event.status);
}

export function callWaitKey(provider: string, callId: string): string {
  return `call:${provider}:${callId}`;
}

/** The wait key a call's webhooks reach: by our reference for an outbound call, else by the provider's call id. */
export function callKeyOf(input: CallWebhook): string {
  return callWaitKey(input.provider, input.ref ?? input.event.callId);
}

/** The call input this step handles, if any. */
export function currentCall(run: RunContext): CallWebhook | undefined {
  return run.input?.kind === 'call' ? run.input : undefined;
}

/** A hook of an element: its id, the attempt (re-prompts count up) and the participant's step. */
export function hookOf(nodeId: string, attempt: number, run: RunContext): string {
  return `${nodeId}~${attempt}~${run.participant.steps}`;
}

/** The attempt a hook of this element carries; undefined when the hook is another element's. */
export function attemptOf(hook: string | undefined, nodeId: string): number | undefined {
  if (hook === undefined) return undefined;
  const [id, attempt] = hook.split('~');
  return id === nodeId && attempt !== undefined && /^\d{1,3}$/.test(attempt) ? Number(attempt) : undefined;
}

/** The participant's step a hook was given at; undefined when it is not a hook of ours. */
export function stepOf(hook: string): number | undefined {
  const step = hook.split('~')[2];
  return step !== undefined && /^\d{1,15}$/.test(step) ? Number(step) : undefined;
}

/**
 * Who a call is about: the caller of an inbound call (the called party of an outbound one), by
 * phone; a caller without a phone number (anonymous, a SIP user) is a person of this call alone.
 */
export function callerProfile(provider: string, event: CallEvent): PersonInput {
  const phone = callerPhone(event);
  return phone === undefined ? { id: callPersonId(provider, event) } : { phones: [phone] };
}

/**
 * The person a call's webhook is about when it names none (`p`): the owner of the caller's
 * phone, else an id of the call's own (`call-<provider>-<call id>`), which a caller not known
 * yet keeps when the call's first webhook makes them a person. Every webhook of one call thus
 * reaches the same person, in whatever order they come: a hang-up reported before the first
 * webhook is found there (see `session`).
 */
export async function callerKey(provider: string, event: CallEvent, owner: (phone: string) => Promise<string | undefined>): Promise<string> {
  const phone = callerPhone(event);
  return (phone === undefined ? undefined : await owner(phone)) ?? callPersonId(provider, event);
}

function callerPhone(event: CallEvent): string | undefined {
  return phoneOf(event.direction === 'outbound' ? event.to : event.from);
}

function callPersonId(provider: string, event: CallEvent): string {
  return `call-${provider}-${event.callId}`;
}

/** A number as providers send it (Vonage and Plivo: digits without "+") in E.164, if it is one. */
export function phoneOf(raw: string): string | undefined {
  return normalizePhone(withPlus(raw));
}

/**
 * What identifies one webhook among a call's: its hook and what it reports (a provider's retry
 * repeats them all; the next webhook on the same hook reports something else).
 */
function dedupKey(input: CallWebhook): string {
  const { callId, status, input: entry, recording, forward } = input.event;
  const outcome = entry ? `${entry.noInput ? 'silence' : ''}:${entry.digits ?? ''}:${entry.speech?.text ?? ''}` : '';
  return [input.provider, callId, input.first ? 'first' : input.hook ?? '', status ?? '', outcome, recording?.url ?? '', forward?.status ?? ''].join('\u0000');
}

export const callInput: InputDefinition = {
  kind: 'call',
  answered: true,
  waitKey: (input) => (input.kind === 'call' ? callKeyOf(input) : undefined),
  dedupKey: (input) => (input.kind === 'call' ? dedupKey(input) : undefined),
  session: (input) => (input.kind === 'call' ? { key: callKeyOf(input), ended: callEnded(input) } : undefined),
  person: (input) => (input.kind === 'call' ? callerProfile(input.provider, input.event) : undefined),
  triggers: numberTriggers,
};

/**
 * A call's first webhook starts the flow whose Inbound Call entry has the number called (the
 * first to become active wins). A status callback never does: providers send them apart from the
 * first webhook (Vonage's `started` and `ringing` events), so one may arrive before it.
 */
function numberTriggers(entries: readonly TriggerEntry[]): TriggerMatcher {
  const byNumber = new Map<string, TriggerEntry>();
  for (const entry of [...entries].sort((a, b) => a.order - b.order)) {
    for (const number of (entry.prepared as InboundCallEntry).numbers) if (!byNumber.has(number)) byNumber.set(number, entry);
  }
  return {
    match(input) {
      if (input.kind !== 'call' || !input.first || callEnded(input)) return undefined;
      const entry = byNumber.get(phoneOf(input.event.to) ?? input.event.to);
      return entry && { entry, vars: {}, interrupts: false };
    },
  };
}
