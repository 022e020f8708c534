// The contract every call-control dialect implements: render instructions into the provider's
// document, read the provider's call webhooks into a CallEvent, and verify their signatures.
// The dialects live in ivr/dialects/, one module each.
import type { WebhookRequest } from '../channels/provider.js';
import type { CallEvent } from './call-event.js';
import type { HookUrl, Instruction } from './instructions.js';

export type { HookUrl } from './instructions.js';

export interface Dialect<Secrets> {
  /** `twiml`, `texml`, `ncco`, `plivo` or `jambonz`. */
  readonly name: string;
  /** The Content-Type of a rendered document. */
  readonly contentType: string;
  /**
   * Whether the provider runs the answer to every hook webhook as the call's next document, an
   * empty answer being a broken one (the XML dialects): a hook webhook nobody takes (the journey
   * canceled or expired while the caller is still on the line) is then answered with a hang-up.
   * False where an empty answer is normal: NCCO (the events of a forwarded leg) and jambonz (go
   * on with the next verb).
   */
  readonly documentPerHook: boolean;
  /**
   * The provider's document for the instructions. The first collect, record, forward, redirect
   * or hangup ends it: the hook's answer (or the end of the call) decides what follows, so any
   * instruction after it is left out. Throws JCT_IVR_INSTRUCTION_INVALID for an
   * instruction no provider could follow (a collect of neither keys nor speech, a forward to
   * nobody).
   */
  render(instructions: readonly Instruction[], hookUrl: HookUrl): string;
  /** The call event a verified webhook carries; throws JCT_CALL_MALFORMED (400) when it is not what the provider sends. */
  read(req: WebhookRequest): CallEvent;
  /** Throws JCT_SIGNATURE_MISSING (401) or JCT_SIGNATURE_INVALID (403) unless the provider signed the request; `now` in ms. */
  verify(req: WebhookRequest, secrets: Secrets, now: number): void;
}
