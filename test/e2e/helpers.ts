// Shared by the end-to-end tests: `junction start` as a child process on loopback with a fresh
// store, a local stand-in for a provider's API that records what it is sent, polling for what
// happens asynchronously, the flow metrics the server reports, and stopping the child.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH, startJunction, type JunctionProcess } from '../bin/junction-process.js';

interface Teardown {
  teardown(fn: () => void): void;
  testdir(): string;
}

/** `junction start` on 127.0.0.1, a free port and an empty store in the test's folder, with `env`; killed at teardown. */
export function startOnLoopback(t: Teardown, env: NodeJS.ProcessEnv): JunctionProcess {
  const junction = startJunction({ ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_DATA_DIR: t.testdir(), JUNCTION_PEOPLE: '', ...env });
  t.teardown(() => junction.child.kill('SIGKILL'));
  return junction;
}

/** A flow `notify`: the Flow API adds a person, who gets "Your order shipped" from +15550100 and the tag `notified`. */
export const NOTIFY = {
  schemaVersion: 1,
  id: 'notify',
  name: 'notify',
  entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'sms' } }],
  elements: [
    { id: 'sms', type: 'sendSms', config: { from: '+15550100', text: 'Your order shipped' }, branches: { next: 'done' } },
    { id: 'done', type: 'addTag', config: { tags: ['notified'] } },
  ],
};

/** A request a stand-in received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A provider's API on 127.0.0.1 that records every request and answers it with `answer(request, count)` (`afterMs` later, when it says so). */
export async function standIn(
  t: Pick<Teardown, 'teardown'>,
  answer: (request: Received, count: number) => { status: number; body: unknown; afterMs?: number },
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(request);
      const a = answer(request, received.length);
      const send = () => res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      if (a.afterMs === undefined) send();
      else setTimeout(send, a.afterMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

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
  counters: Record<string, number>;
}

export interface FlowMetrics {
  profilesInFlow: number;
  profilesExited: number;
  activeParticipants: number;
  elements: NodeMetrics[];
}

/** The flow's metrics as `GET /flows/:id` reports them. */
export async function flowMetrics(address: string, flowId: string): Promise<FlowMetrics> {
  const res = await fetch(`${address}/flows/${flowId}`, { headers: AUTH });
  if (!res.ok) throw new Error(`GET /flows/${flowId} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { metrics: FlowMetrics }).metrics;
}

/** Polls the flow's metrics until `check` holds (or a few seconds passed); the last metrics read. */
export async function metricsWhen(address: string, flowId: string, check: (metrics: FlowMetrics) => boolean): Promise<FlowMetrics> {
  const until = Date.now() + PATIENCE_MS;
  let metrics = await flowMetrics(address, flowId);
  while (!check(metrics) && Date.now() < until) {
    await pause(POLL_MS);
    metrics = await flowMetrics(address, flowId);
  }
  return metrics;
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
