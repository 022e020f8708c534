// Who may call which route, and how often. Every route says in its options what a caller needs:
// `config: { scope: 'people' }` (a key with that scope, or admin), `config: { open: true }`
// (anyone), `config: { open: 'signature' }` (anyone; a webhook that verifies its provider's
// signature itself), `config: { open: 'probe' }` (anyone; a health check, not rate limited, so
// a load balancer's probe is never refused because its address also sends other requests),
// `config: { open: 'cluster' }` (another process of the cluster; the route checks the cluster
// secret itself, and is not rate limited: gateway/cluster/); a route that says nothing needs an admin key. Keys arrive as
// `Authorization: App <key>` or `Bearer <key>`, in one header: a request carrying several
// Authorization headers is refused (400), since Node keeps only the first and a proxy in front
// may have read another. Each key may make `perSecond` requests a
// second, anonymous callers as much per address (rate-limit.ts: in memory, or in Redis);
// webhooks and health checks are not limited. Key texts are never logged or kept: only their hash is compared.
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { JunctionError } from '../../engine/errors.js';
import type { RouteAccess, Scope } from '../../engine/module.js';
import { hashOf, sameHash, type Caller, type KeyStore } from './keys.js';
import { rateLimiter, type LimitOptions } from './rate-limit.js';
import { requireSingleHeader } from '../single-header.js';

export type { Scope } from '../../engine/module.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs for this route (an admin key has every scope). */
    scope?: Scope;
    /** Anyone may call it: `true`; `'signature'`: a webhook verifying its provider's signature; `'probe'`: a health check; `'cluster'`: a call from another process of the cluster, checking the cluster secret (none of the three rate limited). */
    open?: boolean | 'signature' | 'probe' | 'cluster';
  }
  interface FastifyRequest {
    /** Whose key the request carried, once checked (undefined on open routes). */
    caller: Caller | undefined;
  }
}

export interface GuardOptions extends LimitOptions {
  readonly keys: KeyStore;
  /** A key accepted as admin besides the stored ones (configuration `adminKey`); "" or undefined: none. */
  readonly adminKey?: string;
}

/** The id rate limits and logs know the configured admin key by. */
export const CONFIGURED_ADMIN = 'configured-admin';

const SCHEME = /^(?:app|bearer) +(\S+)$/i;

/** Whether a caller's key still works: not revoked since its request was let in (the configured admin key always does). */
export function stillAllowed(keys: KeyStore, caller: Caller): boolean {
  return caller.id === CONFIGURED_ADMIN || keys.isActive(caller.id);
}

/** A module route's access (engine/module.ts) as route options. */
export function routeConfig(access: RouteAccess = 'admin'): FastifyContextConfig {
  if (access === 'signature') return { open: 'signature' };
  if (access === 'open') return { open: true };
  return { scope: access };
}

/** Checks every request of the app (an onRequest hook) against its route's options. */
export function guard(app: FastifyInstance, options: GuardOptions): void {
  const adminHash = options.adminKey ? hashOf(options.adminKey) : undefined;
  const callerOf = (text: string): Caller | undefined =>
    adminHash !== undefined && sameHash(hashOf(text), adminHash) ? { id: CONFIGURED_ADMIN, scopes: ['admin'] } : options.keys.verify(text);
  app.decorateRequest('caller', undefined);
  const limit = rateLimiter(app, options);
  app.addHook('onRequest', async (req, reply) => {
    const { open, scope = 'admin' } = req.routeOptions.config;
    if (open === 'signature' || open === 'probe' || open === 'cluster') return;
    if (open || req.is404) return limit(req, reply);
    const text = keyText(req);
    if (text !== undefined) requireSingleHeader(req.raw, 'Authorization', 'JCT_AUTH_AMBIGUOUS');
    req.caller = text === undefined ? undefined : callerOf(text);
    await limit(req, reply); // before answering a bad key: guessing is rate limited too
    if (text !== undefined && !req.caller) req.caller = await options.keys.verifyUnseen(text); // a key another process created moments ago
    if (text === undefined) throw unauthorized(reply, 'JCT_AUTH_MISSING', 'this route needs an API key: send "Authorization: Bearer <key>"');
    if (!req.caller) throw unauthorized(reply, 'JCT_AUTH_INVALID', 'the API key is not valid (unknown, revoked or malformed); send "Authorization: Bearer <key>"');
    if (!req.caller.scopes.includes('admin') && !req.caller.scopes.includes(scope)) {
      throw new JunctionError('JCT_SCOPE_MISSING', `this route needs a key with the scope "${scope}" (or "admin")`, { scope });
    }
  });
}

/** The key the Authorization header carries; "" when the header is there but not `App|Bearer <key>`. */
function keyText(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return SCHEME.exec(header.trim())?.[1] ?? '';
}

function unauthorized(reply: FastifyReply, code: string, message: string): JunctionError {
  reply.header('www-authenticate', 'Bearer');
  return new JunctionError(code, message);
}
