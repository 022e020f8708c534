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
// Every process also keeps a row of the `members` table alive (lease.ts): a standby at each ask,
// the owner with each renewal (one statement, which deletes it instead when the lease was taken;
// so does the release); `view` reads both tables for `junction cluster`.
import type { Pool } from 'pg';
import { connectionOf, migrate, storeError, type Fence } from './postgres.js';
import type { Target } from './shown-url.js';
import { HeldLease, ownerName, waitForLease, type ClusterView, type LeaseHolder, type LeaseOptions, type Member } from './lease.js';
import { leaseSql, memberTtl, readView, type LeaseSql } from './postgres-lease-sql.js';

/** The one lease of this version: every partition at once (sharing them out comes later). */
const PARTITIONS = 'partitions';

export interface PostgresLeaseOptions extends LeaseOptions {
  url: string;
  schema?: string;
}

/** A lease this process holds in PostgreSQL: it renews itself until released or lost. */
export class PostgresLease extends HeldLease implements Fence {
  private address: string;

  private constructor(
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly sql: LeaseSql,
    owner: string,
    token: string,
    options: PostgresLeaseOptions & { ttlMs: number },
  ) {
    super(owner, token, options.ttlMs, options.onLost);
    this.address = options.address ?? '';
  }

  /** Migrates the schema, then waits until the lease is free (or ended) and takes it. A store out of reach is waited for too. */
  static async acquire(options: PostgresLeaseOptions): Promise<PostgresLease> {
    const settled = { ...options, ttlMs: options.ttlMs ?? 3000 };
    const { target, schema, pool } = connectionOf({ url: options.url, schema: options.schema, poolSize: 1, statementTimeoutMs: settled.ttlMs });
    const sql = leaseSql(schema);
    const owner = ownerName();
    return waitForLease(
      {
        prepare: async () => {
          await migrate(options.url, schema);
          await pool.query(sql.forgetGone);
        },
        present: async () => void (await pool.query(sql.present, [owner, settled.address ?? '', memberTtl(settled.ttlMs)])),
        take: async () => {
          const token = await take(pool, sql, owner, settled.ttlMs);
          return token === undefined ? undefined : new PostgresLease(pool, target, sql, owner, token, settled);
        },
        holder: () => holderOf(pool, sql),
        failure: (err) => storeError(err, target),
        leave: async () => void (await pool.query(sql.leave, [owner])),
        end: () => pool.end(),
      },
      options,
    );
  }

  /** The Fence: every commit reads this row FOR SHARE and writes only while it still carries this token. */
  get leaseTable(): string {
    return this.sql.leaseTable;
  }

  get leaseName(): string {
    return PARTITIONS;
  }

  async advertise(address: string): Promise<void> {
    this.address = address;
    await this.pool.query(this.sql.advertise, [PARTITIONS, this.token, address]).catch((err: unknown) => {
      throw storeError(err, this.target);
    });
  }

  async release(): Promise<void> {
    if (this.stop()) await this.pool.query(this.sql.release, [PARTITIONS, this.token, this.owner]).catch(() => {});
    await this.pool.end().catch(() => {});
  }

  protected async renew(): Promise<boolean | undefined> {
    const result = await this.pool.query<{ renewed: number }>(this.sql.renew, [PARTITIONS, this.token, this.ttlMs, this.owner, this.address, memberTtl(this.ttlMs)]).catch(() => undefined);
    return result === undefined ? undefined : result.rows[0]!.renewed !== 0;
  }
}

/** What the store at `url` knows of its cluster (read only: a schema without the tables yet has no holder and no members). */
export async function clusterView(url: string, schema?: string): Promise<ClusterView> {
  return readView(
    url,
    schema,
    async (pool, sql) => {
      const holder = await pool.query<LeaseHolder & { endsInMs: string }>(sql.holders, [[PARTITIONS]]);
      const members = await pool.query<{ name: string; address: string; since: Date; endsInMs: string }>(sql.members);
      const h = holder.rows[0];
      return {
        ...(h && { holder: { owner: h.owner, address: h.address, token: h.token, endsInMs: Number(h.endsInMs) } }),
        members: members.rows.map((m): Member => ({ name: m.name, address: m.address, since: m.since.toISOString(), endsInMs: Number(m.endsInMs) })),
      };
    },
    { members: [] },
  );
}

/** Takes the lease if nobody holds it or its holder's lease ended: the new token, or undefined. Its address is set once the owner serves (advertise). */
async function take(pool: Pool, sql: LeaseSql, owner: string, ttlMs: number): Promise<string | undefined> {
  const result = await pool.query<{ token: string }>(sql.take, [PARTITIONS, owner, ttlMs, '']);
  return result.rows[0]?.token;
}

async function holderOf(pool: Pool, sql: LeaseSql): Promise<LeaseHolder | undefined> {
  const result = await pool.query<LeaseHolder>(sql.holder, [PARTITIONS]);
  return result.rows[0];
}
