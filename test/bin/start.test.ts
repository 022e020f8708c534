// `junction start` as the README runs it: the built command, the example flows, HTTP on
// loopback, a clean stop on SIGTERM.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

t.test('start serves the example flows and stops cleanly on SIGTERM', async (t) => {
  const child = spawn(process.execPath, ['dist/bin/junction.js', 'start'], {
    env: { ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  const logs: Array<Record<string, unknown>> = [];
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'Junction is listening') resolve(entry['address'] as string);
    });
    child.once('exit', (code) => reject(new Error(`junction start exited with ${code}`)));
  });
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.same(
    logs.filter((l) => l['msg'] === 'flow launched').map((l) => l['flow']).sort(),
    ['appointment-reminder', 're-engagement', 'welcome'],
  );
  t.same(await (await fetch(`${address}/health`)).json(), { status: 'ok' });
  const entered = await fetch(`${address}/flows/welcome/participants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ person: { emails: ['iva@example.com'] }, vars: { source: 'test' } }),
  });
  t.equal(entered.status, 201);
  const flowNow = (await (await fetch(`${address}/flows/welcome`)).json()) as { metrics: { profilesInFlow: number } };
  t.equal(flowNow.metrics.profilesInFlow, 1);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0);
  t.ok(logs.some((l) => l['msg'] === 'stopping'));
});
