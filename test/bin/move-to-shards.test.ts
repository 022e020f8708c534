// `junction move-to-shards` as an operator runs it: one `junction start` (the built command) on
// PostgreSQL with shards 1 holds people inside a flow waiting for an event; it is stopped; the
// command moves its store into four shards; two processes of the sharded cluster then serve
// them: each found by phone through either process, and an event sent for each through either
// moves their participant on. While the process runs the move is refused, naming it. The
// command refuses shards 1, and with Redis in front a stream PostgreSQL has not drained (the
// store's own), or a shard's stream or fence under the same prefix (another cluster's).
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { startMember } from './junction-process.js';
import { servedAndMovedOn, stopped, waitingPeople } from './waiting-people.js';
import { moveToShardsCommand } from '../../bin/commands/move-store.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';

const SHARDS = 4;
const SECRET = 'a cluster secret for the move test';
const PEOPLE = 12;
const PHONES = Array.from({ length: PEOPLE }, (_, i) => `+1415555${String(3000 + i * 17)}`);

const skip = await unlessPostgres(t);

async function moved(env: NodeJS.ProcessEnv): Promise<string[]> {
  const lines: string[] = [];
  await moveToShardsCommand(undefined, env, (line) => lines.push(line));
  return lines;
}

function storeEnv(t: Test): NodeJS.ProcessEnv {
  const schema = tempSchema(t, 'move_cmd');
  t.teardown(() => Promise.all(Array.from({ length: SHARDS }, (_, n) => sql(`DROP SCHEMA IF EXISTS "${schema}_s${n}" CASCADE`))));
  return { JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_FLOWS: '', JUNCTION_PEOPLE: '', JUNCTION_LEASE_MS: '1000' };
}

t.test("one process's store moved into four shards is served by two processes", { skip }, async (t) => {
  const single = storeEnv(t);
  const sharded = { ...single, JUNCTION_CLUSTER: '1', JUNCTION_SHARDS: String(SHARDS), JUNCTION_CLUSTER_SECRET: SECRET };
  const one = startMember(t, 'one', single);
  const people = await waitingPeople(t, await one.address, PHONES);

  await t.rejects(moved(sharded), { code: 'JCT_MOVE_REFUSED', message: /a process still uses the store \(/ }, 'refused while the process runs');
  t.equal(await stopped(one), 0);
  const said = await moved(sharded);
  t.match(said[0], /: moving into 4 shards$/);
  t.ok(said.includes(`  person: ${PEOPLE} rows`) && said.includes(`  participant: ${PEOPLE} rows`), `a line per table placed: ${said.join(' | ')}`);
  t.match(said.slice(-2), [new RegExp(`: moved into 4 shards \\(${PEOPLE} people, \\d+ / \\d+ / \\d+ / \\d+ by shard; ${PEOPLE} participants; \\d+ rows; \\d+ directory rows\\)$`), 'start the processes with shards 4']);

  const a = startMember(t, 'a', sharded);
  const b = startMember(t, 'b', sharded);
  await servedAndMovedOn(t, [await a.address, await b.address], people, PHONES);
});

t.test('the command refuses shards 1', { skip }, async (t) => {
  await t.rejects(moved(storeEnv(t)), { message: /set shards \(JUNCTION_SHARDS\) to 2 or more/ });
});

t.test('with Redis in front: refused while Redis holds batches PostgreSQL has not', { skip: skip || (await unlessRedis(t)) }, async (t) => {
  const prefix = tempPrefix(t, 'move-cmd');
  const env = { ...storeEnv(t), JUNCTION_STORE: 'redis+postgres', REDIS_URL, JUNCTION_REDIS_PREFIX: prefix, JUNCTION_CLUSTER: '1', JUNCTION_SHARDS: String(SHARDS), JUNCTION_CLUSTER_SECRET: SECRET };
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  await redis.xadd(`${prefix}s2:log`, '*', 'b', '');
  await redis.set(`${prefix}s3:fence`, '7');
  await t.rejects(moved(env), { code: 'JCT_MOVE_REFUSED', message: new RegExp(`shards' keys under the prefix "${prefix}" \\(${prefix}s2:log, ${prefix}s3:fence\\)`) }, "another cluster's shard stream and fence");
  await redis.xadd(`${prefix}log`, '*', 'b', '');
  await t.rejects(moved(env), { code: 'JCT_MOVE_REFUSED', message: new RegExp(`Redis still holds batches that PostgreSQL does not have \\(1 in ${prefix}log\\)`) });
});
