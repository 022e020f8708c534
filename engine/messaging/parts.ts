// A multipart SMS's delivery reports put together: where a provider reports on each part of a
// message on its own (Plivo), the message's status follows all its parts. A part failed: the
// message failed, at once (one part missing garbles the text). A part delivered (or read): kept
// on the message's reference, and the message is delivered once every part is. Other statuses
// (queued, sent) are the message's as they come. A report on a message no longer referenced
// passes as it is.
import type { Reference } from '../module.js';
import type { Input } from '../vocabulary.js';
import type { DeliveryReport } from './message.js';

const partDelivered = (index: number): string => `part ${index} delivered`;

export function combineParts(input: Input, reference: Reference | undefined): { input?: Input; keep?: string } {
  if (input.kind !== 'message.status' || !input.report.part || !reference) return { input };
  const { part, ...whole } = input.report;
  const message: Input = { kind: 'message.status', report: whole };
  if (whole.status !== 'delivered' && whole.status !== 'read') return { input: message };
  const keep = partDelivered(part.index);
  return everyPartDelivered(part, reference) ? { input: message, keep } : { keep };
}

/** Whether the parts before this report, and this one, are all delivered. */
function everyPartDelivered(part: NonNullable<DeliveryReport['part']>, reference: Reference): boolean {
  for (let index = 1; index <= part.of; index++) {
    if (index !== part.index && !reference.recorded.includes(partDelivered(index))) return false;
  }
  return true;
}
