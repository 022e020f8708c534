// `junction health`, the Docker image's health check: it finds the server the way `start` reads
// the configuration (a --config file's host and port, JUNCTION_* variables over it), asks GET
// /healthz and exits 0 when it answers 200, 1 otherwise (an error answer, nothing listening, a
// port it cannot know), one line saying why.
import '../child-processes.js';
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { main } from '../../bin/junction.js';
import { closedPort } from '../gateway/services.js';

/** A server answering /healthz with `status`; its port. */
async function healthz(t: Test, status: number, host = '127.0.0.1'): Promise<number> {
  const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end('{}'));
  server.listen(0, host);
  await once(server, 'listening');
  t.teardown(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** `junction health` with these arguments and variables (in-process): its exit code and lines. */
async function health(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith('JUNCTION_')) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const code = await main(['health', ...args], (l) => out.push(l), (l) => err.push(l));
    return { code, out, err };
  } finally {
    process.env = saved;
  }
}

t.test('the port and host of a configuration file, or of the variables over it', async (t) => {
  const port = await healthz(t, 200);
  const dir = t.testdir({ 'junction.json': JSON.stringify({ host: '0.0.0.0', port }) });
  const config = join(dir, 'junction.json');
  t.match(await health(['--config', config]), { code: 0, out: [`healthy: http://127.0.0.1:${port}/healthz answered 200`] }, 'every address (0.0.0.0) is asked on loopback');
  t.match(await health([], { JUNCTION_PORT: String(port) }), { code: 0 }, 'JUNCTION_PORT without a file');
  const closed = await closedPort();
  t.match(await health(['--config', config], { JUNCTION_PORT: String(closed) }), { code: 1, err: [`unhealthy: http://127.0.0.1:${closed}/healthz did not answer (ECONNREFUSED)`] }, 'the variable wins over the file, as for start');
});

t.test('an error answer, a port of 0 or a configuration that cannot be read is unhealthy: exit 1', async (t) => {
  const failing = await healthz(t, 503);
  t.match(await health([], { JUNCTION_PORT: String(failing) }), { code: 1, err: [`unhealthy: http://127.0.0.1:${failing}/healthz answered 503`] });
  t.match(await health([], { JUNCTION_PORT: '0' }), { code: 1, err: [/^unhealthy: JCT_CONFIG_INVALID: port 0 listens on any free port/] });
  t.match(await health(['--config', join(t.testdir(), 'missing.json')]), { code: 1, err: [/^unhealthy: JCT_CONFIG_INVALID: cannot read configuration .*missing\.json: no such file/] });
  t.match(await health(['extra']), { code: 2, err: [/^error JCT_USAGE: unexpected argument "extra": health takes no arguments/] });
});

t.test('the built command checks a running Junction started with --config', async (t) => {
  const port = await closedPort();
  const dir = t.testdir();
  const config = join(dir, 'junction.json');
  writeFileSync(config, JSON.stringify({ port, dataDir: '', flows: '', people: '' }));
  const env = { PATH: process.env['PATH'] };
  const check = () => spawnSync(process.execPath, ['dist/bin/junction.js', 'health', '--config', config], { env, encoding: 'utf8', timeout: 20_000 });
  t.equal(check().status, 1, 'not running yet: unhealthy');
  const child = spawn(process.execPath, ['dist/bin/junction.js', 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('Junction is listening') && resolve()));
  const ok = check();
  t.equal(ok.status, 0, ok.stderr);
  t.equal(ok.stdout, `healthy: http://127.0.0.1:${port}/healthz answered 200\n`);
  child.kill('SIGTERM');
  await once(child, 'exit');
});

t.test('JUNCTION_CONFIG names the configuration file of every command; --config wins over it', async (t) => {
  const port = await healthz(t, 200);
  const dir = t.testdir({ 'junction.json': JSON.stringify({ port }), 'other.json': JSON.stringify({ port: await closedPort() }) });
  t.match(await health([], { JUNCTION_CONFIG: join(dir, 'junction.json') }), { code: 0, out: [`healthy: http://127.0.0.1:${port}/healthz answered 200`] });
  t.match(await health(['--config', join(dir, 'other.json')], { JUNCTION_CONFIG: join(dir, 'junction.json') }), { code: 1 }, 'the option given wins');
});
