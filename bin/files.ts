// Reading the files the `junction` command is given: JSON documents and JSON Lines, with
// errors that name the file, line and column instead of a stack trace; and finding the
// package's own files (package.json, the examples).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseLenient, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { JunctionError } from '../engine/errors.js';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new JunctionError('JCT_FILE_UNREADABLE', `cannot read ${file}: ${reason}`);
  }
}

/** A file of the package by its path in it: beside `bin/` when run from source, two levels up from `dist/bin/`. */
export function packageFile(name: string): string {
  const file = ['..', '../..'].map((up) => fileURLToPath(new URL(`${up}/${name}`, import.meta.url))).find((f) => existsSync(f));
  if (file === undefined) throw new JunctionError('JCT_FILE_UNREADABLE', `the package has no ${name}; reinstall Junction`);
  return file;
}

/** The package's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
}

export function readJson(file: string): unknown {
  return parseJson(readText(file), file);
}

export function readJsonLines(file: string): unknown[] {
  return readText(file)
    .split('\n')
    .flatMap((line, i) => (line.trim() === '' ? [] : [parseJson(line, `${file}:${i + 1}`)]));
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse rarely says where; jsonc-parser (strict options) does.
    const errors: ParseError[] = [];
    try {
      parseLenient(text, errors, { disallowComments: true, allowTrailingComma: false });
    } catch {
      // too deeply nested even to locate the mistake
    }
    const first = errors[0];
    const at = first ? lineColumn(text, first.offset) : '';
    const why = first ? printParseErrorCode(first.error) : 'not JSON';
    throw new JunctionError('JCT_JSON_INVALID', `${where}${at}: not valid JSON (${why})`);
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `:${before.length}:${before[before.length - 1]!.length + 1}`;
}
