// The notifyUrl of an add-participants request (moments.ts): once the operation's report is
// final it is POSTed there as JSON, in the background (the request's answer never waits), each
// attempt at most 10 s, up to 3 attempts 1 s then 2 s apart after a network error or a 5xx.
// Only http and https URLs are taken, and never one whose address is link-local (cloud metadata;
// engine/effects/address-guard.ts), nor a loopback or private one when the core module's
// `httpPrivateAddresses` refuses them, as for Call webhooks: that call fails at once. A call that fails for good is logged with the URL's origin
// and path only (its user, password and query may hold secrets), never the report. Calls still
// pending when the app closes are abandoned.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { JunctionError } from '../../engine/errors.js';
import { AddressRefused } from '../../engine/effects/address-guard.js';
import { guardedRequest } from '../../engine/effects/guarded-request.js';
import type { ErrorLogger } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Posts reports to notifyUrls (gateway/api/notify.ts). */
    readonly notifier: Notifier;
  }
}

export interface NotifyOptions {
  readonly timeoutMs: number;
  readonly attempts: number;
  /** Wait before the second attempt; doubled before each next one. */
  readonly backoffMs: number;
  /** Whether loopback and private addresses may be called (the core module's `httpPrivateAddresses`). */
  readonly allowPrivate: boolean;
}

const DEFAULTS: NotifyOptions = { timeoutMs: 10_000, attempts: 3, backoffMs: 1000, allowPrivate: true };

/** Why an attempt failed, and whether another may succeed. */
interface Failure {
  readonly reason: string;
  readonly retry: boolean;
}

/** The URL a request asks to be notified at; JCT_NOTIFY_URL_INVALID unless http or https. */
export function notifyTarget(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new JunctionError('JCT_NOTIFY_URL_INVALID', 'notifyUrl must be an absolute http or https URL');
  return url;
}

export function registerNotify(app: FastifyInstance, logger: ErrorLogger, options: Partial<NotifyOptions> = {}): void {
  const notifier = new Notifier(logger, options);
  app.decorate('notifier', notifier);
  app.addHook('onClose', () => notifier.close());
}

export class Notifier {
  private readonly closing = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private readonly options: NotifyOptions;

  constructor(
    private readonly logger: ErrorLogger,
    options: Partial<NotifyOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Starts posting `body` to `url`; the promise (settled once done or given up) never rejects. */
  send(url: URL, body: unknown): Promise<void> {
    const call = this.deliver(url, JSON.stringify(body)).finally(() => this.pending.delete(call));
    this.pending.add(call);
    return call;
  }

  /** Abandons pending calls. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled(this.pending);
  }

  private async deliver(url: URL, body: string): Promise<void> {
    let failure: Failure | undefined;
    let attempt = 0;
    do {
      if (attempt > 0) await sleep(this.options.backoffMs * 2 ** (attempt - 1), undefined, { signal: this.closing.signal }).catch(() => undefined);
      if (this.closing.signal.aborted) return;
      failure = await this.attempt(url, body);
      attempt++;
    } while (failure?.retry && attempt < this.options.attempts);
    if (failure && !this.closing.signal.aborted) {
      this.logger.error({ notifyUrl: `${url.origin}${url.pathname}`, attempts: attempt, reason: failure.reason }, 'notifyUrl call failed');
    }
  }

  private async attempt(url: URL, body: string): Promise<Failure | undefined> {
    const request = { method: 'POST', headers: { 'content-type': 'application/json' }, body, allowPrivate: this.options.allowPrivate, timeoutMs: this.options.timeoutMs, signal: this.closing.signal };
    try {
      const status = await guardedRequest(url, request, async (answer) => {
        await answer.body.dump();
        return answer.statusCode;
      });
      if (status < 300) return undefined;
      return { reason: `status ${status}`, retry: status >= 500 };
    } catch (err) {
      return err instanceof AddressRefused ? { reason: `address ${err.message}`, retry: false } : { reason: reasonOf(err), retry: true };
    }
  }
}

/** An error's code (ECONNREFUSED, UND_ERR_…) or name (TimeoutError): never its message, which may quote the URL. */
function reasonOf(err: unknown): string {
  const { code, name } = err as { code?: unknown; name?: unknown };
  return typeof code === 'string' ? code : String(name);
}
