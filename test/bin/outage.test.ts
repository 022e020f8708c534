// A store outage under load: `junction start` keeps its state in a redis-server of the test's
// own (append-only, fsync always) while Flow API calls keep coming; Redis is killed and started
// again. Meanwhile calls are refused with 503 and Retry-After and /readyz says the store is out;
// once Redis is back, calls are taken again by themselves. Then Junction is SIGKILLed and
// restarted: every person whose call was acknowledged (201) is in the flow.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { AUTH, startJunction } from './junction-process.js';
import { closedPort, unlessReachable } from '../gateway/services.js';
import { hasRedisServer, redisServer } from '../engine/store/redis-server.js';

/** The test's redis-server: append-only, fsync always, its files in `dir`. */
function durableRedis(t: Test, port: number, dir: string): Promise<ChildProcess> {
  return redisServer(t, port, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
}

t.test('Redis lost and back under load: 503s meanwhile, nothing acknowledged lost', async (t) => {
  const skip = hasRedisServer() ? await unlessReachable(t, 'Redis', '127.0.0.1', 6379) : 'redis-server is not installed';
  if (skip && process.env['JUNCTION_REQUIRE_SERVICES'] === '1') t.fail(`required: ${skip}`);
  await t.test('under load', { skip }, async (t) => {
    const port = await closedPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-outage-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    let redis = await durableRedis(t, port, dir);
    const env = { ...process.env, JUNCTION_PORT: '0', JUNCTION_HOST: '127.0.0.1', JUNCTION_DATA_DIR: t.testdir(), JUNCTION_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}`, JUNCTION_RATE_LIMIT_PER_SECOND: '1000000' };
    const first = startJunction(env);
    const origin = await first.address;
    const acknowledged: string[] = [];
    const refused: Array<{ status: number; retryAfter: string | null; code: string }> = [];
    let next = 0;
    let running = true;
    const add = async (): Promise<void> => {
      const id = `person-${next++}`;
      const r = await fetch(`${origin}/flows/welcome/participants`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ person: { id } }) });
      const body = (await r.json()) as { error?: { code: string } };
      if (r.status === 201) acknowledged.push(id);
      else refused.push({ status: r.status, retryAfter: r.headers.get('retry-after'), code: body.error?.code ?? '' });
    };
    const workers = Array.from({ length: 8 }, async () => {
      while (running) await add();
    });
    const until = async (what: () => boolean): Promise<void> => {
      while (!what()) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => acknowledged.length >= 200);
    redis.kill('SIGKILL');
    await once(redis, 'exit');
    await until(() => refused.length >= 20);
    const ready = await fetch(`${origin}/readyz`);
    t.equal(ready.status, 503, '/readyz says the store is out');
    const before = acknowledged.length;
    redis = await durableRedis(t, port, dir);
    await until(() => acknowledged.length >= before + 200);
    running = false;
    await Promise.all(workers);
    t.equal((await fetch(`${origin}/readyz`)).status, 200, 'ready again');
    t.ok(refused.every((r) => r.status === 503 && r.retryAfter !== null && r.code === 'JCT_STORE_UNAVAILABLE'), 'every refusal a 503 with Retry-After');
    t.ok(first.logs.some((l) => l['code'] === 'JCT_STORE_BACK'), 'the return is logged');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    const second = startJunction(env);
    t.teardown(() => second.child.kill('SIGKILL'));
    const again = await second.address;
    const missing: string[] = [];
    for (const id of acknowledged) {
      const r = (await (await fetch(`${again}/api/v1/people/${id}/journeys`, { headers: AUTH })).json()) as { journeys?: unknown[] };
      if (r.journeys?.length !== 1) missing.push(`${id} ${JSON.stringify(r)}`);
    }
    t.same(missing, [], `all ${acknowledged.length} acknowledged people are in the flow after the restart (${refused.length} calls refused during the outage)`);
  });
});
