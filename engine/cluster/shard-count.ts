// A sharded cluster's shard count, fixed at its first start (decision 0018): kept as the row
// `shards` of the cluster schema's `meta` table, written by the first sharded start and compared
// by every later one, as the engine compares its partitions. People are placed on shards by a
// hash of the count, so another count would lose them: refused (JCT_SHARDS_CHANGED), naming
// both numbers. A schema that one engine used alone (shards = 1: its `meta` has the engine's
// `partitions` row) holds its people in itself, which no shard reads: refused too. The same row
// makes a start with shards = 1 on a sharded schema refuse (Engine's restoreMeta, SHARDS_META).
import { escapeIdentifier } from 'pg';
import { JunctionError, aboutSetting } from '../errors.js';
import { SHARDS_META } from '../runtime/engine.js';
import { migrate, onConnection } from '../store/postgres.js';

/** Migrates the cluster's schema and records `shards` there at the first start; refuses a schema written with another count or by one engine alone. */
export async function fixShardCount(options: { readonly url: string; readonly schema: string; readonly shards: number }): Promise<void> {
  await migrate(options.url, options.schema);
  await onConnection(options.url, options.schema, async (client, schema) => {
    const meta = `${escapeIdentifier(schema)}.meta`;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`junction shards ${schema}`]); // two first starts: one writes, the other compares
      const { rows } = await client.query<{ key: string; value: string }>(`SELECT key, value FROM ${meta} WHERE key IN ($1, 'partitions')`, [SHARDS_META]);
      const stored = rows.find((r) => r.key === SHARDS_META);
      if (stored) refuseOtherCount(Number(JSON.parse(stored.value)), options.shards);
      else if (rows.length > 0) refuseSingleStore(schema, options.shards);
      else await client.query(`INSERT INTO ${meta} (key, value) VALUES ($1, $2)`, [SHARDS_META, JSON.stringify(options.shards)]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

function refuseOtherCount(stored: number, configured: number): void {
  if (stored === configured) return;
  throw new JunctionError('JCT_SHARDS_CHANGED', `the cluster was started with ${stored} shards, not ${configured}: start it with shards ${stored} (changing the count is not supported: people are placed by it)`, aboutSetting('shards', { stored, configured }));
}

function refuseSingleStore(schema: string, configured: number): void {
  throw new JunctionError(
    'JCT_SHARDS_CHANGED',
    `the schema "${schema}" holds the state of a store used with shards 1, not ${configured}: its people would be invisible to the shards. Move it into the shards first: stop every process, run junction move-to-shards with this configuration, then start them (or keep shards 1)`,
    aboutSetting('shards', { stored: 1, configured }),
  );
}
