// The messaging module: the Inbound Message entry point, Evaluate inbound message and the send
// elements, and the inputs channel adapters submit. An inbound message goes to the person's
// participants waiting for a message on that channel and number (wait key
// `message:<channel>:<number>`), or starts the flow whose Inbound Message entry it matches
// (keywords.ts); a keyword interrupts interruptible waits of other flows, Anything never does.
// A provider's retry of one message (same provider, message id and recipient) within the
// de-duplication window is applied once. A delivery report reaches whoever waits on the
// message it reports on.
import type { InputDefinition, Module, TriggerEntry, TriggerMatcher } from '../module.js';
import type { Input } from '../vocabulary.js';
import { senderProfile } from './message.js';
import { messageWaitKey, reportWaitKey } from './wait-keys.js';
import { KeywordIndex } from './keywords.js';
import { ourAddress } from './address.js';
import inboundMessage, { captured, type InboundMessageEntry } from './inbound-message.js';
import evaluateInboundMessage from './evaluate-inbound-message.js';
import sendSms from './send-sms.js';
import sendWhatsApp from './send-whatsapp.js';
import sendEmail from './send-email.js';

const inbound: InputDefinition = {
  kind: 'message.inbound',
  waitKey: (input: Input) => (input.kind === 'message.inbound' ? messageWaitKey(input.message.channel, ourAddress(input.message.to)) : undefined),
  triggers: keywordTriggers,
  dedupKey: (input: Input) => (input.kind === 'message.inbound' ? `${input.message.provider}\u0000${input.message.providerMessageId}\u0000${input.message.to}` : undefined),
  person: (input: Input) => (input.kind === 'message.inbound' ? senderProfile(input.message) : undefined),
};

const status: InputDefinition = {
  kind: 'message.status',
  waitKey: (input: Input) => (input.kind === 'message.status' ? reportWaitKey(input.report.provider, input.report.providerMessageId) : undefined),
};

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

export const messagingModule: Module = {
  name: 'messaging',
  elements: [inboundMessage, evaluateInboundMessage, sendSms, sendWhatsApp, sendEmail],
  inputs: [inbound, status],
};
