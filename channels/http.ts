// The HTTP client providers send through: one undici connection pool per provider module
// (keep-alive, so a busy sender reuses its connections), a timeout per call, and one reading
// of the answer shared by every provider: 2xx is the provider's answer; 408, 429 and 5xx are
// retryable (after the provider's Retry-After when it gives one); other 4xx fail for good;
// a network error or timeout is retryable. Errors carry stable codes and the provider's words.
import type { Agent } from 'undici';
import { EffectFailure, retryAfterMs } from '../engine/errors.js';
import { lazyRequire } from '../engine/lazy-require.js';

const undici = lazyRequire<typeof import('undici')>('undici');

export interface ProviderCall {
  readonly url: string;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as application/json. */
  readonly json?: unknown;
  /** Sent as application/x-www-form-urlencoded; a list repeats the key. */
  readonly form?: Readonly<Record<string, string | readonly string[]>>;
  /** Sent exactly as given (e.g. bytes a signature was computed over). */
  readonly text?: { readonly body: string; readonly type: string };
}

export interface ProviderAnswer {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** What an adapter makes of its provider's refusal: the words to report, and whether it means "slow down". */
export interface Explanation {
  readonly words: string;
  readonly throttled?: boolean;
}

/** Reads a provider's error answer; undefined keeps the generic report. */
export type Explain = (answer: ProviderAnswer) => Explanation | undefined;

export class ProviderHttp {
  /** The connection pool, made by the first call. */
  private pool: Agent | undefined;

  constructor(
    private readonly provider: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * Performs the call; resolves with a 2xx answer, throws EffectFailure otherwise, in the
   * provider's own words when `explain` reads them (a throttling answer stays retryable).
   */
  async call(c: ProviderCall, explain?: Explain): Promise<ProviderAnswer> {
    const answer = await this.send(c);
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw this.refusal(answer, explain?.(answer));
  }

  close(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
  }

  private get agent(): Agent {
    return (this.pool ??= new (undici().Agent)({ keepAliveTimeout: 30_000, connections: 64 }));
  }

  private async send(c: ProviderCall): Promise<ProviderAnswer & { retryAfter: string | undefined }> {
    const { body, type } = bodyOf(c);
    try {
      const res = await undici().request(c.url, {
        method: c.method ?? 'POST',
        headers: { ...(type ? { 'content-type': type } : {}), ...c.headers },
        body,
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, text, json: parseJson(text), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
    } catch (err) {
      throw new EffectFailure('JCT_SEND_UNREACHABLE', `${this.provider} could not be reached: ${(err as Error).message}`, true);
    }
  }

  private refusal(a: ProviderAnswer & { retryAfter: string | undefined }, why: Explanation | undefined): EffectFailure {
    const said = `${this.provider} answered ${a.status}: ${why?.words ?? a.text.slice(0, 300)}`;
    if (a.status === 429 || why?.throttled) return new EffectFailure('JCT_SEND_THROTTLED', said, true, retryAfterMs(a.retryAfter, Date.now()));
    if (a.status === 408 || a.status >= 500) return new EffectFailure('JCT_SEND_UNAVAILABLE', said, true, retryAfterMs(a.retryAfter, Date.now()));
    return new EffectFailure('JCT_SEND_REJECTED', said, false);
  }
}

/** The Authorization header of HTTP Basic authentication. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function bodyOf(c: ProviderCall): { body: string | undefined; type: string | undefined } {
  if (c.text !== undefined) return c.text;
  if (c.json !== undefined) return { body: JSON.stringify(c.json), type: 'application/json' };
  if (c.form === undefined) return { body: undefined, type: undefined };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(c.form)) for (const item of typeof v === 'string' ? [v] : v) params.append(k, item);
  return { body: params.toString(), type: 'application/x-www-form-urlencoded' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
