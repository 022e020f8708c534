// Compile-time checks on a parsed expression that CEL's type checker does not make: a word
// argument written literally (a unit, a date part) must be one the function knows; the
// pattern of `matches()` must be a literal that cannot backtrack catastrophically (the
// matched text may come from anyone); comprehensions may nest only so deep, which bounds
// the work one evaluation can do.
import type { ASTNode } from '@marcbachmann/cel-js';
import { FUNCTIONS } from './functions.js';

export interface Finding {
  readonly code: string;
  readonly message: string;
}

const MAX_NESTING = 2;
const COMPREHENSIONS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter', 'bind']);
const WORDS = new Map(
  FUNCTIONS.flatMap(({ signature, word }) => (word ? [[signature.slice(0, signature.indexOf('(')), word] as const] : [])),
);

/** The first problem found in `ast`, if any. */
export function inspect(ast: ASTNode): Finding | undefined {
  return visit(ast, 0);
}

function visit(node: ASTNode, nesting: number): Finding | undefined {
  const depth = node.op === 'rcall' && COMPREHENSIONS.has(node.args[0]) ? nesting + 1 : nesting;
  if (depth > MAX_NESTING) {
    return { code: 'JCT_EXPRESSION_TOO_COMPLEX', message: `comprehensions nest more than ${MAX_NESTING} deep${at(node)}` };
  }
  const found = checkCall(node);
  if (found) return found;
  for (const child of children(node)) {
    const inChild = visit(child, depth);
    if (inChild) return inChild;
  }
  return undefined;
}

function checkCall(node: ASTNode): Finding | undefined {
  if (node.op === 'call') {
    const [name, args] = node.args;
    const word = WORDS.get(name);
    const arg = word && args[word.arg];
    const text = arg && literalText(arg);
    if (word && text !== undefined && !word.words.includes(text)) {
      return argumentProblem(`${name}() does not know "${text}"; use one of ${word.words.join(', ')}${at(node)}`);
    }
  }
  if (node.op === 'rcall' && node.args[0] === 'matches') return checkPattern(node.args[2][0], node);
  return undefined;
}

function checkPattern(arg: ASTNode | undefined, call: ASTNode): Finding | undefined {
  const pattern = arg && literalText(arg);
  if (pattern === undefined) return argumentProblem(`matches() needs its pattern written as a text literal${at(call)}`);
  try {
    new RegExp(pattern);
  } catch {
    return argumentProblem(`"${pattern}" is not a valid regular expression${at(call)}`);
  }
  if (repeatsRepetition(pattern)) {
    return argumentProblem(`the pattern "${pattern}" repeats a group that itself repeats, which can take exponential time on some texts${at(call)}`);
  }
  return undefined;
}

/** True when a repeated group contains a repetition, like `(a+)+` or `(\w+\s?)*`. */
function repeatsRepetition(pattern: string): boolean {
  const groups: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') groups.push(false);
    else if (c === ')') {
      const repeats = groups.pop() === true;
      if (repeats && repeatsAt(pattern, i + 1)) return true;
      if (repeats) markInnermost(groups);
    } else if (repeatsAt(pattern, i)) markInnermost(groups);
  }
  return false;
}

/** `+`, `*` or an open-ended `{n,}` / `{n,m}` at `i`; an exact `{n}` repeats nothing ambiguously. */
function repeatsAt(pattern: string, i: number): boolean {
  const c = pattern[i];
  return c === '+' || c === '*' || (c === '{' && /^\{\d*,/.test(pattern.slice(i)));
}

function markInnermost(groups: boolean[]): void {
  if (groups.length > 0) groups[groups.length - 1] = true;
}

function literalText(node: ASTNode): string | undefined {
  return node.op === 'value' && typeof node.args === 'string' ? node.args : undefined;
}

function children(node: ASTNode): ASTNode[] {
  const args: unknown = node.args;
  if (Array.isArray(args)) return args.flat().filter(isNode);
  return isNode(args) ? [args] : [];
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x;
}

function argumentProblem(message: string): Finding {
  return { code: 'JCT_EXPRESSION_ARGUMENT', message };
}

function at(node: ASTNode): string {
  return ` (at character ${node.start + 1})`;
}
