// Cluster mode's shard leases (decision 0018): a cluster whose people are spread over `shards`
// shards has one lease per shard, rows `shard:<n>` of the cluster schema's `leases` table, each
// with the fencing token its shard's commits check (ShardLease.check), and each process holds a
// fair share of them (shareOf: as many as each other live member, give or take one), itself counted. A round every pollMs takes
// free or ended shards up to the share (starting at a place drawn from this process's name, so
// processes starting together do not ask for the same rows) and, past the share because a member
// joined, gives up one shard per round, highest first: its engine closes (onSurplus), then its
// lease ends. Renewing every held lease, in one statement with this member's row, has a timer of
// its own, so a round waiting on an engine that opens or closes slowly never lets a lease lapse.
// A shard whose renewal finds another token, or whose commit is fenced, is lost (onLost, once).
// A store out of reach loses nothing: rounds fail quietly (told once per error) until it answers.
// shards = 1 is today's active/standby (postgres-lease.ts); the SQL is shared (postgres-lease-sql.ts).
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { JunctionError, toJunctionError } from '../errors.js';
import { ownerName, type LeaseHolder, type LostReason } from './lease.js';
import { connectionOf, migrate, storeError, type Fence } from './postgres.js';
import { leaseSql, memberTtl, readView, type LeaseSql } from './postgres-lease-sql.js';
import type { Target } from './shown-url.js';

export interface ShardLeasesOptions {
  url: string;
  /** The cluster's schema (its `leases` and `members` tables). Default as connectionOf gives. */
  schema?: string;
  /** How many shards the cluster has (≥ 2). */
  shards: number;
  /** How long a lease lasts unless renewed (ms); renewed every third of it. Default 3,000. */
  ttlMs?: number;
  /** How often to look for shards to take or give up (ms). Default 500. */
  pollMs?: number;
  /** Where this process serves HTTP: its member row and every lease row it holds. Default ''. */
  address?: string;
  /** A shard's lease was taken: open its engine. Awaited before the next shard is taken; a rejection releases the lease and is told through onStoreError. */
  onTaken(lease: ShardLease): Promise<void>;
  /** A shard must be given up (this process holds more than its share, or it stops): close its engine. The lease ends once this settles. One shard at a time. */
  onSurplus(shard: number): Promise<void>;
  /** A held shard's lease was lost ('taken' by another process, found at a renewal; 'fenced' by a commit): its engine is stale, close it without writing. Told once per loss. */
  onLost(shard: number, reason: LostReason): void;
  /** The store cannot be reached (once per error message), or an engine failed to open or close. */
  onStoreError?(err: JunctionError): void;
  /** The store answers again after onStoreError. */
  onStoreBack?(): void;
}

/** The lease of one shard this process holds: the Fence of that shard's commits. */
export interface ShardLease extends Fence {
  readonly shard: number;
  readonly token: string;
  readonly owner: string;
  /** A commit found another token: the shard is lost (onLost 'fenced', once). */
  fenced(): void;
}

/** Who holds a shard, as the leases table says, and how long the lease has left (ms; negative once ended). */
export interface ShardHolder extends LeaseHolder {
  readonly endsInMs: number;
}

/** A shard lease's row name in the `leases` table. */
export function shardLeaseName(shard: number): string {
  return `shard:${shard}`;
}

/** A shard's row as a round reads it. */
interface ShardRow extends LeaseHolder {
  readonly ended: boolean;
}

/** The shards held by the processes of a cluster, as they share them out. */
export class ShardLeases {
  private readonly holding = new Map<number, HeldShard>();
  private readonly names: readonly string[];
  /** Every shard, in the order this process asks for them: from one drawn from its name on. */
  private readonly preferred: readonly number[];
  private readonly ttlMs: number;
  private address: string;
  private readonly renewal: ReturnType<typeof setInterval>;
  /** The renewal under way (a tick while one runs is skipped). */
  private renewing: Promise<void> | undefined;
  private roundTimer: ReturnType<typeof setTimeout> | undefined;
  /** The round under way or last run. */
  private round: Promise<void> = Promise.resolve();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** The error last told through onStoreError ('' when the store answers). */
  private told = '';

  private constructor(
    private readonly options: ShardLeasesOptions,
    private readonly pool: Pool,
    private readonly target: Target,
    private readonly sql: LeaseSql,
    readonly owner: string,
  ) {
    this.names = Array.from({ length: options.shards }, (_, n) => shardLeaseName(n));
    const start = createHash('sha256').update(owner).digest().readUInt32BE(0) % options.shards;
    this.preferred = this.names.map((_, i) => (start + i) % options.shards);
    this.ttlMs = options.ttlMs ?? 3000;
    this.address = options.address ?? '';
    this.renewal = setInterval(() => this.renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.renewal.unref();
  }

  /** Migrates the cluster schema, records this member and starts taking its share (it may hold no shard yet when this resolves). */
  static async start(options: ShardLeasesOptions): Promise<ShardLeases> {
    if (!Number.isInteger(options.shards) || options.shards < 2) {
      throw new JunctionError('JCT_CONFIG_INVALID', `shard leases need a whole number of shards ≥ 2, not ${String(options.shards)} (one shard is the one lease of active/standby)`);
    }
    const ttlMs = options.ttlMs ?? 3000;
    const { target, schema, pool } = connectionOf({ url: options.url, schema: options.schema, poolSize: 3, statementTimeoutMs: ttlMs });
    const sql = leaseSql(schema);
    const owner = ownerName();
    try {
      await migrate(options.url, schema);
      await pool.query(sql.forgetGone);
      await pool.query(sql.present, [owner, options.address ?? '', memberTtl(ttlMs)]);
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeError(err, target);
    }
    const leases = new ShardLeases(options, pool, target, sql, owner);
    leases.next(0);
    return leases;
  }

  held(): ReadonlyMap<number, ShardLease> {
    return this.holding;
  }

  /** Who holds each shard whose lease has not ended (owner, address, token), read now: for forwarding. */
  async holders(): Promise<ReadonlyMap<number, LeaseHolder>> {
    const { rows } = await this.read().catch((err: unknown) => Promise.reject(storeError(err, this.target)));
    const holders = new Map<number, LeaseHolder>();
    rows.forEach(({ owner, address, token, ended }, shard) => ended || holders.set(shard, { owner, address, token }));
    return holders;
  }

  /** Sets where this process serves HTTP, on its member row and every lease row it holds. */
  async advertise(address: string): Promise<void> {
    this.address = address;
    try {
      await this.pool.query(this.sql.present, [this.owner, address, memberTtl(this.ttlMs)]);
      for (const lease of this.holding.values()) await this.pool.query(this.sql.advertise, [shardLeaseName(lease.shard), lease.token, address]);
    } catch (err) {
      throw storeError(err, this.target);
    }
  }

  /** Stops taking; gives up every held shard (onSurplus, then its lease ends), one at a time; leaves the members; closes the connections. */
  stop(): Promise<void> {
    this.stopped ??= this.end();
    return this.stopped;
  }

  /** Stops at once without giving anything up, as a killed process would: its leases and its member row end by themselves. For tests of a takeover. */
  async abandon(): Promise<void> {
    this.halt();
    clearInterval(this.renewal);
    this.holding.clear();
    await this.pool.end().catch(() => {});
  }

  /** Gives up every shard, renewing them until each is, then leaves. */
  private async end(): Promise<void> {
    this.halt();
    await this.round;
    const held = [...this.holding.values()].sort((a, b) => b.shard - a.shard);
    for (const lease of held) await this.giveUp(lease).catch((err: unknown) => this.tell(err));
    clearInterval(this.renewal);
    await this.renewing;
    await this.pool.query(this.sql.leave, [this.owner]).catch(() => {});
    await this.pool.end().catch(() => {});
  }

  /** No round from now on (the one under way ends after its current step). */
  private halt(): void {
    this.stopping = true;
    clearTimeout(this.roundTimer);
  }

  /** Runs a round after `delayMs`, then the next one pollMs after it ends. */
  private next(delayMs: number): void {
    if (this.stopping) return;
    this.roundTimer = setTimeout(() => {
      this.round = this.run().finally(() => this.next(this.options.pollMs ?? 500));
    }, delayMs);
    this.roundTimer.unref();
  }

  /** Takes shards up to the share, or gives up one past it; a failure waits for the next round. */
  private async run(): Promise<void> {
    try {
      while (!this.stopping && (await this.step()));
      if (this.told !== '') this.options.onStoreBack?.();
      this.told = '';
    } catch (err) {
      this.tell(err);
    }
  }

  /** One change toward this process's share, from the tables as they are now: true when a shard was taken (and another may be). */
  private async step(): Promise<boolean> {
    const { share, rows } = await this.read();
    if (this.holding.size > share) {
      await this.giveUp([...this.holding.values()].reduce((a, b) => (b.shard > a.shard ? b : a)));
      return false;
    }
    if (this.holding.size === share) return false;
    for (const shard of this.preferred) {
      if (!this.holding.has(shard) && (rows.get(shard)?.ended ?? true) && (await this.take(shard))) return true;
    }
    return false;
  }

  /**
   * The share and every shard row. A member counts while it was heard from within one lease
   * length (its row lives MEMBER_TTL_LEASES of them; live ones renew it every third of one), so
   * a killed process stops counting as its leases end, and its shards are taken whole then.
   */
  private async read(): Promise<{ share: number; rows: Map<number, ShardRow> }> {
    const result = await this.pool.query<ShardRow & { others: number; before: number; name: string | null }>(this.sql.leases, [this.names, this.owner, memberTtl(this.ttlMs) - this.ttlMs]);
    const rows = new Map<number, ShardRow>();
    for (const row of result.rows) if (row.name !== null) rows.set(this.names.indexOf(row.name), row);
    const { others = 0, before = 0 } = result.rows[0] ?? {};
    return { share: shareOf(this.names.length, others + 1, before), rows };
  }

  /** Takes the shard if its lease is free or ended, and opens its engine (onTaken); false when another process took it first. */
  private async take(shard: number): Promise<boolean> {
    const name = shardLeaseName(shard);
    const result = await this.pool.query<{ token: string }>(this.sql.take, [name, this.owner, this.ttlMs, this.address]);
    const token = result.rows[0]?.token;
    if (token === undefined) return false;
    const lease = new HeldShard(shard, token, this.owner, this.sql, (reason) => this.lose(lease, reason));
    this.holding.set(shard, lease); // renewed from now on, while its engine opens
    try {
      await this.options.onTaken(lease);
    } catch (err) {
      await this.release(lease);
      throw toJunctionError(err, 'JCT_SHARD_NOT_OPENED');
    }
    return true;
  }

  /** Closes the shard's engine (onSurplus), then ends its lease, whether the engine closed or not (its commits are fenced from then on). */
  private async giveUp(lease: HeldShard): Promise<void> {
    try {
      await this.options.onSurplus(lease.shard);
    } catch (err) {
      throw toJunctionError(err, 'JCT_SHARD_NOT_CLOSED');
    } finally {
      await this.release(lease);
    }
  }

  /** Ends the lease now: no longer renewed, and ended after any renewal under way (which would push its end on again). */
  private async release(lease: HeldShard): Promise<void> {
    if (this.holding.get(lease.shard) === lease) this.holding.delete(lease.shard);
    await this.renewing;
    await this.pool.query(this.sql.end, [shardLeaseName(lease.shard), lease.token]);
  }

  /** Renews every held lease and this member in one statement, unless a renewal is still under way. */
  private renew(): void {
    this.renewing ??= this.renewAll().finally(() => (this.renewing = undefined));
  }

  /** A lease not renewed is another's now: lost. A store that does not answer loses nothing (its commits cannot be made either). */
  private async renewAll(): Promise<void> {
    const leases = [...this.holding.values()];
    const values = [leases.map((l) => shardLeaseName(l.shard)), leases.map((l) => l.token), this.ttlMs, this.owner, this.address, memberTtl(this.ttlMs)];
    const result = await this.pool.query<{ name: string }>(this.sql.renewEach, values).catch(() => undefined);
    if (result === undefined) return;
    const renewed = new Set(result.rows.map((r) => r.name));
    for (const lease of leases) if (!renewed.has(shardLeaseName(lease.shard))) this.lose(lease, 'taken');
  }

  /** Tells a loss once, for the lease still held (not one released or lost already). */
  private lose(lease: HeldShard, reason: LostReason): void {
    if (this.holding.get(lease.shard) !== lease) return;
    this.holding.delete(lease.shard);
    this.options.onLost(lease.shard, reason);
  }

  /** Tells an error once per message. */
  private tell(err: unknown): void {
    const e = storeError(err, this.target);
    if (e.message !== this.told) this.options.onStoreError?.(e);
    this.told = e.message;
  }
}

/**
 * The shards a member holds when `members` share `shards`: each as many as the others, give or
 * take one, the first members by name taking one more while some are left over (4 over 3: 2, 1, 1),
 * so every member holds some while there are no more members than shards, and the shares add up.
 */
export function shareOf(shards: number, members: number, rank: number): number {
  return Math.floor(shards / members) + (rank < shards % members ? 1 : 0);
}

class HeldShard implements ShardLease {
  constructor(
    readonly shard: number,
    readonly token: string,
    readonly owner: string,
    private readonly sql: LeaseSql,
    private readonly onFenced: (reason: LostReason) => void,
  ) {}

  /** The Fence: every commit of the shard reads its lease row (in the cluster's schema) FOR SHARE and writes only while it still carries this token. */
  get leaseTable(): string {
    return this.sql.leaseTable;
  }

  get leaseName(): string {
    return shardLeaseName(this.shard);
  }

  fenced(): void {
    this.onFenced('fenced');
  }
}

/** Who holds each shard of the cluster at `url` (read only, for `junction cluster`): ended leases too, with their time left negative. */
export async function shardView(url: string, schema: string | undefined, shards: number): Promise<ReadonlyMap<number, ShardHolder>> {
  const names = Array.from({ length: shards }, (_, n) => shardLeaseName(n));
  return readView(
    url,
    schema,
    async (pool, sql) => {
      const result = await pool.query<LeaseHolder & { name: string; endsInMs: string }>(sql.holders, [names]);
      return new Map(result.rows.map((r) => [names.indexOf(r.name), { owner: r.owner, address: r.address, token: r.token, endsInMs: Number(r.endsInMs) }]));
    },
    new Map(),
  );
}
