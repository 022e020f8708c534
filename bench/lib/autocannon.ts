// The part of autocannon's API the load generators use (it ships no types): one run against a
// URL with prepared requests, and the figures it answers with.
import { createRequire } from 'node:module';

export interface RawRequest {
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What a connection keeps between the requests of its sequence (reset when the sequence starts over). */
export type RequestContext = Record<string, unknown>;

export interface AutocannonResult {
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number } | undefined>;
}

/** One request of a connection's sequence; each connection plays the sequence over and over. */
export interface SequenceRequest {
  method: string;
  /** Builds the request just before it is written; a falsy answer starts the connection's sequence over. */
  setupRequest: (request: RawRequest, context: RequestContext) => RawRequest | undefined;
  /** Sees the answer before the next request of the sequence is built. */
  onResponse?: (status: number, body: string, context: RequestContext) => void;
}

export type Autocannon = (options: {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  overallRate?: number;
  headers: Record<string, string>;
  requests: SequenceRequest[];
}) => Promise<AutocannonResult>;

export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** How long and how hard a load generator runs: full throughput, or paced to `overallRate` requests per second over all connections. */
export interface Pace {
  connections: number;
  seconds: number;
  overallRate?: number;
}

/** One run of `requests` against `url`, one request in flight a connection (no pipelining). */
export function runPaced(url: string, pace: Pace, headers: Record<string, string>, requests: SequenceRequest[]): Promise<AutocannonResult> {
  const { connections, seconds: duration, overallRate } = pace;
  return autocannon({ url, connections, pipelining: 1, duration, ...(overallRate === undefined ? {} : { overallRate }), headers, requests });
}

/** What a run's answers add up to (a load generator's summary carries all but `ok`). */
export interface Tally {
  /** Answers with the status asked for. */
  ok: number;
  /** Answers with any status. */
  answered: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** The run's length. */
  seconds: number;
}

/** The tally of a run, `ok` counting the answers with `status`. */
export function tally(result: AutocannonResult, status: number): Tally {
  const ok = result.statusCodeStats[String(status)]?.count ?? 0;
  const answered = Object.values(result.statusCodeStats).reduce((sum, s) => sum + (s?.count ?? 0), 0);
  const { non2xx, errors, timeouts, duration: seconds } = result;
  return { ok, answered, non2xx, errors, timeouts, seconds };
}
