// The HTTP application (Fastify): wires error answers and validation, and serves health, flow
// status and metrics, the Flow API (flow-api.ts) and the routes modules declare
// (module-routes.ts). No business rule lives here: routes call the engine's inbox. Fastify's per-request logging is off: it halves throughput and says
// nothing an operator needs; failures (5xx) are logged by errors.ts.
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Engine } from '../engine/runtime/engine.js';
import { JunctionError } from '../engine/errors.js';
import { errorReplier, type ErrorCounts, type ErrorLogger } from './errors.js';
import { compileValidator } from './validation.js';
import { registerFlowApi } from './flow-api.js';
import { mountModuleRoutes } from './module-routes.js';

const BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  /** Where failures (5xx) are logged; pino's logger fits. Default: nowhere. */
  logger?: ErrorLogger;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Error answers so far, by status and code (see errors.ts). */
    readonly errorCounts: ErrorCounts;
  }
}

const silent: ErrorLogger = { error() {} };

export function buildApp(engine: Engine, options: AppOptions = {}): FastifyInstance {
  const errorCounts: ErrorCounts = {};
  const replyError = errorReplier(errorCounts, options.logger ?? silent);
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, frameworkErrors: replyError });
  app.decorate('errorCounts', errorCounts);
  app.setErrorHandler(replyError);
  app.setNotFoundHandler((req, reply) => replyError(new JunctionError('JCT_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply));
  app.setValidatorCompiler(compileValidator);
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/flows', async () => ({
    flows: engine.flowRecords().map((r) => ({ id: r.id, version: r.version, name: r.definition.name, status: r.status })),
  }));

  // ?versions=all: the metrics of every launched version together (people counted once; costs a pass over them).
  app.get<{ Params: { id: string }; Querystring: { versions?: 'all' } }>(
    '/flows/:id',
    { schema: { querystring: Type.Object({ versions: Type.Optional(Type.Literal('all')) }, { additionalProperties: false }) } },
    async (req) => {
      const record = engine.status(req.params.id);
      if (!record) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${req.params.id}"`);
      if (record.status === 'draft') return { id: record.id, version: record.version, status: record.status, metrics: null };
      const metrics = req.query.versions === 'all' ? engine.metricsAllVersions(record.id) : engine.metrics(record.id);
      return { id: record.id, version: record.version, status: record.status, metrics };
    },
  );

  registerFlowApi(app, engine);
  mountModuleRoutes(app, engine);
  return app;
}
