// A sharded cluster with Redis in front of its shards, against the test's PostgreSQL and Redis:
// each shard's batches go to a stream of its own, fenced by the shard lease's token; a flow
// launched through one process runs everywhere and a person added through the other is in it; a
// key held away from its home shard has its directory row as soon as the change is answered (the
// other process finds the person by it); a shard given up is drained into its schema and taken
// by the other process, whose take writes the rows its people need that an earlier holder left
// out (one that died between Redis and the rows). Redis lost under load (a redis-server of the
// test's own, killed and started again): adds through either process are refused 503 with
// Retry-After meanwhile, taken again once it is back, and every person acknowledged is in the
// flow.
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { closedPort } from '../../gateway/services.js';
import { hasRedisServer, redisServer } from '../store/redis-server.js';
import { flow, pauseDays } from '../helpers.js';
import { shardOfContact, shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import { sql, unlessPostgres } from '../store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../store/redis-service.js';
import { AUTH, call, clusterOf, eventually } from './cluster-service.js';

const skip = (await unlessRedis(t)) || (await unlessPostgres(t));

t.test('Redis in front of four shards shared by two processes: flows, people and the directory; a shard moved keeps its rows', { skip }, async (t) => {
  const prefix = tempPrefix(t, 'jct-shards');
  const cluster = await clusterOf(t, { processes: 2, shards: 4, redisPrefix: prefix });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const fences = await Promise.all([0, 1, 2, 3].map((n) => redis.get(`${prefix}s${n}:fence`)));
  t.ok(fences.every((token) => Number(token) >= 1), `each shard's Redis fence holds its lease's token: ${JSON.stringify(fences)}`);

  t.equal((await call(a, 'POST', '/api/v1/flows', flow('welcome', [pauseDays('wait', 1)]))).status, 201);
  t.equal((await call(a, 'POST', '/api/v1/flows/welcome/launch')).status, 200);
  await eventually(() => call(b, 'GET', '/api/v1/flows/welcome'), (r) => r.body?.status === 'active');
  const [phone, email] = apart();
  const added = await b.inject({ method: 'POST', url: '/flows/welcome/participants', headers: AUTH, payload: { person: { emails: [email] } } });
  t.equal(added.statusCode, 201, added.body);
  const id = added.json().personId as string;
  const shard = shardOfPersonId(id, 4);
  t.equal(shard, shardOfContact(email, 4), 'made in the home shard of their email');
  t.match((await call(a, 'GET', `/api/v1/people/${id}/journeys`)).body.journeys, [{ flowId: 'welcome', element: 'wait' }], 'in the flow, read through the other process');

  t.equal((await call(a, 'POST', '/api/v1/people', { phones: [phone], emails: [email] })).status, 200, 'given a phone whose home is another shard');
  t.same(await rowsOf(cluster.schema), [`${phone} ${shard}`], 'its directory row is written when the change is answered');
  t.equal((await call(b, 'GET', `/api/v1/people?phone=${encodeURIComponent(phone)}`)).body.id, id, 'found by it through the other process');

  await sql(`DELETE FROM "${cluster.schema}".directory`); // as if the holder had died between Redis and the row
  const holder = cluster.processes.find((p) => p.process.shards().includes(shard))!;
  const other = cluster.processes.find((p) => p !== holder)!;
  await holder.stop();
  await eventually(async () => other.process.shards(), (held) => held.length === 4);
  t.same(await rowsOf(cluster.schema), [`${phone} ${shard}`], "the take wrote the row its person's phone needs");
  t.same((await sql(`SELECT key FROM "${cluster.schema}_s${shard}".person WHERE key = $1`, [id])).length, 1, 'the shard given up was drained into its schema');
  t.equal((await call(other.app, 'GET', `/api/v1/people?phone=${encodeURIComponent(phone)}`)).body.id, id, 'found by the phone after the move');
  t.match((await call(other.app, 'GET', `/api/v1/people/${id}/journeys`)).body.journeys, [{ flowId: 'welcome', element: 'wait' }], 'still in the flow');
});

t.test('Redis lost and back under load: adds refused 503 meanwhile through either process, taken again after, none acknowledged lost', { skip: skip || (hasRedisServer() ? false : 'redis-server is not installed') }, async (t) => {
  const port = await closedPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-shards-outage-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  let redis = await durableRedis(t, port, dir);
  const cluster = await clusterOf(t, { processes: 2, shards: 4, redisPrefix: 'outage:', redisUrl: `redis://127.0.0.1:${port}` });
  const apps = cluster.processes.map((p) => p.app);
  t.equal((await call(apps[0]!, 'POST', '/api/v1/flows', flow('welcome', [pauseDays('wait', 1)]))).status, 201);
  t.equal((await call(apps[0]!, 'POST', '/api/v1/flows/welcome/launch')).status, 200);
  await eventually(() => call(apps[1]!, 'GET', '/api/v1/flows/welcome'), (r) => r.body?.status === 'active');

  const acknowledged: string[] = [];
  const refused: Array<{ status: number; retryAfter: unknown; code: string }> = [];
  let next = 0;
  let running = true;
  const workers = Array.from({ length: 8 }, async () => {
    while (running) {
      const i = next++;
      const r = await call(apps[i % 2]!, 'POST', '/flows/welcome/participants', { person: { phones: [`+1415666${String(i).padStart(4, '0')}`], emails: [`out${i}@example.com`] } });
      if (r.status === 201) acknowledged.push(r.body.personId as string);
      else refused.push({ status: r.status, retryAfter: r.headers['retry-after'], code: r.body?.error?.code ?? r.body?.code });
    }
  });
  const until = async (what: () => boolean): Promise<void> => {
    while (!what()) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await until(() => acknowledged.length >= 100);
  redis.kill('SIGKILL');
  await once(redis, 'exit');
  await until(() => refused.length >= 20);
  const before = acknowledged.length;
  redis = await durableRedis(t, port, dir);
  await until(() => acknowledged.length >= before + 100);
  running = false;
  await Promise.all(workers);
  t.same(refused.filter((r) => !(r.status === 503 && r.retryAfter !== undefined)), [], 'every refusal a 503 with Retry-After');
  const missing: string[] = [];
  for (const [i, id] of acknowledged.entries()) {
    const journeys = await call(apps[i % 2]!, 'GET', `/api/v1/people/${id}/journeys`);
    if (journeys.body?.journeys?.length !== 1) missing.push(`${id} ${journeys.status} ${JSON.stringify(journeys.body)}`);
  }
  t.same(missing, [], `all ${acknowledged.length} acknowledged people are in the flow (${refused.length} adds refused while Redis was out)`);
});

/** The test's redis-server: append-only, fsync always, its files in `dir`. */
function durableRedis(t: Test, port: number, dir: string): Promise<ChildProcess> {
  return redisServer(t, port, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
}

/** A phone and an email whose home shards of four differ. */
function apart(): [string, string] {
  for (let i = 0; ; i++) {
    const [phone, email] = [`+1415555${String(1000 + i)}`, `ana${i}@example.com`];
    if (shardOfContact(phone, 4) !== shardOfContact(email, 4)) return [phone, email];
  }
}

async function rowsOf(schema: string): Promise<string[]> {
  const rows = await sql(`SELECT key, shard FROM "${schema}".directory ORDER BY key`);
  return rows.map((r) => `${String(r['key'])} ${String(r['shard'])}`);
}
