// Serves the HTTP routes that modules declare (engine/module.ts): each is validated with its
// TypeBox schemas like every other route, and its handler gets the parsed request with its raw
// bytes (providers sign those), the engine's route context (inbox, who a contact or reference
// is, the clock) and its module's settings, nothing else. Module routes read JSON, forms and, as raw bytes only, any other
// content type (multipart email, XML); a body that is not valid UTF-8 where text is expected
// is refused. A provider's webhook is mounted this way. A route's `access` becomes its auth
// options (auth/guard.ts): a webhook is open and checks its provider's signature itself.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../engine/runtime/engine.js';
import type { RouteContext, RouteDefinition } from '../engine/module.js';
import { JunctionError } from '../engine/errors.js';
import { formParams, lastValues } from '../channels/form.js';
import { routeConfig } from './auth/guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: Buffer | undefined;
    formParams: ReadonlyMap<string, readonly string[]> | undefined;
  }
}

const EMPTY = Buffer.alloc(0);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function mountModuleRoutes(app: FastifyInstance, engine: Engine): void {
  void app.register(async (scope) => {
    scope.decorateRequest('rawBody', undefined);
    scope.decorateRequest('formParams', undefined);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw: Buffer, done) => done(null, parse(req, raw, json)));
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, raw: Buffer, done) => done(null, parse(req, raw, (text) => form(req, text))));
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, raw: Buffer, done) => done(null, parse(req, raw, () => undefined)));
    for (const route of engine.registry.routes) mount(scope, route, engine.routeContext(engine.registry.settingsOf(route)));
  });
}

function mount(app: FastifyInstance, route: RouteDefinition, ctx: RouteContext): void {
  app.route({
    method: route.method,
    url: route.url,
    schema: route.schema ?? {},
    config: routeConfig(route.access),
    ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
    handler: async (req, reply) => {
      const answer = await route.handle(
        {
          method: req.method,
          url: req.url,
          params: req.params as Record<string, string>,
          query: req.query as Record<string, unknown>,
          headers: req.headers,
          body: req.body,
          rawBody: req.rawBody ?? EMPTY,
          ...(req.formParams ? { form: req.formParams } : {}),
        },
        ctx,
      );
      return reply.status(answer.status).headers(answer.headers ?? {}).send(answer.body);
    },
  });
}

/** Keeps the raw bytes on the request and returns the parsed body; throws a 400 JunctionError. */
function parse(req: FastifyRequest, raw: Buffer, read: (text: () => string) => unknown): unknown {
  req.rawBody = raw;
  return read(() => utf8(raw));
}

function utf8(raw: Buffer): string {
  try {
    return UTF8.decode(raw);
  } catch {
    throw new JunctionError('JCT_BODY_ENCODING', 'the request body is not valid UTF-8');
  }
}

function json(text: () => string): unknown {
  try {
    return JSON.parse(text()) as unknown;
  } catch (err) {
    if (err instanceof JunctionError) throw err;
    throw new JunctionError('JCT_JSON_INVALID', 'the request body is not valid JSON');
  }
}

/** The fields (the last value of each name); the request keeps every value for signatures. */
function form(req: FastifyRequest, text: () => string): Record<string, string> {
  req.formParams = formParams(text());
  return lastValues(req.formParams);
}
