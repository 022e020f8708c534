// The app's one WebSocket server (@fastify/websocket over ws), shared by the step feed and the
// modules' sockets: its largest message, the subprotocol it agrees to (only the one a route
// asked for; ws alone would agree to whatever a client offers first), the counting of frames ws
// refuses (too large, text not UTF-8, not WebSocket at all) by socket and code, the closing of an upgrade that was refused, the
// answer to a plain HTTP request on a WebSocket's path, and the closing of every socket when the
// app closes (1001, going away, with a reason: a client knows Junction stops rather than seeing
// 1005, no status).
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { JunctionError } from '../engine/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** WebSocket messages refused: socket URL → JCT_ code → count (a frame ws refused, a module's handler throwing). */
    readonly socketErrors: SocketErrorCounts;
  }
}

export type SocketErrorCounts = Record<string, Record<string, number>>;

export function countSocketError(counts: SocketErrorCounts, url: string, code: string): void {
  const byCode = (counts[url] ??= {});
  byCode[code] = (byCode[code] ?? 0) + 1;
}

/**
 * The largest WebSocket message taken (bytes): ws's default is 100 MiB, which a client could
 * make the server buffer before anything looks at it. A longer message closes the socket
 * (1009, message too big). Control messages are a few KiB; jambonz's audio frames a few KiB.
 */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

/** The close code and reason every open socket gets when the app closes (Junction stops). */
export const GOING_AWAY = { code: 1001, reason: 'Junction is stopping' } as const;

/** The socket label of a frame refused on a request with no route pattern: never its URL (a query may hold a token, and URLs are unbounded). */
const UNROUTED = 'unmatched';

/** The subprotocol each upgrade's route agreed to (agreeProtocol). */
const agreed = new WeakMap<IncomingMessage, string>();

/** Records that the upgrade speaks `protocol`, which the client offered: the handshake answers with it. */
export function agreeProtocol(req: IncomingMessage, protocol: string): void {
  agreed.set(req, protocol);
}

/** ws's handleProtocols: the subprotocol the route agreed to, else none (a client offering others is not told we speak them). */
function agreedProtocol(_offered: Set<string>, req: IncomingMessage): string | false {
  return agreed.get(req) ?? false;
}

/**
 * errorHandler of @fastify/websocket: a frame ws refused (it closes the socket: 1009 too large,
 * 1007 text not UTF-8, 1002 not WebSocket) is counted by socket and code; then, as for any
 * error of an open socket (a client gone without closing), the socket is ended.
 */
function socketFailed(this: FastifyInstance, err: Error & { code?: unknown }, socket: WebSocket, req: FastifyRequest): void {
  const code = typeof err.code === 'string' && err.code.startsWith('WS_ERR_') ? frameCode(err.code) : undefined;
  if (code !== undefined && this.hasDecorator('socketErrors')) countSocketError(this.socketErrors, req.routeOptions.url ?? UNROUTED, code);
  socket.terminate();
}

function frameCode(wsCode: string): string {
  return wsCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'JCT_SOCKET_MESSAGE_TOO_LARGE' : 'JCT_SOCKET_FRAME_INVALID';
}

export const WEBSOCKET_OPTIONS = { options: { maxPayload: MAX_SOCKET_MESSAGE_BYTES, handleProtocols: agreedProtocol }, errorHandler: socketFailed, preClose: closeSockets };

/** preClose hook: every open socket is closed as going away, then the WebSocket server. */
function closeSockets(this: FastifyInstance, done: () => void): void {
  for (const client of this.websocketServer.clients) client.close(GOING_AWAY.code, GOING_AWAY.reason);
  this.websocketServer.close(() => done());
}

/**
 * onResponse hook: an upgrade refused before the plugin marked the request as a WebSocket one
 * (no key, wrong scope, wrong subprotocol) would keep its socket open: close it.
 */
export function closeRefusedUpgrade(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (reply.statusCode !== 101 && req.headers.upgrade?.toLowerCase() === 'websocket') req.raw.socket.destroy();
  done();
}

/** The HTTP handler of a WebSocket's path: a request that does not upgrade is told to (426 JCT_UPGRADE_REQUIRED). */
export async function upgradeRequired(): Promise<never> {
  throw new JunctionError('JCT_UPGRADE_REQUIRED', 'this address is a WebSocket: connect with Upgrade: websocket');
}
