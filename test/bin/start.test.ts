// `junction start` as the README runs it: the built command, the example flows, HTTP on
// loopback, a clean stop on SIGTERM; state kept in the data directory across restarts, and a
// second process on the same data directory refused.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { AUTH, startJunction, type JunctionProcess } from './junction-process.js';

// A dozen starts of the built command, each a second or more: about two minutes in all on a loaded machine.
t.setTimeout(300_000);

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

t.test('a flow changed through the API stays changed across a restart while its file is the same; a changed file is launched', async (t) => {
  const dir = t.testdir({ flows: {} });
  const file = join(dir, 'flows', 'welcome.json');
  const welcome = JSON.parse(readFileSync('examples/flows/welcome.json', 'utf8')) as { name: string };
  writeFileSync(file, JSON.stringify(welcome));
  const environment = { ...env(join(dir, 'data')), JUNCTION_FLOWS: join(dir, 'flows') };
  /** Starts Junction; the welcome flow's versions as [version, name, status], and how to call and stop it. */
  const run = async () => {
    const j = startJunction(environment);
    t.teardown(() => j.child.kill('SIGKILL'));
    const address = await j.address;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${address}/api/v1/flows/welcome${path}`, { method, headers: { ...AUTH, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const { versions } = (await (await call('GET', '/versions')).json()) as { versions: Array<{ version: number; name: string; status: string }> };
    const stop = async () => {
      j.child.kill('SIGTERM');
      await once(j.child, 'exit');
    };
    return { latest: versions.map((v) => [v.version, v.name, v.status]).at(-1), call, stop };
  };
  const first = await run();
  t.same(first.latest, [1, welcome.name, 'active']);
  t.equal((await first.call('PUT', '/goal', { event: 'purchase' })).status, 200);
  t.equal((await first.call('PUT', '/schedule', { end: '2031-01-01T00:00' })).status, 200);
  await first.stop();
  const edited = await run();
  t.same(edited.latest, [1, welcome.name, 'active'], 'the file is not launched again over the goal and schedule edited in place');
  t.match((await (await edited.call('GET', '')).json()) as object, { definition: { settings: { goal: { event: 'purchase' }, schedule: { end: '2031-01-01T00:00' } } } }, 'the edits stay');
  t.equal((await edited.call('POST', '/versions', { ...welcome, name: 'Welcome, changed through the API' })).status, 201);
  t.equal((await edited.call('POST', '/launch')).status, 200);
  await edited.stop();
  const second = await run();
  t.same(second.latest, [2, 'Welcome, changed through the API', 'active'], 'the restart did not launch the unchanged file over it');
  await second.stop();
  writeFileSync(file, JSON.stringify({ ...welcome, name: 'Welcome, changed in the file' }));
  const third = await run();
  t.same(third.latest, [3, 'Welcome, changed in the file', 'active'], 'a changed file is launched as the next version');
  await third.stop();
});

t.test('two files of the flows folder with one flow id are refused, naming each other, instead of launching two versions at every start', async (t) => {
  const dir = t.testdir({ flows: {} });
  const welcome = JSON.parse(readFileSync('examples/flows/welcome.json', 'utf8')) as { name: string };
  writeFileSync(join(dir, 'flows', 'welcome.json'), JSON.stringify(welcome));
  writeFileSync(join(dir, 'flows', 'welcome-copy.json'), JSON.stringify({ ...welcome, name: 'A copy' }));
  writeFileSync(join(dir, 'flows', 'birthday.json'), readFileSync('examples/flows/birthday.json'));
  const environment = { ...env(join(dir, 'data')), JUNCTION_FLOWS: join(dir, 'flows') };
  for (const round of ['first start', 'restart']) {
    const j = startJunction(environment);
    t.teardown(() => j.child.kill('SIGKILL'));
    await j.address;
    t.same(j.logs.filter((l) => l['msg'] === 'flow launched' || l['msg'] === 'flow recovered').map((l) => l['flow']), ['birthday'], `${round}: the other flows go on`);
    t.same(
      j.logs.filter((l) => l['code'] === 'JCT_FLOW_ID_DUPLICATE').map((l) => [l['file'], l['msg']]),
      [
        ['welcome-copy.json', 'flow "welcome" is also in welcome.json of the flows folder: keep one file per flow id (none of them is launched; a running version goes on)'],
        ['welcome.json', 'flow "welcome" is also in welcome-copy.json of the flows folder: keep one file per flow id (none of them is launched; a running version goes on)'],
      ],
      `${round}: each file is named with the other`,
    );
    const ready = (await (await fetch(`${await j.address}/readyz`)).json()) as { status: string; flowFilesRefused: Array<{ file: string; code: string }> };
    t.same([ready.status, ready.flowFilesRefused.map((f) => [f.file, f.code]).sort()], ['ready', [['welcome-copy.json', 'JCT_FLOW_ID_DUPLICATE'], ['welcome.json', 'JCT_FLOW_ID_DUPLICATE']]], `${round}: readyz lists the refused files`);
    j.child.kill('SIGTERM');
    await once(j.child, 'exit');
  }
});

t.test('bad module settings stop the start with every problem named', async (t) => {
  const bad = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], {
    env: { ...env(''), JUNCTION_CORE_HTTP_TIMEOUT_MS: 'soon' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^error JCT_CONFIG_INVALID: configuration is invalid:\n {2}\$\.modules\.core\.httpTimeoutMs {2}JCT_CONFIG_INVALID {2}/);
  t.equal(bad.stderr.split('httpTimeoutMs').length, 2, 'the problem is printed once');
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
  const unknownHost = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], { env: { ...env(''), JUNCTION_HOST: 'no-such-host.invalid' }, encoding: 'utf8', timeout: 20_000 });
  t.equal(unknownHost.status, 2);
  t.equal(unknownHost.stderr, 'error JCT_HOST_INVALID: no-such-host.invalid is not an address and names no host: check JUNCTION_HOST\n');
});

t.test('started with --config, a port in use and a flows folder that is missing name the file\'s settings', async (t) => {
  const first = start(t.testdir());
  t.teardown(() => first.child.kill('SIGKILL'));
  const port = Number(new URL(await first.address).port);
  const dir = t.testdir({ 'junction.json': JSON.stringify({ port, dataDir: '', flows: 'mine' }) });
  const config = join(dir, 'junction.json');
  const { JUNCTION_PORT: _port, ...environment } = env('');
  const run = (extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, ['dist/bin/junction.js', 'start', '--config', config], { env: { ...environment, ...extra }, encoding: 'utf8', timeout: 20_000 });
  const missing = run();
  t.equal(missing.status, 2);
  t.equal(missing.stderr, `error JCT_FILE_UNREADABLE: cannot read the flows folder ${join(dir, 'mine')}: no such folder ("flows" in ${config}; "" for none)\n`);
  const busy = run({ JUNCTION_FLOWS: '' });
  t.equal(busy.status, 2);
  t.match(busy.stderr, new RegExp(`^error JCT_PORT_IN_USE: 127\\.0\\.0\\.1:${port} is in use \\(another Junction\\?\\): stop it or choose another port with "port" in ${config}$`, 'm'));
  const fromEnv = run({ JUNCTION_FLOWS: join(dir, 'other') });
  t.match(fromEnv.stderr, '(JUNCTION_FLOWS; "" for none)', 'a setting the environment gave is named by its variable');
});

t.test('a start that fails once participants are waiting ends by itself with one line: a flows folder that is missing is named', async (t) => {
  const dataDir = t.testdir();
  const first = start(dataDir);
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.address;
  first.child.kill('SIGTERM');
  await once(first.child, 'exit'); // the example flows left people waiting (re-engagement), with their timers
  const missing = join(dataDir, 'no-flows');
  const failed = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], { env: { ...env(dataDir), JUNCTION_FLOWS: missing }, encoding: 'utf8', timeout: 20_000 });
  t.equal(failed.status, 2, 'ended by itself, nothing left running');
  t.equal(failed.stderr, `error JCT_FILE_UNREADABLE: cannot read the flows folder ${missing}: no such folder (JUNCTION_FLOWS; "" for none)\n`);
  const none = startJunction({ ...env(dataDir), JUNCTION_FLOWS: '', JUNCTION_PEOPLE_FILE: 'typo.json' });
  t.teardown(() => none.child.kill('SIGKILL'));
  await none.address;
  t.same(none.logs.filter((l) => /^flow (launched|recovered)$/.test(String(l['msg']))), [], '"" launches no folder');
  t.match(none.logs.filter((l) => l['variable'] === 'JUNCTION_PEOPLE_FILE'), [{ level: 40, code: 'JCT_CONFIG_UNKNOWN_VARIABLE', variable: 'JUNCTION_PEOPLE_FILE', msg: 'JUNCTION_PEOPLE_FILE is no setting of Junction and is ignored' }], 'a variable that sets nothing is warned of');
  none.child.kill('SIGTERM');
  t.equal((await once(none.child, 'exit'))[0], 0);
});

t.test('a people file with a problem, or that cannot be read, stops the start naming the file and its setting', async (t) => {
  const dir = t.testdir({ 'people.json': JSON.stringify({ people: [{ id: 'ana', standard: { birthDate: 'someday' } }] }) });
  const file = join(dir, 'people.json');
  const bad = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], { env: { ...env(''), JUNCTION_PEOPLE: file, JUNCTION_FLOWS: '' }, encoding: 'utf8', timeout: 20_000 });
  t.equal(bad.status, 2);
  t.equal(bad.stderr, `error JCT_ATTRIBUTE_TYPE: the people file ${file} (JUNCTION_PEOPLE): $.people[0]: attribute "birthDate": "someday" is not a valid date\n`);
  const missing = spawnSync(process.execPath, ['dist/bin/junction.js', 'start'], { env: { ...env(''), JUNCTION_PEOPLE: join(dir, 'nope.json'), JUNCTION_FLOWS: '' }, encoding: 'utf8', timeout: 20_000 });
  t.equal(missing.status, 2);
  t.equal(missing.stderr, `error JCT_FILE_UNREADABLE: the people file ${join(dir, 'nope.json')} (JUNCTION_PEOPLE): cannot read ${join(dir, 'nope.json')}: no such file\n`, 'a people file that cannot be read names its setting too');
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
