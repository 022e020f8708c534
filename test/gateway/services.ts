// Test helper for tests that need a real service on this machine (Redis at 127.0.0.1:6379).
// When it does not answer, its tests are skipped with a loud message on stderr — or fail when
// JUNCTION_REQUIRE_SERVICES=1 (CI, where the service must be there).
import type { Test } from 'tap';
import { connect, createServer } from 'node:net';

/** Whether something accepts TCP connections at host:port within `ms`. */
export function reachable(host: string, port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: ms });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** tap's `skip` option for the tests needing this service: false when it answers, else why (failing `t`, the parent, if required). */
export async function unlessReachable(t: Test, name: string, host: string, port: number): Promise<false | string> {
  if (await reachable(host, port)) return false;
  const reason = `${name} is not reachable at ${host}:${port}: its tests are SKIPPED (JUNCTION_REQUIRE_SERVICES=1 makes this a failure)`;
  if (process.env['JUNCTION_REQUIRE_SERVICES'] === '1') t.fail(`${name} is required (JUNCTION_REQUIRE_SERVICES=1) but not reachable at ${host}:${port}`);
  else console.error(`\n!!!!!!!! ${reason} !!!!!!!!\n`);
  return reason;
}

/** A local TCP port nothing listens on (just freed). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
