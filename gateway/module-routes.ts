// Serves the HTTP routes that modules declare (engine/module.ts): each is validated with its
// TypeBox schemas like every other route, and its handler gets the parsed request with its raw
// bytes (providers sign those), the engine's route context (inbox, who a contact or reference
// is, the clock) and its module's settings, nothing else. Module routes read JSON, forms and, as raw bytes only, any other
// content type (multipart email, XML); a body that is not valid UTF-8 where text is expected
// is refused. A provider's webhook is mounted this way. A route's `access` becomes its auth
// options (auth/guard.ts): a webhook is open and checks its provider's signature itself.
//
// Modules' WebSocket endpoints (SocketDefinition) are served with @fastify/websocket on the same
// terms: the upgrade is refused with an error answer when it does not offer the endpoint's
// subprotocol, or when its access or `accept` refuses it; then only text frames are read (a
// binary frame closes the socket with 1003, unless the endpoint declares `binary`: then it goes
// to its `onBinary` handler, e.g. a voice platform's audio stream) and handed to the module as
// they arrive. A message its handler throws on is answered with nothing and counted by code
// (`app.socketErrors`). Like every route, nothing is logged per request or per message.
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { WEBSOCKET_OPTIONS, agreeProtocol, closeRefusedUpgrade, countSocketError, upgradeRequired, type SocketErrorCounts } from './websockets.js';
import type { WebSocket } from 'ws';
import type { Core } from '../engine/core.js';
import type { ModuleSocket, RouteContext, RouteDefinition, RouteRequest, SocketDefinition } from '../engine/module.js';
import { JunctionError } from '../engine/errors.js';
import { parseJsonText } from '../engine/json-text.js';
import { formParams, lastValues } from '../channels/form.js';
import { routeConfig } from './auth/guard.js';
import { utf8Body } from './validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: Buffer | undefined;
    formParams: ReadonlyMap<string, readonly string[]> | undefined;
  }
}

const EMPTY = Buffer.alloc(0);

export function mountModuleRoutes(app: FastifyInstance, core: Core): void {
  void app.register(async (scope) => {
    scope.decorateRequest('rawBody', undefined);
    scope.decorateRequest('formParams', undefined);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw: Buffer, done) => done(null, parse(req, raw, json)));
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, raw: Buffer, done) => done(null, parse(req, raw, (text) => form(req, text))));
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, raw: Buffer, done) => done(null, parse(req, raw, () => undefined)));
    for (const route of core.registry.routes) mount(scope, route, core.routeContext(core.registry.settingsOf(route)));
  });
  mountModuleSockets(app, core);
}

function mountModuleSockets(app: FastifyInstance, core: Core): void {
  const counts: SocketErrorCounts = {};
  app.decorate('socketErrors', counts);
  void app.register(async (scope) => {
    if (!scope.hasDecorator('websocketServer')) await scope.register(websocket, WEBSOCKET_OPTIONS); // feed.ts registers it for the whole app
    scope.addHook('onResponse', closeRefusedUpgrade);
    for (const m of core.registry.modules) {
      const ctx = core.routeContext(core.registry.settings(m.name));
      for (const def of m.sockets ?? []) mountSocket(scope, def, ctx, (code) => countSocketError(counts, def.url, code));
    }
  });
}

function mountSocket(app: FastifyInstance, def: SocketDefinition, ctx: RouteContext, refused: (code: string) => void): void {
  const preValidation = async (req: FastifyRequest) => {
    if (def.protocol !== undefined) requireProtocol(req, def.protocol);
    def.accept?.(routeRequest(req), ctx);
  };
  app.route({
    method: 'GET',
    url: def.url,
    config: routeConfig(def.access),
    schema: { hide: true }, // a WebSocket: OpenAPI cannot describe it
    preValidation,
    handler: upgradeRequired,
    wsHandler: (socket, req) => def.open(moduleSocket(socket, refused, def.binary === true), routeRequest(req), ctx),
  });
}

/** Refuses an upgrade that does not offer the subprotocol; otherwise it is the one the server answers with. */
function requireProtocol(req: FastifyRequest, protocol: string): void {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(protocol)) throw new JunctionError('JCT_SOCKET_PROTOCOL', `this WebSocket needs the subprotocol "${protocol}" (Sec-WebSocket-Protocol)`);
  agreeProtocol(req.raw, protocol);
}

function moduleSocket(socket: WebSocket, refused: (code: string) => void, binary: boolean): ModuleSocket {
  const failed = (err: unknown) => refused(err instanceof JunctionError ? err.code : 'JCT_INTERNAL');
  let onText: (text: string) => void | Promise<void> = () => undefined;
  let onBinary: (data: Buffer) => void = () => socket.close(1003, 'text frames only');
  socket.on('message', (data, isBinary) => {
    try {
      // ws's default binaryType: one Buffer per message
      if (isBinary) onBinary(data as Buffer);
      else onText(String(data))?.catch(failed);
    } catch (err) {
      failed(err);
    }
  });
  return {
    send: (text) => {
      if (socket.readyState === socket.OPEN) socket.send(text);
    },
    close: (code, reason) => socket.close(code, reason),
    onMessage: (f) => {
      onText = f;
    },
    onBinary: (f) => {
      if (binary) onBinary = f;
    },
    onClose: (f) => socket.on('close', f),
  };
}

function mount(app: FastifyInstance, route: RouteDefinition, ctx: RouteContext): void {
  app.route({
    method: route.method,
    url: route.url,
    schema: route.schema ?? {},
    config: { ...routeConfig(route.access), ...documentedStatuses(route) },
    ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
    ...(route.json ? { onRequest: requireJson } : {}),
    handler: async (req, reply) => {
      const answer = await route.handle(routeRequest(req), ctx);
      return reply.status(answer.status).headers(answer.headers ?? {}).send(answer.body);
    },
  });
}

/** The success statuses the route declares, as the API document reads them (openapi.ts). */
function documentedStatuses({ statuses }: RouteDefinition): { status?: number; alsoStatus?: readonly number[] } {
  if (statuses === undefined) return {};
  const [status, ...alsoStatus] = statuses;
  return { status, alsoStatus };
}

/** Refuses a body that is not JSON (a route declaring `json`) with the error Fastify gives the API's own routes (415). */
async function requireJson(req: FastifyRequest): Promise<void> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return; // no body: the schema says what is missing
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(type);
}

/** The request as a module's handler sees it. */
function routeRequest(req: FastifyRequest): RouteRequest {
  return {
    method: req.method,
    url: req.url,
    origin: `${req.protocol}://${req.host}`,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, unknown>,
    headers: req.headers,
    body: req.body,
    rawBody: req.rawBody ?? EMPTY,
    ...(req.formParams ? { form: req.formParams } : {}),
  };
}

/** Keeps the raw bytes on the request and returns the parsed body; throws a 400 JunctionError. */
function parse(req: FastifyRequest, raw: Buffer, read: (text: () => string) => unknown): unknown {
  req.rawBody = raw;
  return read(() => utf8Body(raw));
}

function json(text: () => string): unknown {
  return parseJsonText(text(), 'the request body');
}

/** The fields (the last value of each name); the request keeps every value for signatures. */
function form(req: FastifyRequest, text: () => string): Record<string, string> {
  req.formParams = formParams(text());
  return lastValues(req.formParams);
}
