// Error answers of the gateway: every error leaves as `{ error: { code, message, details } }`
// (details {} when there are none) with a stable JCT_* code, whoever raised it (a route, the
// engine or Fastify itself). Each answer is counted by status and code; each 5xx is logged with
// its stack, route and request id, never the request body (it may hold secrets); other error
// answers at debug level. A routine 503 (the store out of reach, not ready, standing by) is a
// state, not a failure: it is logged as a warning without a stack, once per code and route
// every 10 s, the next line counting those left out (a load balancer's probes would flood the
// log otherwise). A provider's webhook refused for its signature or for a provider not
// configured is logged the same way, with what was checked (the URL a signature was checked
// for): it is the first thing to look at when a number does not answer. Every 503 says when to retry (Retry-After). What was not thrown as a
// JunctionError for clients is answered 500 JCT_INTERNAL with a generic message. An error another
// process of the cluster answered a shard call with (engine/cluster/peer-calls.ts) is answered as it was there, status included.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JunctionError, type ErrorDetails } from '../engine/errors.js';
import { PeerError } from '../engine/cluster/peer-calls.js';

/** What the gateway needs of a logger; pino's fits. */
export interface ErrorLogger {
  error(obj: object, msg?: string): void;
  /** Warnings are logged as errors without it. */
  warn?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
  /** What is told at info level (a service back); not told without it. */
  info?(obj: object, msg?: string): void;
}

/** Error answers so far: status → code → count. */
export type ErrorCounts = Record<number, Record<string, number>>;

interface Answer {
  status: number;
  code: string;
  message: string;
  details?: ErrorDetails;
}

/**
 * Statuses of JunctionError codes; any other code is the caller's mistake: 400. A 404 is for
 * what the URL names; a segment is only ever named in a body or a flow (JCT_SEGMENT_UNKNOWN: 400).
 */
const JUNCTION_STATUS: Record<string, number> = {
  JCT_NOT_FOUND: 404,
  JCT_FLOW_UNKNOWN: 404,
  JCT_PERSON_UNKNOWN: 404,
  JCT_VERSION_UNKNOWN: 404,
  JCT_TEMPLATE_UNKNOWN: 404,
  JCT_OPERATION_UNKNOWN: 404,
  JCT_FLOW_STATUS: 409,
  JCT_FLOW_EXISTS: 409,
  JCT_CAMPAIGN_TAKEN: 409,
  JCT_CAMPAIGN_AMBIGUOUS: 409,
  JCT_TEMPLATE_EXISTS: 409,
  JCT_TEMPLATE_BUILT_IN: 409,
  JCT_ENTRY_NONE: 409,
  JCT_ENTRY_TAKEN: 409,
  JCT_CONTACT_TAKEN: 409,
  JCT_EXTERNAL_ID_TAKEN: 409,
  JCT_ATTRIBUTE_CONFLICT: 409,
  JCT_EVENT_PROPERTY_CONFLICT: 409,
  JCT_SEGMENT_EXISTS: 409,
  JCT_SEGMENT_IN_USE: 409,
  JCT_IDEMPOTENCY_KEY_REUSED: 422,
  JCT_UPGRADE_REQUIRED: 426,
  JCT_SIGNATURE_MISSING: 401,
  JCT_SIGNATURE_INVALID: 403,
  JCT_UNSUBSCRIBE_TOKEN_INVALID: 403,
  JCT_PROVIDER_NOT_CONFIGURED: 403,
  JCT_STORE_UNAVAILABLE: 503,
  JCT_NOT_READY: 503,
  JCT_STORE_FENCED: 503,
  JCT_AUTH_MISSING: 401,
  JCT_AUTH_INVALID: 401,
  JCT_SCOPE_MISSING: 403,
  JCT_RATE_LIMITED: 429,
  JCT_KEY_UNKNOWN: 404,
  JCT_CLUSTER_SECRET: 401,
  JCT_SHARD_CALL_UNKNOWN: 404,
  JCT_SHARD_NOT_HERE: 503,
  JCT_SHARD_UNREACHABLE: 503,
};

/** Seconds a client is asked to wait before retrying after a 503. */
const RETRY_AFTER_S = '5';
/** Sooner for a shard that is moving between processes: its new holder serves it within a second or so. */
const RETRY_AFTER_BY_CODE: Readonly<Record<string, string>> = { JCT_SHARD_NOT_HERE: '1' };

/** 503 codes that describe the service's state while it lasts: logged as warnings, at most once per code and route every OUTAGE_LOG_MS. */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['JCT_NOT_READY', 'JCT_STORE_UNAVAILABLE', 'JCT_STANDBY', 'JCT_SHARD_NOT_HERE', 'JCT_SHARD_UNREACHABLE']);
const OUTAGE_LOG_MS = 10_000;
/** Refusals of provider webhooks, logged like the routine 503s (a misconfigured provider retries every webhook). */
const WEBHOOK_REFUSALS: ReadonlySet<string> = new Set(['JCT_SIGNATURE_MISSING', 'JCT_SIGNATURE_INVALID', 'JCT_PROVIDER_NOT_CONFIGURED']);

/** Fastify's own errors (node_modules/fastify/lib/errors.js) by their FST_* code. */
const FRAMEWORK: Record<string, Answer> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'JCT_BODY_TOO_LARGE', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'JCT_UNSUPPORTED_MEDIA_TYPE', message: 'unsupported content type; send application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'JCT_JSON_INVALID', message: 'the request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'JCT_JSON_INVALID', message: 'the request body is empty but its content type is application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'JCT_BODY_LENGTH_INVALID', message: 'the request body size does not match Content-Length' },
  FST_ERR_BAD_URL: { status: 400, code: 'JCT_URL_INVALID', message: 'the URL is not valid (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'JCT_URL_TOO_LONG', message: 'a URL parameter is too long' },
};

const INTERNAL: Answer = { status: 500, code: 'JCT_INTERNAL', message: 'internal error' };
const BAD_REQUEST: Omit<Answer, 'status'> = { code: 'JCT_BAD_REQUEST', message: 'the request could not be read' };

/** The answer to an error: what the client may see of it. */
export function answerFor(err: unknown): Answer {
  if (err instanceof PeerError) return { status: err.status, ...err.toJSON() }; // as the process that carried the call out answered
  // JCT_INTERNAL wraps whatever was thrown: its message is not for clients.
  if (err instanceof JunctionError && err.code !== INTERNAL.code) return { status: JUNCTION_STATUS[err.code] ?? 400, ...err.toJSON() };
  const { code, statusCode } = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  const known = typeof code === 'string' ? FRAMEWORK[code] : undefined;
  if (known) return known;
  // Another client error the framework raised (e.g. the request stream broke): its status, a generic message.
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return { status: statusCode, ...BAD_REQUEST };
  return INTERNAL;
}

/**
 * Node's `clientError`: a request too malformed for the server to read (a bad header line, a
 * body longer than its Content-Length, headers too large, too slow to arrive) is answered in the
 * one error shape, counted, and its connection closed.
 */
export function clientErrorAnswer(counts: ErrorCounts): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    answerOnSocket(counts, socket, unreadable(err.code));
  };
}

/**
 * ws's `wsClientError`: a WebSocket upgrade whose handshake ws refuses (no or a malformed
 * Sec-WebSocket-Key, an unknown Sec-WebSocket-Version, …) is answered in the one error shape,
 * counted, and its connection closed (ws alone answers it in HTML).
 */
export function handshakeErrorAnswer(counts: ErrorCounts): (err: Error, socket: Duplex) => void {
  return (err, socket) => {
    if (socket.destroyed) return;
    answerOnSocket(counts, socket, { status: 400, code: 'JCT_WEBSOCKET_HANDSHAKE', message: `the WebSocket handshake is invalid: ${err.message}` });
  };
}

/** How long a connection answered on its socket may stay half-closed before it is cut (ms). */
const LINGER_MS = 2000;

/**
 * Answers on a connection Fastify does not answer (the request was not read, or was handed to
 * ws), then closes it: our side ends once the answer is sent, and what the client still sends is
 * read and dropped until it closes too (at most LINGER_MS). Destroyed at once, a connection whose
 * client was still sending (a request trickled past its deadline) was reset by the system, and
 * the client could lose the answer with the reset.
 */
function answerOnSocket(counts: ErrorCounts, socket: Duplex, { status, code, message }: Answer): void {
  count(counts, status, code);
  const body = JSON.stringify({ error: { code, message, details: {} } });
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  if (!socket.writable) return void socket.destroy();
  socket.end(head + body);
  socket.resume();
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
}

function count(counts: ErrorCounts, status: number, code: string): void {
  const forStatus = (counts[status] ??= {});
  forStatus[code] = (forStatus[code] ?? 0) + 1;
}

function unreadable(nodeCode: string | undefined): Answer {
  if (nodeCode === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'JCT_REQUEST_TIMEOUT', message: 'the request took too long to arrive' };
  if (nodeCode === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'JCT_HEADERS_TOO_LARGE', message: 'the request headers are too large' };
  return { status: 400, code: BAD_REQUEST.code, message: 'the request is not valid HTTP' };
}

/** One function for Fastify's error handler, not-found handler and frameworkErrors; `now` times the outage warnings. */
export function errorReplier(counts: ErrorCounts, logger: ErrorLogger, now: () => number = Date.now) {
  const warnOnce = throttledWarning(logger, now);
  return (err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { status, code, message, details } = answerFor(err);
    count(counts, status, code);
    const error = { code, message, details: status >= 500 ? { ...details, requestId: req.id } : (details ?? {}) };
    const where = { requestId: req.id, method: req.method, route: req.routeOptions.url };
    if ((status === 503 && OUTAGE_CODES.has(code)) || WEBHOOK_REFUSALS.has(code)) warnOnce({ code, status, message, details: error.details, ...where });
    else if (status >= 500) logger.error({ err, ...where }, 'request failed');
    else logger.debug?.({ code, ...where, status }, 'request refused');
    if (status === 503) void reply.header('retry-after', RETRY_AFTER_BY_CODE[code] ?? RETRY_AFTER_S);
    return reply.status(status).send({ error });
  };
}

interface Refusal {
  code: string;
  status: number;
  message: string;
  details: ErrorDetails;
  requestId: string;
  method: string;
  route: string | undefined;
}

/** Logs a refusal as a warning, once per code and route every OUTAGE_LOG_MS; the next line says how many were left out. */
function throttledWarning(logger: ErrorLogger, now: () => number): (refusal: Refusal) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  const warn = (logger.warn ?? logger.error).bind(logger);
  return (refusal) => {
    const key = `${refusal.code} ${refusal.route ?? ''}`;
    const seen = last.get(key);
    if (seen !== undefined && now() - seen.at < OUTAGE_LOG_MS) {
      seen.suppressed++;
      return;
    }
    const { message, status, details, ...fields } = refusal;
    warn({ ...fields, ...(Object.keys(details).length > 0 ? { details } : {}), suppressed: seen?.suppressed ?? 0 }, `request refused (${status}): ${message}`);
    last.set(key, { at: now(), suppressed: 0 });
  };
}
