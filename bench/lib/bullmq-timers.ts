// The `timers` benchmark's BullMQ pieces shared by the benchmark (bench/timers.ts, which adds the
// jobs) and its worker process (bench/lib/bullmq-worker.ts): what a job carries, what the worker
// reports, and the connection options of the Redis URL.
import type { TimerSummary } from './timers-stats.js';

/** What each job carries: its number and its due time (epoch ms). */
export interface TimerJob {
  readonly i: number;
  readonly due: number;
}

/** The worker's answer: the summary, when it was ready, and the jobs whose due time did not match. */
export interface WorkerReport {
  readonly readyAt: number;
  readonly mismatched: number;
  readonly summary: TimerSummary;
}

/** Connection options of a redis:// URL (host, port, password, database). */
export function connectionOf(url: string): { host: string; port: number; username?: string; password?: string; db?: number } {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}
