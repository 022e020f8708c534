// The part of autocannon's API the load generators use (it ships no types): one run against a
// URL with prepared requests, and the figures it answers with.
import { createRequire } from 'node:module';

export interface RawRequest {
  headers?: Record<string, string>;
  body?: string;
}

export interface AutocannonResult {
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number } | undefined>;
}

export type Autocannon = (options: {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  overallRate?: number;
  headers: Record<string, string>;
  requests: Array<{ method: string; setupRequest: (request: RawRequest) => RawRequest }>;
}) => Promise<AutocannonResult>;

export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
