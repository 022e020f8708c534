// Calls to the engine of a shard that another process of the cluster holds (decision 0018,
// piece 5): `POST <peer>/_junction/shards/<shard>/<name>` with `{ "args": ... }` and the cluster
// secret, which gateway/cluster/shard-calls.ts answers. One undici Agent keeps a pool of
// keep-alive connections per peer address. A 2xx answer gives the call's result; an error answer
// is thrown again here as a PeerError with the peer's code, message, details and status, so the
// gateway answers as the peer did; a peer out of reach, or silent for too long, is
// JCT_SHARD_UNREACHABLE (503: the facade or the client tries again once the shard has moved).
import type { Agent } from 'undici';
import { JunctionError, type ErrorDetails } from '../errors.js';
import { lazyRequire } from '../lazy-require.js';

const undici = lazyRequire<typeof import('undici')>('undici');

/** The header carrying the cluster secret. */
export const CLUSTER_SECRET_HEADER = 'x-junction-cluster';
/** Where the shard calls are: `<SHARD_CALLS_PATH>/<shard>/<call>`. */
export const SHARD_CALLS_PATH = '/_junction/shards';

/**
 * Longest wait for a peer's answer to begin (its headers), and then between two chunks of its
 * body (ms). A call is carried out by the peer's engine before it answers, in milliseconds even
 * under load: 30 s of silence means the peer is stuck or cut off, not busy (as a standby's
 * forwards, bin/standby.ts).
 */
const ANSWER_TIMEOUT_MS = 30_000;
/** Connections kept to each peer; calls beyond them wait for one. */
const CONNECTIONS_PER_PEER = 64;

/** A peer's error answer: its code, message and details, and the status it answered with. */
export class PeerError extends JunctionError {
  readonly status: number;

  constructor(status: number, code: string, message: string, details?: ErrorDetails) {
    super(code, message, details);
    this.name = 'PeerError';
    this.status = status;
  }
}

export class PeerCalls {
  /** The connection pools (one per peer), made by the first call. */
  private agent: Agent | undefined;

  constructor(private readonly secret: string) {}

  /**
   * The result of the call `name` with `args` by the engine of `shard` at `address` (the peer's
   * origin, e.g. http://10.0.0.7:8080). Throws a PeerError when the peer refused or the call
   * failed there, JCT_SHARD_UNREACHABLE when no answer came (then the call may or may not have
   * been carried out).
   */
  async call(address: string, shard: number, name: string, args: unknown): Promise<unknown> {
    const where: Where = { address, shard, call: name };
    let status: number;
    let text: string;
    try {
      const answer = await undici().request(new URL(`${SHARD_CALLS_PATH}/${shard}/${encodeURIComponent(name)}`, address), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CLUSTER_SECRET_HEADER]: this.secret },
        body: JSON.stringify({ args }),
        dispatcher: this.pools,
        headersTimeout: ANSWER_TIMEOUT_MS,
        bodyTimeout: ANSWER_TIMEOUT_MS,
      });
      status = answer.statusCode;
      text = await answer.body.text();
    } catch (err) {
      const reason = (err as { code?: unknown }).code ?? (err as Error).message;
      throw new JunctionError('JCT_SHARD_UNREACHABLE', `the process at ${address} holding shard ${shard} did not answer (${String(reason)}); try again`, { ...where, reason });
    }
    return resultOf(status, text, where);
  }

  /** Closes every connection; calls made afterwards fail. */
  async close(): Promise<void> {
    await this.agent?.close();
  }

  private get pools(): Agent {
    return (this.agent ??= new (undici().Agent)({ connections: CONNECTIONS_PER_PEER }));
  }
}

interface Where {
  readonly address: string;
  readonly shard: number;
  readonly call: string;
}

interface Body {
  readonly result?: unknown;
  readonly error?: { readonly code?: unknown; readonly message?: unknown; readonly details?: unknown };
}

/** The result a peer's answer carries, or its error thrown; an answer in no shape of ours is the peer out of reach (a proxy's page, say). */
function resultOf(status: number, text: string, where: Where): unknown {
  const body = parsed(text);
  if (status >= 200 && status < 300 && body) return body.result;
  const error = body?.error;
  if (status >= 400 && typeof error?.code === 'string' && typeof error.message === 'string') {
    throw new PeerError(status, error.code, error.message, error.details as ErrorDetails | undefined);
  }
  throw new JunctionError('JCT_SHARD_UNREACHABLE', `the process at ${where.address} answered shard call "${where.call}" with status ${status}, not as Junction does`, { ...where, status });
}

/** The JSON object `text` holds, else undefined. */
function parsed(text: string): Body | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Body) : undefined;
  } catch {
    return undefined;
  }
}
