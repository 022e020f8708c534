#!/usr/bin/env node
// The `junction` command: validate, simulate, schema, reference, config-reference, templates,
// start, health, keys, migrate, move-to-shards, copy-embedded, copy-redis, cluster. Errors print as
// "error CODE: message" with exit code 2 (1 means "the flow has problems"); an error about a setting
// (a store's URL, schema, data directory, partitions) ends naming it the way the user set it.
import { parseArgs } from 'node:util';
import { JunctionError } from '../engine/errors.js';
import { ConfigError, settingName, type JunctionConfig } from '../config/index.js';
import { formatProblem, validateCommand } from './commands/validate.js';
import type { Problem } from '../engine/vocabulary.js';
import { simulateCommand } from './commands/simulate.js';
import { schemaCommand } from './commands/schema.js';
import { referenceCommand } from './commands/reference.js';
import { configReferenceCommand } from './commands/config-reference.js';
import { keysCommand } from './commands/keys.js';
import { templatesCommand } from './commands/templates.js';
import { migrateCommand } from './commands/migrate.js';
import { copyEmbeddedCommand, copyRedisCommand, moveToShardsCommand } from './commands/move-store.js';
import { healthCommand } from './commands/health.js';
import { clusterCommand } from './commands/cluster.js';
import { packageVersion } from './files.js';
import { assembleRegistry } from './modules.js';

const USAGE = `usage:
  junction validate FLOW.json [--people PEOPLE.json] [--config CONFIG.json]
                                                       check a flow: every problem with its path and code
                                                       (against the configuration, when there is one)
  junction simulate FLOW.json [--people PEOPLE.json] [--events EVENTS.jsonl] [--start ISO] [--until ISO] [--json]
                                                       run it on a virtual clock: each person's path, the metrics
  junction schema                                      the flow JSON Schema
  junction reference                                   every element, attribute, operator and setting (Markdown)
  junction templates [--json]                          the built-in flow templates new flows can start from
  junction config-reference                            every setting of start, its variable and default (Markdown)
  junction start [--config CONFIG.json] [--pretty]     start the server (settings: docs/configuration.md);
                                                       --pretty: readable log lines instead of JSON
  junction health [--config CONFIG.json]               whether the server this configuration describes answers
                                                       GET /healthz (exit 0), or not (exit 1): container health checks
  junction keys create --name NAME --scopes SCOPE,…    a new API key (printed once); scopes: admin, flows, people,
                                                       events, flow-api, reports
  junction keys list [--json] | keys revoke ID         the API keys of the configured store; revoke one
                                                       (each takes --config like start)
  junction migrate [--config CONFIG.json]              bring the PostgreSQL store's schema to this version
  junction move-to-shards [--config CONFIG.json]       move a PostgreSQL store one process kept (shards 1) into
                                                       the configured shards, every process stopped
  junction copy-embedded [--from DATA_DIR] [--config CONFIG.json]
                                                       copy an embedded store (default: the configured
                                                       dataDir) and its API keys into the configured,
                                                       empty PostgreSQL store (its shards, when shards > 1)
  junction copy-redis [--config CONFIG.json]           copy the Redis-alone store (redisUrl, redisPrefix) and its
                                                       API keys into the configured, empty PostgreSQL store
  junction cluster [--config CONFIG.json] [--json]     the processes of a cluster: who holds the lease, who
                                                       stands by, their addresses (read from the store)
  junction help | --help | -h                          this text
  junction --version | -v                              the version
--config, where a command takes it, defaults to the file the variable JUNCTION_CONFIG names.`;

/** What each command takes besides its options (keys checks its own: keys.ts; `help COMMAND` is help); a word more is refused, not ignored. */
const ARGUMENTS: Readonly<Record<string, { count: number; says: string }>> = {
  validate: { count: 1, says: 'one flow file (run it once per file)' },
  simulate: { count: 1, says: 'one flow file' },
  schema: { count: 0, says: 'no arguments' },
  reference: { count: 0, says: 'no arguments' },
  templates: { count: 0, says: 'no arguments' },
  'config-reference': { count: 0, says: 'no arguments' },
  start: { count: 0, says: 'no arguments' },
  health: { count: 0, says: 'no arguments' },
  migrate: { count: 0, says: 'no arguments' },
  'move-to-shards': { count: 0, says: 'no arguments' },
  'copy-embedded': { count: 0, says: 'no arguments (the data directory is --from)' },
  'copy-redis': { count: 0, says: 'no arguments' },
  cluster: { count: 0, says: 'no arguments' },
};

export async function main(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let configFile: string | undefined;
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
        pretty: { type: 'boolean' },
        config: { type: 'string' },
        from: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    const [command, file] = positionals;
    // A configuration file named by JUNCTION_CONFIG serves every command that reads one (a container's health check among them).
    values.config ??= process.env['JUNCTION_CONFIG'] || undefined;
    configFile = values.config;
    if (values.version) return version(out);
    const extra = tooMany(positionals);
    if (extra !== undefined) return usageError(err, extra);
    if (values.help || command === 'help' || !command) return usage(out, values.help || command === 'help' ? 0 : 2);
    if (command === 'start') {
      const { startCommand } = await import('./commands/start.js'); // the server's modules: only this command loads them
      await startCommand(values.config, values.pretty ?? false);
      return -1;
    }
    if (command === 'validate') {
      return file ? validateCommand(file, { people: values.people, config: values.config }, out) : usageError(err, 'validate needs a flow file: junction validate FLOW.json');
    }
    const registry = assembleRegistry();
    switch (command) {
      case 'simulate':
        return file ? await simulateCommand(registry, file, values, out) : usageError(err, 'simulate needs a flow file: junction simulate FLOW.json');
      case 'schema':
        return schemaCommand(registry, out);
      case 'reference':
        return referenceCommand(registry, out);
      case 'config-reference':
        return configReferenceCommand(registry, out);
      case 'templates':
        return templatesCommand(values.json ?? false, out);
      case 'keys':
        return await keysCommand(positionals.slice(1), values, process.env, out);
      case 'health':
        return await healthCommand(values.config, process.env, out, err);
      case 'migrate':
        return await migrateCommand(values.config, process.env, out);
      case 'move-to-shards':
        return await moveToShardsCommand(values.config, process.env, out);
      case 'copy-embedded':
        return await copyEmbeddedCommand(values.from, values.config, process.env, out);
      case 'copy-redis':
        return await copyRedisCommand(values.config, process.env, out);
      case 'cluster':
        return await clusterCommand(values.config, values.json ?? false, process.env, out);
      default:
        return usageError(err, `unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof JunctionError || e instanceof ConfigError) {
      printError(withSettingNamed(e, configFile), (e.details?.['problems'] as Problem[] | undefined) ?? [], err);
      return 2;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usageError(err, firstSentence((e as Error).message));
    err(`error JCT_INTERNAL: ${e instanceof Error ? e.message : String(e)} (please report this)`);
    return 2;
  }
}

/** `error CODE: message`, then its problems one a line (with their codes): a message that ends with their list is printed without it, so each is said once. */
function printError(e: { code: string; message: string }, problems: readonly Problem[], err: (line: string) => void): void {
  const list = ` ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  err(`error ${e.code}: ${problems.length > 0 && e.message.endsWith(`:${list}`) ? e.message.slice(0, -list.length) : e.message}`);
  for (const p of problems) err(formatProblem(p));
}

/** The message of an error about a setting (`details.setting`: engine/errors.ts aboutSetting), ending with how the user sets it: its variable, or its place in the configuration file. */
function withSettingNamed(e: { code: string; message: string; details?: Record<string, unknown> | undefined }, configFile: string | undefined): { code: string; message: string } {
  const setting = e.details?.['setting'];
  if (typeof setting !== 'string') return e;
  return { code: e.code, message: `${e.message} (${settingName(setting as keyof JunctionConfig, process.env, configFile)})` };
}

/** Why the command line has a word too many (`junction validate a.json b.json` would check a.json only), or undefined. */
function tooMany([command = '', ...args]: readonly string[]): string | undefined {
  const takes = Object.hasOwn(ARGUMENTS, command) ? ARGUMENTS[command]! : undefined;
  if (takes === undefined || args.length <= takes.count) return undefined;
  return `unexpected argument "${args[takes.count]!}": ${command} takes ${takes.says}`;
}

/** Prints `junction <version>` from the package file. */
function version(out: (line: string) => void): number {
  out(`junction ${packageVersion()}`);
  return 0;
}

function usage(print: (line: string) => void, code: number): number {
  print(USAGE);
  return code;
}

/** A command line that cannot run: `error JCT_USAGE: <what is wrong>`, then the usage; exit code 2. */
function usageError(print: (line: string) => void, message: string): number {
  print(`error JCT_USAGE: ${message}`);
  return usage(print, 2);
}

/** The first sentence of Node's argument-parsing message (the rest is advice on `--` that does not apply). */
function firstSentence(message: string): string {
  return message.split('. ')[0]!.replace(/\.$/, '');
}

/** A reader that stopped early (`junction reference | head`) is not an error: the command ends quietly. */
function endOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*[\\/]/, ''));
if (invokedDirectly) {
  process.stdout.on('error', endOnClosedPipe);
  const code = await main(process.argv.slice(2), (l) => console.log(l), (l) => console.error(l));
  if (code >= 0) process.exitCode = code;
}
