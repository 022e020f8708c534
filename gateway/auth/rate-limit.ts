// How often a caller may call: `perSecond` requests a second per key id (per address without a
// valid key), counted by @fastify/rate-limit in the process's memory, or in Redis when a
// `redisUrl` is given (under `<redisPrefix>rl:`), so every process using that Redis shares each key's count. Every limited
// answer says where the caller stands (X-RateLimit-Limit, -Remaining, -Reset in seconds); over
// the limit: 429 JCT_RATE_LIMITED with Retry-After. Redis unreachable or slow: requests are let
// through (skipOnError), a warning is logged once per outage, and its end once at info. A Redis URL's secrets are never logged (shownUrl).
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ConfigSchema } from '../../config/index.js';
import { JunctionError } from '../../engine/errors.js';
import { lazyRequire } from '../../engine/lazy-require.js';
import { shownUrl } from '../../engine/store/shown-url.js';
import type { ErrorLogger } from '../errors.js';

const ioredis = lazyRequire<typeof import('ioredis')>('ioredis');

export interface LimitOptions {
  /** Requests a second per key (or per address without one). */
  readonly perSecond: number;
  /** Redis holding the counters (shared by processes); "" or undefined: in memory. */
  readonly redisUrl?: string;
  /** The deployment's Redis key prefix (configuration `redisPrefix`); the counters are under `<redisPrefix>rl:`. */
  readonly redisPrefix?: string;
  readonly logger?: ErrorLogger;
}

/** Counts a request; throws 429 when its caller is over the limit. */
export type Limiter = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Where the counters are in Redis: under the deployment's prefix (the configuration's default when none is given). */
export function counterNamespace(redisPrefix = ConfigSchema.properties.redisPrefix.default): string {
  return `${redisPrefix}rl:`;
}
/** Longest a connection attempt or a command may take before the request goes on uncounted. */
const REDIS_CONNECT_MS = 1000;
const REDIS_COMMAND_MS = 500;

/** Registers the plugin on `app`; the limiter is usable once the app is ready. */
export function rateLimiter(app: FastifyInstance, options: LimitOptions): Limiter {
  const logger = options.logger ?? { error() {} };
  const redis = options.redisUrl ? sharedCounters(app, options.redisUrl, logger) : undefined;
  void app.register(rateLimit, {
    global: false,
    max: options.perSecond,
    timeWindow: 1000,
    keyGenerator: (req) => req.caller?.id ?? req.ip,
    ...(redis ? { redis, nameSpace: counterNamespace(options.redisPrefix), skipOnError: true } : {}),
  });
  let limit: ReturnType<FastifyInstance['createRateLimit']>;
  app.after(() => {
    limit = app.createRateLimit();
  });
  return async (req, reply) => throttle(await limit(req), reply);
}

/** One ioredis client per app: connected when the app starts (waiting at most REDIS_CONNECT_MS), closed with it. */
function sharedCounters(app: FastifyInstance, url: string, logger: ErrorLogger): Redis {
  const client = new (ioredis().Redis)(url, { lazyConnect: true, enableOfflineQueue: false, connectTimeout: REDIS_CONNECT_MS, commandTimeout: REDIS_COMMAND_MS });
  const where = shownUrl(url);
  let down = false;
  client.on('error', (err: Error & { code?: string }) => {
    if (down) return;
    down = true;
    (logger.warn ?? logger.error).call(logger, { redis: where, code: err.code ?? err.name }, 'Redis unavailable: API rate limits are not enforced until it is back');
  });
  client.on('ready', () => {
    if (down) logger.info?.({ redis: where }, 'Redis is back: API rate limits are enforced again');
    down = false;
  });
  app.addHook('onReady', async () => {
    await client.connect().catch(() => undefined); // down: already warned; ioredis keeps reconnecting
  });
  app.addHook('onClose', async () => client.disconnect());
  return client;
}

type Limited = Awaited<ReturnType<ReturnType<FastifyInstance['createRateLimit']>>>;

/** Sets the X-RateLimit-* headers; throws 429 with Retry-After when the caller is over its limit. */
function throttle(result: Limited, reply: FastifyReply): void {
  if (result.isAllowed) return;
  void reply.headers({ 'x-ratelimit-limit': result.max, 'x-ratelimit-remaining': result.remaining, 'x-ratelimit-reset': result.ttlInSeconds });
  if (!result.isExceeded) return;
  void reply.header('retry-after', String(result.ttlInSeconds));
  throw new JunctionError('JCT_RATE_LIMITED', `more than ${result.max} requests a second; retry after ${result.ttlInSeconds} s`, { retryAfterSeconds: result.ttlInSeconds });
}
