// Test helper: `junction start` (the built command) as a child process, its JSON log lines
// collected, and the address it listens on once it says so (or what it said on stderr when it
// stopped before).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface JunctionProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the listening address; rejects if the process exits first. */
  readonly address: Promise<string>;
}

export function startJunction(env: NodeJS.ProcessEnv): JunctionProcess {
  const child = spawn(process.execPath, ['dist/bin/junction.js', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const logs: Array<Record<string, unknown>> = [];
  const address = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'Junction is listening') resolve(entry['address'] as string);
    });
    child.once('exit', (code, signal) => reject(new Error(`junction start exited early (${code ?? signal}): ${errors.trim()}`)));
  });
  return { child, logs, address };
}
