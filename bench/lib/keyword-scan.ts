// The naive keyword matcher: every rule in one list in priority order, scanned per message,
// the first of the message's channel and number whose condition holds wins. It defines what
// the compiled matcher (engine/messaging/keywords.ts) must answer: the keyword tests compare
// the two, and the `keywords` benchmark measures against it.
import type RE2 from 're2';
import { compilePattern, foldText, type KeywordCondition, type KeywordRule } from '../../engine/messaging/keywords.js';
import type { InboundMessage } from '../../engine/messaging/message.js';

const PRIORITY: Record<KeywordCondition['operator'], number> = {
  equalsAttribute: 0,
  buttonPayload: 1,
  buttonText: 2,
  matchesText: 3,
  matchesRegex: 4,
  containsText: 5,
  anything: 6,
};

type Message = Pick<InboundMessage, 'channel' | 'to' | 'text'>;

export class LinearScan<T> {
  private readonly rules: Array<KeywordRule<T> & { regex?: RE2; folded?: string[] }>;

  constructor(list: readonly KeywordRule<T>[]) {
    this.rules = [...list]
      .sort((a, b) => PRIORITY[a.condition.operator] - PRIORITY[b.condition.operator] || a.order - b.order)
      .map((r) => {
        const c = r.condition;
        if (c.operator === 'matchesRegex') return { ...r, regex: compilePattern(c.pattern) };
        if (c.operator === 'matchesText' || c.operator === 'containsText') return { ...r, folded: c.values.map(foldText) };
        return r;
      });
  }

  /** Texts, patterns, contains and Anything (no person, no buttons). */
  match(m: Message): T | undefined {
    const folded = foldText(m.text);
    const trimmed = m.text.trim();
    for (const r of this.rules) {
      if (r.number !== m.to || r.channel !== m.channel) continue;
      const op = r.condition.operator;
      if (op === 'matchesText' && r.folded!.includes(folded)) return r.target;
      if (op === 'matchesRegex' && r.regex!.test(trimmed)) return r.target;
      if (op === 'containsText' && r.folded!.some((v) => folded.includes(v))) return r.target;
      if (op === 'anything') return r.target;
    }
    return undefined;
  }
}
