// Shared by the end-to-end tests that run `junction start` as a child process: polling for what
// happens asynchronously, the flow metrics the server reports, and stopping the child.
import { once } from 'node:events';
import type { JunctionProcess } from '../bin/junction-process.js';

const POLL_MS = 25;
const PATIENCE_MS = 5_000;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 25 ms until it holds or a few seconds passed; whether it held. */
export async function eventually(check: () => boolean, patienceMs = PATIENCE_MS): Promise<boolean> {
  const until = Date.now() + patienceMs;
  while (!check()) {
    if (Date.now() >= until) return false;
    await pause(POLL_MS);
  }
  return true;
}

/** Polls for `ms` (short) and says whether `check` held every time: nothing more happened. */
export async function stays(check: () => boolean, ms = 150): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!check()) return false;
    await pause(POLL_MS);
  }
  return check();
}

export interface NodeMetrics {
  id: string;
  totalEngagements: number;
  uniqueUsersEngaged: number;
  failures: number;
}

export interface FlowMetrics {
  profilesInFlow: number;
  profilesExited: number;
  activeParticipants: number;
  elements: NodeMetrics[];
}

/** The flow's metrics as `GET /flows/:id` reports them. */
export async function flowMetrics(address: string, flowId: string): Promise<FlowMetrics> {
  const res = await fetch(`${address}/flows/${flowId}`);
  if (!res.ok) throw new Error(`GET /flows/${flowId} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { metrics: FlowMetrics }).metrics;
}

/** How many times each node of the flow was passed, by id. */
export function engagements(metrics: FlowMetrics): Record<string, number> {
  return Object.fromEntries(metrics.elements.map((e) => [e.id, e.totalEngagements]));
}

/** Stops the child as an operator would (SIGTERM) and waits for it to exit; its exit code. */
export async function stopJunction(junction: JunctionProcess): Promise<number | null> {
  if (junction.child.exitCode !== null) return junction.child.exitCode;
  const exited = once(junction.child, 'exit');
  junction.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** The first log line of the child with this message, once it was logged. */
export async function logLine(junction: JunctionProcess, msg: string): Promise<Record<string, unknown> | undefined> {
  await eventually(() => junction.logs.some((l) => l['msg'] === msg));
  return junction.logs.find((l) => l['msg'] === msg);
}
