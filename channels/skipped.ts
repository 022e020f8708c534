// Inbound message types adapters acknowledge and skip: a WhatsApp location or reaction carries no
// text or media Junction reads, so it must not reach flows as an empty text (which Anything, the
// keyword that matches any text, would take). The Meta adapter carries only the types it reads;
// Twilio and Vonage name these by their message type.
const SKIPPED = new Set(['location', 'reaction']);

export function isSkippedType(type: string | undefined): boolean {
  return type !== undefined && SKIPPED.has(type);
}
