// Each module's settings: its section of the configuration file's `modules` object, overridden
// by JUNCTION_<MODULE>_<SETTING> environment variables (module `core`, setting `httpTimeoutMs`:
// JUNCTION_CORE_HTTP_TIMEOUT_MS; objects as JSON, lists as JSON or separated by commas), defaults applied and checked against the schema the module
// declares. Secrets are named by the module and redacted wherever the settings are logged. A
// string setting marked `dataPath: true` in its schema is a path inside the data directory: a
// relative value is taken from there (an absolute one stays as it is). One marked `filePath:
// true` (a file Junction reads, e.g. a TLS key) given in the configuration file is taken from
// the file's folder, like the file's other paths; given by a variable, from the current directory.
import { isAbsolute, join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError, ENV, ENV_ALIASES, envValue, problemMessage } from './index.js';

/** What a module declares about its settings (engine/module.ts ModuleConfig, plus its name). */
export interface SettingsSpec {
  readonly name: string;
  readonly schema: TSchema;
  readonly secrets: readonly string[];
}

export type Settings = Readonly<Record<string, unknown>>;

interface Problem {
  code: 'JCT_CONFIG_INVALID';
  path: string;
  message: string;
}

const INVALID = 'JCT_CONFIG_INVALID' as const;

/**
 * Settings by module name for every module that declares a schema; throws ConfigError naming each problem.
 * `configFolder`: the folder of the configuration file the sections come from ("" for none).
 */
export function loadModuleSettings(specs: readonly SettingsSpec[], sections: Readonly<Record<string, Settings>>, env: NodeJS.ProcessEnv, dataDir = '', configFolder = ''): Record<string, Settings> {
  const problems: Problem[] = unknownSections(specs, sections);
  const settings: Record<string, Settings> = {};
  for (const spec of specs) {
    const section = relativeTo(spec.schema, 'filePath', Value.Convert(spec.schema, sections[spec.name] ?? {}) as Settings, configFolder);
    const value = Value.Default(spec.schema, { ...section, ...fromEnv(spec, env, problems) }) as Settings;
    problems.push(...[...Value.Errors(spec.schema, value)].map((e) => ({ code: INVALID, path: `$.modules.${spec.name}${e.path.replace(/\//g, '.')}`, message: problemMessage(e) + setBy(spec.name, e.path, env) })));
    settings[spec.name] = relativeTo(spec.schema, 'dataPath', value, dataDir);
  }
  if (problems.length > 0) {
    throw new ConfigError(`configuration is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  }
  return settings;
}

/** The settings with each relative string setting the schema marks with `marker` taken from `folder`. */
function relativeTo(schema: TSchema, marker: 'dataPath' | 'filePath', settings: Settings, folder: string): Settings {
  const properties = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
  const resolved = { ...settings };
  for (const [name, property] of Object.entries(properties)) {
    const value = resolved[name];
    if (property[marker] === true && typeof value === 'string' && value !== '' && !isAbsolute(value)) resolved[name] = join(folder, value);
  }
  return resolved;
}

/** " (set by JUNCTION_…)" when the setting at `path` came from the environment, so the message names what to fix. */
function setBy(module: string, path: string, env: NodeJS.ProcessEnv): string {
  const name = envName(module, path.split('/')[1] ?? '');
  return env[name] === undefined ? '' : ` (set by ${name})`;
}

/** The environment variable that sets one setting of one module. */
export function envName(module: string, setting: string): string {
  const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
  return `JUNCTION_${snake(module)}_${snake(setting)}`;
}

/**
 * The JUNCTION_ variables of `env` that set nothing (a typo such as JUNCTION_DATADIR would
 * otherwise be ignored without a word), each with the setting's variable it likely meant.
 */
export function unknownVariables(specs: readonly SettingsSpec[], env: NodeJS.ProcessEnv): Array<{ name: string; meant?: string }> {
  const known = ['JUNCTION_CONFIG', ...Object.keys(ENV), ...Object.keys(ENV_ALIASES), ...specs.flatMap((spec) => Object.keys((spec.schema as { properties?: object }).properties ?? {}).map((setting) => envName(spec.name, setting)))];
  const bare = (name: string): string => name.replace(/_/g, '');
  return Object.keys(env)
    .filter((name) => name.startsWith('JUNCTION_') && !known.includes(name))
    .map((name) => {
      const meant = known.find((k) => bare(k) === bare(name));
      return meant === undefined ? { name } : { name, meant };
    });
}

/** pino redaction paths of every secret, for settings logged under `at` (e.g. "config.modules"). */
export function secretPaths(specs: readonly SettingsSpec[], at: string): string[] {
  return specs.flatMap((spec) => spec.secrets.map((secret) => `${at}[${JSON.stringify(spec.name)}][${JSON.stringify(secret)}]`));
}

function unknownSections(specs: readonly SettingsSpec[], sections: Readonly<Record<string, Settings>>): Problem[] {
  const known = new Set(specs.map((s) => s.name));
  return Object.keys(sections)
    .filter((name) => !known.has(name))
    .map((name) => ({ code: INVALID, path: `$.modules.${name}`, message: `no module "${name}" with settings in this build (known: ${[...known].join(', ') || 'none'})` }));
}

/**
 * Settings from the environment: objects written as JSON; lists as JSON or, when the value is
 * not a JSON list, as texts separated by commas (`+14155550100,+14155550101`); numbers and
 * booleans only when written as such (envValue); the rest as text.
 */
function fromEnv(spec: SettingsSpec, env: NodeJS.ProcessEnv, problems: Problem[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const properties = ((spec.schema as { properties?: Record<string, TSchema> }).properties ?? {});
  for (const [setting, schema] of Object.entries(properties)) {
    const name = envName(spec.name, setting);
    const v = env[name];
    if (v === undefined) continue;
    if (schema['type'] === 'array' && !v.trimStart().startsWith('[')) values[setting] = commaList(v);
    else if (schema['type'] !== 'array' && schema['type'] !== 'object') values[setting] = envValue(schema['type'], v);
    else {
      const parsed = parseJson(v);
      if (parsed === undefined) problems.push({ code: INVALID, path: `$.modules.${spec.name}.${setting}`, message: `${name} must be JSON (${schema['type'] === 'array' ? 'a list' : 'an object'})` });
      else values[setting] = parsed;
    }
  }
  return values;
}

function commaList(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
