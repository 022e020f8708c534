// Test helper for the files that run `junction start` as the README does (start*.test.ts): the
// environment they start it with (loopback, any free port, a module secret that must not leak).
import { startJunction, type JunctionProcess } from './junction-process.js';

/** A module secret every start is given; no log line or error may show it. */
export const SECRET = 'webhook-secret-that-must-not-leak';

export function env(dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUNCTION_PORT: '0',
    JUNCTION_HOST: '127.0.0.1',
    JUNCTION_LOG_LEVEL: 'info',
    JUNCTION_DATA_DIR: dataDir,
    JUNCTION_CORE_HTTP_SIGNING_SECRET: SECRET,
  };
}

export function start(dataDir: string): JunctionProcess {
  return startJunction(env(dataDir));
}
