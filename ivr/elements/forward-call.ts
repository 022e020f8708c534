// Forward call: connects the caller to other numbers or SIP addresses (the first to answer),
// showing a caller id, ringing for so long; then `answered` (after the forwarded call ends),
// `busy`, `noAnswer` or `failed`. A caller who hangs up ends the journey, unless the forwarded
// call was answered: then `answered` still runs (post-call steps), since providers send the
// forward's outcome around the hang-up's status callback, in either order (it is awaited for
// OUTCOME_AFTER_HANG_UP_MS). No webhook comes while the calls are connected: the session timeout
// counts from the longest a provider keeps them up. A webhook on a hook the call has left (another
// element's, or of an earlier visit) gets the forward again on its own hook (in-call.ts lateHook).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../../engine/element.js';
import { normalizePhone } from '../../engine/people/contacts.js';
import { EXIT, type Input, type Outcome } from '../../engine/vocabulary.js';
import { attemptOf, callEnded, hookOf, type CallWebhook } from '../call.js';
import type { ForwardStatus } from '../call-event.js';
import type { Forward, ForwardTarget } from '../instructions.js';
import { afterHangUp, answer, DEFAULT_RING_S, expectedHook, forgetKept, KEPT, lateHook, requireCall, RingTimeout, waitForCall } from './in-call.js';

const Config = Type.Object(
  {
    to: Type.Array(Type.String({ minLength: 1, maxLength: 300, description: 'a phone number with its country code, or a SIP URI (sip:…)' }), { minItems: 1, maxItems: 10 }),
    callerId: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'the number the called party sees (default: the caller)' })),
    ringTimeout: RingTimeout,
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly id: string;
  readonly forward: Omit<Forward, 'hook'>;
}

/**
 * The longest a provider keeps a forwarded call up by default (Twilio's and Plivo's Dial
 * timeLimit, 4 hours; Vonage's connect stops at 2): no webhook comes meanwhile.
 */
const LONGEST_BRIDGE_S = 4 * 3600;

const ANSWERED = 0;
const BRANCH_OF: Readonly<Record<ForwardStatus, number>> = { answered: ANSWERED, completed: ANSWERED, busy: 1, 'no-answer': 2, failed: 3 };

/** How long the forward's outcome may come after the status callback of a hang-up (ms). */
const OUTCOME_AFTER_HANG_UP_MS = 60_000;

export default defineElement<Config, Prepared>({
  type: 'forwardCall',
  role: 'element',
  title: 'Forward call',
  description: 'Connects the caller to other numbers or SIP addresses; answered, busy, noAnswer or failed.',
  config: Config,
  example: { to: ['+385 1 600 2000', 'sip:desk@pbx.example.com'], ringTimeout: 25 },
  branches: () => ['answered', 'busy', 'noAnswer', 'failed'],
  waits: true,
  compile,
  execute: start,
  resume,
});

function start(p: Prepared, run: RunContext): Outcome {
  forgetKept(run, KEPT.hungUp);
  const hook = hookOf(p.id, 0, run);
  run.setVar(KEPT.hook, hook);
  return connect(p, run, hook);
}

/** The forward on `hook`, waiting for its outcome. */
function connect(p: Prepared, run: RunContext, hook: string): Outcome {
  return answer(run, { ...p.forward, hook }) ? waitForCall(run, (p.forward.ringTimeout + LONGEST_BRIDGE_S) * 1000) : EXIT;
}

function compile(config: Config, ctx: CompileContext): Prepared {
  requireCall(ctx);
  const targets = config.to.map((to, i) => target(to, ctx, `.to[${i}]`));
  const callerId = config.callerId === undefined ? undefined : (normalizePhone(config.callerId) ?? config.callerId);
  return { id: ctx.node.id, forward: { kind: 'forward', targets, ringTimeout: config.ringTimeout ?? DEFAULT_RING_S, ...(callerId ? { callerId } : {}) } };
}

function target(to: string, ctx: CompileContext, at: string): ForwardTarget {
  if (/^sips?:/i.test(to)) return { type: 'sip', address: to };
  const phone = normalizePhone(to);
  if (phone === undefined) ctx.problem('JCT_PHONE_INVALID', `"${to}" is neither a valid phone number with its country code nor a SIP URI`, at);
  return { type: 'phone', address: phone ?? to };
}

function resume(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'timer') return EXIT;
  if (input.kind !== 'call') return undefined;
  const dialed = expectedHook(run, p.id);
  const own = dialed === undefined ? attemptOf(input.hook, p.id) !== undefined : input.hook === dialed;
  if (!own && dialed !== undefined && run.vars[KEPT.hungUp] !== true && lateHook(run, input)) return connect(p, run, dialed);
  const forward = input.event.forward;
  if (!own || !forward) return callEnded(input) ? hungUp(run, input) : undefined;
  const branch = BRANCH_OF[forward.status];
  const callerGone = callEnded(input) || run.vars[KEPT.hungUp] === true; // Vonage's forward events do not say the caller is gone
  return callerGone && branch !== ANSWERED ? EXIT : branch; // a caller gone before anyone answered
}

/** The caller hung up: the forward's outcome may still come (see OUTCOME_AFTER_HANG_UP_MS); remembered for it. */
function hungUp(run: RunContext, call: CallWebhook): Outcome {
  run.setVar(KEPT.hungUp, true);
  return afterHangUp(run, call, OUTCOME_AFTER_HANG_UP_MS);
}
