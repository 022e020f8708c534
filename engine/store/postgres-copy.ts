// Reading a whole table at open with COPY … TO STDOUT (text format) instead of SELECT: the server
// streams rows with no per-row protocol message for the driver to parse, and the rows are kept as
// the text chunks they arrived in (a few dozen kilobytes each, whole lines only) until load()
// splits and parses them. A million rows cost a few hundred chunk strings to keep, not a million
// arrays of two strings (which the collector would copy and mark while the rest is read).
// Writing many rows at once (a store moved into shards) goes the other way, COPY … FROM STDIN.
//
// Text format (one line per row, `key<TAB>value`): the server writes a backslash as `\\` and
// backspace, form feed, newline, carriage return, tab and vertical tab as `\b \f \n \r \t \v`;
// every other character as it is. A JSON text has no raw control character, but keys may.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** A table's rows as whole lines of COPY text, in the order the server sent them. */
export type Chunks = string[];

const UNESCAPED: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const ESCAPED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Runs `copy` (a `COPY (SELECT key, value …) TO STDOUT` statement) and keeps what it sends as chunks of whole lines. */
export async function copyChunks(client: PoolClient, copy: string): Promise<Chunks> {
  const chunks: Chunks = [];
  const decoder = new StringDecoder('utf8'); // a character may be split between two packets
  let partial = '';
  const stream = client.query(copyTo(copy));
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      const text = partial + decoder.write(data);
      const end = text.lastIndexOf('\n') + 1;
      if (end > 0) chunks.push(text.slice(0, end));
      partial = text.slice(end);
    }
  } finally {
    // The driver's read timeout (query_timeout) is cleared by the query's callback, which a COPY
    // stream never calls, whether it ends or fails: left alone, it would fail the finished stream
    // later and hold the process (a start whose store failed to open would linger that long).
    (stream as { callback?: () => void }).callback?.();
  }
  return chunks;
}

/** The rows of the chunks, in order, as [key, value text]; each chunk is let go once passed (constant time per chunk). */
export function* copiedRows(chunks: Chunks): Generator<[key: string, value: string]> {
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    chunks[i] = '';
    for (let at = 0; at < chunk.length; ) {
      const tab = chunk.indexOf('\t', at);
      const end = chunk.indexOf('\n', tab);
      yield [field(chunk.slice(at, tab)), field(chunk.slice(tab + 1, end))];
      at = end + 1;
    }
  }
}

/** A field as it was stored, its escapes undone. */
function field(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/g, (_, c: string) => UNESCAPED[c] ?? c) : text;
}

/** A field as COPY's text format takes it: backslash, newline, carriage return and tab escaped. */
export function copyField(text: string): string {
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => ESCAPED[c]!) : text;
}

/** Runs `copy` (a `COPY … FROM STDIN` statement) with `text`: whole lines, fields made by copyField and separated by tabs. */
export async function copyIn(client: PoolClient, copy: string, text: string): Promise<void> {
  await pipeline(Readable.from([text]), client.query(copyFrom(copy)));
}
