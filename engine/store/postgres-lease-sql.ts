// The SQL of a cluster's `leases` and `members` tables (postgres-migrations.ts), shared by the
// one lease of active/standby (postgres-lease.ts) and the shard leases (postgres-shard-leases.ts):
// taking a lease, renewing it, the table the fence reads, ending it, a member saying it is there, and the
// read-only views for `junction cluster`. Lease lengths are in ms, ends by the server's clock.
import { escapeIdentifier, type Pool } from 'pg';
import { MEMBER_TTL_LEASES } from './lease.js';
import { connectionOf, storeError } from './postgres.js';

export interface LeaseSql {
  /** ($1 member, $2 address, $3 ttl): the member is there for ttl ms more. */
  readonly present: string;
  readonly forgetGone: string;
  /** ($1 lease, $2 owner, $3 ttl, $4 address): takes a lease nobody holds or whose holder's ended; returns the new token. */
  readonly take: string;
  /** ($1 lease): its owner, address and token. */
  readonly holder: string;
  /** ($1 lease, $2 token, $3 ttl, $4 member, $5 address, $6 member ttl): renews the lease and the member, or takes the member out when the lease is another's; returns renewed (0 or 1). */
  readonly renew: string;
  /** ($1 names, $2 tokens, $3 ttl, $4 member, $5 address, $6 member ttl): renews every lease still carrying its token, and the member; returns the names renewed. */
  readonly renewEach: string;
  /** The leases table, schema-qualified: every commit of a holder reads its lease's row FOR SHARE (postgres.ts). */
  readonly leaseTable: string;
  /** ($1 lease, $2 token, $3 address). */
  readonly advertise: string;
  /** ($1 lease, $2 token): the lease ends now, if still that token's. */
  readonly end: string;
  /** ($1 lease, $2 token, $3 member): ends the lease and takes the member out. */
  readonly release: string;
  /** ($1 member). */
  readonly leave: string;
  /** ($1 names, $2 member, $3 ms): the members other than $2 counted for $3 ms more at least (`others`, on every row) and the rows of the named leases, each with whether it ended. */
  readonly leases: string;
}

/** How long a member counts without saying so again (ms). */
export function memberTtl(leaseMs: number): number {
  return MEMBER_TTL_LEASES * leaseMs;
}

export function leaseSql(schema: string): LeaseSql {
  const leases = `${escapeIdentifier(schema)}.leases`;
  const members = `${escapeIdentifier(schema)}.members`;
  const until = `now() + $3 * interval '1 millisecond'`;
  /** Records the member `name` at `address` for `ttl` ms, once per row of `from` (e.g. "FROM renewed"; "" for one). */
  const present = (name: string, address: string, ttl: string, from = '') =>
    `INSERT INTO ${members} (name, address, since, expires_at) SELECT ${name}::text, ${address}::text, now(), now() + ${ttl}::double precision * interval '1 millisecond' ${from}
      ON CONFLICT (name) DO UPDATE SET address = EXCLUDED.address, expires_at = EXCLUDED.expires_at`;
  const end = `UPDATE ${leases} SET expires_at = now() - interval '1 millisecond' WHERE name = $1 AND token = $2`;
  const leave = (name: string) => `DELETE FROM ${members} WHERE name = ${name}`;
  return {
    present: present('$1', '$2', '$3'),
    forgetGone: `DELETE FROM ${members} WHERE expires_at < now() - interval '1 day'`,
    take: `INSERT INTO ${leases} AS l (name, owner, token, expires_at, address) VALUES ($1, $2, 1, ${until}, $4)
      ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1, expires_at = EXCLUDED.expires_at, address = EXCLUDED.address
      WHERE l.expires_at < now() RETURNING token::text`,
    holder: `SELECT owner, address, token::text FROM ${leases} WHERE name = $1`,
    renew: `WITH renewed AS (UPDATE ${leases} SET expires_at = ${until} WHERE name = $1 AND token = $2 RETURNING 1),
      member AS (${present('$4', '$5', '$6', 'FROM renewed')}),
      gone AS (${leave('$4')} AND NOT EXISTS (SELECT 1 FROM renewed))
      SELECT count(*)::int AS renewed FROM renewed`,
    renewEach: `WITH renewed AS (UPDATE ${leases} AS l SET expires_at = ${until} FROM unnest($1::text[], $2::bigint[]) AS h(name, token)
        WHERE l.name = h.name AND l.token = h.token RETURNING l.name),
      member AS (${present('$4', '$5', '$6')})
      SELECT name FROM renewed`,
    leaseTable: leases,
    advertise: `UPDATE ${leases} SET address = $3 WHERE name = $1 AND token = $2`,
    end,
    release: `WITH gone AS (${leave('$3')}) ${end}`,
    leave: leave('$1'),
    leases: `SELECT m.others, m.before, l.name, l.owner, l.address, l.token::text, l.expires_at < now() AS ended
      FROM (SELECT count(*)::int AS others, (count(*) FILTER (WHERE name < $2))::int AS before
        FROM ${members} WHERE expires_at > now() + $3 * interval '1 millisecond' AND name <> $2) AS m
      LEFT JOIN ${leases} AS l ON l.name = ANY($1::text[])`,
  };
}

export interface ViewSql {
  /** ($1 names): the named leases' holders and how long each has left, ended ones too. */
  readonly holders: string;
  /** The live members, longest there first. */
  readonly members: string;
}

export function viewSql(schema: string): ViewSql {
  const endsIn = `(extract(epoch FROM expires_at - now()) * 1000)::bigint::text AS "endsInMs"`;
  return {
    holders: `SELECT name, owner, address, token::text, ${endsIn} FROM ${escapeIdentifier(schema)}.leases WHERE name = ANY($1::text[]) ORDER BY name`,
    members: `SELECT name, address, since, ${endsIn} FROM ${escapeIdentifier(schema)}.members WHERE expires_at > now() ORDER BY since, name`,
  };
}

/** PostgreSQL's code for a table that does not exist. */
const UNDEFINED_TABLE = '42P01';

/** Reads the cluster's tables at `url` on a connection of its own (read only): `empty` when the schema has no tables yet. */
export async function readView<V>(url: string, schema: string | undefined, read: (pool: Pool, sql: ViewSql) => Promise<V>, empty: V): Promise<V> {
  const { target, schema: name, pool } = connectionOf({ url, schema, poolSize: 1 });
  try {
    return await read(pool, viewSql(name));
  } catch (err) {
    if ((err as { code?: string }).code === UNDEFINED_TABLE) return empty;
    throw storeError(err, target);
  } finally {
    await pool.end().catch(() => {});
  }
}
