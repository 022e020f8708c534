// The HTTP application (Fastify): wires error answers, validation and API keys (auth/), and
// serves health, readiness and GET / (health.ts), /metrics (metrics.ts), the API document
// (/openapi.json, /docs: openapi.ts), flow status and metrics, the Flow API (flow-api.ts), the
// management API under /api/v1 (api/), its live feed (feed.ts) and the routes modules declare
// (module-routes.ts). No business rule lives here: routes call the engine. Fastify's
// per-request logging is off: it halves throughput and says nothing an operator needs;
// failures (5xx) are logged by errors.ts. In cluster mode it serves on the standby's server,
// which listens already (listening-server.ts), instead of listening itself.
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Engine } from '../engine/runtime/engine.js';
import { LocalCore, type Core } from '../engine/core.js';
import { JunctionError } from '../engine/errors.js';
import { clientErrorAnswer, errorReplier, type ErrorCounts, type ErrorLogger } from './errors.js';
import { compileValidator, limitJsonDepth } from './validation.js';
import { registerFlowApi } from './flow-api.js';
import { registerApi } from './api/index.js';
import { registerFeed } from './feed.js';
import { mountModuleRoutes } from './module-routes.js';
import { registerOpenApi } from './openapi.js';
import { registerMetrics, type CommitMetrics } from './metrics.js';
import { registerHealth, type RefusedFlowFile } from './health.js';
import { guard } from './auth/guard.js';
import { registerNotify } from './api/notify.js';
import { KeyStore } from './auth/keys.js';
import { MemoryKeyTable } from './auth/key-table.js';
import { adopt, type ListeningServer } from './listening-server.js';
import { connectionLimits, limitedServer, type ConnectionLimits } from './connection-limits.js';
import { requestIds } from './request-id.js';

const BODY_LIMIT = 1024 * 1024;
/**
 * The longest URL parameter the router hands on, as sent (percent-encoded): room for the longest
 * a route takes (an email of 320 characters, a person id of 200), each encoded; a route's schema
 * then refuses anything longer than it takes with a 400.
 */
const MAX_PARAM_LENGTH = 1000;

export interface AppOptions {
  /** The version GET / and the API document show (the package's); default "dev". */
  version?: string;
  /** Where failures (5xx) are logged; pino's logger fits. Default: nowhere. */
  logger?: ErrorLogger;
  /** The API keys requests are checked against (gateway/auth); default an empty store in memory. */
  keys?: KeyStore;
  /** A key accepted as admin besides the stored ones (configuration `adminKey`). */
  adminKey?: string;
  /** Requests a second per key (per address without one); default 100. */
  rateLimitPerSecond?: number;
  /** Redis for the rate-limit counters, shared by processes (configuration `redisUrl`); default: in memory. */
  redisUrl?: string;
  /** The Redis key prefix (configuration `redisPrefix`): the rate-limit counters are under `<redisPrefix>rl:`. */
  redisPrefix?: string;
  /** Proxies whose X-Forwarded-For is believed (configuration `trustProxy`: addresses, ranges, names); default none. */
  trustProxy?: string;
  /** A server listening already that the app serves once ready, instead of listening itself (cluster mode: the standby's, made with the same limits). */
  server?: ListeningServer;
  /** The limits of the app's own server's connections (configuration `httpIdleTimeoutMs`, …); default the configuration's defaults. */
  connections?: ConnectionLimits;
  /** The journal's commit metrics, observed since before the state was recovered (`junction start`); default: observed from now on. */
  commitMetrics?: CommitMetrics;
  /** Files of the flows folder the start could not launch; /readyz lists them. */
  flowFilesRefused?: readonly RefusedFlowFile[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Error answers so far, by status and code (see errors.ts). */
    readonly errorCounts: ErrorCounts;
    /** The API keys the app accepts. */
    readonly keys: KeyStore;
  }
}

const silent: ErrorLogger = { error() {} };

/** The app over one engine (a single process) or over a Core (a sharded cluster's). */
export function buildApp(engine: Engine | Core, options: AppOptions = {}): FastifyInstance {
  const core = 'front' in engine ? engine : new LocalCore(engine);
  const errorCounts: ErrorCounts = {};
  const replyError = errorReplier(errorCounts, options.logger ?? silent);
  // Requests arriving while closing are served (the engine closes after the app), not answered in Fastify's own 503 shape.
  const adopted = options.server && adopt(options.server);
  const app = Fastify({
    logger: false,
    genReqId: requestIds(),
    bodyLimit: BODY_LIMIT,
    // A provider console's address with a trailing slash (Plivo's examples have one) reaches the same route.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    frameworkErrors: replyError,
    clientErrorHandler: clientErrorAnswer(errorCounts),
    return503OnClosing: false,
    trustProxy: options.trustProxy || false,
    serverFactory: adopted?.serverFactory ?? ((handler) => limitedServer(options.connections ?? connectionLimits(), handler)),
  });
  app.decorate('errorCounts', errorCounts);
  app.decorate('keys', options.keys ?? new KeyStore(new MemoryKeyTable()));
  guard(app, { keys: app.keys, adminKey: options.adminKey, perSecond: options.rateLimitPerSecond ?? 100, redisUrl: options.redisUrl, redisPrefix: options.redisPrefix, logger: options.logger });
  registerNotify(app, options.logger ?? silent, { allowPrivate: core.registry.settings('core')['httpPrivateAddresses'] !== 'refuse' });
  app.setErrorHandler(replyError);
  app.setNotFoundHandler((req, reply) => replyError(new JunctionError('JCT_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply));
  app.setValidatorCompiler(compileValidator);
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415
  limitJsonDepth(app);

  const version = options.version ?? 'dev';
  registerOpenApi(app, version); // first: it collects the routes declared after it
  registerMetrics(app, core, errorCounts, options.commitMetrics);
  registerHealth(app, core, version, options.flowFilesRefused ?? []);

  app.get('/flows', { config: { scope: 'reports' } }, async () => ({
    flows: core.front.flowRecords().map((r) => ({ id: r.id, version: r.version, name: r.definition.name, status: r.status })),
  }));

  // The running version (else the newest) and the newest launched version's metrics (null before a first launch);
  // ?versions=all: the metrics of every launched version together (people counted once; costs a pass over them).
  app.get<{ Params: { id: string }; Querystring: { versions?: 'all' } }>(
    '/flows/:id',
    { schema: { querystring: Type.Object({ versions: Type.Optional(Type.Literal('all')) }, { additionalProperties: false }) }, config: { scope: 'reports' } },
    async (req) => {
      const record = core.front.status(req.params.id);
      if (!record) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${req.params.id}"`);
      if (!core.front.compiled(record.id)) return { id: record.id, version: record.version, status: record.status, metrics: null }; // never launched
      const metrics = req.query.versions === 'all' ? await core.metricsAllVersions(record.id) : await core.metrics(record.id);
      return { id: record.id, version: record.version, status: record.status, metrics };
    },
  );

  registerFlowApi(app, core);
  registerApi(app, core);
  registerFeed(app, core);
  mountModuleRoutes(app, core);
  adopted?.hook(app); // last: see listening-server.ts
  return app;
}
