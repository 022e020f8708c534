// Test helper: `junction start` (the built command) as a child process, its JSON log lines
// collected (other stdout lines, such as a printed first admin key, apart), and the address it
// listens on once it says so (or what it said on stderr when it stopped before). It runs with
// TEST_ADMIN_KEY as its configured admin key unless `env` sets JUNCTION_ADMIN_KEY.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The admin key the processes run with; AUTH is the header that sends it. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface JunctionProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  /** Lines on stdout that are not JSON log lines. */
  readonly printed: string[];
  /** Resolves with the listening address; rejects if the process exits first. */
  readonly address: Promise<string>;
}

export function startJunction(env: NodeJS.ProcessEnv): JunctionProcess {
  const child = spawn(process.execPath, ['dist/bin/junction.js', 'start'], { env: { JUNCTION_ADMIN_KEY: TEST_ADMIN_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const logs: Array<Record<string, unknown>> = [];
  const printed: string[] = [];
  const address = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) {
        printed.push(line);
        return;
      }
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'Junction is listening') resolve(entry['address'] as string);
    });
    child.once('exit', (code, signal) => reject(new Error(`junction start exited early (${code ?? signal}): ${errors.trim()}`)));
  });
  return { child, logs, printed, address };
}
