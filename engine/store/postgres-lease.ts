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
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { escapeIdentifier, type ClientBase, type Pool } from 'pg';
import { JunctionError } from '../errors.js';
import { connectionOf, migrate, storeError, type Fence, type Target } from './postgres.js';

/** The one lease of this version: every partition at once (sharing them out comes later). */
const PARTITIONS = 'partitions';

export interface LeaseOptions {
  url: string;
  schema?: string;
  /** How long a lease lasts unless renewed (ms); a standby takes over at most this long after the owner stopped. Default 3,000. */
  ttlMs?: number;
  /** How often a standby asks for the lease (ms). Default 500. */
  pollMs?: number;
  /** Told, at every ask while standing by, who holds the lease. */
  onWait?(holder: LeaseHolder): void;
  /** Standing by, a store out of reach this long without a break ends acquire() with its error (ms). Default: waits for ever. */
  unreachableForMs?: number;
  /** Told, while standing by, that the store cannot be reached (once per error message). */
  onStoreError?(err: JunctionError): void;
  /** Told once when the lease is lost: 'taken' (another process holds it now) or 'fenced' (a commit found another token). */
  onLost(reason: 'taken' | 'fenced'): void;
}

/** Who holds a lease, as a standby sees it. */
export interface LeaseHolder {
  readonly owner: string;
  readonly address: string;
  readonly token: string;
}

interface LeaseSql {
  readonly take: string;
  readonly holder: string;
  readonly renew: string;
  readonly check: string;
  readonly advertise: string;
  readonly release: string;
}

/** A lease this process holds: it renews itself until released or lost. */
export class PostgresLease implements Fence {
  private readonly timer: ReturnType<typeof setInterval>;
  private lost = false;

  private constructor(
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly sql: LeaseSql,
    /** This process's name in the leases table (host, pid and a random part). */
    readonly owner: string,
    /** The fencing token: one more than the previous owner's. */
    readonly token: string,
    private readonly options: LeaseOptions & { ttlMs: number },
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(options.ttlMs / 3)));
    this.timer.unref();
  }

  /** Migrates the schema, then waits until the lease is free (or ended) and takes it. A store out of reach is waited for too. */
  static async acquire(options: LeaseOptions): Promise<PostgresLease> {
    const settled = { ...options, ttlMs: options.ttlMs ?? 3000 };
    const { target, schema, pool } = connectionOf({ url: options.url, schema: options.schema, poolSize: 1, statementTimeoutMs: settled.ttlMs });
    const sql = leaseSql(schema);
    const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    let told = ''; // the store error last told, so each is told once
    let unreachableSince = 0;
    let migrated = false;
    for (;;) {
      try {
        if (!migrated) {
          await migrate(options.url, schema);
          migrated = true;
        }
        const token = await take(pool, sql, owner, settled.ttlMs);
        if (token !== undefined) return new PostgresLease(pool, target, sql, owner, token, settled);
        const holder = await holderOf(pool, sql);
        if (holder !== undefined) options.onWait?.(holder);
        told = '';
        unreachableSince = 0;
      } catch (err) {
        const e = storeError(err, target);
        unreachableSince ||= Date.now();
        if (e.code !== 'JCT_STORE_UNAVAILABLE' || Date.now() - unreachableSince > (options.unreachableForMs ?? Infinity)) {
          await pool.end().catch(() => {});
          throw e;
        }
        if (told !== e.message) options.onStoreError?.(e);
        told = e.message;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  }

  /** The Fence: inside the commit's transaction, the lease row is read FOR SHARE and must still carry this token. */
  async check(client: ClientBase): Promise<void> {
    const result = await client.query<{ token: string }>({ name: 'lease.check', text: this.sql.check, values: [PARTITIONS] });
    if (result.rows[0]?.token === this.token) return;
    this.lose('fenced');
    throw new JunctionError('JCT_STORE_FENCED', `another Junction process owns the partitions now (lease token ${this.token} is stale): this process may not write`, { token: this.token });
  }

  /** Records where the owner serves HTTP, for the standbys. */
  async advertise(address: string): Promise<void> {
    await this.pool.query(this.sql.advertise, [PARTITIONS, this.token, address]).catch((err: unknown) => {
      throw storeError(err, this.target);
    });
  }

  /** Ends the lease now (a standby takes over at its next ask) and closes the connection. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    if (!this.lost) await this.pool.query(this.sql.release, [PARTITIONS, this.token]).catch(() => {});
    await this.pool.end().catch(() => {});
  }

  /** Pushes the end of the lease on. A store out of reach is not a loss: commits cannot be made then either, and the next renewal or commit finds out. */
  private async renew(): Promise<void> {
    if (this.lost) return;
    const result = await this.pool.query(this.sql.renew, [PARTITIONS, this.token, this.options.ttlMs]).catch(() => undefined);
    if (result !== undefined && result.rowCount === 0) this.lose('taken');
  }

  private lose(reason: 'taken' | 'fenced'): void {
    if (this.lost) return;
    this.lost = true;
    clearInterval(this.timer);
    this.options.onLost(reason);
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
