// Child processes of the benchmarks: starts a Node module of this build (compiled, or
// TypeScript through tsx when the benchmark itself runs as TypeScript), waits for a server's
// "listening" JSON log line, runs a one-shot module and parses the JSON it prints last, and
// stops what it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TS = import.meta.url.endsWith('.ts');
const NODE_FLAGS = TS ? ['--import', 'tsx'] : [];
const STOP_GRACE_MS = 5_000;
const TAIL_LINES = 20;

/** The repository root: the nearest folder above this module that holds package.json. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A module of this build, relative to bench/ and without extension, e.g. 'lib/load' or '../bin/junction'. */
export function benchModule(relative: string): string {
  return fileURLToPath(new URL(`../${relative}${TS ? '.ts' : '.js'}`, import.meta.url));
}

export interface Server {
  /** Base URL from the ready line's `address`, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

/** The admin key bench servers accept; the load generator sends it (the bare server ignores it). */
export const BENCH_KEY = 'bench-admin-key-0123456789abcdef';

/**
 * The environment of a `junction start` bench run: loopback, a free port, the flows folder, no
 * people file, the store in `data`, BENCH_KEY as its admin key and no rate limit in the way.
 */
export function junctionEnv(flows: string, data: string): NodeJS.ProcessEnv {
  return {
    JUNCTION_HOST: '127.0.0.1',
    JUNCTION_PORT: '0',
    JUNCTION_FLOWS: flows,
    JUNCTION_PEOPLE: '',
    JUNCTION_LOG_LEVEL: 'info',
    JUNCTION_DATA_DIR: data,
    JUNCTION_ADMIN_KEY: BENCH_KEY,
    JUNCTION_RATE_LIMIT_PER_SECOND: '100000000',
  };
}

/**
 * Starts `node MODULE ...args` and resolves once it prints a JSON line whose text contains
 * `ready` and which carries an `address`. Rejects (and kills it) if it exits or times out first.
 */
export function startServer(module: string, args: string[], env: NodeJS.ProcessEnv, ready: string, timeoutMs = 30_000): Promise<Server> {
  const child = spawnNode(module, args, env);
  const tail = keepTail(child);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stop(child);
      reject(new Error(`${module} ${why}\n${tail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`was not ready after ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => fail(`exited before it was ready (code ${code}, signal ${signal})`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes(ready)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ url: (JSON.parse(line) as { address: string }).address, stop: () => stop(child) });
    });
  });
}

/** Runs `node MODULE ...args` to completion and parses the last line it prints as JSON. */
export function runJson<T>(module: string, args: string[]): Promise<T> {
  const child = spawnNode(module, args, {});
  const tail = keepTail(child);
  let last = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.trim() !== '') last = line;
  });
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(last) as T);
      else reject(new Error(`${module} exited with code ${code}\n${tail.join('\n')}`));
    });
  });
}

function spawnNode(module: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...NODE_FLAGS, module, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The last lines the child wrote to stderr, for error messages. */
function keepTail(child: ChildProcess): string[] {
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  });
  return tail;
}

/** SIGTERM, then SIGKILL if it is still running after a grace period. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function findRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new Error('bench: no package.json above the benchmark modules');
  return findRoot(parent);
}
