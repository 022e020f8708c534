// Calls to the engine of a shard that another process of the cluster holds (decision 0018,
// piece 5): `POST <peer>/_junction/shards/<shard>/<name>` with `{ "args": ... }` and the cluster
// secret, which gateway/cluster/shard-calls.ts answers. One undici Agent keeps a pool of
// keep-alive connections per peer address. A 2xx answer gives the call's result; an error answer
// is thrown again here as a PeerError with the peer's code, message, details and status, so the
// gateway answers as the peer did; a peer out of reach, or silent for too long, is
// JCT_SHARD_UNREACHABLE (503: the facade or the client tries again once the shard has moved).
// The calls made for one peer in one turn of the event loop go together, in one request to
// `POST <peer>/_junction/shards` (`{ "calls": [...] }`, answered one answer per call): under load
// a request per call cost the two processes more than the calls themselves. A call alone in its
// turn, or whose arguments are large (a shard's part of a Flow API batch), goes by itself.
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
/** Most calls sent together (the route refuses more). */
export const MAX_CALLS_TOGETHER = 1000;
/** Arguments longer than this (JSON characters) go in a request of their own; calls together stop short of 4 MiB of them. */
const ALONE_ABOVE = 64 * 1024;
const TOGETHER_UP_TO = 4 * 1024 * 1024;

/** A peer's error answer: its code, message and details, and the status it answered with. */
export class PeerError extends JunctionError {
  readonly status: number;

  constructor(status: number, code: string, message: string, details?: ErrorDetails) {
    super(code, message, details);
    this.name = 'PeerError';
    this.status = status;
  }
}

/** A call waiting for the end of the turn, with its arguments as JSON text. */
interface Waiting {
  readonly shard: number;
  readonly name: string;
  readonly args: string | undefined;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

/** The calls gathered for one peer this turn, and the length of their arguments. */
interface Gathered {
  readonly calls: Waiting[];
  chars: number;
}

export class PeerCalls {
  /** The connection pools (one per peer), made by the first call. */
  private agent: Agent | undefined;
  /** Per peer address: the calls to send once this turn ends. */
  private readonly gathered = new Map<string, Gathered>();
  private closed = false;

  constructor(private readonly secret: string) {}

  /**
   * The result of the call `name` with `args` by the engine of `shard` at `address` (the peer's
   * origin, e.g. http://10.0.0.7:8080). Throws a PeerError when the peer refused or the call
   * failed there, JCT_SHARD_UNREACHABLE when no answer came (then the call may or may not have
   * been carried out).
   */
  call(address: string, shard: number, name: string, args: unknown): Promise<unknown> {
    const json = JSON.stringify(args) as string | undefined;
    if (json !== undefined && json.length > ALONE_ABOVE) return this.alone(address, { shard, name, args: json });
    return new Promise((resolve, reject) => {
      let gathered = this.gathered.get(address);
      if (gathered === undefined || gathered.calls.length >= MAX_CALLS_TOGETHER || gathered.chars > TOGETHER_UP_TO) {
        this.gathered.set(address, (gathered = { calls: [], chars: 0 }));
        const sending = gathered;
        setImmediate(() => this.send(address, sending));
      }
      gathered.calls.push({ shard, name, args: json, resolve, reject });
      gathered.chars += json?.length ?? 0;
    });
  }

  /** Sends the calls gathered for `address`: alone by the route of its shard, else together. */
  private send(address: string, gathered: Gathered): void {
    if (this.gathered.get(address) === gathered) this.gathered.delete(address);
    const [first, ...others] = gathered.calls;
    if (others.length === 0) return void this.alone(address, first!).then(first!.resolve, first!.reject);
    void this.together(address, gathered.calls);
  }

  /** One call, by the route of its shard. */
  private async alone(address: string, { shard, name, args }: Pick<Waiting, 'shard' | 'name' | 'args'>): Promise<unknown> {
    const where: Where = { address, shard, call: name };
    const { status, text } = await this.post(address, `${SHARD_CALLS_PATH}/${shard}/${encodeURIComponent(name)}`, args === undefined ? '{}' : `{"args":${args}}`, where);
    return resultOf(status, text, where);
  }

  /** Several calls in one request; each settles with its own answer, or all as unreachable. */
  private async together(address: string, calls: readonly Waiting[]): Promise<void> {
    const items = calls.map(({ shard, name, args }) => `{"shard":${shard},"call":${JSON.stringify(name)}${args === undefined ? '' : `,"args":${args}`}}`);
    const where: Where = { address, shard: calls[0]!.shard, call: `${calls.length} calls` };
    let answers: readonly unknown[];
    try {
      const { status, text } = await this.post(address, SHARD_CALLS_PATH, `{"calls":[${items.join(',')}]}`, where);
      answers = answersOf(status, text, calls.length, where);
    } catch (err) {
      for (const call of calls) call.reject(err);
      return;
    }
    calls.forEach((call, i) => {
      try {
        call.resolve(answerOf(answers[i], { address, shard: call.shard, call: call.name }));
      } catch (err) {
        call.reject(err);
      }
    });
  }

  /** The peer's answer to a POST of `body` to `path`; JCT_SHARD_UNREACHABLE when none came. */
  private async post(address: string, path: string, body: string, where: Where): Promise<{ status: number; text: string }> {
    try {
      if (this.closed) throw new Error('closed'); // calls gathered before close() are sent after it: no new pool for them
      const answer = await undici().request(new URL(path, address), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CLUSTER_SECRET_HEADER]: this.secret },
        body,
        dispatcher: this.pools,
        headersTimeout: ANSWER_TIMEOUT_MS,
        bodyTimeout: ANSWER_TIMEOUT_MS,
      });
      return { status: answer.statusCode, text: await answer.body.text() };
    } catch (err) {
      const reason = (err as { code?: unknown }).code ?? (err as Error).message;
      throw new JunctionError('JCT_SHARD_UNREACHABLE', `the process at ${address} holding shard ${where.shard} did not answer (${String(reason)}); try again`, { ...where, reason });
    }
  }

  /** Closes every connection; calls made afterwards fail. */
  async close(): Promise<void> {
    this.closed = true;
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
  throw errorOf(status, body?.error, where);
}

/** The answers to calls sent together, one per call, else the whole answer's error thrown. */
function answersOf(status: number, text: string, count: number, where: Where): readonly unknown[] {
  const body = parsed(text);
  const answers = (body as { answers?: unknown } | undefined)?.answers;
  if (status >= 200 && status < 300 && Array.isArray(answers) && answers.length === count) return answers;
  throw errorOf(status, body?.error, where);
}

/** One call's answer among others: its result, or its error thrown. */
function answerOf(answer: unknown, where: Where): unknown {
  if (answer === null || typeof answer !== 'object') throw errorOf(0, undefined, where);
  const { result, status, error } = answer as Body & { status?: unknown };
  if (status === undefined && error === undefined) return result; // a result of undefined is no key at all in JSON
  throw errorOf(typeof status === 'number' ? status : 0, error, where);
}

/** A peer's error answer as a PeerError; an answer in no shape of ours, JCT_SHARD_UNREACHABLE. */
function errorOf(status: number, error: Body['error'], where: Where): JunctionError {
  if (status >= 400 && typeof error?.code === 'string' && typeof error.message === 'string') {
    return new PeerError(status, error.code, error.message, error.details as ErrorDetails | undefined);
  }
  return new JunctionError('JCT_SHARD_UNREACHABLE', `the process at ${where.address} answered shard call "${where.call}" with status ${status}, not as Junction does`, { ...where, status });
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
