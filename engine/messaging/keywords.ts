// The keyword matcher: which rule an inbound message matches, among the rules of every active
// flow on one channel and number (Inbound Message entry points) or of one Evaluate inbound
// message element. Rules are compiled per channel and number into maps and literal automata
// (literals.ts), so the cost of matching a message depends on its length, not on how many
// rules there are, and RE2 runs only for patterns whose required literal the message holds.
//
// Priority, across all flows on a number: equals a person attribute, WhatsApp button payload,
// button text, matches one of several texts, matches a regular expression, contains one of
// several texts, and last Anything. Within one class the rule with the lowest `order` wins (the
// flow launched first). Texts compare folded: Unicode NFKC, trimmed, runs of white space as
// one space, lower case. A regular expression runs on RE2 (linear time, no backtracking)
// against the trimmed text, case-insensitively; its groups are kept for capture.
import RE2 from 're2';
import { attributeValue } from '../people/profile.js';
import { LiteralSearch, requiredLiteral } from './literals.js';
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
  const plain = PRINTABLE_ASCII.test(text) ? text : text.normalize('NFKC');
  const trimmed = plain.trim();
  return (UNEVEN_SPACE.test(trimmed) ? trimmed.replace(/\s+/gu, ' ') : trimmed).toLowerCase();
}

/** Texts NFKC leaves as they are. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** White space other than single spaces. */
const UNEVEN_SPACE = /\s{2}|[^\S ]/u;

/** Compiles a user's pattern as the matcher runs it; throws a SyntaxError RE2 cannot compile. */
export function compilePattern(pattern: string): RE2 {
  return new RE2(pattern, 'iu');
}

export class KeywordIndex<T> {
  /** Channel → number → its rules. */
  private readonly channels = new Map<string, Map<string, NumberRules<T>>>();
  private count = 0;

  constructor(rules: readonly KeywordRule<T>[]) {
    const grouped = new Map<string, Map<string, KeywordRule<T>[]>>();
    for (const rule of [...rules].sort((a, b) => a.order - b.order)) {
      let numbers = grouped.get(rule.channel);
      if (!numbers) grouped.set(rule.channel, (numbers = new Map()));
      numbers.set(rule.number, [...(numbers.get(rule.number) ?? []), rule]);
    }
    for (const [channel, numbers] of grouped) {
      this.channels.set(channel, new Map([...numbers].map(([number, list]) => [number, new NumberRules(list)])));
      this.count += numbers.size;
    }
  }

  /** The rule this message matches, by priority, or undefined. */
  match(message: Message, person: Person | undefined): KeywordMatch<T> | undefined {
    return this.channels.get(message.channel)?.get(message.to)?.match(message, person);
  }

  /** How many channel-and-number groups hold rules. */
  get size(): number {
    return this.count;
  }
}

/** The rules of one channel and number, compiled. */
class NumberRules<T> {
  private readonly attributes = new Map<string, KeywordRule<T>>();
  private readonly payloads = new Map<string, KeywordRule<T>>();
  private readonly buttons = new Map<string, KeywordRule<T>>();
  private readonly texts = new Map<string, KeywordRule<T>>();
  private readonly patterns: Patterns<T>;
  private readonly contains: Needles<T>;
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
      else if (c.operator === 'containsText') for (const v of c.values) needles.push([foldText(v), rule]);
    }
    this.patterns = new Patterns(regexes);
    this.contains = new Needles(needles);
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
    return this.patterns.first(message.text.trim(), folded) ?? this.contains.first(folded) ?? this.anythingMatch();
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

/** The "contains" rules of a number: one pass over the folded text finds every needle in it. */
class Needles<T> {
  private readonly search: LiteralSearch;
  private readonly rules: ReadonlyArray<KeywordRule<T>>;

  constructor(entries: ReadonlyArray<[string, KeywordRule<T>]>) {
    this.search = new LiteralSearch(entries.map(([needle]) => needle));
    this.rules = entries.map(([, rule]) => rule);
  }

  first(folded: string): KeywordMatch<T> | undefined {
    if (this.search.empty) return undefined;
    const found = this.search.find(folded);
    if (found.length === 0) return undefined;
    const rule = this.rules[Math.min(...found)]!;
    return { target: rule.target, operator: rule.condition.operator };
  }
}

/**
 * The pattern rules of a number. RE2 runs only for the patterns whose required literal the
 * folded text contains (and those without one), in rule order, until one matches.
 */
class Patterns<T> {
  private readonly entries: ReadonlyArray<{ readonly regex: RE2; readonly rule: KeywordRule<T> }>;
  private readonly literals: LiteralSearch;
  /** Entry index of each literal in `literals`. */
  private readonly owners: readonly number[];
  /** Entries without a literal: always tried. */
  private readonly always: readonly number[];

  constructor(entries: ReadonlyArray<[string, KeywordRule<T>]>) {
    this.entries = entries.map(([pattern, rule]) => ({ regex: compilePattern(pattern), rule }));
    const literals = entries.map(([pattern]) => requiredLiteral(pattern));
    const owners = literals.flatMap((l, i) => (l === undefined ? [] : [i]));
    this.owners = owners;
    this.literals = new LiteralSearch(owners.map((i) => literals[i]!));
    this.always = literals.flatMap((l, i) => (l === undefined ? [i] : []));
  }

  first(trimmed: string, folded: string): KeywordMatch<T> | undefined {
    if (this.entries.length === 0) return undefined;
    const found = this.literals.find(folded);
    if (found.length === 0 && this.always.length === 0) return undefined;
    const candidates = [...this.always, ...found.map((n) => this.owners[n]!)].sort((a, b) => a - b);
    for (const i of candidates) {
      const { regex, rule } = this.entries[i]!;
      const groups = regex.exec(trimmed);
      if (groups) return { target: rule.target, operator: rule.condition.operator, groups: [...groups].map((g) => g ?? '') };
    }
    return undefined;
  }
}

function keepFirst<T>(map: Map<string, KeywordRule<T>>, key: string, rule: KeywordRule<T>): void {
  if (!map.has(key)) map.set(key, rule);
}
