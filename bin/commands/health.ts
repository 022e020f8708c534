// `junction health`: whether the Junction this configuration describes is alive, for container
// health checks (the Dockerfile's HEALTHCHECK) and scripts. It reads the configuration as `start`
// does (the --config file, then JUNCTION_* variables) and asks GET /healthz on its host and port:
// an address listening on every interface (0.0.0.0, ::) is asked on loopback. Exit 0 when it
// answers 200 (a cluster standby too: it is alive), 1 otherwise, with one line saying why; a
// configuration it cannot use is a failed check too (1), so that an orchestrator never reads it
// as healthy.
import { loadConfig, ConfigError } from '../../config/index.js';

/** How long the check waits for the answer (ms): a process that does not answer in time is not healthy. */
const TIMEOUT_MS = 2_000;

export async function healthCommand(configFile: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let url: string;
  try {
    url = healthUrl(loadConfig(env, configFile));
  } catch (e) {
    err(`unhealthy: ${e instanceof ConfigError ? `${e.code}: ${e.message}` : String(e)}`);
    return 1;
  }
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (answer.ok) {
      out(`healthy: ${url} answered ${answer.status}`);
      return 0;
    }
    err(`unhealthy: ${url} answered ${answer.status}`);
  } catch (e) {
    err(`unhealthy: ${url} did not answer (${reason(e)})`);
  }
  return 1;
}

/** The /healthz URL of the configured server; port 0 (any free port) cannot be checked. */
export function healthUrl({ host, port }: { host: string; port: number }): string {
  if (port === 0) throw new ConfigError('port 0 listens on any free port, which a health check cannot know: configure the port Junction listens on');
  const loopback = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}/healthz`;
}

function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause;
  if ((e as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS} ms`;
  return cause?.code ?? (e as Error).message;
}
