// Cluster mode's lease: which of several Junction processes sharing one Postgres owns the
// partitions. A row of the `leases` table names the owner, when its lease ends (by the
// server's clock, so the machines' clocks do not matter) and a fencing token that grows by one
// at every change of owner. The owner renews the lease every third of its length; a standby
// takes a lease that has ended, which gives it the next token. Every commit of the owner first
// reads the row FOR SHARE and compares the token (check(), the store's Fence): an owner that
// was paused or cut off past its lease and came back writes nothing once another took over,
// and a takeover waits for a commit already checked to end, so the new owner, loading after
// it, sees every row the old one wrote. Losing the lease (renewal finds another token, or a
// commit is fenced) is told once through onLost: the working state is stale from then on.
import { escapeIdentifier, type ClientBase, type Pool } from 'pg';
import { connectionOf, migrate, storeError, type Fence } from './postgres.js';
import type { Target } from './shown-url.js';
import { fencedError, HeldLease, ownerName, waitForLease, type LeaseHolder, type LeaseOptions } from './lease.js';

/** The one lease of this version: every partition at once (sharing them out comes later). */
const PARTITIONS = 'partitions';

export interface PostgresLeaseOptions extends LeaseOptions {
  url: string;
  schema?: string;
}

interface LeaseSql {
  readonly take: string;
  readonly holder: string;
  readonly renew: string;
  readonly check: string;
  readonly advertise: string;
  readonly release: string;
}

/** A lease this process holds in PostgreSQL: it renews itself until released or lost. */
export class PostgresLease extends HeldLease implements Fence {
  private constructor(
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly sql: LeaseSql,
    owner: string,
    token: string,
    options: PostgresLeaseOptions & { ttlMs: number },
  ) {
    super(owner, token, options.ttlMs, options.onLost);
  }

  /** Migrates the schema, then waits until the lease is free (or ended) and takes it. A store out of reach is waited for too. */
  static async acquire(options: PostgresLeaseOptions): Promise<PostgresLease> {
    const settled = { ...options, ttlMs: options.ttlMs ?? 3000 };
    const { target, schema, pool } = connectionOf({ url: options.url, schema: options.schema, poolSize: 1, statementTimeoutMs: settled.ttlMs });
    const sql = leaseSql(schema);
    const owner = ownerName();
    return waitForLease(
      {
        prepare: async () => void (await migrate(options.url, schema)),
        take: async () => {
          const token = await take(pool, sql, owner, settled.ttlMs);
          return token === undefined ? undefined : new PostgresLease(pool, target, sql, owner, token, settled);
        },
        holder: () => holderOf(pool, sql),
        failure: (err) => storeError(err, target),
        end: () => pool.end(),
      },
      options,
    );
  }

  /** The Fence: inside the commit's transaction, the lease row is read FOR SHARE and must still carry this token. */
  async check(client: ClientBase): Promise<void> {
    const result = await client.query<{ token: string }>({ name: 'lease.check', text: this.sql.check, values: [PARTITIONS] });
    if (result.rows[0]?.token === this.token) return;
    this.fenced();
    throw fencedError(this.token);
  }

  async advertise(address: string): Promise<void> {
    await this.pool.query(this.sql.advertise, [PARTITIONS, this.token, address]).catch((err: unknown) => {
      throw storeError(err, this.target);
    });
  }

  async release(): Promise<void> {
    if (this.stop()) await this.pool.query(this.sql.release, [PARTITIONS, this.token]).catch(() => {});
    await this.pool.end().catch(() => {});
  }

  protected async renew(): Promise<boolean | undefined> {
    const result = await this.pool.query(this.sql.renew, [PARTITIONS, this.token, this.ttlMs]).catch(() => undefined);
    return result === undefined ? undefined : result.rowCount !== 0;
  }
}

/** Takes the lease if nobody holds it or its holder's lease ended: the new token, or undefined. */
async function take(pool: Pool, sql: LeaseSql, owner: string, ttlMs: number): Promise<string | undefined> {
  const result = await pool.query<{ token: string }>(sql.take, [PARTITIONS, owner, ttlMs]);
  return result.rows[0]?.token;
}

async function holderOf(pool: Pool, sql: LeaseSql): Promise<LeaseHolder | undefined> {
  const result = await pool.query<LeaseHolder>(sql.holder, [PARTITIONS]);
  return result.rows[0];
}

function leaseSql(schema: string): LeaseSql {
  const leases = `${escapeIdentifier(schema)}.leases`;
  const until = `now() + $3 * interval '1 millisecond'`;
  return {
    take: `INSERT INTO ${leases} AS l (name, owner, token, expires_at) VALUES ($1, $2, 1, ${until})
      ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1, expires_at = EXCLUDED.expires_at, address = ''
      WHERE l.expires_at < now() RETURNING token::text`,
    holder: `SELECT owner, address, token::text FROM ${leases} WHERE name = $1`,
    renew: `UPDATE ${leases} SET expires_at = ${until} WHERE name = $1 AND token = $2`,
    check: `SELECT token::text FROM ${leases} WHERE name = $1 FOR SHARE`,
    advertise: `UPDATE ${leases} SET address = $3 WHERE name = $1 AND token = $2`,
    release: `UPDATE ${leases} SET expires_at = now() - interval '1 millisecond' WHERE name = $1 AND token = $2`,
  };
}
