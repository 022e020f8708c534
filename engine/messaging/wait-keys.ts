// The wait key of inbound messages: what a participant waits `on` to receive them. (A delivery
// report reaches whoever waits on its message's reference, references.ts.)

/** A message on one channel to one of our numbers or addresses. */
export function messageWaitKey(channel: string, to: string): string {
  return `message:${channel}:${to}`;
}

