// The keyword matcher: which rule an inbound message matches, among the rules of every active
// flow on one channel and number (Inbound Message entry points) or of one Evaluate inbound
// message element. Rules are compiled per channel and number into maps and RE2 sets, so the
// cost of matching a message depends on its length, not on how many rules there are.
//
// Priority, across all flows on a number: equals a person attribute, WhatsApp button payload,
// button text, matches one of several texts, matches a regular expression, contains one of
// several texts, and last Anything. Within one class the rule with the lowest `order` wins (the
// flow launched first). Texts compare folded: Unicode NFKC, trimmed, runs of white space as
// one space, lower case. A regular expression runs on RE2 (linear time, no backtracking)
// against the trimmed text, case-insensitively; its groups are kept for capture.
import RE2 from 're2';
import { attributeValue } from '../people/profile.js';
import type { Person } from '../person.js';
import type { InboundMessage } from './message.js';

export type KeywordCondition =
  | { readonly operator: 'anything' }
  | { readonly operator: 'equalsAttribute'; readonly attribute: string }
  | { readonly operator: 'matchesText'; readonly values: readonly string[] }
  | { readonly operator: 'matchesRegex'; readonly pattern: string }
  | { readonly operator: 'containsText'; readonly values: readonly string[] }
  | { readonly operator: 'buttonText'; readonly values: readonly string[] }
  | { readonly operator: 'buttonPayload'; readonly values: readonly string[] };

export type KeywordOperator = KeywordCondition['operator'];

export interface KeywordRule<T> {
  readonly channel: string;
  readonly number: string;
  readonly condition: KeywordCondition;
  /** Lower wins a tie within a priority class. */
  readonly order: number;
  readonly target: T;
}

export interface KeywordMatch<T> {
  readonly target: T;
  readonly operator: KeywordOperator;
  /** The regular expression's groups (index 0 is the whole match), for captures. */
  readonly groups?: readonly string[];
}

type Message = Pick<InboundMessage, 'channel' | 'to' | 'text' | 'button'>;

/** Text as keywords compare it. */
export function foldText(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** Compiles a user's pattern as the matcher runs it; throws a SyntaxError RE2 cannot compile. */
export function compilePattern(pattern: string): RE2 {
  return new RE2(pattern, 'iu');
}

export class KeywordIndex<T> {
  private readonly numbers = new Map<string, NumberRules<T>>();

  constructor(rules: readonly KeywordRule<T>[]) {
    const byNumber = new Map<string, KeywordRule<T>[]>();
    for (const rule of [...rules].sort((a, b) => a.order - b.order)) {
      const key = `${rule.channel}\u0000${rule.number}`;
      byNumber.set(key, [...(byNumber.get(key) ?? []), rule]);
    }
    for (const [key, list] of byNumber) this.numbers.set(key, new NumberRules(list));
  }

  /** The rule this message matches, by priority, or undefined. */
  match(message: Message, person: Person | undefined): KeywordMatch<T> | undefined {
    return this.numbers.get(`${message.channel}\u0000${message.to}`)?.match(message, person);
  }

  /** How many channel-and-number groups hold rules. */
  get size(): number {
    return this.numbers.size;
  }
}

/** The rules of one channel and number, compiled. */
class NumberRules<T> {
  private readonly attributes = new Map<string, KeywordRule<T>>();
  private readonly payloads = new Map<string, KeywordRule<T>>();
  private readonly buttons = new Map<string, KeywordRule<T>>();
  private readonly texts = new Map<string, KeywordRule<T>>();
  private readonly patterns: PatternSet<T>;
  private readonly contains: PatternSet<T>;
  private readonly anything: KeywordRule<T> | undefined;

  constructor(rules: readonly KeywordRule<T>[]) {
    const regexes: Array<[string, KeywordRule<T>]> = [];
    const needles: Array<[string, KeywordRule<T>]> = [];
    for (const rule of rules) {
      const c = rule.condition;
      if (c.operator === 'equalsAttribute') keepFirst(this.attributes, c.attribute, rule);
      else if (c.operator === 'buttonPayload') for (const v of c.values) keepFirst(this.payloads, v.trim(), rule);
      else if (c.operator === 'buttonText') for (const v of c.values) keepFirst(this.buttons, foldText(v), rule);
      else if (c.operator === 'matchesText') for (const v of c.values) keepFirst(this.texts, foldText(v), rule);
      else if (c.operator === 'matchesRegex') regexes.push([c.pattern, rule]);
      else if (c.operator === 'containsText') for (const v of c.values) needles.push([escape(foldText(v)), rule]);
    }
    this.patterns = new PatternSet(regexes);
    this.contains = new PatternSet(needles);
    this.anything = rules.find((r) => r.condition.operator === 'anything');
  }

  match(message: Message, person: Person | undefined): KeywordMatch<T> | undefined {
    const folded = foldText(message.text);
    const hit =
      this.byAttribute(folded, person) ??
      (message.button?.payload !== undefined ? this.payloads.get(message.button.payload.trim()) : undefined) ??
      (message.button !== undefined ? this.buttons.get(foldText(message.button.text)) : undefined) ??
      this.texts.get(folded);
    if (hit) return { target: hit.target, operator: hit.condition.operator };
    return this.patterns.first(message.text.trim(), true) ?? this.contains.first(folded, false) ?? this.anythingMatch();
  }

  private byAttribute(folded: string, person: Person | undefined): KeywordRule<T> | undefined {
    if (!person || this.attributes.size === 0) return undefined;
    let best: KeywordRule<T> | undefined;
    for (const [attribute, rule] of this.attributes) {
      const value = attributeValue(person, attribute);
      if (value !== null && folded !== '' && foldText(String(value)) === folded && (!best || rule.order < best.order)) best = rule;
    }
    return best;
  }

  private anythingMatch(): KeywordMatch<T> | undefined {
    return this.anything && { target: this.anything.target, operator: 'anything' };
  }
}

/** Several patterns in one RE2 set: one pass over the text says which match. */
class PatternSet<T> {
  private readonly set: ReturnType<typeof RE2.Set> | undefined;
  private readonly rules: ReadonlyArray<KeywordRule<T>>;
  private readonly regexes: readonly RE2[];

  constructor(entries: ReadonlyArray<[string, KeywordRule<T>]>) {
    this.rules = entries.map(([, rule]) => rule);
    this.regexes = entries.map(([pattern]) => compilePattern(pattern));
    this.set = entries.length === 0 ? undefined : new RE2.Set(entries.map(([pattern]) => pattern), 'iu');
  }

  /** The matching rule with the lowest order (rules are in order), with groups when asked. */
  first(text: string, withGroups: boolean): KeywordMatch<T> | undefined {
    if (!this.set) return undefined;
    const found = this.set.match(text);
    if (found.length === 0) return undefined;
    const i = Math.min(...found);
    const rule = this.rules[i]!;
    const groups = withGroups ? [...(this.regexes[i]!.exec(text) ?? [])].map((g) => g ?? '') : undefined;
    return { target: rule.target, operator: rule.condition.operator, ...(groups ? { groups } : {}) };
  }
}

function keepFirst<T>(map: Map<string, KeywordRule<T>>, key: string, rule: KeywordRule<T>): void {
  if (!map.has(key)) map.set(key, rule);
}

function escape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
