// Serves the HTTP routes that modules declare (engine/module.ts): each is validated with its
// TypeBox schemas like every other route, and its handler gets the parsed request, the
// engine's inbox (submit) and its module's settings, nothing else. A provider's webhook is
// mounted this way.
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/runtime/engine.js';
import type { RouteContext, RouteDefinition, Submit } from '../engine/module.js';

export function mountModuleRoutes(app: FastifyInstance, engine: Engine): void {
  const submit: Submit = (personKey, input) => engine.submit(personKey, input);
  for (const route of engine.registry.routes) mount(app, route, { submit, settings: engine.registry.settingsOf(route) });
}

function mount(app: FastifyInstance, route: RouteDefinition, ctx: RouteContext): void {
  app.route({
    method: route.method,
    url: route.url,
    schema: route.schema ?? {},
    handler: async (req, reply) => {
      const answer = await route.handle(
        {
          params: req.params as Record<string, string>,
          query: req.query as Record<string, unknown>,
          headers: req.headers,
          body: req.body,
        },
        ctx,
      );
      return reply.status(answer.status).headers(answer.headers ?? {}).send(answer.body);
    },
  });
}
