// Configuration: defaults that run the whole product on one machine with no external
// service, overridden by an optional JSON file, overridden by JUNCTION_* environment variables.
// Paths in the file (flows, people, dataDir) are relative to the file's folder; paths from the
// environment, to the current directory. An environment variable is a number only when written
// as one and a boolean only as a yes or no word: anything else is refused, naming the variable.
// It depends on nothing of Junction's own: the engine and gateway read what it returns.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseJsonAt } from './json-place.js';

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Address the HTTP server binds to (0.0.0.0: every IPv4 address)' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Port the HTTP server listens on (0: any free port)' }),
    flows: Type.String({ default: 'examples/flows', description: 'Folder of flow JSON files launched at start ("" for none)' }),
    people: Type.String({ default: 'examples/people.json', description: 'People JSON file loaded at start ("" for none): its definitions at every start, its profiles into a store that holds nobody yet (with shards, each shard its own profiles, docs/operations.md)' }),
    dataDir: Type.String({ default: 'data', description: 'Folder of the embedded store ("" keeps everything in memory: nothing survives a restart)' }),
    sync: Type.Union([Type.Literal('full'), Type.Literal('normal')], {
      default: 'full',
      description: 'full: a commit survives a machine crash; normal: a process crash only (faster)',
    }),
    partitions: Type.Integer({ minimum: 1, maximum: 1024, default: 8, description: 'Partitions people are spread over' }),
    flushMs: Type.Integer({ minimum: 0, maximum: 1000, default: 2, description: 'Longest a change waits for its group commit (ms)' }),
    dedupHours: Type.Number({ minimum: 0, maximum: 720, default: 48, description: 'How long a provider message id is remembered, so its retries are applied once' }),
    referenceDays: Type.Number({
      minimum: 0,
      maximum: 90,
      default: 7,
      description: "How long a sent message is remembered for its delivery reports, replies and clicks (about 200 bytes of memory per message sent)",
    }),
    timeZone: Type.String({
      default: 'UTC',
      minLength: 1,
      description:
        "The workspace's IANA time zone, e.g. Europe/Zagreb: flows that name none in their settings, and the segment rules of the people file and the API, read dates and times in it (is today, days ago, schedules); the monthly engaged persons report counts its months",
    }),
    eventRetentionDays: Type.Number({
      minimum: 1,
      maximum: 3650,
      default: 90,
      description: 'How long a person\'s events are kept for conditions that count them',
    }),
    adminKey: Type.String({
      default: '',
      pattern: '^(|\\S{24,})$',
      expected: '"" or a key of at least 24 characters with no spaces',
      description: 'An API key accepted as admin besides the stored ones (secret; at least 24 characters, no spaces); "" for none, in which case a first admin key is created and printed once when there is no key',
    }),
    trustProxy: Type.String({
      default: '',
      description:
        'Addresses (or CIDR ranges, or loopback, linklocal, uniquelocal) of the load balancers and Junction processes in front of this one, e.g. 10.0.0.0/8: a request from one of them is taken to come from the address its X-Forwarded-For names (per-address rate limits, logs). "" trusts no one: the address is the connection\'s',
    }),
    rateLimitPerSecond: Type.Integer({ minimum: 1, default: 100, description: 'Requests a second each API key may make (callers without a key: each address); webhooks and health checks (/healthz, /health, /readyz) are not limited' }),
    httpIdleTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 3_600_000,
      default: 30_000,
      description:
        "How long an HTTP connection may stay silent while a request arrives or its answer goes out (no byte received, none taken by the client) before it is closed: a client that stops sending, or stops reading an answer (a large CSV report), lets its connection and what the answer holds go. A request's headers must arrive within it too. A request being handled is never cut, however long it takes, nor a WebSocket",
    }),
    httpRequestTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 3_600_000,
      default: 120_000,
      description:
        'The longest a client may take to send a whole request, headers and body, however steadily it sends (408 JCT_REQUEST_TIMEOUT): room for the largest body taken (an inbound mail webhook of 40 MiB) over a slow link',
    }),
    httpKeepAliveTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 3_600_000,
      default: 72_000,
      description:
        "How long a connection is kept open for a next request once an answer is sent (HTTP keep-alive). Keep it longer than the idle timeout of the load balancer in front (60 s for most, e.g. AWS's ALB or nginx; 610 s for Google Cloud's), or the load balancer may send a request on a connection Junction is closing and answer 502",
    }),
    redisUrl: Type.String({
      default: '',
      pattern: '^(|rediss?://\\S+)$',
      expected: '"" or a redis:// or rediss:// URL',
      description:
        'Redis for state shared by several Junction processes (the API rate-limit counters; with store redis, the state itself), e.g. redis://:password@host:6379 (secret: logged without its password; also read from REDIS_URL); "" keeps the counters in each process\'s memory. While Redis is unreachable requests are let through uncounted and a warning is logged once',
    }),
    store: Type.Union([Type.Literal('auto'), Type.Literal('embedded'), Type.Literal('postgres'), Type.Literal('redis'), Type.Literal('redis+postgres')], {
      default: 'auto',
      description:
        'Where state is kept: embedded (SQLite in dataDir, or memory when dataDir is ""), postgres (databaseUrl), redis (redisUrl, alone), redis+postgres (changes durable in Redis first, written behind into PostgreSQL within 100 ms); auto: postgres when databaseUrl is set, else embedded',
    }),
    databaseUrl: Type.String({
      default: '',
      pattern: '^(|postgres(ql)?://\\S+)$',
      expected: '"" or a postgres:// or postgresql:// URL',
      description: 'PostgreSQL for the state, e.g. postgres://junction:password@db:5432/junction (secret: logged without its password); also read from DATABASE_URL',
    }),
    databaseSchema: Type.String({ default: 'junction', pattern: '^[a-z_][a-z0-9_]{0,62}$', expected: 'lower-case letters, digits and _, not starting with a digit, at most 63', description: "The PostgreSQL schema holding Junction's tables (created by the migrations)" }),
    redisPrefix: Type.String({ default: 'junction:', minLength: 1, maxLength: 100, description: 'With store redis: the prefix of every key the state is kept under; with redisUrl, the API rate-limit counters are under <redisPrefix>rl: (several deployments can share one Redis)' }),
    storeStartTimeoutS: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 60,
      description: 'How long start keeps trying to reach PostgreSQL or Redis (with backoff) before it gives up (exit code 2)',
    }),
    cluster: Type.Boolean({
      default: false,
      description:
        'Run as one of several Junction processes sharing one server store (postgres, redis or redis+postgres; the lease is kept in PostgreSQL when there is one): one owns the partitions through a lease it renews, the others stand by (readyz 503 "standby", requests forwarded to the owner) and one takes over within leaseMs after the owner stops',
    }),
    advertiseUrl: Type.String({
      default: '',
      pattern: '^(|https?://\\S+)$',
      expected: '"" or an http:// or https:// URL',
      description: 'With cluster: the URL the other processes forward requests to while this one owns the partitions, e.g. http://10.0.0.7:8080 ("": the address it listens on)',
    }),
    shards: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: 1,
      description:
        'With cluster: how many shards the people are spread over, each a whole engine over a PostgreSQL schema of its own (databaseSchema_sN), the processes sharing them out (docs/operations.md, Sharing the work: shards). 1: one process owns everything, the others stand by. Fixed at the first start with more than 1 (needs store postgres or redis+postgres, and clusterSecret); another count is refused (JCT_SHARDS_CHANGED)',
    }),
    clusterSecret: Type.String({
      default: '',
      pattern: '^(|.{16,})$',
      expected: '"" or a secret of at least 16 characters',
      description: 'With shards > 1: the secret the processes of the cluster call each other with (secret; at least 16 characters, the same in every process)',
    }),
    leaseMs: Type.Integer({ minimum: 300, maximum: 60_000, default: 3000, description: "With cluster: how long the owner's lease lasts unless renewed (renewed every third of it); the longest a standby waits to take over from an owner that died" }),
    heapHeadroomPercent: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 0,
      description:
        "How far the JavaScript heap may grow past what it held alive after a full garbage collection before the next one, in percent (V8's heap growing factor, 1 + percent/100); 0 lets V8 choose. A full collection of a heap holding a million waiting participants stalls the process for hundreds of milliseconds: 300 makes them rare, trading memory for steady timer lateness (docs/operations.md, Memory and garbage collection)",
    }),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'Least severe level logged (pino levels; silent logs nothing)' }),
    modules: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
      default: {},
      description: "Each module's settings by module name (see config/modules.ts)",
    }),
  },
  { additionalProperties: false },
);
export type JunctionConfig = Static<typeof ConfigSchema>;

/** The environment variable of each setting (modules' settings: config/modules.ts envName). */
export const ENV: Record<string, keyof JunctionConfig> = {
  JUNCTION_HOST: 'host',
  JUNCTION_PORT: 'port',
  JUNCTION_FLOWS: 'flows',
  JUNCTION_PEOPLE: 'people',
  JUNCTION_DATA_DIR: 'dataDir',
  JUNCTION_SYNC: 'sync',
  JUNCTION_PARTITIONS: 'partitions',
  JUNCTION_FLUSH_MS: 'flushMs',
  JUNCTION_DEDUP_HOURS: 'dedupHours',
  JUNCTION_REFERENCE_DAYS: 'referenceDays',
  JUNCTION_EVENT_RETENTION_DAYS: 'eventRetentionDays',
  JUNCTION_TIME_ZONE: 'timeZone',
  JUNCTION_ADMIN_KEY: 'adminKey',
  JUNCTION_RATE_LIMIT_PER_SECOND: 'rateLimitPerSecond',
  JUNCTION_TRUST_PROXY: 'trustProxy',
  JUNCTION_HTTP_IDLE_TIMEOUT_MS: 'httpIdleTimeoutMs',
  JUNCTION_HTTP_REQUEST_TIMEOUT_MS: 'httpRequestTimeoutMs',
  JUNCTION_HTTP_KEEP_ALIVE_TIMEOUT_MS: 'httpKeepAliveTimeoutMs',
  JUNCTION_REDIS_URL: 'redisUrl',
  JUNCTION_STORE: 'store',
  JUNCTION_DATABASE_URL: 'databaseUrl',
  JUNCTION_DATABASE_SCHEMA: 'databaseSchema',
  JUNCTION_REDIS_PREFIX: 'redisPrefix',
  JUNCTION_STORE_START_TIMEOUT_S: 'storeStartTimeoutS',
  JUNCTION_CLUSTER: 'cluster',
  JUNCTION_LEASE_MS: 'leaseMs',
  JUNCTION_ADVERTISE_URL: 'advertiseUrl',
  JUNCTION_SHARDS: 'shards',
  JUNCTION_CLUSTER_SECRET: 'clusterSecret',
  JUNCTION_HEAP_HEADROOM_PERCENT: 'heapHeadroomPercent',
  JUNCTION_LOG_LEVEL: 'logLevel',
};

/** The conventional variables operators already set, read when the JUNCTION_ one is not. */
export const ENV_ALIASES: Record<string, keyof JunctionConfig> = {
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
};
/** How an environment variable says yes or no; another word stays a string, which validation refuses. */
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };
/** A number as people write one: digits, a sign, a fraction (not "", 0x10 or 1e3). */
const NUMBER = /^[+-]?\d+(\.\d+)?$/;
/** The settings a configuration file may name by a path, relative to the file's folder. */
const FILE_PATHS = ['flows', 'people', 'dataDir'] as const;

/**
 * An environment variable's text as a setting of this JSON type: a number only when written as
 * one, a boolean only as a word of BOOLEAN_WORDS; anything else stays text, which validation
 * refuses (no lenient guess: "" is not 0, "1e3" not 1).
 */
export function envValue(type: unknown, text: string): unknown {
  if (type === 'integer' || type === 'number') return NUMBER.test(text.trim()) ? Number(text) : text;
  if (type === 'boolean') return BOOLEAN_WORDS[text.trim().toLowerCase()] ?? text;
  return text;
}

/** A problem in an operator's words: a choice's values, a pattern's meaning (its `expected`, else the setting's description). */
export function problemMessage(e: ValueError): string {
  const choices = ((e.schema['anyOf'] ?? []) as TSchema[]).map((c) => c['const'] as unknown);
  if (e.type === ValueErrorType.Union && choices.length > 0 && choices.every((c) => c !== undefined)) return `Expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return unknownSetting(e);
  if (e.type === ValueErrorType.StringMinLength) return `Expected at least ${String(e.schema['minLength'])} characters`;
  const meaning = (e.schema['expected'] ?? e.schema.description) as string | undefined;
  return e.type === ValueErrorType.StringPattern && meaning ? `Expected ${meaning}` : e.message;
}

/** A setting the object does not have (a typo, most often), and the settings it has. */
function unknownSetting(e: ValueError): string {
  const name = e.path.slice(e.path.lastIndexOf('/') + 1);
  const settings = Object.keys((e.schema as { properties?: object }).properties ?? {});
  return `unknown setting "${name}"; the settings here are ${settings.join(', ')}`;
}

/** A configuration problem; `code` is always JCT_CONFIG_INVALID, `details.problems` names each. */
export class ConfigError extends Error {
  readonly code = 'JCT_CONFIG_INVALID';

  constructor(
    message: string,
    readonly details: { problems: Array<{ path: string; message: string }> } = { problems: [] },
  ) {
    super(message);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv, file?: string): JunctionConfig {
  const fromFile = file ? inFolderOf(file, readConfigFile(file)) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of [...Object.entries(ENV_ALIASES), ...Object.entries(ENV)]) {
    const v = env[name];
    if (v !== undefined) fromEnv[key] = envValue((ConfigSchema.properties[key] as TSchema)['type'], v);
  }
  const merged = Value.Default(ConfigSchema, { ...fromFile, ...fromEnv }) as JunctionConfig;
  const problems = [...Value.Errors(ConfigSchema, merged)].map((e) => ({ code: 'JCT_CONFIG_INVALID', path: `$${e.path.replace(/\//g, '.')}`, message: problemMessage(e) + setBy(e.path, env) }));
  if (problems.length === 0) {
    const checked = [...trustProblems(merged.trustProxy), ...timeZoneProblems(merged.timeZone), ...shardProblems(merged)];
    problems.push(...checked.map((p) => ({ ...p, message: p.message + setBy(p.path.replace('$.', '/'), env) })));
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new ConfigError(`configuration is invalid: ${list}`, { problems });
  }
  return merged;
}

/** " (set by JUNCTION_…)" when the setting at `path` came from the environment, so the message names what to fix. */
function setBy(path: string, env: NodeJS.ProcessEnv): string {
  const name = variableSetting(path.split('/')[1] ?? '', env);
  return name === undefined ? '' : ` (set by ${name})`;
}

/** The environment variable that set `key` in `env`, if one did (an alias counts). */
function variableSetting(key: string, env: NodeJS.ProcessEnv): string | undefined {
  return [...Object.entries(ENV), ...Object.entries(ENV_ALIASES)].find(([n, k]) => k === key && env[n] !== undefined)?.[0];
}

/** Names a setting's values in messages, the way the user sets it: see settingName. */
export type SettingNamer = (key: keyof JunctionConfig) => string;

/**
 * How the user sets `key`, for a message saying what to change: the environment variable that
 * set it; else, started with a configuration file, the setting in that file (`"port" in
 * junction.json`); else its JUNCTION_ variable.
 */
export function settingName(key: keyof JunctionConfig, env: NodeJS.ProcessEnv, file?: string): string {
  const variable = variableSetting(key, env);
  if (variable !== undefined) return variable;
  if (file !== undefined) return `"${key}" in ${file}`;
  return Object.entries(ENV).find(([, k]) => k === key)?.[0] ?? `"${key}"`;
}

/** The file's settings, its relative FILE_PATHS taken from the file's folder ("" stays: none). */
function inFolderOf(file: string, settings: Record<string, unknown>): Record<string, unknown> {
  const resolved = { ...settings };
  for (const key of FILE_PATHS) {
    const value = resolved[key];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) resolved[key] = resolve(dirname(file), value);
  }
  return resolved;
}

/** The time zone must be one the runtime knows (any case: the engine makes it canonical). */
function timeZoneProblems(value: string): Array<{ code: string; path: string; message: string }> {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return [];
  } catch {
    return [{ code: 'JCT_CONFIG_INVALID', path: '$.timeZone', message: `unknown time zone "${value}"; use an IANA name such as Europe/Zagreb or UTC` }];
  }
}

/**
 * What shards > 1 needs besides: cluster mode, PostgreSQL as the store (each shard keeps its state
 * in a schema of its own there, alone or behind Redis), and a cluster secret.
 */
function shardProblems(config: JunctionConfig): Array<{ code: string; path: string; message: string }> {
  if (config.shards === 1) return [];
  const store = config.store === 'auto' ? (config.databaseUrl ? 'postgres' : 'embedded') : config.store;
  const problems: Array<{ path: string; message: string }> = [];
  if (!config.cluster) problems.push({ path: '$.shards', message: `shards ${config.shards} needs cluster mode (cluster true): shards are shared by the processes of a cluster` });
  if (!store.includes('postgres')) problems.push({ path: '$.shards', message: `shards ${config.shards} needs store postgres or redis+postgres (databaseUrl), not ${store}: each shard keeps its state in a PostgreSQL schema of its own` });
  if (config.clusterSecret === '') problems.push({ path: '$.clusterSecret', message: `shards ${config.shards} needs a clusterSecret (at least 16 characters, the same in every process): the processes call each other with it` });
  return problems.map((p) => ({ code: 'JCT_CONFIG_INVALID', ...p }));
}

/** The names trustProxy takes besides addresses and ranges (Fastify's proxy-addr knows them). */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Each entry of trustProxy must be an address, a CIDR range or one of PROXY_NAMES (the one check of its form). */
function trustProblems(value: string): Array<{ code: string; path: string; message: string }> {
  const entries = value === '' ? [] : value.split(',').map((e) => e.trim());
  return entries
    .filter((e) => !PROXY_NAMES.has(e) && !isRange(e))
    .map((e) => ({ code: 'JCT_CONFIG_INVALID', path: '$.trustProxy', message: `'${e}' is not an address, a CIDR range (10.0.0.0/8), loopback, linklocal or uniquelocal` }));
}

function isRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration ${file}: ${readProblem(err as NodeJS.ErrnoException)}`);
  }
  const { value: doc, mistake } = parseJsonAt(text);
  if (mistake !== undefined) throw new ConfigError(`cannot read configuration ${file}${mistake}`);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`configuration ${file} must be a JSON object of settings, e.g. {"port": 8080}`);
  return doc as Record<string, unknown>;
}

/** Why the configuration file could not be read, in a newcomer's words: no such file, not a file, or the system's message. */
function readProblem(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such file (give the path of a JSON file with --config)';
  if (err.code === 'EISDIR') return 'it is a folder, not a JSON file';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message;
}
