// Test helper: `junction start` (the built command) as a child process, its JSON log lines
// collected (other stdout lines apart), the lines it says on stderr (a first admin key), and the address it
// listens on once it says so (or what it said on stderr when it stopped before). It runs with
// TEST_ADMIN_KEY as its configured admin key unless `env` sets JUNCTION_ADMIN_KEY. Also one
// process of a cluster, as the cluster tests start them.
import '../child-processes.js';
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The admin key the processes run with; AUTH is the header that sends it. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface JunctionProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  /** Lines on stderr, said to a person rather than logged (a first admin key). */
  readonly printed: string[];
  /** Lines on stdout that are not JSON log lines (none expected: stdout is the log). */
  readonly unlogged: string[];
  /** Resolves with the listening address; rejects if the process exits first. */
  readonly address: Promise<string>;
  /** In cluster mode: resolves with the address it stands by on (see bin/standby.ts); rejects if the process exits first. */
  readonly standing: Promise<string>;
}

export function startJunction(env: NodeJS.ProcessEnv): JunctionProcess {
  const child = spawn(process.execPath, ['dist/bin/junction.js', 'start'], { env: { JUNCTION_ADMIN_KEY: TEST_ADMIN_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const logs: Array<Record<string, unknown>> = [];
  const printed: string[] = [];
  const unlogged: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => printed.push(line));
  const said = (msg: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const entry = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
        if (entry['msg'] === msg) resolve(entry['address'] as string);
      });
      child.once('exit', (code, signal) => reject(new Error(`junction start exited early (${code ?? signal}): ${errors.trim()}`)));
    });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => (line.startsWith('{') ? logs.push(JSON.parse(line) as Record<string, unknown>) : unlogged.push(line)));
  const address = said('Junction is listening');
  const standing = said('Junction is standing by');
  standing.catch(() => {}); // most processes never stand by
  return { child, logs, printed, unlogged, address, standing };
}

/**
 * One process of a cluster (JUNCTION_CLUSTER=1) on 127.0.0.1 and a free port, with a data folder
 * of its own (`name` in the test's folder) and `env` on top; killed when `t` ends (woken first,
 * should the test have stopped it).
 */
export function startMember(t: Test, name: string, env: NodeJS.ProcessEnv): JunctionProcess {
  const dataDir = join(t.testdir(), name);
  mkdirSync(dataDir, { recursive: true });
  const p = startJunction({ ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_DATA_DIR: dataDir, JUNCTION_CLUSTER: '1', ...env });
  t.teardown(() => {
    p.child.kill('SIGCONT');
    p.child.kill('SIGKILL');
  });
  return p;
}
