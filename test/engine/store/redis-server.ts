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
  // A process group of its own: an append-only rewrite or a snapshot runs in a child it forks,
  // which outlives a SIGKILL of the server for a moment and goes on writing in the test's folder.
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...settings], { stdio: 'ignore', detached: true });
  // Waits until the server and its children are gone, so the test's folder is not removed while one still writes in it.
  t.teardown(() => killGroup(server));
  for (let tries = 0; !(await reachable('127.0.0.1', port, 100)); tries++) {
    if (tries > 100) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}

/** Kills the server's process group (the server and any child it forked) and waits until all are gone. */
async function killGroup(server: ChildProcess): Promise<void> {
  const group = -server.pid!;
  const alive = (): boolean => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(group, 'SIGKILL');
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 10));
  if (server.exitCode === null && server.signalCode === null) await once(server, 'exit');
}
