// The PostgreSQL the benchmarks use (BENCH_POSTGRES_URL, default the local test database): one
// statement on a connection of its own, and schemas of a run's own, dropped afterwards. The
// tests' Postgres helper runs its statements through query() too.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const PG_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on a connection of its own to `url`; returns its rows. */
export async function query(url: string, text: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
  const client = new Client(url);
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a schema with its tables, if it is there. */
export async function dropSchema(schema: string): Promise<void> {
  await query(PG_URL, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Runs fn on a fresh schema and drops it afterwards. */
export async function inSchema<T>(fn: (schema: string) => Promise<T>): Promise<T> {
  const schema = `jct_bench_${randomBytes(4).toString('hex')}`;
  try {
    return await fn(schema);
  } finally {
    await dropSchema(schema);
  }
}
