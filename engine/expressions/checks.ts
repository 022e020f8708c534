// Compile-time checks on a parsed expression that CEL's type checker does not make: a word
// argument written literally (a unit, a date part) must be one the function knows; the
// pattern of `matches()` must be a literal in RE2 syntax, as CEL specifies (no backreferences
// or lookarounds: patterns V8's linear-time engine can run, so the matched text, which may
// come from anyone, cannot make it backtrack for long; see environment.ts); comprehensions may
// nest only so deep, which bounds the work one evaluation can do.
import type { ASTNode } from '@marcbachmann/cel-js';
import RE2 from 're2';
import { FUNCTIONS } from './functions.js';

export interface Finding {
  readonly code: string;
  readonly message: string;
  /** The program still runs as written: a rule added later (RULES_ADDED_LATER in flow/compile.ts). */
  readonly runs?: true;
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
  if (!compiles(() => new RegExp(pattern))) return argumentProblem(`"${pattern}" is not a valid regular expression${at(call)}`);
  if (!compiles(() => new RE2(pattern))) {
    const message = `"${pattern}" is not RE2 syntax, which CEL patterns use: no backreferences or lookarounds${at(call)}`;
    return { code: 'JCT_PATTERN_NOT_RE2', message, runs: true };
  }
  return undefined;
}

function compiles(make: () => unknown): boolean {
  try {
    make();
    return true;
  } catch {
    return false;
  }
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
