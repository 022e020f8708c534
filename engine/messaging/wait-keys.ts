// The wait keys of messaging inputs: what a participant waits `on` to receive them.

/** A message on one channel to one of our numbers or addresses. */
export function messageWaitKey(channel: string, to: string): string {
  return `message:${channel}:${to}`;
}

/** The delivery report of one message a provider accepted. */
export function reportWaitKey(provider: string, providerMessageId: string): string {
  return `report:${provider}:${providerMessageId}`;
}
