// Health and service routes, open without a key (the health checks not rate limited either): liveness (GET /healthz, and /health, its older name),
// readiness (GET /readyz: the store takes input and the server is not stopping; else 503
// JCT_NOT_READY, with Retry-After like every 503, naming the failed checks; it lists the flow
// files the start refused) and GET /, which
// says what this is and where to look. While the app closes, keep-alive connections are closed
// as soon as their last request is answered (else they would hold the close for the keep-alive
// timeout).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../engine/core.js';
import { JunctionError } from '../engine/errors.js';

/** How often connections that became idle are closed while the app closes. */
const DRAIN_MS = 50;

const Alive = Type.Object({ status: Type.Literal('ok') });
const Checks = Type.Object({
  store: Type.Union([Type.Literal('ok'), Type.Literal('failed')], { description: 'failed: a batch could not be written, the store\'s connection is down, or the engine is closed; input cannot be made durable' }),
  http: Type.Union([Type.Literal('ok'), Type.Literal('stopping')], { description: 'stopping: shutting down, finishing the requests in flight' }),
});
const RefusedFile = Type.Object({ file: Type.String(), code: Type.String(), message: Type.String() });
const Readiness = Type.Object({
  status: Type.Literal('ready'),
  checks: Checks,
  flows: Type.Integer({ description: 'Flow versions loaded (the flows folder is launched before the server listens)' }),
  flowFilesRefused: Type.Array(RefusedFile, {
    description: 'Files of the flows folder the start did not launch, and why (a version launched before goes on); they do not make the process unready',
  }),
});

/** A file of the flows folder the start did not launch. */
export type RefusedFlowFile = Static<typeof RefusedFile>;

const LINKS = {
  docs: '/docs',
  openapi: '/openapi.json',
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
};

export function registerHealth(app: FastifyInstance, core: Core, version: string, flowFilesRefused: readonly RefusedFlowFile[]): void {
  let stopping = false;
  let draining: ReturnType<typeof setInterval> | undefined;
  app.addHook('preClose', async () => {
    stopping = true;
    draining = setInterval(() => app.server.closeIdleConnections(), DRAIN_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(draining));

  const alive = { config: { open: 'probe' as const }, schema: { summary: 'Liveness: the process serves HTTP', tags: ['operations'], response: { 200: Alive } } };
  app.get('/healthz', alive, async () => ({ status: 'ok' }) as const);
  app.get('/health', { ...alive, schema: { ...alive.schema, summary: 'Liveness (older name of /healthz)' } }, async () => ({ status: 'ok' }) as const);

  app.get(
    '/readyz',
    { config: { open: 'probe' }, schema: { summary: 'Readiness: 200 when input can be taken and made durable, else 503 JCT_NOT_READY naming the failed checks', tags: ['operations'], response: { 200: Readiness } } },
    async () => {
      const checks = { store: core.accepting ? 'ok' : 'failed', http: stopping ? 'stopping' : 'ok' } as const;
      const failed = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
      if (failed.length > 0) throw new JunctionError('JCT_NOT_READY', `not ready: ${failed.join(', ')}`, { checks });
      return { status: 'ready', checks, flows: core.front.flowRecords().length, flowFilesRefused } as const;
    },
  );

  app.get('/', { config: { open: true }, schema: { summary: 'What this is and where to look', tags: ['operations'] } }, async () => ({
    name: 'Junction',
    version,
    description: 'Open-source messaging and IVR gateway with a customer-journey flow engine: provider webhooks in, flows, messages out.',
    links: LINKS,
    documentation: { readme: 'README.md', configuration: 'docs/configuration.md', flows: 'docs/reference.md', channels: 'docs/channels.md', api: 'docs/api.md', operations: 'docs/operations.md' },
  }));
}
