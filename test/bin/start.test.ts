// `junction start` as the README runs it: the built command, the example flows, HTTP on
// loopback, a clean stop on SIGTERM; state kept in the data directory across restarts, and a
// second process on the same data directory refused.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { AUTH, startJunction, type JunctionProcess } from './junction-process.js';

function start(dataDir: string): JunctionProcess {
  return startJunction(env(dataDir));
}

const SECRET = 'webhook-secret-that-must-not-leak';

function env(dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUNCTION_PORT: '0',
    JUNCTION_HOST: '127.0.0.1',
    JUNCTION_LOG_LEVEL: 'info',
    JUNCTION_DATA_DIR: dataDir,
    JUNCTION_CORE_HTTP_SIGNING_SECRET: SECRET,
  };
}

t.test('start serves the example flows, stops cleanly on SIGTERM and keeps its state', async (t) => {
  const dataDir = t.testdir();
  const { child, logs, address: listening } = start(dataDir);
  t.teardown(() => child.kill('SIGKILL'));
  const address = await listening;
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
  const config = logs.find((l) => l['msg'] === 'configuration')!['config'] as { modules: { core: Record<string, unknown> } };
  t.same(config.modules.core, { httpTimeoutMs: 10_000, httpSigningSecret: '[redacted]' }, 'module settings are logged, secrets redacted');
  t.notMatch(JSON.stringify(logs), SECRET, 'the secret appears in no log line');
  t.same(
    logs.filter((l) => l['msg'] === 'flow launched').map((l) => l['flow']).sort(),
    ['abandoned-cart', 'appointment-reminder', 'birthday', 'ivr-menu', 'order-shipped', 're-engagement', 'sms-keywords', 'welcome'],
  );
  t.same(await (await fetch(`${address}/health`)).json(), { status: 'ok' });
  const entered = await fetch(`${address}/flows/welcome/participants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({ person: { emails: ['iva@example.com'] }, vars: { source: 'test' } }),
  });
  t.equal(entered.status, 201);
  const flowNow = (await (await fetch(`${address}/flows/welcome`, { headers: AUTH })).json()) as { metrics: { profilesInFlow: number } };
  t.equal(flowNow.metrics.profilesInFlow, 1);
  const second = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], { env: env(dataDir), encoding: 'utf8', timeout: 20_000 });
  t.equal(second.status, 2, 'a second process on the same data directory is refused');
  t.match(second.stderr, /^error JCT_DATA_DIR_LOCKED: the data directory .* is in use by another Junction process/);
  t.notMatch(second.stderr, /\n\s+at /, 'no stack trace');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0);
  t.ok(logs.some((l) => l['msg'] === 'stopping'));

  const again = start(dataDir);
  t.teardown(() => again.child.kill('SIGKILL'));
  const address2 = await again.address;
  t.same(again.logs.filter((l) => l['msg'] === 'flow launched'), [], 'nothing is launched again');
  t.same(again.logs.filter((l) => l['msg'] === 'flow recovered').map((l) => l['flow']).sort(), ['abandoned-cart', 'appointment-reminder', 'birthday', 'ivr-menu', 'order-shipped', 're-engagement', 'sms-keywords', 'welcome']);
  const after = (await (await fetch(`${address2}/flows/welcome`, { headers: AUTH })).json()) as { metrics: { profilesInFlow: number } };
  t.equal(after.metrics.profilesInFlow, 1, 'the participant and the metrics survived the restart');
  again.child.kill('SIGTERM');
  await once(again.child, 'exit');
});

t.test('bad module settings stop the start with every problem named', async (t) => {
  const bad = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], {
    env: { ...env(''), JUNCTION_CORE_HTTP_TIMEOUT_MS: 'soon' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^error JCT_CONFIG_INVALID: configuration is invalid: \$\.modules\.core\.httpTimeoutMs: /);
  t.notMatch(bad.stderr, SECRET);
});

t.test('a port in use is said plainly and the process ends; started from another folder it finds its examples', async (t) => {
  const first = start(t.testdir());
  t.teardown(() => first.child.kill('SIGKILL'));
  const port = new URL(await first.address).port;
  const elsewhere = t.testdir();
  const second = spawnSync(process.execPath, [`${process.cwd()}/dist/bin/junction.js`, 'start'], {
    cwd: elsewhere,
    env: { ...env(`${elsewhere}/data`), JUNCTION_PORT: port },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(second.status, 2, 'ended by itself, with the usage error status');
  t.match(second.stderr, /^error JCT_PORT_IN_USE: 127\.0\.0\.1:\d+ is in use/m, 'its own line (the first admin key, printed on stderr, may stand before it)');
  t.notMatch(second.stderr, /please report/);
  t.match(second.stdout, /"msg":"flow launched"/, 'the package’s example flows were found from another folder');
});
