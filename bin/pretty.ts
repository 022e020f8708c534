// `junction start --pretty`: pino's JSON log lines rewritten as short lines for people to read —
// time (UTC), level, message, then the other fields as key=value (an error object by its message,
// an error given as text as it is), the error's stack below. A
// stream pino writes to, after redaction; no dependency (pino-pretty is not used).
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has that say nothing to a person reading it. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One JSON log line as a readable line (ending in a newline); a line that is not JSON passes as it is. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']).toISOString().slice(11, 23) : '';
  const level = (LEVELS[entry['level'] as number] ?? String(entry['level'])).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${key === 'err' && typeof value === 'object' && value !== null ? JSON.stringify((value as { message?: unknown }).message) : text(value)}`);
  const stack = (entry['err'] as { stack?: unknown } | undefined)?.stack;
  const below = typeof stack === 'string' ? `\n    ${stack.split('\n').join('\n    ')}` : '';
  return `${[time, level, entry['msg'] ?? '', ...fields].join(' ')}${below}\n`;
}

function text(value: unknown): string {
  return typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value);
}

/** A destination for pino that writes pretty lines to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout): { write(line: string): void } {
  return { write: (line) => void out.write(prettyLine(line)) };
}
