// The app's one WebSocket server (@fastify/websocket over ws), shared by the step feed and the
// modules' sockets: its largest message, the closing of an upgrade that was refused, and the
// answer to a plain HTTP request on a WebSocket's path.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JunctionError } from '../engine/errors.js';

/**
 * The largest WebSocket message taken (bytes): ws's default is 100 MiB, which a client could
 * make the server buffer before anything looks at it. A longer message closes the socket
 * (1009, message too big). Control messages are a few KiB; jambonz's audio frames a few KiB.
 */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

export const WEBSOCKET_OPTIONS = { options: { maxPayload: MAX_SOCKET_MESSAGE_BYTES } };

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
