// The limits every HTTP server of Junction puts on its connections (the app's own, and in
// cluster mode the standby's, which the app serves on once it takes over): how long a connection
// may stay silent while a request arrives or its answer goes out, how long a whole request may
// take to arrive (its headers: no longer than the silence), and how long a connection waits for
// a next request. A client that stops reading an answer is cut off, and the answer's data freed;
// so is one that stops sending, or trickles a request for ever (408, errors.ts). A request being
// handled is never cut, however long its handler takes: the silence is the client's only while
// it should be sending or reading. WebSockets are left alone (ws lifts the limit on upgrade).
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ConfigSchema, type JunctionConfig } from '../config/index.js';

export interface ConnectionLimits {
  /** Longest silence while a request arrives or its answer goes out (ms); its headers must arrive within it too. */
  readonly idleMs: number;
  /** Longest a whole request may take to arrive (ms). */
  readonly requestMs: number;
  /** How long a connection is kept open for a next request once an answer is sent (ms). */
  readonly keepAliveMs: number;
}

type LimitSettings = Pick<JunctionConfig, 'httpIdleTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'>;

/** The limits the configuration sets; those it does not, at the configuration's defaults. */
export function connectionLimits(settings: Partial<LimitSettings> = {}): ConnectionLimits {
  const defaults = ConfigSchema.properties;
  return {
    idleMs: settings.httpIdleTimeoutMs ?? defaults.httpIdleTimeoutMs.default,
    requestMs: settings.httpRequestTimeoutMs ?? defaults.httpRequestTimeoutMs.default,
    keepAliveMs: settings.httpKeepAliveTimeoutMs ?? defaults.httpKeepAliveTimeoutMs.default,
  };
}

/** How many times per headers deadline Node looks for requests past their deadlines: a request is cut at most a quarter late. */
const CHECKS_PER_DEADLINE = 4;

/** An HTTP server (not listening yet) that keeps `limits`; `handler` answers its requests. */
export function limitedServer(limits: ConnectionLimits, handler?: RequestListener): Server {
  const headersMs = Math.min(limits.idleMs, limits.requestMs);
  const server = createServer(
    {
      requestTimeout: limits.requestMs,
      headersTimeout: headersMs,
      keepAliveTimeout: limits.keepAliveMs,
      connectionsCheckingInterval: Math.ceil(headersMs / CHECKS_PER_DEADLINE),
    },
    handler,
  );
  server.setTimeout(limits.idleMs);
  spareHandledRequests(server);
  return server;
}

/**
 * A silent connection is closed, unless the request it holds has arrived whole and is being
 * handled (no answer started yet): its handler answers in its own time, and the silence counts
 * again from the answer's first byte. Node closes a silent connection by itself only when the
 * server has no `timeout` listener; this one closes every other.
 */
function spareHandledRequests(server: Server): void {
  const latest = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => latest.set(req.socket, { req, res }));
  server.on('timeout', (socket: Socket) => {
    if (!beingHandled(latest.get(socket), socket)) socket.destroy();
  });
}

/** Whether the exchange holds the connection (a pipelined one waiting its turn does not) and its request is whole and not answered yet. */
function beingHandled(exchange: { req: IncomingMessage; res: ServerResponse } | undefined, socket: Socket): boolean {
  return exchange !== undefined && exchange.res.socket === socket && exchange.req.complete && !exchange.res.headersSent;
}
