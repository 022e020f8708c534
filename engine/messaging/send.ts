// What the send elements (SMS, WhatsApp, Email) share: the sender that picks the provider,
// the recipient (a placeholder text, as a phone in E.164 or an email in lower case, or the phone or email the conversation is on: the one of
// the message this step follows, else the one the person last wrote from in this journey,
// whatever waits came between; else the person's first one; a mail to the address the person
// last wrote from goes where its Reply-To said), the do-not-contact check per channel and
// sender (of the person's address and of where the message goes), and the wait for the provider's answer. A send emits one
// `message.send` outbox entry and waits for it: "next" once the provider accepted it, "failed"
// when it refused for good or did not answer within the timeout (retries included),
// "notSent" when the person has no address on the channel, blocks it for this sender, or a
// placeholder `to` of an email is not one address (nothing is sent; counted as the element's
// failure JCT_SEND_BLOCKED, JCT_SEND_NO_ADDRESS or JCT_SEND_ADDRESS_INVALID).
// What the provider accepted is counted as `<channel>:sent` (an SMS's parts).
import { Type, type TProperties } from '@sinclair/typebox';
import type { CompileContext, ElementDefinition, RunContext } from '../element.js';
import type { Channel, Person } from '../person.js';
import type { Input, Outcome } from '../vocabulary.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';
import { normalizeContact, normalizeEmail, ourAddress } from '../people/contacts.js';
import { answerAddress, theirAddress } from './address.js';
import type { SentMessage } from './references.js';

const NEXT = 0;
const FAILED = 1;
const NOT_SENT = 2;
const DEFAULT_TIMEOUT_S = 3600;

/** Config fields every send element has. */
export const SendFields = {
  from: Type.String({ minLength: 1, maxLength: 320, description: 'our sender; the provider that lists it sends' }),
  to: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: "recipient, placeholders allowed (on email one address, lower-cased; a list or a name takes notSent, JCT_SEND_ADDRESS_INVALID); default: the address of the message sent to the person this step follows, else the address they last wrote from in this journey (across waits), else their first address on the channel" })),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800, default: DEFAULT_TIMEOUT_S, description: 'how long to wait for the provider to accept it, retries included' })),
  trackLinks: Type.Optional(Type.Boolean({ default: false, description: "rewrite the links of the text (and HTML) to short URLs that count clicks; needs the provider's publicBaseUrl" })),
};

interface SendFieldsConfig {
  from: string;
  to?: string;
  timeoutSeconds?: number;
  trackLinks?: boolean;
}

/** The parts of a send every channel prepares the same way. */
export interface PreparedSend {
  readonly from: string;
  readonly to: CompiledTemplate | undefined;
  readonly timeoutMs: number;
  readonly trackLinks: boolean;
}

export interface SendElement<C extends SendFieldsConfig, P> {
  readonly type: string;
  readonly channel: Channel;
  readonly title: string;
  readonly description: string;
  /** The channel's own config fields. */
  readonly fields: TProperties;
  readonly example: C;
  /** The channel's own prepared form. */
  compile(config: C, ctx: CompileContext): P;
  /** The message fields besides channel, from and to (the recipient chosen). */
  content(prepared: P, run: RunContext, to: string): Record<string, unknown>;
}

/** The send elements' own parts, for elements that send on several channels (failover.ts). */
export type AnySendElement = SendElement<any, any>;

export function sendElement<C extends SendFieldsConfig, P>(s: SendElement<C, P>): ElementDefinition<C, PreparedSend & { own: P }> {
  return {
    type: s.type,
    role: 'element',
    title: s.title,
    description: s.description,
    config: Type.Object({ ...SendFields, ...s.fields }, { additionalProperties: false }),
    example: s.example,
    branches: () => ['next', 'failed', 'notSent'],
    waits: true,
    compile: (config, ctx) => compileSend(s, config, ctx),
    execute: (p, run) => (emitSend(s, p, run) ? { wait: true, on: 'effect', until: run.now + p.timeoutMs } : NOT_SENT),
    resume: (_p, run, input) => outcomeOf(s.channel, run, input),
  };
}

export function compileSend<C extends SendFieldsConfig, P>(s: SendElement<C, P>, config: C, ctx: CompileContext): PreparedSend & { own: P } {
  return {
    from: ourAddress(config.from),
    to: config.to === undefined ? undefined : compileTemplate(config.to, ctx, '.to'),
    timeoutMs: (config.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000,
    trackLinks: config.trackLinks ?? false,
    own: s.compile(config, ctx),
  };
}

/**
 * Emits the `message.send` entry, with the element's timeout as its deadline (a send still
 * waiting for a retry or its rate limit then is not made); false (a failure recorded, nothing
 * sent) when the person has no address, blocks it, or an email's `to` is not one address.
 */
export function emitSend<C extends SendFieldsConfig, P>(s: SendElement<C, P>, p: PreparedSend & { own: P }, run: RunContext): boolean {
  const given = p.to?.render({ vars: run.vars, person: run.person, now: run.now }).trim();
  const address = given ? named(s.channel, given) : (conversationAddress(s.channel, run) ?? addressesOf(run.person, s.channel)[0]);
  if (address === undefined && given) return notSent(run, 'JCT_SEND_ADDRESS_INVALID', 'the recipient ("to") is not one email address: a list or a name would reach others');
  if (address === undefined) return notSent(run, 'JCT_SEND_NO_ADDRESS', `the person has no ${s.channel} address`);
  const to = given ? address : answeredAt(address, run.participant.replyAddress);
  if (run.isBlocked(s.channel, address, p.from) || run.isBlocked(s.channel, to, p.from)) return notSent(run, 'JCT_SEND_BLOCKED', `the person's ${s.channel} address is on the do-not-contact list for ${p.from}`);
  const deadline = run.now + p.timeoutMs;
  run.emit({ kind: 'message.send', channel: s.channel, from: p.from, to, ...s.content(p.own, run, to), ...(p.trackLinks ? { trackLinks: true } : {}), deadline });
  return true;
}

/** Counts what the provider accepted as `<channel>:sent`: an SMS's parts (references.ts), else one. */
export function countSent(channel: Channel, run: RunContext, result: unknown): void {
  const parts = (result as Partial<SentMessage> | null)?.parts;
  run.count(`${channel}:sent`, typeof parts === 'number' ? parts : 1);
}

/**
 * A recipient a placeholder gave, as people's addresses are kept (a phone in E.164, an email in
 * lower case: what providers expect, and what replies and reports are matched with). On email,
 * undefined unless it is one address (a list or a name would reach others); on the other
 * channels, one that is no phone number as it is, for the provider to refuse in its own words.
 */
function named(channel: Channel, given: string): string | undefined {
  if (channel === 'email') return normalizeEmail(given);
  const contact = normalizeContact(given);
  return contact?.kind === 'phone' ? contact.value : given;
}

/**
 * The person's address the conversation is on: the recipient of the message whose sending this
 * step follows, else the sender of the last message of theirs the participant took (its reply
 * address, kept across waits: the step's own inbound message set it); undefined when it is not
 * one of the person's addresses on the channel. A reply thereby goes to the phone the person
 * wrote from, also after a pause, a wait or a failover's delivery report.
 */
function conversationAddress(channel: Channel, run: RunContext): string | undefined {
  const input = run.input;
  const sentTo = input?.kind === 'effect.result' ? (input.result as Partial<SentMessage> | null)?.to : undefined;
  const addresses = addressesOf(run.person, channel);
  return [sentTo, theirAddress(run.participant.replyAddress)].find((address) => address !== undefined && addresses.includes(address));
}

/** Where a message to the person's `address` goes: when it is the one they last wrote from, where their Reply-To said (address.ts); else itself. */
function answeredAt(address: string, replyAddress: string): string {
  return theirAddress(replyAddress) === address ? (answerAddress(replyAddress) ?? address) : address;
}

function addressesOf(person: Person, channel: Channel): readonly string[] {
  return channel === 'email' ? person.emails : person.phones;
}

function notSent(run: RunContext, code: string, message: string): false {
  run.fail(code, message);
  return false;
}

/**
 * The send's outcome: sent (counted), or failed. A send the provider refused, or that had no
 * answer within the element's timeout, is the element's failure with its code; one the provider
 * refused also counts as `<channel>:failed`, as a failed delivery report does.
 */
function outcomeOf(channel: Channel, run: RunContext, input: Input): Outcome | undefined {
  if (input.kind === 'effect.result') {
    countSent(channel, run, input.result);
    return NEXT;
  }
  if (input.kind === 'effect.failed') {
    run.fail(input.error.code, input.error.message);
    run.count(`${channel}:failed`, 1);
    return FAILED;
  }
  if (input.kind === 'timer') {
    run.fail('JCT_SEND_TIMEOUT', `the ${channel} message was not sent within the element's timeout`);
    return FAILED;
  }
  return undefined;
}
