// `junction start` as the README runs it: the built command, the example flows, HTTP on
// loopback, a clean stop on SIGTERM; state kept in the data directory across restarts, a
// second process on the same data directory refused, and the start's own commits counted in the metrics.
import '../child-processes.js';
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { AUTH } from './junction-process.js';
import { SECRET, env, start } from './start-env.js';

t.test('start serves the example flows, stops cleanly on SIGTERM and keeps its state', async (t) => {
  const dataDir = t.testdir();
  const { child, logs, address: listening } = start(dataDir);
  t.teardown(() => child.kill('SIGKILL'));
  const address = await listening;
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
  const config = logs.find((l) => l['msg'] === 'configuration')!['config'] as { modules: { core: Record<string, unknown> } };
  t.same(config.modules.core, { httpTimeoutMs: 10_000, httpPrivateAddresses: 'allow', httpSigningSecret: '[redacted]' }, 'module settings are logged, secrets redacted');
  t.same((config.modules as Record<string, Record<string, unknown>>)['jambonz-voice']?.['webhookSecrets'], [], 'a secret that is not set shows as unset, not as redacted');
  t.notMatch(JSON.stringify(logs), SECRET, 'the secret appears in no log line');
  t.same(
    logs.filter((l) => l['msg'] === 'flow launched').map((l) => l['flow']).sort(),
    ['abandoned-cart', 'appointment-reminder', 'birthday', 'ivr-menu', 'loyalty-points', 'order-shipped', 're-engagement', 'sms-keywords', 'welcome'],
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
  t.match(logs.at(-1), { msg: 'stopped', ms: Number, batches: Number, lastBatch: { rows: Number, at: /^\d{4}-/ } }, 'the last line says the stop completed, with the last batch made durable');

  const again = start(dataDir);
  t.teardown(() => again.child.kill('SIGKILL'));
  const address2 = await again.address;
  t.same(again.logs.filter((l) => l['msg'] === 'flow launched'), [], 'nothing is launched again');
  t.same(again.logs.filter((l) => l['msg'] === 'flow recovered').map((l) => l['flow']).sort(), ['abandoned-cart', 'appointment-reminder', 'birthday', 'ivr-menu', 'loyalty-points', 'order-shipped', 're-engagement', 'sms-keywords', 'welcome']);
  const after = (await (await fetch(`${address2}/flows/welcome`, { headers: AUTH })).json()) as { metrics: { profilesInFlow: number } };
  t.equal(after.metrics.profilesInFlow, 1, 'the participant and the metrics survived the restart');
  again.child.kill('SIGTERM');
  await once(again.child, 'exit');
});

t.test('the commits made while starting (people loaded, flows launched) are in the journal metrics', async (t) => {
  const { child, address: listening } = start(t.testdir());
  t.teardown(() => child.kill('SIGKILL'));
  const address = await listening;
  const text = await (await fetch(`${address}/metrics`, { headers: AUTH })).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  t.ok(value('junction_journal_commit_duration_seconds_count') >= 1, 'the start’s batches are counted');
  t.ok(value('junction_journal_batch_rows_sum') >= 8, 'with their rows: at least the eight example flows launched');
  t.equal(value('junction_journal_batch_rows_count'), value('junction_journal_commit_duration_seconds_count'));
  child.kill('SIGTERM');
  t.equal((await once(child, 'exit'))[0], 0);
});
