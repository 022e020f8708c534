// A takeover seen by clients (cluster mode, on PostgreSQL): while the owner is SIGKILLed and the
// standby takes over, a new connection every 10 ms to the standby's port is never refused nor
// cut off: each gets the owner's answer, 503 JCT_STANDBY with Retry-After: 1, or the new owner's.
// The time from the first to the last connection that failed is the port's gap (0 when none did).
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { get } from 'node:http';
import { AUTH, startMember, type JunctionProcess } from './junction-process.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

const EVERY_MS = 10;

/** What a connection got: an answer (status, Retry-After, error code) or the connection's error. */
interface Outcome {
  at: number;
  status?: number;
  retryAfter?: string;
  code?: string;
  failed?: string;
}

function member(t: Test, store: NodeJS.ProcessEnv, name: string): JunctionProcess {
  return startMember(t, name, { JUNCTION_LEASE_MS: '1500', JUNCTION_RATE_LIMIT_PER_SECOND: '100000', ...store });
}

/** GET `url` on a connection of its own. */
function ask(url: string): Promise<Outcome> {
  const at = performance.now();
  return new Promise((resolve) => {
    const req = get(url, { agent: false, headers: AUTH }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        const code = res.statusCode === 200 ? undefined : (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        resolve({ at, status: res.statusCode, retryAfter: res.headers['retry-after'], code });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ at, failed: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ at, failed: err.code ?? err.message }));
  });
}

t.test('no connection refused or cut off while a standby takes over from a killed owner', { skip: await unlessPostgres(t) }, async (t) => {
  const store = { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'jct_takeover') };
  const a = member(t, store, 'a');
  const owner = await a.address;
  const b = member(t, store, 'b');
  const origin = await b.standing;
  while (!b.logs.some((l) => l['address'] === owner)) await new Promise((resolve) => setTimeout(resolve, 20));

  const outcomes: Array<Promise<Outcome>> = [];
  let asking = true;
  const loop = (async () => {
    while (asking) {
      outcomes.push(ask(`${origin}/flows`));
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 100));
  a.child.kill('SIGKILL');
  await once(a.child, 'exit');
  t.equal(await b.address, origin, 'the standby took over on its address');
  await new Promise((resolve) => setTimeout(resolve, 200));
  asking = false;
  await loop;

  const all = await Promise.all(outcomes);
  const failed = all.filter((o) => o.failed !== undefined);
  const gapMs = failed.length === 0 ? 0 : Math.round(failed.at(-1)!.at - failed[0]!.at + EVERY_MS);
  t.same(failed.map((o) => o.failed), [], `${all.length} connections, ${failed.length} failed: the port's gap is ${gapMs} ms`);
  const refused = all.filter((o) => o.status !== undefined && o.status !== 200);
  t.ok(refused.length > 0, 'some were answered 503 while no owner served');
  t.same(refused.filter((o) => o.status !== 503 || o.retryAfter !== '1' || o.code !== 'JCT_STANDBY'), [], 'every other answer is 503 JCT_STANDBY with Retry-After: 1');
  t.equal(all.at(-1)?.status, 200, 'the new owner serves');
});
