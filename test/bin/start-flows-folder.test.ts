// `junction start` and its flows folder, across restarts: a flow changed through the API stays
// changed while its file does not, two files with one flow id are refused, and a folder that is
// missing ends a start that has participants waiting (the built command).
import '../child-processes.js';
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { AUTH, startJunction } from './junction-process.js';
import { env, start } from './start-env.js';

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
