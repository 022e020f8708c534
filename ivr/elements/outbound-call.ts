// Outbound call: Junction calls the person (their first phone, or a number with placeholders)
// through a voice provider's REST API — the `call.place` outbox entry (outbound.ts), placed once
// the step is durable — showing our number, ringing for so long. When the callee answers, the
// provider fetches the answer webhook and the call goes on as an inbound one: the `answered`
// branch's IVR elements answer it. Otherwise `busy`, `noAnswer` or `failed` (the API refused,
// the call could not be placed, or ended before its answer webhook reached Junction). A flow
// checked against the configuration is refused when its provider cannot place calls with it
// (JCT_CALL_PROVIDER_UNCONFIGURED, a rule added later: a version launched before its settings
// were removed keeps running, and its calls take `failed`).
//
// The participant waits on the outbox entry's result and, at once, on the call's reference
// (`call:<provider>:<entry key>`), which every address given to the provider carries: the
// answer webhook or a status callback may come before the API's answer is recorded.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../../engine/element.js';
import { normalizePhone } from '../../engine/people/contacts.js';
import { compileTemplate, type CompiledTemplate } from '../../engine/expressions/template.js';
import { EXIT, isEffectWait, WAIT_KEY_SEPARATOR, type Input, type Outcome, type Wait } from '../../engine/vocabulary.js';
import { attemptOf, callEnded, callWaitKey, hookOf, phoneOf, type CallWebhook } from '../call.js';
import { VOICE_PROVIDERS, type CallStatus } from '../call-event.js';
import { PLACE_CALL } from '../outbound.js';
import { ANSWERED, DEFAULT_RING_S, OUTBOUND_CALL, RingTimeout } from './in-call.js';

const Config = Type.Object(
  {
    provider: Type.Union(
      VOICE_PROVIDERS.map((p) => Type.Literal(p)),
      { description: 'the voice module that places the call (its settings hold the credentials and publicBaseUrl)' },
    ),
    from: Type.String({ minLength: 1, maxLength: 50, description: 'our number the callee sees (caller id), with its country code (or its digits without "+")' }),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: "the number to call, placeholders allowed (e.g. {{mobile}}); default: the person's first phone" })),
    ringTimeout: RingTimeout,
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly id: string;
  readonly provider: string;
  readonly from: string;
  readonly to: CompiledTemplate | undefined;
  readonly ringTimeout: number;
}

const BRANCHES = [ANSWERED, 'busy', 'noAnswer', 'failed'] as const;
const [GO_ON, BUSY, NO_ANSWER, FAILED] = [0, 1, 2, 3];

/** Where a call that ended before it was answered goes; `completed` too: it ended before its answer webhook reached us. */
const ENDED_BRANCH: Partial<Readonly<Record<CallStatus, number>>> = { busy: BUSY, 'no-answer': NO_ANSWER, failed: FAILED, canceled: FAILED, completed: FAILED };

/** How long past the ring timeout the provider may take to say how the call went (s). */
const GRACE_S = 60;

export default defineElement<Config, Prepared>({
  type: OUTBOUND_CALL,
  role: 'element',
  title: 'Outbound call',
  description: 'Calls the person through a voice provider; answered (the IVR elements after it speak in the call), busy, noAnswer or failed.',
  config: Config,
  example: { provider: 'twilio', from: '+385 1 600 1000', ringTimeout: 25 },
  branches: () => BRANCHES,
  waits: true,
  compile,
  execute,
  resume,
});

function compile(config: Config, ctx: CompileContext): Prepared {
  const from = phoneOf(config.from);
  if (from === undefined) ctx.problem('JCT_PHONE_INVALID', `"${config.from}" is not a valid phone number with its country code`, '.from');
  const unready = ctx.unready({ kind: PLACE_CALL, provider: config.provider });
  if (unready !== undefined) ctx.problem('JCT_CALL_PROVIDER_UNCONFIGURED', unready, '.provider');
  return {
    id: ctx.node.id,
    provider: config.provider,
    from: from ?? config.from,
    to: config.to === undefined ? undefined : compileTemplate(config.to, ctx, '.to'),
    ringTimeout: config.ringTimeout ?? DEFAULT_RING_S,
  };
}

/** Emits the call and waits for its placing and its webhooks; `failed` when there is no number to call. */
function execute(p: Prepared, run: RunContext): Outcome {
  const to = callee(p, run);
  if (to === undefined) {
    run.fail('JCT_CALL_NO_NUMBER', p.to ? 'the number to call is not a valid phone number with its country code' : 'the person has no phone number');
    return FAILED;
  }
  const until = deadline(p, run);
  const ref = run.emit({ kind: PLACE_CALL, provider: p.provider, from: p.from, to, ringTimeout: p.ringTimeout, hook: hookOf(p.id, 0, run), deadline: until });
  return { wait: true, on: `effect${WAIT_KEY_SEPARATOR}${callWaitKey(p.provider, ref)}`, until };
}

/** When the call counts as not answered if nothing has been heard: the ring timeout plus the provider's grace. */
function deadline(p: Prepared, run: RunContext): number {
  return run.now + (p.ringTimeout + GRACE_S) * 1000;
}

function callee(p: Prepared, run: RunContext): string | undefined {
  if (!p.to) return run.person.phones[0];
  return normalizePhone(p.to.render({ vars: run.vars, person: run.person, now: run.now }).trim());
}

function resume(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  switch (input.kind) {
    case 'effect.result':
      return ringing(p, run, input.key);
    case 'effect.failed':
      return FAILED;
    case 'timer':
      // still waiting for the API: the call was never placed; else nobody said how it went
      return isEffectWait(run.participant.waitOn) ? FAILED : NO_ANSWER;
    case 'call':
      return callOutcome(p, input);
    default:
      return undefined;
  }
}

/** The call is placed: wait for its webhooks alone (unless one already moved the participant on). */
function ringing(p: Prepared, run: RunContext, ref: string): Wait {
  return { wait: true, on: callWaitKey(p.provider, ref), until: deadline(p, run) };
}

/** The answer webhook (the element's hook) goes on in the call; a status callback that ends the call takes its branch. */
function callOutcome(p: Prepared, input: CallWebhook): Outcome | undefined {
  const answerWebhook = attemptOf(input.hook, p.id) !== undefined;
  if (answerWebhook && !callEnded(input)) return GO_ON;
  if (!callEnded(input)) return undefined; // ringing, or the answered event before the answer webhook
  return ENDED_BRANCH[input.event.status!] ?? EXIT;
}
