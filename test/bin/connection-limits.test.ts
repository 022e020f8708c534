// The connection limits reach every server `junction start` answers on (the built command, short
// settings from the environment): its own, and in cluster mode the one it stood by on, which the
// owner keeps serving on, and a standby's. A connection that says nothing, and a request body that
// stops, are cut after JUNCTION_HTTP_IDLE_TIMEOUT_MS, and so are headers trickled (408); a body
// trickled past JUNCTION_HTTP_REQUEST_TIMEOUT_MS is answered 408; answers say the keep-alive time
// (JUNCTION_HTTP_KEEP_ALIVE_TIMEOUT_MS).
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { connect } from 'node:net';
import { AUTH, startJunction, startMember } from './junction-process.js';
import { env } from './start-env.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

const IDLE_MS = 300;
const REQUEST_MS = 1000;
const LIMITS = { JUNCTION_HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS), JUNCTION_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS), JUNCTION_HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000' };
/** Room for a loaded machine: a limit is met within this much past it. */
const SLACK_MS = 2000;

/**
 * Sends `head` and, every `everyMs` if given, `more` again; resolves with what was answered and
 * after how long the connection was closed (Infinity: not within `waitMs`).
 */
async function sendSlowly(origin: string, head: string, waitMs: number, trickle?: { more: string; everyMs: number }): Promise<{ answer: string; afterMs: number }> {
  const { hostname, port } = new URL(origin);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const opened = performance.now();
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.on('error', () => {});
  socket.write(head);
  const timer = trickle && setInterval(() => socket.writable && socket.write(trickle.more), trickle.everyMs);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened))); // a reset closes it too
  const afterMs = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), waitMs))]);
  clearInterval(timer);
  socket.destroy();
  return { answer, afterMs };
}

/** How much sooner than its limit a cut may be seen: the server's timer starts as it accepts, before the client hears it connected (seen 10 ms early on a loaded machine). */
const EARLY_MS = 50;

/** Whether `ms` is `limitMs` or a little more. */
const justAfter = (ms: number, limitMs: number): boolean => ms >= limitMs - EARLY_MS && ms < limitMs + SLACK_MS;

/** A connection that says nothing is closed after the idle time; headers trickled are answered 408 after it (before any request is forwarded). */
async function checkSilence(t: Test, origin: string): Promise<void> {
  const silent = await sendSlowly(origin, '', IDLE_MS + SLACK_MS);
  t.ok(justAfter(silent.afterMs, IDLE_MS), `a connection that says nothing is closed after the idle time (${Math.round(silent.afterMs)} ms)`);
  const headers = await sendSlowly(origin, 'GET /flows HTTP/1.1\r\n', IDLE_MS + SLACK_MS, { more: 'x-a: b\r\n', everyMs: IDLE_MS / 3 });
  t.ok(justAfter(headers.afterMs, IDLE_MS), `headers trickled are cut after the idle time (${Math.round(headers.afterMs)} ms)`);
  t.match(headers.answer, /^HTTP\/1\.1 408 /);
}

const POST = `POST /flows/welcome/participants HTTP/1.1\r\nhost: x\r\nauthorization: ${AUTH.authorization}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"person":`;

/** A body that stops is cut after the idle time; one trickled is answered 408 after the request time. */
async function checkBodies(t: Test, origin: string): Promise<void> {
  const stopped = await sendSlowly(origin, POST, IDLE_MS + SLACK_MS);
  t.ok(justAfter(stopped.afterMs, IDLE_MS), `a body that stops is cut after the idle time (${Math.round(stopped.afterMs)} ms)`);
  const trickled = await sendSlowly(origin, POST, REQUEST_MS + SLACK_MS, { more: ' ', everyMs: IDLE_MS / 3 });
  t.ok(justAfter(trickled.afterMs, REQUEST_MS), `a trickled body is cut after the request time (${Math.round(trickled.afterMs)} ms)`);
  t.match(trickled.answer, /^HTTP\/1\.1 408 /);
}

t.test('junction start: its server keeps the limits set', async (t) => {
  const { child, address } = startJunction({ ...env(t.testdir()), ...LIMITS });
  t.teardown(() => child.kill('SIGKILL'));
  const origin = await address;
  await checkSilence(t, origin);
  await checkBodies(t, origin);
  t.equal((await fetch(`${origin}/healthz`)).headers.get('keep-alive'), 'timeout=5', 'the keep-alive time');
});

t.test('cluster mode', async (t) => {
  const skip = await unlessPostgres(t);
  t.test('the owner, serving on the server it stood by on, and a standby keep the limits set', { skip }, async (t) => {
    const store = { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_limits'), JUNCTION_LEASE_MS: '1500', ...LIMITS };
    const owner = await startMember(t, 'a', store).address;
    await checkSilence(t, owner);
    await checkBodies(t, owner);
    const b = startMember(t, 'b', store);
    b.address.catch(() => {}); // it stands by until killed
    await checkSilence(t, await b.standing); // a standby forwards what arrives whole: the owner's limits would meet a slow body
  });
});
