// `junction copy-redis` as an operator runs it: `junction start` (the built command) on Redis
// alone, in cluster mode, holds people inside a flow waiting for an event, and an API key made
// with `junction keys create`; the copy is refused while it holds its lease; once it stopped,
// the store and the key are copied into PostgreSQL, straight into four shards, and two processes
// of the sharded cluster serve them: each person found by phone through either, an event moves
// their participant on, the key is accepted. A prefix holding no store is refused.
import t from 'tap';
import { startMember } from './junction-process.js';
import { json, servedAndMovedOn, stopped, waitingPeople } from './waiting-people.js';
import { copyRedisCommand } from '../../bin/commands/move-store.js';
import { keysCommand } from '../../bin/commands/keys.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';
import { REDIS_URL, tempPrefix, unlessRedis } from '../engine/store/redis-service.js';

const SHARDS = 4;
const PEOPLE = 8;
const PHONES = Array.from({ length: PEOPLE }, (_, i) => `+1415555${String(5000 + i * 23)}`);

const skip = (await unlessPostgres(t)) || (await unlessRedis(t));

async function copied(env: NodeJS.ProcessEnv): Promise<string[]> {
  const lines: string[] = [];
  await copyRedisCommand(undefined, env, (line) => lines.push(line));
  return lines;
}

t.test('a Redis-alone store and its API keys copied into four shards on PostgreSQL are served from there', { skip }, async (t) => {
  const redis = { JUNCTION_STORE: 'redis', REDIS_URL, JUNCTION_REDIS_PREFIX: tempPrefix(t, 'copy-redis'), JUNCTION_FLOWS: '', JUNCTION_PEOPLE: '', JUNCTION_LEASE_MS: '1000' };
  const one = startMember(t, 'one', redis);
  const people = await waitingPeople(t, await one.address, PHONES);
  const keyLines: string[] = [];
  await keysCommand(['create'], { name: 'crm', scopes: 'people' }, redis, (line) => keyLines.push(line));
  const secret = keyLines.find((line) => /^jk_\S+$/.test(line))!;
  t.ok(secret, `a key was made: ${keyLines.join(' | ')}`);

  const schema = tempSchema(t, 'copy_redis');
  t.teardown(() => Promise.all(Array.from({ length: SHARDS }, (_, n) => sql(`DROP SCHEMA IF EXISTS "${schema}_s${n}" CASCADE`))));
  const sharded = { ...redis, JUNCTION_STORE: 'postgres', DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schema, JUNCTION_CLUSTER: '1', JUNCTION_SHARDS: String(SHARDS), JUNCTION_CLUSTER_SECRET: 'a cluster secret for the copy test' };
  await t.rejects(copied(sharded), { code: 'JCT_MOVE_REFUSED', message: /a process still uses the Redis store \(/ }, 'refused while the process holds its lease');
  t.equal(await stopped(one), 0);
  const said = await copied(sharded);
  t.ok(said.includes(`  person: ${PEOPLE} rows`), `a line per table placed: ${said.join(' | ')}`);
  t.match(said.slice(-2), [new RegExp(`^redis .* → postgres .*: moved into 4 shards \\(${PEOPLE} people, \\d+ / \\d+ / \\d+ / \\d+ by shard; ${PEOPLE} participants; \\d+ rows; \\d+ directory rows\\)$`), /the Redis store is left as it was$/]);

  const a = startMember(t, 'a', sharded);
  const b = startMember(t, 'b', sharded);
  const addresses = [await a.address, await b.address];
  await servedAndMovedOn(t, addresses, people, PHONES);
  t.same((await json(`${addresses[1]}/api/v1/people/${people[0]!}`, {}, { authorization: `Bearer ${secret}` })).body.tags, ['bought'], 'the API key made on the Redis store is accepted');

  await t.rejects(copied({ ...sharded, JUNCTION_REDIS_PREFIX: 'copy-redis-nothing-here:' }), { code: 'JCT_MOVE_REFUSED', message: /no Redis store under the prefix "copy-redis-nothing-here:"/ });
});
