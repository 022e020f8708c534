// Test helper for the directory's tests: shards' stores writing a cluster's directory, and person rows as the engine writes them.
import type { Test } from 'tap';
import { batchOf, type JournalBackend } from '../../../engine/store/journal.js';
import { PostgresBackend, type Fence, type PostgresOptions } from '../../../engine/store/postgres.js';
import type { Person } from '../../../engine/person.js';
import { DirectoryRows } from '../../../engine/cluster/directory-rows.js';
import { PG_URL, sql, tempSchema } from '../store/postgres-service.js';

/** A person row as the engine writes it (layout.ts personOf). */
export function personRow(id: string, phones: string[], emails: string[] = [], externalId?: string): Person {
  return { id, standard: externalId === undefined ? {} : { externalId }, custom: {}, phones, emails, tags: [], companies: [], lastContacted: {} };
}

/**
 * So many shards that no key of these tests is at home in the shard writing it (homeOfKey), so
 * every key has a row (the tests with a few shards say so).
 */
export const MANY_SHARDS = 1_000_003;

/** A backend of shard `shard` of `shards` over a schema of its own, writing the directory in `cluster`; closed at the test's end. */
export async function shardStore(t: Test, cluster: string, shard: number, options: Partial<PostgresOptions> = {}, shards = MANY_SHARDS): Promise<PostgresBackend> {
  const rows = new DirectoryRows({ schema: cluster, shard, shards });
  const backend = await PostgresBackend.open({ url: PG_URL, schema: tempSchema(t, `directory_s${shard}`), ...options, alsoWrite: rows });
  directories.set(backend, rows);
  t.teardown(() => backend.close());
  return backend;
}

const directories = new WeakMap<PostgresBackend, DirectoryRows>();

/** The directory writer of a shard store. */
export function directoryRowsOf(backend: PostgresBackend): DirectoryRows {
  return directories.get(backend)!;
}

/** Keys a shard store's people were given that another shard's person held already. */
export function conflictsOf(backend: PostgresBackend): number {
  return directoryRowsOf(backend).conflicts;
}

/** Writes these people (null: erased) in one batch. */
export async function commitPeople(backend: Pick<JournalBackend, 'commit'>, people: ReadonlyArray<Person | [id: string, erased: null]>): Promise<void> {
  await backend.commit(batchOf(people.map((p) => (Array.isArray(p) ? { table: 'person', key: p[0], value: null } : { table: 'person', key: p.id, value: p }))));
}

/**
 * A real lease row of shard 0 in `cluster`'s leases table (migrated by a shard store already) and
 * the fence of its holder; `fenced(true)` has another process take the lease over (the row's
 * token changes), `fenced(false)` gives it back.
 */
export async function leaseFence(cluster: string): Promise<{ fence: Fence; fenced(taken: boolean): Promise<void> }> {
  const table = `"${cluster}".leases`;
  await sql(`INSERT INTO ${table} (name, owner, token, expires_at) VALUES ('shard:0', 'me', 1, now() + interval '1 hour')`);
  const fence: Fence = { leaseTable: table, leaseName: 'shard:0', token: '1', fenced: () => {} };
  return { fence, fenced: async (taken) => void (await sql(`UPDATE ${table} SET token = $1 WHERE name = 'shard:0'`, [taken ? 2 : 1])) };
}
