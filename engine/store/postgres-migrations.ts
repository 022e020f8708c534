// The Postgres store's schema history: an ordered list of plain SQL migrations, kept in
// TypeScript so the build carries them (it copies no .sql files). Each runs once per schema,
// in order, with `search_path` set to that schema, so the SQL names tables unqualified.
// A migration, once released, never changes: a later change is a new migration.
// applyMigrations brings a schema up to date on a connection: under an advisory lock, in one
// transaction, recording each migration in the schema's `schema_migrations` table.
import { escapeIdentifier, type ClientBase } from 'pg';
import { JunctionError } from '../errors.js';

export interface Migration {
  /** 1, 2, 3, …: the schema's version once this migration is applied. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'journal tables',
    // One table per journal table (TABLES in journal.ts): the current row of each key, last
    // write wins. Keys compare as bytes (COLLATE "C"), the order the engine loads them in; a
    // U+0000 in a key is stored escaped (postgres.ts), since Postgres text cannot hold it.
    // Values are the JSON text of the engine's value, kept verbatim (see decision 0012).
    // Scale-out will add a migration giving the tables of per-person rows (participant,
    // history, outbox, person, event, seen, …) a `partition integer NOT NULL` column and an
    // index on it, so that a process loads, and fences its commits to, the partitions it owns.
    sql: `
CREATE TABLE "meta" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "flow" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "person" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "dnc" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "participant" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "history" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "outbox" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "metrics" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "seen" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "dedup" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "ref" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "event" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "template" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "operation" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "engaged" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE "definition" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
`,
  },
  {
    version: 2,
    name: 'leases',
    // Cluster mode (postgres-lease.ts): who owns the partitions, until when (the server's clock),
    // and the fencing token that grows with every change of owner; every commit of the owner
    // checks it. `address` is where the owner serves HTTP (standbys forward there).
    sql: `
CREATE TABLE "leases" (
  name text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  address text NOT NULL DEFAULT ''
);
`,
  },
  {
    version: 3,
    name: 'api keys',
    // The API keys every process of a cluster accepts (gateway/auth/shared-key-table.ts): the
    // key's id and the key as JSON text (its scopes, times and the SHA-256 of its secret).
    sql: `
CREATE TABLE "api_key" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
`,
  },
  {
    version: 4,
    name: 'held inputs',
    // The journal table `held`: inputs held for the participants of a paused flow until it resumes.
    sql: `
CREATE TABLE "held" (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
`,
  },
  {
    version: 5,
    name: 'cluster members',
    // Every process of a cluster, owner or standby (postgres-lease.ts): its name as in the
    // lease, where it serves HTTP, since when, and until when it counts as there (by the
    // server's clock) unless it says so again.
    sql: `
CREATE TABLE "members" (
  name text COLLATE "C" PRIMARY KEY,
  address text NOT NULL,
  since timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
`,
  },
  {
    version: 6,
    name: 'cluster log',
    // The changes every shard of a cluster applies once, in order (engine/cluster/postgres-cluster-log.ts):
    // the entry's number (appends take it in commit order), the operation as JSON, when it came.
    sql: `
CREATE TABLE "cluster_log" (
  seq bigserial PRIMARY KEY,
  op jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 7,
    name: 'directory',
    // A sharded cluster's directory, in the cluster's schema (engine/cluster/): which shard, and
    // which person there, holds a contact (normalised) or an external id (`x ` and the id). Each
    // shard writes its people's rows in its commit transaction; the index serves those writes.
    sql: `
CREATE TABLE "directory" (key text COLLATE "C" PRIMARY KEY, shard integer NOT NULL, person text NOT NULL);
CREATE INDEX "directory_shard_person" ON "directory" (shard, person);
`,
  },
  {
    version: 8,
    name: 'cluster log trimmed',
    // How far the cluster log has been trimmed (engine/cluster/postgres-cluster-log.ts): every
    // entry numbered up to \`through\` was applied by every shard, then deleted. One row.
    sql: `
CREATE TABLE "cluster_log_trimmed" (one boolean PRIMARY KEY DEFAULT true CHECK (one), through bigint NOT NULL);
INSERT INTO "cluster_log_trimmed" (through) VALUES (0);
`,
  },
  {
    version: 9,
    name: 'directory rows dropped',
    // Deletes a shard's directory rows of the given people whose key none of the wanted keys is,
    // when held (the commit's fence), and returns their keys (engine/cluster/directory-rows.ts).
    // A function so that its plan is made at each call with sequential scans off: the shard's
    // commit statement is prepared, and a generic plan made while the directory was small would
    // scan every row of it at each commit once it has grown. Its own search_path is the schema's.
    sql: `
CREATE FUNCTION directory_drop(shard integer, people text[], wanted text[], held boolean) RETURNS SETOF text
LANGUAGE sql VOLATILE SET enable_seqscan = off SET search_path FROM CURRENT AS $$
  DELETE FROM directory d USING unnest(people) AS p(person)
  WHERE held AND d.shard = directory_drop.shard AND d.person = p.person
    AND NOT EXISTS (SELECT 1 FROM unnest(wanted) AS w(key) WHERE w.key = d.key)
  RETURNING d.key
$$;
`,
  },
];

/** The version of a schema with every migration applied. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** What applyMigrations did: the schema's version before and after, and the migrations it ran. */
export interface MigrationResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

/**
 * Brings `schema` (created if missing) to SCHEMA_VERSION in one transaction, holding a
 * transaction-scoped advisory lock of that schema: a second process starting at the same time
 * waits, then finds nothing left to do. Refuses (JCT_STORE_SCHEMA) a schema already at a newer
 * version. On failure nothing is applied.
 */
export async function applyMigrations(client: ClientBase, schema: string): Promise<MigrationResult> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`junction migrate ${schema}`]);
    await ensureSchema(client, schema);
    await client.query(`SET LOCAL search_path TO ${escapeIdentifier(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const from = await versionOf(client, schema);
    const pending = MIGRATIONS.filter((m) => m.version > from);
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    await client.query('COMMIT');
    return { from, to: SCHEMA_VERSION, applied: pending.map((m) => m.name) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {}); // a broken connection has rolled back already
    throw err;
  }
}

/** Creates the schema unless it exists (a DBA may have created it for a role that cannot create schemas). */
async function ensureSchema(client: ClientBase, schema: string): Promise<void> {
  const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${escapeIdentifier(schema)}`);
}

/** The schema's recorded version (0 when new); refuses one newer than this code knows. */
async function versionOf(client: ClientBase, schema: string): Promise<number> {
  const result = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  const version = result.rows[0]?.version ?? 0;
  if (version <= SCHEMA_VERSION) return version;
  throw new JunctionError(
    'JCT_STORE_SCHEMA',
    `the Postgres schema "${schema}" is at version ${version}, this Junction knows up to ${SCHEMA_VERSION}; upgrade Junction`,
    { schema, version, supported: SCHEMA_VERSION },
  );
}
