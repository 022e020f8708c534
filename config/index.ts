// Configuration: defaults that run the whole product on one machine with no external
// service, overridden by an optional JSON file, overridden by JUNCTION_* environment variables.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { readFileSync } from 'node:fs';
import { JunctionError } from '../engine/errors.js';
import { schemaProblems } from '../engine/schema-problems.js';

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server binds to' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    flows: Type.String({ default: 'examples/flows', description: 'Folder of flow JSON files launched at start' }),
    people: Type.String({ default: 'examples/people.json', description: 'People JSON file loaded at start ("" for none)' }),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  },
  { additionalProperties: false },
);
export type JunctionConfig = Static<typeof ConfigSchema>;

const ENV: Record<string, keyof JunctionConfig> = {
  JUNCTION_HOST: 'host',
  JUNCTION_PORT: 'port',
  JUNCTION_FLOWS: 'flows',
  JUNCTION_PEOPLE: 'people',
  JUNCTION_LOG_LEVEL: 'logLevel',
};

export function loadConfig(env: NodeJS.ProcessEnv, file?: string): JunctionConfig {
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') fromEnv[key] = key === 'port' ? Number(v) : v;
  }
  const merged = Value.Default(ConfigSchema, { ...fromFile, ...fromEnv }) as JunctionConfig;
  const problems = schemaProblems(ConfigSchema, merged, '$', 'JCT_CONFIG_INVALID');
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new JunctionError('JCT_CONFIG_INVALID', `configuration is invalid: ${list}`, { problems });
  }
  return merged;
}

function readConfigFile(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new JunctionError('JCT_CONFIG_INVALID', `cannot read configuration ${file}: ${(err as Error).message}`);
  }
}
