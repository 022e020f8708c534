// Cluster mode's waiting room: until this process holds the lease (engine/store/postgres-lease.ts,
// or redis-lease.ts on the Redis store alone)
// it serves, on Junction's own address, a small HTTP server that says it stands by
// (GET /healthz 200 {"status":"standby"}; GET /readyz 503 JCT_STANDBY; GET /metrics, open, only
// junction_standing_by 1) and forwards every other
// request, unchanged (method, path, headers, body), to the owner's advertised address, so a
// load balancer may send anything to any process. With no owner serving, or the owner out of
// reach, requests get 503 JCT_STANDBY with Retry-After. Once the lease is taken the server keeps
// the port: it answers 503 JCT_STANDBY (Retry-After: 1) while `junction start` opens the store
// and recovers, and the app then serves its requests (gateway/listening-server.ts), so a client
// is never refused a connection nor cut off during a takeover.
// SIGINT/SIGTERM while standing by stop it gracefully: `stopping` is logged, the server and the
// wait for the lease are closed, `stopped` is logged (with how long it took), exit 0; a second
// signal forces the stop (stopping.ts). That holds from before it says it stands by until it logs
// `took the lease`, when start's Stopping has the signals: a signal that comes as the lease is
// being taken stops it all the same, the lease released (lease.ts).
// WebSocket upgrades are not forwarded: they get the same 503 (clients reconnect). A forwarded
// request carries `x-junction-forwarded`; a standby does not forward it again (an advertised
// address that leads back to a standby, e.g. a load balancer's, would otherwise loop). It also
// carries the caller's address appended to X-Forwarded-For, which the owner believes when the
// standby's address is in its `trustProxy`. A process listening on every address (0.0.0.0) with no
// advertiseUrl is warned at start (JCT_ADVERTISE_URL_UNSET): others on other machines could not reach it.
import { request, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { request as secureRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { pino } from 'pino';
import type { JunctionConfig, SettingNamer } from '../config/index.js';
import type { LeaseHolder, LeaseOptions } from '../engine/store/lease.js';
import type { ListeningServer } from '../gateway/listening-server.js';
import { JunctionError } from '../engine/errors.js';
import { mendedByWaiting } from '../engine/store/mended-by-waiting.js';
import { connectionLimits, limitedServer } from '../gateway/connection-limits.js';
import { STANDING_BY } from '../gateway/metrics.js';
import { acquireLease, type ClusterLease } from './store.js';
import { listenError } from './listen.js';
import { forceOnSignal } from './stopping.js';

/** The header a forwarded request carries. */
const FORWARDED = 'x-junction-forwarded';

/** How long a forward may wait without a byte from the owner (ms): an owner paused or cut off must not hold the caller for ever. */
const FORWARD_IDLE_MS = 30_000;

/** A standby's metrics (Prometheus text): only that it stands by; the app says 0 (gateway/metrics.ts). */
const STANDBY_METRICS = `# HELP ${STANDING_BY.name} ${STANDING_BY.help}\n# TYPE ${STANDING_BY.name} gauge\n${STANDING_BY.name} 1\n`;
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Exit code of a process that lost its lease: its working state is stale; restarted, it stands by. */
const LEASE_LOST_EXIT = 3;

/**
 * The standby's server once this process holds the lease, still listening on Junction's port:
 * it answers 503 JCT_STANDBY until `serve` hands its requests to the app. Until then it does not
 * keep the process alive, so that a start failing meanwhile ends.
 */
export interface HeldServer extends ListeningServer {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly address: string;
}

/** Waits (serving as a standby) until this process owns the partitions; returns the lease and the server it stood by on, kept listening. `named` names the settings in errors. */
export async function standBy(config: JunctionConfig, logger: pino.Logger, named: SettingNamer): Promise<{ lease: ClusterLease; server: HeldServer }> {
  const seen: Seen = {};
  let answer: RequestListener = (req, res) => answerStandingBy(req, res, seen.owner);
  const server = limitedServer(connectionLimits(config), (req, res) => answer(req, res)); // the app serves on it later: its limits are the app's
  const stop = stopOnSignal(logger); // before it listens and says so: from then on a signal stops it gracefully, never Node's default
  const { lease, address } = await listenForLease(server, config, { logger, named, seen, signal: stop.signal })
    .finally(() => stop.forget())
    .catch(async (err: unknown) => {
      await close(server);
      if (!stop.signal.aborted) return Promise.reject(gaveUp(err, config, named));
      logger.info({ ms: Math.round(performance.now() - stop.since()) }, 'stopped');
      return process.exit(0);
    });
  answer = (req, res) => answerTakingOver(req, res, lease.owner);
  server.unref();
  logger.info({ owner: lease.owner, token: lease.token }, 'took the lease: this process owns the partitions');
  const serve = (handler: RequestListener): void => {
    answer = handler;
    server.ref();
  };
  return { lease, server: { server, address, serve } };
}

/** The error a standby ends with: a store out of reach says how long it was waited for, and which setting says so. */
function gaveUp(err: unknown, config: JunctionConfig, named: SettingNamer): unknown {
  if (!(err instanceof JunctionError) || !mendedByWaiting(err)) return err;
  return new JunctionError(err.code, `${err.message}; standing by, gave up after ${config.storeStartTimeoutS} s out of reach (${named('storeStartTimeoutS')})`, err.details);
}

/** Who holds the lease, as last seen while standing by. */
interface Seen {
  owner?: LeaseHolder;
}

/** Listens on Junction's address and says it stands by, then waits for the lease (an aborted `signal` ends the wait); returns it and where it listens. */
async function listenForLease(
  server: Server,
  config: JunctionConfig,
  { logger, named, seen, signal }: { logger: pino.Logger; named: SettingNamer; seen: Seen; signal: AbortSignal },
): Promise<{ lease: ClusterLease; address: string }> {
  const listening = await listen(server, config, named);
  const address = addressOf(listening);
  logger.info({ address }, 'Junction is standing by');
  const unreachable = unreachableAdvertisement(config.advertiseUrl, listening);
  if (unreachable !== undefined) logger.warn({ code: 'JCT_ADVERTISE_URL_UNSET', address }, unreachable);
  const options: LeaseOptions = {
    ttlMs: config.leaseMs,
    address: config.advertiseUrl || address,
    pollMs: askEvery(config.leaseMs),
    unreachableForMs: config.storeStartTimeoutS * 1000,
    onWait: (holder) => {
      if (holder.owner !== seen.owner?.owner || holder.address !== seen.owner.address) logger.info({ owner: holder.owner, address: holder.address, token: holder.token }, 'standing by: another process owns the partitions');
      seen.owner = holder;
    },
    onStoreError: (err) => logger.warn({ code: err.code }, `standing by: ${err.message}`),
    onStoreBack: () => logger.info({ code: 'JCT_STORE_BACK' }, 'standing by: the store is back'),
    onLost: (reason) => {
      logger.fatal({ code: 'JCT_LEASE_LOST', reason }, `this process lost its lease (${reason === 'taken' ? 'another process took it over' : 'a commit was fenced'}): its state is stale, it stops (exit ${LEASE_LOST_EXIT}); started again it stands by`);
      process.exit(LEASE_LOST_EXIT);
    },
    signal,
  };
  return { lease: await acquireLease(config, options), address };
}

/** While standing by, SIGINT/SIGTERM log `stopping` and abort `signal` (the wait for the lease; since(): when); forget() hands the signals back to start. */
function stopOnSignal(logger: pino.Logger): { signal: AbortSignal; since(): number; forget(): void } {
  const stopping = new AbortController();
  let at = 0;
  const stop = (signal: NodeJS.Signals): void => {
    at = performance.now();
    forget();
    forceOnSignal(logger, 'standing by');
    logger.info({ signal }, 'stopping');
    stopping.abort();
  };
  const forget = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: stopping.signal,
    since: () => at,
    forget,
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

function listen(server: Server, config: JunctionConfig, named: SettingNamer): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, config, named)));
    server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo));
  });
}

/**
 * Why the address this process would advertise once it owns the partitions cannot be reached from
 * other machines: none given (advertiseUrl) while it listens on every address (0.0.0.0 or ::),
 * so the others would be told http://0.0.0.0:port, which is their own machine. Undefined when fine.
 */
export function unreachableAdvertisement(advertiseUrl: string, { address, port }: AddressInfo): string | undefined {
  if (advertiseUrl !== '' || (address !== '0.0.0.0' && address !== '::')) return undefined;
  return `no advertiseUrl (JUNCTION_ADVERTISE_URL) while listening on every address: once this process owns the partitions, the others forward requests to ${address === '::' ? '[::]' : address}:${port}, which from another machine is that machine itself; set it to the URL the other processes reach this one at, e.g. http://10.0.0.7:${port}`;
}

/** The URL of a listening address, an IPv6 one in brackets. */
function addressOf({ address, family, port }: AddressInfo): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/** What a standby answers a request: its own health, or the request forwarded to `owner`, or 503. */
export function answerStandingBy(req: IncomingMessage, res: ServerResponse, owner: LeaseHolder | undefined, idleMs = FORWARD_IDLE_MS): void {
  if (answeredOwn(req, res)) return;
  if (pathOf(req) === '/readyz') return refuse(res, owner?.owner, `this process stands by: ${owner?.address ? 'another process owns the partitions' : 'no owner of the partitions serves yet'}`);
  if (owner === undefined || owner.address === '' || req.headers[FORWARDED] !== undefined || req.headers.upgrade !== undefined) return refuse(res, owner?.owner, refusal(owner));
  forward(req, res, owner, idleMs);
}

/** What a standby answers once it holds the lease (`self` names it), until its state is recovered: its health, else 503. */
export function answerTakingOver(req: IncomingMessage, res: ServerResponse, self: string): void {
  if (!answeredOwn(req, res)) refuse(res, self, 'this process is taking over the partitions: it serves once its state is recovered');
}

/**
 * Answers what a standby says of itself: GET /healthz (and /health, its older name), it is alive;
 * GET /metrics, that it stands by (never the owner's metrics: a scrape of each process would
 * count the owner's series twice).
 */
function answeredOwn(req: IncomingMessage, res: ServerResponse): boolean {
  const path = pathOf(req);
  if (req.method !== 'GET') return false;
  if (path === '/healthz' || path === '/health') json(res, 200, { status: 'standby' });
  else if (path === '/metrics') res.writeHead(200, { 'content-type': METRICS_TYPE }).end(STANDBY_METRICS);
  else return false;
  return true;
}

function pathOf(req: IncomingMessage): string | undefined {
  return (req.url ?? '/').split('?')[0];
}

/** Sends the request to the owner as it came, and its answer back as it comes. */
function forward(req: IncomingMessage, res: ServerResponse, owner: LeaseHolder, idleMs: number): void {
  const target = new URL(owner.address);
  const send = target.protocol === 'https:' ? secureRequest : request;
  const headers = { ...req.headers, [FORWARDED]: '1', 'x-forwarded-for': forwardedFor(req) };
  const upstream = send({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answered) => {
    res.writeHead(answered.statusCode ?? 502, answered.headers);
    answered.pipe(res);
  });
  upstream.setTimeout(idleMs, () => upstream.destroy(new Error('the owner did not answer')));
  upstream.on('error', () => (res.headersSent ? res.destroy() : refuse(res, owner.owner, refusal(owner))));
  req.pipe(upstream);
}

/** The X-Forwarded-For chain the request came with, the caller's address appended. */
function forwardedFor(req: IncomingMessage): string {
  const caller = req.socket.remoteAddress ?? 'unknown';
  const before = req.headers['x-forwarded-for'];
  return before ? `${String(before)}, ${caller}` : caller;
}

/** 503 JCT_STANDBY with Retry-After: 1; details name the owner of the partitions, if any. */
function refuse(res: ServerResponse, owner: string | undefined, message: string): void {
  res.setHeader('retry-after', '1');
  json(res, 503, { error: { code: 'JCT_STANDBY', message, details: { owner: owner ?? null } } });
}

function refusal(owner: LeaseHolder | undefined): string {
  return owner?.address ? 'this process stands by; the owner of the partitions did not answer' : 'this process stands by and no owner of the partitions serves yet';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
