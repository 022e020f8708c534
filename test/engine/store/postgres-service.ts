// Test helper for the Postgres store's tests: the test database at 127.0.0.1:5432 (its tests
// skipped loudly when it does not answer, failed when JUNCTION_REQUIRE_SERVICES=1), schemas of
// a test's own that its end drops, and one-off SQL beside the backend under test.
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { unlessReachable } from '../../gateway/services.js';
import { query } from '../../../bench/lib/postgres.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** tap's `skip` option for tests needing Postgres (see unlessReachable). */
export function unlessPostgres(t: Test): Promise<false | string> {
  return unlessReachable(t, 'Postgres', '127.0.0.1', 5432);
}

/** A fresh schema name, `prefix` and a random suffix, dropped (with its tables) when `t` ends. */
export function tempSchema(t: Test, prefix: string): string {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  t.teardown(() => sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  return schema;
}

/** Runs one statement on a connection of its own; returns its rows. */
export function sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
  return query(PG_URL, text, values);
}

/** A connection the test holds (for locks across statements), closed when `t` ends. */
export async function connection(t: Test): Promise<Client> {
  const client = new Client(PG_URL);
  await client.connect();
  t.teardown(() => client.end());
  return client;
}
