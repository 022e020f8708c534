// Literal search for the keyword matcher: an Aho–Corasick automaton finds, in one pass over a
// text, every one of many needles it contains (the "contains" texts of a number), and
// requiredLiteral() finds text a pattern cannot match without, so RE2 (whose every call
// crosses into native code) runs only for the patterns whose literal the message holds.
// Texts and needles are compared folded (keywords.ts), so needles must be folded too.

const NONE: readonly number[] = Object.freeze([]);

/** Every needle found in a text, by the index it was added with. */
export class LiteralSearch {
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  /** Needle indexes ending at each state (its own and those of its fail chain). */
  private readonly out: number[][] = [[]];

  constructor(needles: readonly string[]) {
    needles.forEach((needle, i) => this.add(needle, i));
    this.link();
  }

  get empty(): boolean {
    return this.next[0]!.size === 0;
  }

  /** Indexes of the needles `text` contains, each once, in no particular order (a shared empty list when none). */
  find(text: string): readonly number[] {
    let found: number[] | undefined;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      while (state !== 0 && !this.next[state]!.has(c)) state = this.fail[state]!;
      state = this.next[state]!.get(c) ?? 0;
      const out = this.out[state]!;
      if (out.length === 0) continue;
      found ??= [];
      for (const n of out) if (!found.includes(n)) found.push(n);
    }
    return found ?? NONE;
  }

  private add(needle: string, index: number): void {
    let state = 0;
    for (let i = 0; i < needle.length; i++) {
      const c = needle.charCodeAt(i);
      let to = this.next[state]!.get(c);
      if (to === undefined) {
        to = this.next.length;
        this.next.push(new Map());
        this.fail.push(0);
        this.out.push([]);
        this.next[state]!.set(c, to);
      }
      state = to;
    }
    this.out[state]!.push(index);
  }

  /** Breadth-first fail links, each state's outputs extended with its fail state's. */
  private link(): void {
    const queue = [...this.next[0]!.values()];
    for (let q = 0; q < queue.length; q++) {
      const state = queue[q]!;
      for (const [c, to] of this.next[state]!) {
        let f = this.fail[state]!;
        while (f !== 0 && !this.next[f]!.has(c)) f = this.fail[f]!;
        const target = this.next[f]!.get(c);
        this.fail[to] = target !== undefined && target !== to ? target : 0;
        this.out[to] = [...this.out[to]!, ...this.out[this.fail[to]!]!];
        queue.push(to);
      }
    }
  }
}

const MIN_LITERAL = 3;

/**
 * Lower-case ASCII letters and digits that any text the pattern matches must contain, or
 * undefined when none can be told: only characters outside groups, classes and alternation
 * count, and a character made optional by ?, * or {…} ends the run before it.
 */
export function requiredLiteral(pattern: string): string | undefined {
  let best = '';
  let run = '';
  let depth = 0;
  let inClass = false;
  const end = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (inClass) {
      if (c === '\\') i++;
      else if (c === ']') inClass = false;
      continue;
    }
    if (c === '\\') {
      end();
      i++;
    } else if (c === '[') {
      end();
      inClass = true;
    } else if (c === '(' || c === ')') {
      end();
      depth += c === '(' ? 1 : -1;
    } else if (c === '|' && depth === 0) {
      return undefined;
    } else if (depth === 0 && /[A-Za-z0-9]/.test(c)) {
      const after = pattern[i + 1];
      if (after === '?' || after === '*' || after === '{') end();
      else {
        run += c.toLowerCase();
        if (after === '+') end();
      }
    } else {
      end();
    }
  }
  end();
  return best.length >= MIN_LITERAL ? best : undefined;
}
