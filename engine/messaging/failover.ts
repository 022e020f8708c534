// Failover: sends a message on a first channel (e.g. WhatsApp, which not everyone has) and, when
// it is not delivered in time, the same intent on a second channel (e.g. SMS). Each side is
// configured like its send element (send-sms.ts, send-whatsapp.ts, send-email.ts) plus its
// `channel`. The participant waits, in turn (its wait says which):
//   1. on `effect` for the provider to accept the first message (refused, or no answer within
//      its timeout, retries included → 3);
//   2. on the message's reference (`sent:<provider>:<id>`) for its delivery report, up to
//      `deliveredWithinSeconds`: delivered or seen → branch "delivered"; failed or no report in
//      time → 3 (other statuses keep it waiting);
//   3. on `effect:then` for the provider to accept the second message: accepted → "failedOver",
//      refused or not sent → "failed".
// A side the person has no address for, or blocks, is skipped (counted as the element's
// failure). A channel whose provider sends no delivery reports (SMTP email) always fails over
// after `deliveredWithinSeconds`: put it second.
import { Type, type TSchema } from '@sinclair/typebox';
import type { CompileContext, ElementDefinition, RunContext } from '../element.js';
import type { Input, Outcome } from '../vocabulary.js';
import type { Channel } from '../person.js';
import { SendFields, compileSend, countSent, emitSend, type AnySendElement, type PreparedSend } from './send.js';
import { sentRef, type SentMessage } from './references.js';
import { smsSend } from './send-sms.js';
import { whatsAppSend } from './send-whatsapp.js';
import { emailSend } from './send-email.js';

const DELIVERED = 0;
const FAILED_OVER = 1;
const FAILED = 2;
const THEN = 'effect:then';
const DEFAULT_WITHIN_S = 600;

const SENDS: readonly AnySendElement[] = [smsSend, whatsAppSend, emailSend];

const Side: TSchema = Type.Union(
  SENDS.map((s) => Type.Object({ channel: Type.Literal(s.channel), ...SendFields, ...s.fields }, { additionalProperties: false })),
  { description: 'a message as its send element configures it, with its channel' },
);

type SideConfig = { channel: Channel; from: string } & Record<string, unknown>;

interface Config {
  first: SideConfig;
  then: SideConfig;
  deliveredWithinSeconds?: number;
}

interface PreparedSide {
  readonly send: AnySendElement;
  readonly prepared: PreparedSend & { own: unknown };
}

interface Prepared {
  readonly first: PreparedSide;
  readonly then: PreparedSide;
  readonly withinMs: number;
}

const failover: ElementDefinition<Config, Prepared> = {
  type: 'failover',
  role: 'element',
  title: 'Failover',
  description: 'Sends on a first channel; not delivered in time or failed, sends on a second one.',
  config: Type.Object(
    {
      first: Side,
      then: Side,
      deliveredWithinSeconds: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 604_800, default: DEFAULT_WITHIN_S, description: 'how long the first message has to be delivered before the second is sent' }),
      ),
    },
    { additionalProperties: false },
  ),
  example: {
    first: { channel: 'whatsapp', from: '+385800100', text: 'Your order is {{status}}.' },
    then: { channel: 'sms', from: '+385800100', text: 'Your order is {{status}}.' },
    deliveredWithinSeconds: 900,
  },
  branches: () => ['delivered', 'failedOver', 'failed'],
  waits: true,
  compile: (config, ctx) => ({
    first: compileSide(config.first, ctx, '.first'),
    then: compileSide(config.then, ctx, '.then'),
    withinMs: (config.deliveredWithinSeconds ?? DEFAULT_WITHIN_S) * 1000,
  }),
  execute: (p, run) => sendFirst(p, run),
  resume: (p, run, input) => {
    const on = run.participant.waitOn;
    if (on === 'effect') return firstAccepted(p, run, input);
    if (on === THEN) return thenAccepted(p, run, input);
    return firstReported(p, run, input);
  },
};

export default failover;

function compileSide(config: SideConfig, ctx: CompileContext, path: string): PreparedSide {
  const send = SENDS.find((s) => s.channel === config.channel)!;
  const own: CompileContext = { ...ctx, problem: (code, message, subpath) => ctx.problem(code, message, `${path}${subpath ?? ''}`) };
  const { channel: _channel, ...fields } = config;
  return { send, prepared: compileSend(send, fields as never, own) };
}

function sendFirst(p: Prepared, run: RunContext): Outcome {
  return emitSend(p.first.send, p.first.prepared, run) ? { wait: true, on: 'effect', until: run.now + p.first.prepared.timeoutMs } : sendThen(p, run);
}

function sendThen(p: Prepared, run: RunContext): Outcome {
  return emitSend(p.then.send, p.then.prepared, run) ? { wait: true, on: THEN, until: run.now + p.then.prepared.timeoutMs } : FAILED;
}

/** The first message accepted: wait for its delivery report. */
function firstAccepted(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'effect.failed' || input.kind === 'timer') return sendThen(p, run);
  if (input.kind !== 'effect.result') return undefined;
  countSent(p.first.send.channel, run, input.result);
  const sent = input.result as Partial<SentMessage> | null;
  return { wait: true, on: sentRef(String(sent?.provider), String(sent?.providerMessageId)), until: run.now + p.withinMs };
}

function firstReported(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'timer') return sendThen(p, run);
  if (input.kind !== 'message.status') return undefined;
  const { status } = input.report;
  if (status === 'delivered' || status === 'read') return DELIVERED;
  return status === 'failed' ? sendThen(p, run) : undefined;
}

function thenAccepted(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'effect.result') {
    countSent(p.then.send.channel, run, input.result);
    return FAILED_OVER;
  }
  return input.kind === 'effect.failed' || input.kind === 'timer' ? FAILED : undefined;
}
