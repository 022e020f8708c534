// The HTTP application (Fastify). For now: health, flow status and metrics, and the Flow
// API entry (add a person to a flow). No business rule lives here: routes call the engine.
// Per-request logging is off: it halves throughput and says nothing an operator needs.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Engine } from '../engine/runtime/engine.js';
import { JunctionError } from '../engine/errors.js';
import type { PersonInput } from '../engine/store/interfaces.js';

const STATUS: Record<string, number> = {
  JCT_FLOW_UNKNOWN: 404,
  JCT_PERSON_UNKNOWN: 404,
  JCT_FLOW_STATUS: 409,
};

export function buildApp(engine: Engine): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof JunctionError) return reply.status(STATUS[err.code] ?? 400).send({ error: err.toJSON() });
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const code = status < 500 ? 'JCT_BAD_REQUEST' : 'JCT_INTERNAL';
    return reply.status(status).send({ error: { code, message: status < 500 ? (err as Error).message : 'internal error' } });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/flows', async () => ({
    flows: [...engine.flows.all()].map((r) => ({ id: r.id, version: r.version, name: r.definition.name, status: r.status })),
  }));

  app.get<{ Params: { id: string } }>('/flows/:id', async (req) => {
    const record = engine.status(req.params.id);
    if (!record) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${req.params.id}"`);
    return { id: record.id, version: record.version, status: record.status, metrics: record.status === 'draft' ? null : engine.metrics(record.id) };
  });

  app.post<{ Params: { id: string }; Body: { person: PersonInput; vars?: Record<string, unknown>; entry?: string } }>(
    '/flows/:id/participants',
    {
      schema: {
        body: {
          type: 'object',
          required: ['person'],
          additionalProperties: false,
          properties: { person: { type: 'object' }, vars: { type: 'object' }, entry: { type: 'string' } },
        },
      },
    },
    async (req, reply) => {
      if (!engine.status(req.params.id)) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${req.params.id}"`);
      const person = engine.people.upsert(req.body.person);
      const result = engine.enter(req.params.id, person.id, { vars: req.body.vars, entry: req.body.entry });
      return reply.status(result.entered ? 201 : 200).send({ personId: person.id, ...result });
    },
  );

  return app;
}
