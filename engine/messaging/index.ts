// The messaging module: the inputs channel adapters submit. An inbound message reaches the
// person's participants waiting for a message on that channel and number (wait key
// `message:<channel>:<number>`); a delivery report reaches whoever waits on the sent message.
import type { Module } from '../module.js';
import type { Input } from '../vocabulary.js';
import './message.js';

/** The wait key of a message on one channel to one of our numbers or addresses. */
export function messageWaitKey(channel: string, to: string): string {
  return `message:${channel}:${to}`;
}

export const messagingModule: Module = {
  name: 'messaging',
  inputs: [
    { kind: 'message.inbound', waitKey: (input: Input) => (input.kind === 'message.inbound' ? messageWaitKey(input.message.channel, input.message.to) : undefined) },
    { kind: 'message.status', waitKey: (input: Input) => (input.kind === 'message.status' ? `report:${input.report.provider}:${input.report.providerMessageId}` : undefined) },
  ],
};
