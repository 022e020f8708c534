// Long SMS through Vonage's SMS API: one webhook per part, each naming its message by the
// `concat-ref`, `concat-total` and `concat-part` fields (carrier-dialects.md §2.1). The parts of
// one message (one sender, one of our numbers, one reference) are put together here, in memory:
// each part's webhook waits for the others, at most HOLD_MS, then every one of them hands on the
// same whole message, its text the parts' in order and its id the first part's, so that the
// engine takes it once (its de-duplication) and each webhook is answered once it is durable.
// When the wait ends with parts missing, the parts that came are handed on each as its own
// message, as they were; a part sent again later hands on again what its first coming did.
// Each Vonage provider (module) owns its LongSms: parts reaching another module are not mixed.
import type { InboundMessage } from '../../engine/messaging/message.js';
import type { Fields } from './sms-api.js';

/** Longest a part's webhook waits for the other parts (they usually arrive together). */
const HOLD_MS = 1500;
/** How long what a message's parts became is remembered, for a part the provider sends again. */
const REMEMBER_MS = 10 * 60_000;
/** Messages put together at once at most; beyond, parts are handed on as they come. */
const MAX_GATHERING = 10_000;

/** Which part of which message an inbound SMS is. */
export interface Part {
  readonly ref: string;
  readonly index: number;
  readonly of: number;
}

interface Gathering {
  readonly parts: Map<number, InboundMessage>;
  readonly done: Promise<void>;
  finish(): void;
  /** What the parts became once the wait ended: the messages handed on, by part index. */
  result?: ReadonlyMap<number, readonly InboundMessage[]>;
}

/** The part an inbound SMS's fields name (`concat` "true", a reference, a part from 1 to a total of 2 or more), or undefined. */
export function partOf(fields: Fields): Part | undefined {
  if (fields['concat'] !== 'true' && fields['concat'] !== true) return undefined;
  const ref = fields['concat-ref'];
  const index = Number(fields['concat-part']);
  const of = Number(fields['concat-total']);
  if ((typeof ref !== 'string' && typeof ref !== 'number') || String(ref) === '') return undefined;
  if (!Number.isInteger(index) || !Number.isInteger(of) || of < 2 || of > 255 || index < 1 || index > of) return undefined;
  return { ref: String(ref), index, of };
}

/** The long SMS being put together, and what each became for a while after, by sender, number, reference and total. */
export class LongSms {
  private readonly gatherings = new Map<string, Gathering>();

  /** The messages one part of a long SMS becomes, once its message's parts are all here or the wait for them ended. */
  async gathered(message: InboundMessage, part: Part): Promise<readonly InboundMessage[]> {
    const key = [message.from, message.to, part.ref, part.of].join('\u0000');
    let g = this.gatherings.get(key);
    if (!g) {
      if (this.gatherings.size >= MAX_GATHERING) return [message];
      g = this.gathering(key, part.of);
      this.gatherings.set(key, g);
    }
    if (!g.result) {
      if (!g.parts.has(part.index)) g.parts.set(part.index, message);
      if (g.parts.size === part.of) g.finish();
      await g.done;
    }
    return g.result!.get(part.index) ?? [message];
  }

  private gathering(key: string, of: number): Gathering {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const g: Gathering = {
      parts: new Map(),
      done,
      finish: () => {
        if (g.result) return;
        clearTimeout(hold);
        g.result = resultOf(g.parts, of);
        resolve();
        setTimeout(() => this.gatherings.delete(key), REMEMBER_MS).unref();
      },
    };
    const hold = setTimeout(() => g.finish(), HOLD_MS); // not unref'd: a webhook waits on it
    return g;
  }
}

/** Every part here: one message for all of them; else each part its own message. */
function resultOf(parts: ReadonlyMap<number, InboundMessage>, of: number): ReadonlyMap<number, readonly InboundMessage[]> {
  const result = new Map<number, readonly InboundMessage[]>();
  if (parts.size < of) {
    for (const [index, message] of parts) result.set(index, [message]);
    return result;
  }
  const inOrder = [...parts.keys()].sort((a, b) => a - b).map((index) => parts.get(index)!);
  const whole: InboundMessage = { ...inOrder[0]!, text: inOrder.map((m) => m.text).join('') };
  for (const index of parts.keys()) result.set(index, [whole]);
  return result;
}
