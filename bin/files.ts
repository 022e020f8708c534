// Reading the files the `junction` command is given: JSON documents and JSON Lines, with
// errors that name the file, line and column instead of a stack trace; and finding the
// package's own files (package.json, the examples the default settings name).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JunctionError } from '../engine/errors.js';
import { ConfigSchema } from '../config/index.js';
import { parseJsonAt } from '../config/json-place.js';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new JunctionError('JCT_FILE_UNREADABLE', `cannot read ${file}: ${READ_PROBLEMS[(err as NodeJS.ErrnoException).code ?? ''] ?? (err as Error).message}`);
  }
}

/** Why a file could not be read, by the system's code, in plain words. */
const READ_PROBLEMS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a folder; give a file', EACCES: 'permission denied' };

/** A file of the package by its path in it: beside `bin/` when run from source, two levels up from `dist/bin/`. */
export function packageFile(name: string): string {
  const file = ['..', '../..'].map((up) => fileURLToPath(new URL(`${up}/${name}`, import.meta.url))).find((f) => existsSync(f));
  if (file === undefined) throw new JunctionError('JCT_FILE_UNREADABLE', `the package has no ${name}; reinstall Junction`);
  return file;
}

/**
 * A path setting (`flows`, `people`) as Junction reads it: the package's own examples when it is
 * the default, wherever Junction runs from; a path the user gives, as given.
 */
export function examplesByDefault(setting: 'flows' | 'people', value: string): string {
  return value === ConfigSchema.properties[setting].default ? packageFile(value) : value;
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
    .flatMap((line, i) => (line.trim() === '' ? [] : [parseJson(line, file, i + 1)]));
}

/** The JSON in `text`; refused with its place in `where`, counting lines from `firstLine` (a JSON Lines line's number). */
function parseJson(text: string, where: string, firstLine = 1): unknown {
  const { value, mistake } = parseJsonAt(text, firstLine);
  if (mistake !== undefined) throw new JunctionError('JCT_JSON_INVALID', `${where}${mistake}`);
  return value;
}
