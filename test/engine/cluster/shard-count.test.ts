// The shard count is fixed at a cluster's first start: the same count again is fine, another is
// refused naming both, a schema one engine used alone (shards = 1) is refused, and one engine
// refuses a schema a sharded cluster marked.
import t from 'tap';
import { fixShardCount } from '../../../engine/cluster/shard-count.js';
import { PostgresBackend } from '../../../engine/store/postgres.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { GroupCommit } from '../../../engine/store/journal.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { SystemClock } from '../../../engine/clock.js';
import { registryWith } from '../helpers.js';
import { PG_URL, tempSchema, unlessPostgres } from '../store/postgres-service.js';

const skip = await unlessPostgres(t);

/** One engine over `schema`, recovered (its meta rows written), then closed. */
async function oneEngine(schema: string): Promise<void> {
  const backend = await PostgresBackend.open({ url: PG_URL, schema });
  const clock = new SystemClock();
  const engine = new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith(), journal: new GroupCommit(backend) });
  try {
    engine.recover(backend);
    await engine.journal.flush();
  } finally {
    await engine.close();
    await backend.close();
  }
}

t.test('the count is kept at the first start and compared at every later one', { skip }, async (t) => {
  const schema = tempSchema(t, 'sharded_start_count');
  await fixShardCount({ url: PG_URL, schema, shards: 4 });
  await fixShardCount({ url: PG_URL, schema, shards: 4 });
  await t.rejects(fixShardCount({ url: PG_URL, schema, shards: 8 }), { code: 'JCT_SHARDS_CHANGED', message: /started with 4 shards, not 8/, details: { stored: 4, configured: 8, setting: 'shards' } });
  await t.rejects(oneEngine(schema), { code: 'JCT_SHARDS_CHANGED', message: /started with 4 shards, not 1/ }, 'one engine refuses a sharded schema');
});

t.test('two first starts at once: one count wins, the other start compares with it', { skip }, async (t) => {
  const schema = tempSchema(t, 'sharded_start_race');
  const results = await Promise.allSettled([fixShardCount({ url: PG_URL, schema, shards: 4 }), fixShardCount({ url: PG_URL, schema, shards: 6 })]);
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
});

t.test('a schema one engine used alone is refused, saying how to move', { skip }, async (t) => {
  const schema = tempSchema(t, 'sharded_start_single');
  await oneEngine(schema);
  await t.rejects(fixShardCount({ url: PG_URL, schema, shards: 4 }), { code: 'JCT_SHARDS_CHANGED', message: /used with shards 1, not 4.*run junction move-to-shards with this configuration/ });
});
