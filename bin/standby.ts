// Cluster mode's waiting room: until this process holds the lease (engine/store/postgres-lease.ts,
// or redis-lease.ts on the Redis store alone)
// it serves, on Junction's own address, a small HTTP server that says it stands by
// (GET /healthz 200 {"status":"standby"}; GET /readyz 503 JCT_STANDBY) and forwards every other
// request, unchanged (method, path, headers, body), to the owner's advertised address, so a
// load balancer may send anything to any process. With no owner serving, or the owner out of
// reach, requests get 503 JCT_STANDBY with Retry-After. Once the lease is taken, the server
// closes and `junction start` opens the store and listens on the same port in its place.
// SIGINT/SIGTERM while standing by stop it gracefully: `stopping` is logged, the server and the
// wait for the lease are closed, exit 0.
// WebSocket upgrades are not forwarded: they get the same 503 (clients reconnect). A forwarded
// request carries `x-junction-forwarded`; a standby does not forward it again (an advertised
// address that leads back to a standby, e.g. a load balancer's, would otherwise loop). It also
// carries the caller's address appended to X-Forwarded-For, which the owner believes when the
// standby's address is in its `trustProxy`.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as secureRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { pino } from 'pino';
import type { JunctionConfig } from '../config/index.js';
import type { LeaseHolder, LeaseOptions } from '../engine/store/lease.js';
import { acquireLease, type ClusterLease } from './store.js';
import { listenError } from './listen.js';

/** The header a forwarded request carries. */
const FORWARDED = 'x-junction-forwarded';

/** Exit code of a process that lost its lease: its working state is stale; restarted, it stands by. */
const LEASE_LOST_EXIT = 3;

/** Waits (serving as a standby) until this process owns the partitions; returns the lease and the port it stood by on. */
export async function standBy(config: JunctionConfig, logger: pino.Logger): Promise<{ lease: ClusterLease; port: number }> {
  let owner: LeaseHolder | undefined;
  const server = createServer((req, res) => answerStandingBy(req, res, owner));
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\n\r\n'));
  const port = await listen(server, config);
  logger.info({ address: `http://${config.host}:${port}` }, 'Junction is standing by');
  const options: LeaseOptions = {
    ttlMs: config.leaseMs,
    pollMs: askEvery(config.leaseMs),
    unreachableForMs: config.storeStartTimeoutS * 1000,
    onWait: (holder) => {
      if (holder.owner !== owner?.owner || holder.address !== owner.address) logger.info({ owner: holder.owner, address: holder.address, token: holder.token }, 'standing by: another process owns the partitions');
      owner = holder;
    },
    onStoreError: (err) => logger.warn({ code: err.code }, `standing by: ${err.message}`),
    onLost: (reason) => {
      logger.fatal({ code: 'JCT_LEASE_LOST', reason }, `this process lost its lease (${reason === 'taken' ? 'another process took it over' : 'a commit was fenced'}): its state is stale, it stops (exit ${LEASE_LOST_EXIT}); started again it stands by`);
      process.exit(LEASE_LOST_EXIT);
    },
  };
  const stop = stopOnSignal(logger);
  const lease = await acquireLease(config, { ...options, signal: stop.signal })
    .finally(() => {
      stop.forget();
      return close(server);
    })
    .catch((err: unknown) => (stop.signal.aborted ? process.exit(0) : Promise.reject(err)));
  logger.info({ owner: lease.owner, token: lease.token }, 'took the lease: this process owns the partitions');
  return { lease, port };
}

/** While standing by, SIGINT/SIGTERM log `stopping` and abort `signal` (the wait for the lease); forget() hands the signals back to start. */
function stopOnSignal(logger: pino.Logger): { signal: AbortSignal; forget(): void } {
  const stopping = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping');
    stopping.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: stopping.signal,
    forget: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** How often a standby asks for the lease: a tenth of its length, between 0.1 and 0.5 s (one small query each), so a takeover waits little past the lease's end. */
export function askEvery(leaseMs: number): number {
  return Math.min(500, Math.max(100, Math.round(leaseMs / 10)));
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function listen(server: Server, config: JunctionConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, config)));
    server.listen(config.port, config.host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** What a standby answers a request: its own health, or the request forwarded to `owner`, or 503. */
export function answerStandingBy(req: IncomingMessage, res: ServerResponse, owner: LeaseHolder | undefined): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && (path === '/healthz' || path === '/health')) return json(res, 200, { status: 'standby' });
  if (path === '/readyz') return refuse(res, owner, `this process stands by: ${owner?.address ? 'another process owns the partitions' : 'no owner of the partitions serves yet'}`);
  if (owner === undefined || owner.address === '' || req.headers[FORWARDED] !== undefined) return refuse(res, owner);
  forward(req, res, owner);
}

/** Sends the request to the owner as it came, and its answer back as it comes. */
function forward(req: IncomingMessage, res: ServerResponse, owner: LeaseHolder): void {
  const target = new URL(owner.address);
  const send = target.protocol === 'https:' ? secureRequest : request;
  const headers = { ...req.headers, [FORWARDED]: '1', 'x-forwarded-for': forwardedFor(req) };
  const upstream = send({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answered) => {
    res.writeHead(answered.statusCode ?? 502, answered.headers);
    answered.pipe(res);
  });
  upstream.on('error', () => (res.headersSent ? res.destroy() : refuse(res, owner)));
  req.pipe(upstream);
}

/** The X-Forwarded-For chain the request came with, the caller's address appended. */
function forwardedFor(req: IncomingMessage): string {
  const caller = req.socket.remoteAddress ?? 'unknown';
  const before = req.headers['x-forwarded-for'];
  return before ? `${String(before)}, ${caller}` : caller;
}

function refuse(res: ServerResponse, owner: LeaseHolder | undefined, message = refusal(owner)): void {
  res.setHeader('retry-after', '1');
  json(res, 503, { error: { code: 'JCT_STANDBY', message, details: { owner: owner?.owner ?? null } } });
}

function refusal(owner: LeaseHolder | undefined): string {
  return owner?.address ? 'this process stands by; the owner of the partitions did not answer' : 'this process stands by and no owner of the partitions serves yet';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
