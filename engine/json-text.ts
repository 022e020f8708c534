// Reading JSON text from outside (request bodies, socket messages): its depth is checked on the
// text before it is parsed. V8's JSON.parse takes any depth, but JSON.stringify recurses: a
// value nested some thousands of levels deep parses, is accepted, and then overflows the stack
// when the store writes it. The check is one pass over the text's characters.
import { JunctionError } from './errors.js';
import { MAX_DEPTH } from './schema-problems.js';

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;

/** Whether the text nests arrays and objects deeper than `max` (brackets inside strings do not count). */
export function jsonTooDeep(text: string, max = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/** The error of a text that nests too deep; `what` names it, e.g. "the request body". */
export function tooDeepError(what: string): JunctionError {
  return new JunctionError('JCT_JSON_TOO_DEEP', `${what} nests arrays and objects more than ${MAX_DEPTH} levels deep`, { maxDepth: MAX_DEPTH });
}

/** The parsed text; JCT_JSON_TOO_DEEP or JCT_JSON_INVALID (400s) name it by `what`. */
export function parseJsonText(text: string, what: string): unknown {
  if (jsonTooDeep(text)) throw tooDeepError(what);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JunctionError('JCT_JSON_INVALID', `${what} is not valid JSON`);
  }
}
