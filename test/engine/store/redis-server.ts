// Test helper: a redis-server of the test's own on a spare loopback port, with the settings the
// test gives on its command line, killed when the test ends; and whether redis-server is installed.
import type { Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { reachable } from '../../gateway/services.js';

/** Whether redis-server is on the PATH. */
export const hasRedisServer = (): boolean => process.env['PATH']!.split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'redis-server')));

/** Starts redis-server on 127.0.0.1:`port` with `settings` (e.g. ['--appendonly', 'no']); resolves once it accepts connections. */
export async function redisServer(t: Test, port: number, settings: string[]): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...settings], { stdio: 'ignore' });
  // Waits for the exit, so the test's folder is not removed while redis-server still writes in it.
  t.teardown(async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  });
  for (let tries = 0; !(await reachable('127.0.0.1', port, 100)); tries++) {
    if (tries > 100) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}
