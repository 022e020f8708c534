// Where JSON text goes wrong, for a person to fix it: the line and column of the first mistake
// and its name (jsonc-parser, strict: no comments, no trailing commas), since JSON.parse rarely
// says where. Used for the configuration file and every file the `junction` command reads.
import { parse as parseLenient, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** The text's JSON, or undefined with `mistake` saying where and why, e.g. ":3:14: not valid JSON (CommaExpected)". */
export function parseJsonAt(text: string, firstLine = 1): { value: unknown; mistake?: undefined } | { value?: undefined; mistake: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { mistake: jsonMistake(text, firstLine) };
  }
}

/** Where and why text that JSON.parse refused is not JSON, counting lines from `firstLine` (a JSON Lines line's number). */
function jsonMistake(text: string, firstLine: number): string {
  const errors: ParseError[] = [];
  try {
    parseLenient(text, errors, { disallowComments: true, allowTrailingComma: false });
  } catch {
    // too deeply nested even to locate the mistake
  }
  const first = errors[0];
  const at = first ? lineColumn(text, first.offset, firstLine) : '';
  const why = text.trim() === '' ? 'the file is empty' : first ? printParseErrorCode(first.error) : 'not JSON';
  return `${at}: not valid JSON (${why})`;
}

function lineColumn(text: string, offset: number, firstLine: number): string {
  const before = text.slice(0, offset).split('\n');
  return `:${firstLine + before.length - 1}:${before[before.length - 1]!.length + 1}`;
}
