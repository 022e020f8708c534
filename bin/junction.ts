#!/usr/bin/env node
// The `junction` command: validate, simulate, schema, start. Errors print as
// "error CODE: message" with exit code 2 (1 means "the flow has problems").
import { parseArgs } from 'node:util';
import { JunctionError } from '../engine/errors.js';
import { ConfigError } from '../config/index.js';
import { formatProblem, validateCommand } from './commands/validate.js';
import type { Problem } from '../engine/vocabulary.js';
import { simulateCommand } from './commands/simulate.js';
import { schemaCommand } from './commands/schema.js';
import { referenceCommand } from './commands/reference.js';
import { startCommand } from './commands/start.js';
import { assembleRegistry } from './modules.js';

const USAGE = `usage:
  junction validate FLOW.json [--people PEOPLE.json]
  junction simulate FLOW.json [--people PEOPLE.json] [--events EVENTS.jsonl] [--start ISO] [--until ISO] [--json]
  junction schema
  junction reference
  junction start [--config CONFIG.json]`;

export async function main(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        people: { type: 'string' },
        events: { type: 'string' },
        start: { type: 'string' },
        until: { type: 'string' },
        json: { type: 'boolean' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, file] = positionals;
    if (values.help || !command) return usage(out, values.help ? 0 : 2);
    if (command === 'start') {
      await startCommand(values.config);
      return -1;
    }
    const registry = assembleRegistry();
    switch (command) {
      case 'validate':
        return file ? validateCommand(registry, file, values.people, out) : usage(err, 2);
      case 'simulate':
        return file ? await simulateCommand(registry, file, values, out) : usage(err, 2);
      case 'schema':
        return schemaCommand(registry, out);
      case 'reference':
        return referenceCommand(registry, out);
      default:
        err(`unknown command "${command}"`);
        return usage(err, 2);
    }
  } catch (e) {
    if (e instanceof JunctionError || e instanceof ConfigError) {
      err(`error ${e.code}: ${e.message}`);
      for (const p of (e.details?.['problems'] as Problem[] | undefined) ?? []) err(formatProblem(p));
      return 2;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err((e as Error).message);
      return usage(err, 2);
    }
    err(`error JCT_INTERNAL: ${e instanceof Error ? e.message : String(e)} (please report this)`);
    return 2;
  }
}

function usage(print: (line: string) => void, code: number): number {
  print(USAGE);
  return code;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*[\\/]/, ''));
if (invokedDirectly) {
  const code = await main(process.argv.slice(2), (l) => console.log(l), (l) => console.error(l));
  if (code >= 0) process.exitCode = code;
}
