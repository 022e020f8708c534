// `junction start` as operators run it: a SIGTERM in the middle of a burst of Flow API calls
// loses no accepted call (restart and read), the log of a full run with a signed webhook and a
// send holds no secret and no message body, --pretty prints readable lines, and a SIGTERM as soon
// as it listens is handled; a log reader that went away does not keep it from stopping.
import '../child-processes.js';
import t, { type Test } from 'tap';
import twilio from 'twilio';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startJunction, type JunctionProcess } from './junction-process.js';
import { prettyLine } from '../../bin/pretty.js';
import { eventually, standIn, stays } from '../e2e/helpers.js';

const ADMIN = 'operations-admin-key-that-must-not-leak';
const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

/** Flow API entry, then a day's pause: everyone accepted stays inside. */
const HOLD = {
  schemaVersion: 1,
  id: 'hold',
  name: 'hold',
  entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'wait' } }],
  elements: [{ id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }],
};

function env(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_DATA_DIR: dataDir, JUNCTION_PEOPLE: '', JUNCTION_ADMIN_KEY: ADMIN, ...extra };
}

function start(t: Test, environment: NodeJS.ProcessEnv): JunctionProcess {
  const junction = startJunction(environment);
  t.teardown(() => junction.child.kill('SIGKILL'));
  return junction;
}

t.test('SIGTERM during a burst: in-flight calls finish, every accepted one survives the restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-shutdown-')); // not t.testdir(): a folder no other run of this file shares
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'hold.json'), JSON.stringify(HOLD));
  const environment = env(join(dir, 'data'), { JUNCTION_FLOWS: flows, JUNCTION_RATE_LIMIT_PER_SECOND: '100000' });
  const first = start(t, environment);
  const address = await first.address;
  const add = (i: number) =>
    fetch(`${address}/flows/hold/participants`, { method: 'POST', headers: auth, body: JSON.stringify({ person: { id: `p${i}` } }) }).then(
      (r) => r.status,
      () => 0, // refused or cut: not accepted
    );
  const calls = Array.from({ length: 300 }, (_, i) => add(i));
  await Promise.race(calls);
  first.child.kill('SIGTERM');
  const [code] = await once(first.child, 'exit');
  const statuses = await Promise.all(calls);
  const accepted = statuses.filter((s) => s === 201).length;
  t.equal(code, 0, 'exit 0');
  t.ok(accepted > 0, `${accepted} of 300 accepted before the stop`);
  t.same(statuses.filter((s) => s !== 201 && s !== 0), [], 'every answer was a success: none refused or failed while stopping');

  const second = start(t, environment);
  const again = await second.address;
  const flow = (await (await fetch(`${again}/flows/hold`, { headers: auth })).json()) as { metrics: { profilesInFlow: number; activeParticipants: number } };
  t.ok(flow.metrics.profilesInFlow >= accepted, `every accepted call survived (${flow.metrics.profilesInFlow} inside, ${accepted} accepted)`);
  t.equal(flow.metrics.activeParticipants, flow.metrics.profilesInFlow);
  second.child.kill('SIGTERM');
  t.equal((await once(second.child, 'exit'))[0], 0);
});

t.test('the log of a full run (signed webhook in, message out) holds no secret and no message body', async (t) => {
  const account = `AC${'0'.repeat(32)}`;
  const token = 'twilio-token-that-must-not-leak';
  const api = await standIn(t, (_r, n) => ({ status: 201, body: { sid: `SM${n}` } }));
  const junction = start(
    t,
    env('', {
      JUNCTION_LOG_LEVEL: 'debug',
      JUNCTION_TWILIO_ACCOUNT_SID: account,
      JUNCTION_TWILIO_AUTH_TOKEN: token,
      JUNCTION_TWILIO_API_BASE_URL: api.url,
      JUNCTION_TWILIO_NUMBERS: JSON.stringify(['+15550100']),
    }),
  );
  let stderr = '';
  junction.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const address = await junction.address;
  const webhook = `${address}/webhooks/twilio`;
  const params = { MessageSid: 'SM100', AccountSid: account, From: '+12025550101', To: '+15550100', Body: 'JOIN', NumMedia: '0' };
  const r = await fetch(webhook, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, webhook, params) },
    body: new URLSearchParams(params),
  });
  t.equal(r.status, 200);
  t.ok(await eventually(() => api.received.length === 1), 'the reply was sent');
  const sent = new URLSearchParams(api.received[0]!.body).get('Body') ?? '';
  t.match(sent, /^Welcome to the club!/);
  t.equal((await fetch(`${address}/nowhere`, { headers: auth })).status, 404);
  junction.child.kill('SIGTERM');
  await once(junction.child, 'exit');
  const log = JSON.stringify(junction.logs) + stderr;
  t.ok(junction.logs.length > 5, `${junction.logs.length} log lines`);
  const secrets: Array<[string, string]> = [['auth token', token], ['admin key', ADMIN], ['message sent', sent], ['message sent (start)', 'Welcome to the club']];
  for (const [what, text] of secrets) {
    t.notOk(log.includes(text), `no ${what} in the log`);
  }
});

t.test('--pretty: readable lines, not JSON', async (t) => {
  const child = spawn(process.execPath, ['dist/bin/junction.js', 'start', '--pretty'], { env: env('', { JUNCTION_FLOWS: 'examples/flows' }), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.includes('Junction is listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited early (${code}): ${lines.join('\n')}`)));
  });
  const listening = lines.find((l) => l.includes('Junction is listening'))!;
  t.match(listening, /^\d\d:\d\d:\d\d\.\d{3} INFO  Junction is listening address=http:\/\/127\.0\.0\.1:\d+ people=\d+$/);
  t.match(lines.find((l) => l.includes(' configuration '))!, /adminKey.*\[redacted\]/, 'redacted as in JSON');
  t.notOk(lines.some((l) => l.startsWith('{')), 'no JSON line');
  child.kill('SIGTERM');
  t.equal((await once(child, 'exit'))[0], 0);
});

t.test('--pretty keeps the cause of an error given as text (a store out of reach) and an error object by its message, its stack below', async (t) => {
  const line = (entry: object) => prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'the store is out of reach', ...entry }));
  t.equal(line({ code: 'JCT_STORE_UNAVAILABLE', err: 'connect ECONNREFUSED 127.0.0.1:5432' }), '00:00:00.000 ERROR the store is out of reach code=JCT_STORE_UNAVAILABLE err="connect ECONNREFUSED 127.0.0.1:5432"\n');
  t.equal(line({ err: { message: 'boom', stack: 'Error: boom\n    at x' } }), '00:00:00.000 ERROR the store is out of reach err="boom"\n    Error: boom\n        at x\n');
});

t.test('a SIGTERM sent the moment Junction says it listens stops it gracefully, every time', async (t) => {
  const runs = Array.from({ length: 4 }, async () => {
    const j = startJunction(env('', { JUNCTION_FLOWS: '' }));
    t.teardown(() => j.child.kill('SIGKILL'));
    await j.address;
    j.child.kill('SIGTERM');
    const [code, signal] = (await once(j.child, 'exit')) as [number | null, string | null];
    return { code, signal, stopping: j.logs.some((l) => l['msg'] === 'stopping') };
  });
  t.same(await Promise.all(runs), Array(4).fill({ code: 0, signal: null, stopping: true }), 'handled, not killed by the default action');
});

t.test('a second signal while stopping forces the stop: one line saying what it leaves, exit 4', async (t) => {
  const j = start(t, env('', { JUNCTION_FLOWS: '' }));
  const { hostname, port } = new URL(await j.address);
  const socket = connect(Number(port), hostname); // a request whose body never ends: the graceful stop waits for it
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(`POST /flows/hold/participants HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${ADMIN}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na`);
  await new Promise((resolve) => setTimeout(resolve, 100)); // its head read
  j.child.kill('SIGTERM');
  await eventually(() => j.logs.some((l) => l['msg'] === 'stopping'));
  t.ok(await stays(() => j.child.exitCode === null, 300), 'the graceful stop waits for the request');
  j.child.kill('SIGINT');
  const [code, signal] = (await once(j.child, 'exit')) as [number | null, string | null];
  t.same([code, signal], [4, null], 'exit 4, not killed by the default action');
  const last = j.logs.at(-1)!;
  t.match(last, { level: 40, code: 'JCT_STOP_FORCED', signal: 'SIGINT', during: 'closing', exitCode: 4 });
  t.match(last['msg'], /^stop forced by a second signal: exiting now; nothing acknowledged is lost/);
  t.notOk(j.logs.some((l) => l['msg'] === 'stopped'), 'not a graceful stop');
});

t.test('a log reader that went away does not keep Junction from stopping: SIGTERM ends it, exit 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-epipe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const junction = start(t, env(dir));
  const address = await junction.address;
  junction.child.stdout!.destroy(); // the reader of the log is gone: the next line written gets EPIPE
  t.equal((await fetch(`${address}/healthz`)).status, 200, 'it still serves');
  const exited = once(junction.child, 'exit');
  junction.child.kill('SIGTERM');
  const timer = setTimeout(() => junction.child.kill('SIGKILL'), 10_000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  t.same([code, signal], [0, null], 'it stopped by itself, gracefully');
});
