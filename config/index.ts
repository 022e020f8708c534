// Configuration: defaults that run the whole product on one machine with no external
// service, overridden by an optional JSON file, overridden by JUNCTION_* environment variables.
// It depends on nothing of Junction's own: the engine and gateway read what it returns.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server binds to' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Port the HTTP server listens on (0: any free port)' }),
    flows: Type.String({ default: 'examples/flows', description: 'Folder of flow JSON files launched at start ("" for none)' }),
    people: Type.String({ default: 'examples/people.json', description: 'People JSON file loaded at start ("" for none)' }),
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
    eventRetentionDays: Type.Number({
      minimum: 1,
      maximum: 3650,
      default: 90,
      description: 'How long a person\'s events are kept for conditions that count them',
    }),
    adminKey: Type.String({
      default: '',
      pattern: '^(|\\S{24,})$',
      description: 'An API key accepted as admin besides the stored ones (secret; at least 24 characters, no spaces); "" for none, in which case a first admin key is created and printed once when there is no key',
    }),
    trustProxy: Type.String({
      default: '',
      description:
        'Addresses (or CIDR ranges, or loopback, linklocal, uniquelocal) of the load balancers and Junction processes in front of this one, e.g. 10.0.0.0/8: a request from one of them is taken to come from the address its X-Forwarded-For names (per-address rate limits, logs). "" trusts no one: the address is the connection\'s',
    }),
    rateLimitPerSecond: Type.Integer({ minimum: 1, default: 100, description: 'Requests a second each API key may make (callers without a key: each address); webhooks are not limited' }),
    redisUrl: Type.String({
      default: '',
      pattern: '^(|rediss?://\\S+)$',
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
      description: 'PostgreSQL for the state, e.g. postgres://junction:password@db:5432/junction (secret: logged without its password); also read from DATABASE_URL',
    }),
    databaseSchema: Type.String({ default: 'junction', pattern: '^[a-z_][a-z0-9_]{0,62}$', description: "The PostgreSQL schema holding Junction's tables (created by the migrations)" }),
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
      description: 'With cluster: the URL the other processes forward requests to while this one owns the partitions, e.g. http://10.0.0.7:8080 ("": the address it listens on)',
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
  JUNCTION_ADMIN_KEY: 'adminKey',
  JUNCTION_RATE_LIMIT_PER_SECOND: 'rateLimitPerSecond',
  JUNCTION_TRUST_PROXY: 'trustProxy',
  JUNCTION_REDIS_URL: 'redisUrl',
  JUNCTION_STORE: 'store',
  JUNCTION_DATABASE_URL: 'databaseUrl',
  JUNCTION_DATABASE_SCHEMA: 'databaseSchema',
  JUNCTION_REDIS_PREFIX: 'redisPrefix',
  JUNCTION_STORE_START_TIMEOUT_S: 'storeStartTimeoutS',
  JUNCTION_CLUSTER: 'cluster',
  JUNCTION_LEASE_MS: 'leaseMs',
  JUNCTION_ADVERTISE_URL: 'advertiseUrl',
  JUNCTION_HEAP_HEADROOM_PERCENT: 'heapHeadroomPercent',
  JUNCTION_LOG_LEVEL: 'logLevel',
};

/** The conventional variables operators already set, read when the JUNCTION_ one is not. */
export const ENV_ALIASES: Record<string, keyof JunctionConfig> = {
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
};
const NUMBERS = new Set<keyof JunctionConfig>(['port', 'partitions', 'flushMs', 'dedupHours', 'referenceDays', 'eventRetentionDays', 'rateLimitPerSecond', 'storeStartTimeoutS', 'leaseMs', 'heapHeadroomPercent']);
const BOOLEANS = new Set<keyof JunctionConfig>(['cluster']);
/** How an environment variable says yes or no; another word stays a string, which validation refuses. */
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

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
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of [...Object.entries(ENV_ALIASES), ...Object.entries(ENV)]) {
    const v = env[name];
    if (v !== undefined) fromEnv[key] = NUMBERS.has(key) ? Number(v) : BOOLEANS.has(key) ? (BOOLEAN_WORDS[v.toLowerCase()] ?? v) : v;
  }
  const merged = Value.Default(ConfigSchema, { ...fromFile, ...fromEnv }) as JunctionConfig;
  const problems = [...Value.Errors(ConfigSchema, merged)].map((e) => ({ code: 'JCT_CONFIG_INVALID', path: `$${e.path.replace(/\//g, '.')}`, message: e.message }));
  if (problems.length === 0) problems.push(...trustProblems(merged.trustProxy));
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new ConfigError(`configuration is invalid: ${list}`, { problems });
  }
  return merged;
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
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`cannot read configuration ${file}: ${(err as Error).message}`);
  }
}
