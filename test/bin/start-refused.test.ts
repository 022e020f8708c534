// `junction start` refused, ending by itself with one line that names what to fix and its setting
// as the user set it: bad module settings, a port in use or a host that is none, a flows folder or
// people file that cannot be read (the built command).
import '../child-processes.js';
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SECRET, env, start } from './start-env.js';

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
