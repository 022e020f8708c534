// The messaging module: the Inbound Message entry point, Evaluate inbound message and the send
// elements, and the inputs channel adapters submit. An inbound message goes to the person's
// participants waiting for a message on that channel and number (wait key
// `message:<channel>:<number>`), or starts the flow whose Inbound Message entry it matches
// (keywords.ts); a keyword interrupts interruptible waits of other flows, Anything never does.
// A provider's retry of one message (same provider, message id and recipient) within the
// de-duplication window is applied once. A delivery report reaches whoever waits on the
// message it reports on (a multipart SMS's reports per part first put together, parts.ts); it and a reply to a message we sent are recorded once per message on
// the send element's counters (`<channel>:delivered`, `seen` — a read message was delivered too —, `failed`, `replied`) and become
// the person's channel events (`message.sent`, `message.delivered`, `message.seen`,
// `message.failed`, `message.replied`) that goals and waits for events hear. A tracked link's
// short URL (GET /l/<code>, links.ts) records `clicked` the same way and redirects.
import type { InputDefinition, InputOutcome, Module, Reference, RouteAnswer, RouteContext, RouteDefinition, RouteRequest, TriggerEntry, TriggerMatcher } from '../module.js';
import { Type } from '@sinclair/typebox';
import { JunctionError } from '../errors.js';
import { LINK_PATH, linkRef } from './links.js';
import type { Input } from '../vocabulary.js';
import type { EventDefinition } from '../person.js';
import { senderProfile, type DeliveryStatus } from './message.js';
import { messageWaitKey } from './wait-keys.js';
import { replyRef, sentRef } from './references.js';
import { KeywordIndex } from './keywords.js';
import { combineParts } from './parts.js';
import { ourAddress } from '../people/contacts.js';
import { replyAddressOf } from './address.js';
import inboundMessage, { captured, type InboundMessageEntry } from './inbound-message.js';
import evaluateInboundMessage from './evaluate-inbound-message.js';
import sendSms from './send-sms.js';
import sendWhatsApp from './send-whatsapp.js';
import sendEmail from './send-email.js';
import failover from './failover.js';

const inbound: InputDefinition = {
  kind: 'message.inbound',
  waitKey: (input: Input) => (input.kind === 'message.inbound' ? messageWaitKey(input.message.channel, ourAddress(input.message.to)) : undefined),
  triggers: keywordTriggers,
  dedupKey: (input: Input) => (input.kind === 'message.inbound' ? `${input.message.provider}\u0000${input.message.providerMessageId}\u0000${input.message.to}` : undefined),
  person: (input: Input) => (input.kind === 'message.inbound' ? senderProfile(input.message) : undefined),
  replyAddress: (input: Input) => (input.kind === 'message.inbound' ? replyAddressOf(input.message) : undefined),
  reference: (input: Input) => (input.kind === 'message.inbound' ? replyRef(input.message.channel, input.message.to, input.message.from) : undefined),
  outcomes: (input: Input, ref: Reference) => (input.kind === 'message.inbound' ? [channelEvent('replied', ref, { provider: input.message.provider })] : []),
};

const status: InputDefinition = {
  kind: 'message.status',
  waitKey: (input: Input) => (input.kind === 'message.status' ? sentRef(input.report.provider, input.report.providerMessageId) : undefined),
  reference: (input: Input) => (input.kind === 'message.status' ? sentRef(input.report.provider, input.report.providerMessageId) : undefined),
  outcomes: (input: Input, ref: Reference) => (input.kind === 'message.status' ? reported(input.report.status, ref, input.report) : []),
  combine: combineParts,
};

const click: InputDefinition = {
  kind: 'message.click',
  waitKey: () => undefined,
  reference: (input: Input) => (input.kind === 'message.click' ? linkRef(input.code) : undefined),
  outcomes: (input: Input, ref: Reference) => (input.kind === 'message.click' ? [{ ...channelEvent('clicked', ref, { url: ref.data['url'] }), on: String(ref.data['message']) }] : []),
};

/** A tracked link's short URL: the click is recorded for the person, then the browser goes on to the link. */
const shortLink: RouteDefinition = {
  method: 'GET',
  url: `${LINK_PATH}:code`,
  access: 'open', // a person's browser follows it; the code is the only thing it needs
  schema: { params: Type.Object({ code: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) }) },
  handle: (req: RouteRequest, ctx: RouteContext) => clicked(req.params['code']!, ctx),
};

async function clicked(code: string, ctx: RouteContext): Promise<RouteAnswer> {
  const ref = await ctx.reference(linkRef(code), code);
  if (!ref) throw new JunctionError('JCT_NOT_FOUND', 'no tracked link has this code (or it is older than the reference window)');
  // A click the store cannot take now is not counted; the person still gets where the link goes.
  await ctx.submit(ref.personId, { kind: 'message.click', code }).catch(() => undefined);
  return { status: 302, body: '', headers: { location: String(ref.data['url']) } };
}

/** The channel event a delivery status is (queued and unknown are none); "sent" is counted when the provider accepts the message, not here. */
const EVENT_OF: Readonly<Record<DeliveryStatus, { name: string; counted: boolean } | undefined>> = {
  queued: undefined,
  sent: { name: 'sent', counted: false },
  delivered: { name: 'delivered', counted: true },
  read: { name: 'seen', counted: true },
  failed: { name: 'failed', counted: true },
  unknown: undefined,
};

/** The statuses a status implies besides itself: a message read was delivered (a provider may report the read alone). */
const IMPLIED: Readonly<Partial<Record<DeliveryStatus, readonly DeliveryStatus[]>>> = { read: ['delivered'] };

/** What a report records, each once per message: the statuses it implies, then its own. */
function reported(status: DeliveryStatus, ref: Reference, report: { provider: string; providerMessageId: string; errorCode?: string }): InputOutcome[] {
  return [...(IMPLIED[status] ?? []), status].flatMap((s) => {
    const event = EVENT_OF[s];
    if (!event) return [];
    const details = { provider: report.provider, messageId: report.providerMessageId, ...(report.errorCode ? { errorCode: report.errorCode } : {}) };
    const outcome = channelEvent(event.name, ref, details);
    return [event.counted ? outcome : { name: outcome.name, event: outcome.event }];
  });
}

/** `message.<name>` for the person, counted as `<channel>:<name>` on the element that sent the message. */
function channelEvent(name: string, ref: Reference, details: Record<string, unknown>): InputOutcome {
  const channel = String(ref.data['channel']);
  return { name, counter: `${channel}:${name}`, event: { name: `message.${name}`, properties: { channel, ...details } } };
}

function keywordTriggers(entries: readonly TriggerEntry[]): TriggerMatcher {
  const index = new KeywordIndex(
    entries.map((entry) => {
      const p = entry.prepared as InboundMessageEntry;
      return { channel: p.channel, number: p.number, condition: p.condition, order: entry.order, target: entry };
    }),
  );
  return {
    match(input, person) {
      if (input.kind !== 'message.inbound') return undefined;
      const hit = index.match({ ...input.message, to: ourAddress(input.message.to) }, person);
      if (!hit) return undefined;
      return { entry: hit.target, vars: captured(hit.target.prepared as InboundMessageEntry, input.message), interrupts: hit.operator !== 'anything' };
    },
  };
}

const text = (name: string) => ({ name, type: 'text' }) as const;
/** Every channel event names the message (channel, provider, its id) and the flow and send element that sent it. */
const ABOUT_MESSAGE = [text('channel'), text('provider'), text('messageId'), text('flowId'), text('element')];

/** The channel events the inputs above record. */
const CHANNEL_EVENTS: EventDefinition[] = [
  { name: 'message.sent', description: 'The provider reported the message sent', properties: ABOUT_MESSAGE },
  { name: 'message.delivered', description: 'The message reached the person', properties: ABOUT_MESSAGE },
  { name: 'message.seen', description: 'The person read the message (where the channel reports it)', properties: ABOUT_MESSAGE },
  { name: 'message.failed', description: 'The provider reported the message failed', properties: [...ABOUT_MESSAGE, text('errorCode')] },
  { name: 'message.replied', description: 'The person answered the last message a flow sent them on that number', properties: ABOUT_MESSAGE },
  { name: 'message.clicked', description: 'The person opened a tracked link of the message', properties: [...ABOUT_MESSAGE, text('url')] },
];

export const messagingModule: Module = {
  name: 'messaging',
  elements: [inboundMessage, evaluateInboundMessage, sendSms, sendWhatsApp, sendEmail, failover],
  inputs: [inbound, status, click],
  routes: [shortLink],
  events: CHANNEL_EVENTS,
};
