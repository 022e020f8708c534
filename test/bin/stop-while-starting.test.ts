// SIGTERM or SIGINT while `junction start` is still starting is a graceful stop too, not Node's
// default (exit 143, nothing logged): `stopping` names what the start was doing, `stopped` follows,
// exit 0; a flow file is launched whole or not at all, so a restart launches each file's flow once.
import t from 'tap';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startJunction } from './junction-process.js';
import { closedPort } from '../gateway/services.js';

const base = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_PEOPLE: '', ...extra });

/** Resolves once a line whose msg starts with `msg` is logged. */
function said(logs: ReadonlyArray<Record<string, unknown>>, msg: string): Promise<void> {
  return new Promise((resolve) => {
    const look = (): void => void (logs.some((l) => String(l['msg']).startsWith(msg)) ? resolve() : setTimeout(look, 5));
    look();
  });
}

t.test('while the store cannot be reached yet: SIGTERM stops the start at once, exit 0', async (t) => {
  const j = startJunction(base({ JUNCTION_DATA_DIR: '', DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, JUNCTION_STORE_START_TIMEOUT_S: '60' }));
  t.teardown(() => j.child.kill('SIGKILL'));
  j.address.catch(() => {});
  await said(j.logs, 'the store cannot be reached yet');
  j.child.kill('SIGTERM');
  const [code, signal] = (await once(j.child, 'exit')) as [number | null, string | null];
  t.same([code, signal], [0, null], 'exit 0, not killed by the signal');
  t.match(j.logs.find((l) => l['msg'] === 'stopping'), { signal: 'SIGTERM', during: 'opening the store' });
  t.match(j.logs.at(-1), { msg: 'stopped', ms: Number });
});

t.test('while launching the flows folder: SIGINT stops between two files; a restart launches the rest, each once', async (t) => {
  const dir = t.testdir();
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  const ids = Array.from({ length: 400 }, (_, i) => `hold-${String(i).padStart(3, '0')}`);
  for (const id of ids) {
    const flow = { schemaVersion: 1, id, name: id, entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'wait' } }], elements: [{ id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }] };
    writeFileSync(join(flows, `${id}.json`), JSON.stringify(flow));
  }
  const env = base({ JUNCTION_DATA_DIR: join(dir, 'data'), JUNCTION_FLOWS: flows });
  const first = startJunction(env);
  t.teardown(() => first.child.kill('SIGKILL'));
  first.address.catch(() => {});
  await said(first.logs, 'flow launched');
  first.child.kill('SIGINT');
  const [code, signal] = (await once(first.child, 'exit')) as [number | null, string | null];
  t.same([code, signal], [0, null], 'exit 0, not killed by the signal');
  t.match(first.logs.find((l) => l['msg'] === 'stopping'), { signal: 'SIGINT', during: 'launching the flows folder' });
  t.match(first.logs.at(-1), { msg: 'stopped', batches: Number, lastBatch: { rows: Number } }, 'what was launched was written');
  t.notOk(first.logs.some((l) => l['msg'] === 'Junction is listening'), 'it stopped before serving');
  const launched = first.logs.filter((l) => l['msg'] === 'flow launched').map((l) => l['flow']);
  t.ok(launched.length > 0 && launched.length < ids.length, `stopped part way (${launched.length} launched)`);

  const again = startJunction(env);
  t.teardown(() => again.child.kill('SIGKILL'));
  await again.address;
  const recovered = again.logs.filter((l) => l['msg'] === 'flow recovered').map((l) => l['flow']);
  const relaunched = again.logs.filter((l) => l['msg'] === 'flow launched').map((l) => l['flow']);
  t.same(recovered, launched, 'what the stopped start launched is recovered');
  t.same([...recovered, ...relaunched].sort(), ids, 'every file once: none launched a second time');
  again.child.kill('SIGTERM');
  await once(again.child, 'exit');
});
