// Cluster mode's lease, whichever server holds it (postgres-lease.ts, redis-lease.ts): what the
// processes of a cluster know of it, and the wait of a standby until it can take it. One lease
// covers every partition: its holder owns them all, the others stand by and forward input to it.
// The holder's fencing token grows at every change of owner, and every commit of the holder is
// checked against it, so an owner that was paused past its lease writes nothing once another
// process took over. Every process of the cluster, owner or standby, also says it is there (a
// member, with its address, renewed as it asks for or renews the lease): what `junction cluster`
// shows (ClusterView). A process leaves the members as it stops waiting, releases its lease or
// finds it taken; one killed or cut off is gone twice the lease's length after it last said so.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JunctionError } from '../errors.js';
import { mendedByWaiting } from './mended-by-waiting.js';

export interface LeaseOptions {
  /** How long a lease lasts unless renewed (ms); a standby takes over at most this long after the owner stopped. Default 3,000. */
  ttlMs?: number;
  /** How often a standby asks for the lease (ms). Default 500. */
  pollMs?: number;
  /** Told, at every ask while standing by, who holds the lease. */
  onWait?(holder: LeaseHolder): void;
  /** Standing by, a store out of reach this long without a break ends the wait with its error (ms). Default: waits for ever. */
  unreachableForMs?: number;
  /** Told, while standing by, that the store cannot be reached (once per error message). */
  onStoreError?(err: JunctionError): void;
  /** Told, while standing by, that the store answers again after onStoreError. */
  onStoreBack?(): void;
  /** Told once when the lease is lost: 'taken' (another process holds it now) or 'fenced' (a commit found another token). */
  onLost(reason: LostReason): void;
  /** Aborted: the wait ends at once, its connection closed, with JCT_STANDBY_STOPPED (a lease taken as it was aborted is released first). */
  signal?: AbortSignal;
  /** Where this process serves HTTP, as the cluster's members show it. Default ''. */
  address?: string;
}

export type LostReason = 'taken' | 'fenced';

/** Who holds a lease, as a standby sees it. */
export interface LeaseHolder {
  readonly owner: string;
  readonly address: string;
  readonly token: string;
}

/** A process of the cluster, as the members show it. */
export interface Member {
  /** The process's name (as in the lease). */
  readonly name: string;
  readonly address: string;
  /** When it first said it was there (ISO 8601). */
  readonly since: string;
  /** How long it is still counted without saying so again (ms). */
  readonly endsInMs: number;
}

/** What a store knows of its cluster: who holds the lease and until when, and the live members (the holder among them), longest there first. */
export interface ClusterView {
  readonly holder?: LeaseHolder & { readonly endsInMs: number };
  /** With no holder: the last lease's token, when one was ever taken (Redis deletes a lease that ended or was released). */
  readonly lastToken?: string;
  readonly members: readonly Member[];
}

/** How long a member is counted after it last said it was there, in lease lengths. */
export const MEMBER_TTL_LEASES = 2;

/** A lease this process holds: it renews itself until released or lost. */
export interface Lease {
  /** This process's name in the lease (host, pid and a random part). */
  readonly owner: string;
  /** The fencing token: one more than the previous owner's (a decimal integer). */
  readonly token: string;
  /** Records where this process serves HTTP, for the standbys. */
  advertise(address: string): Promise<void>;
  /** Ends the lease now (a standby takes over at its next ask), leaves the members and closes its connection. */
  release(): Promise<void>;
  /** A commit found another token: the lease is lost (told once through onLost). */
  fenced(): void;
}

/** What waiting for a lease asks of the server that holds it. */
export interface LeaseServer<L> {
  /** Made ready to take the lease (connected, migrated); tried again at the next ask when it throws. */
  prepare(): Promise<void>;
  /** Records this process as a live member of the cluster. */
  present(): Promise<void>;
  /** Takes the lease if nobody holds it or its holder's lease ended. */
  take(): Promise<L | undefined>;
  holder(): Promise<LeaseHolder | undefined>;
  /** What the server threw, as a JunctionError (JCT_STORE_UNAVAILABLE when out of reach). */
  failure(err: unknown): JunctionError;
  /** Takes this process out of the members (its wait is aborted: it stops). */
  leave(): Promise<void>;
  /** Closes the connection of a wait given up. */
  end(): Promise<void>;
}

/**
 * Waits until the lease is free (or ended) and takes it. A server out of reach is waited for too, up to unreachableForMs (an answer no wait mends, such as no such database, at once ends it).
 * An aborted signal ends the wait at any moment, even when it came while the lease was being taken: that lease is released, not returned.
 */
export async function waitForLease<L extends Lease>(server: LeaseServer<L>, options: LeaseOptions): Promise<L> {
  let prepared = false;
  let told = ''; // the store error last told, so each is told once
  let unreachableSince = 0;
  for (;;) {
    if (options.signal?.aborted) {
      if (prepared && unreachableSince === 0) await server.leave().catch(() => {}); // not asked of a store out of reach: the stop would wait on it
      await server.end().catch(() => {});
      throw standbyStopped();
    }
    let lease: L | undefined;
    try {
      if (!prepared) await server.prepare();
      prepared = true;
      await server.present();
      lease = await server.take();
      const holder = lease === undefined ? await server.holder() : undefined;
      if (told !== '') options.onStoreBack?.();
      told = '';
      unreachableSince = 0;
      if (holder !== undefined) options.onWait?.(holder);
    } catch (err) {
      const e = server.failure(err);
      unreachableSince ||= Date.now();
      if (!mendedByWaiting(e) || Date.now() - unreachableSince > (options.unreachableForMs ?? Infinity)) {
        await server.end().catch(() => {});
        throw e;
      }
      if (told !== e.message) options.onStoreError?.(e);
      told = e.message;
    }
    if (lease !== undefined) return options.signal?.aborted ? givenUp(lease) : lease;
    await sleep(options.pollMs ?? 500, undefined, { signal: options.signal }).catch(() => {}); // aborted: ended at the top of the loop
  }
}

/** A lease taken as the wait was aborted: released (its connection closed with it), and the wait ends stopped. */
async function givenUp(lease: Lease): Promise<never> {
  await lease.release();
  throw standbyStopped();
}

function standbyStopped(): JunctionError {
  return new JunctionError('JCT_STANDBY_STOPPED', 'stopped while standing by for the lease');
}

/** This process's name in a lease: host, pid and a random part. */
export function ownerName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** The error of a commit refused by the fence. */
export function fencedError(token: string): JunctionError {
  return new JunctionError('JCT_STORE_FENCED', `another Junction process owns the partitions now (lease token ${token} is stale): this process may not write`, { token });
}

/**
 * What every held lease does: renews itself every third of its length until released or lost,
 * and tells a loss once. A store's lease says how to renew (false: another process holds it).
 */
export abstract class HeldLease implements Lease {
  private readonly timer: ReturnType<typeof setInterval>;
  /** Set once the lease is lost or released: nothing is renewed from then on. */
  private ended = false;

  constructor(
    readonly owner: string,
    readonly token: string,
    protected readonly ttlMs: number,
    private readonly onLost: (reason: LostReason) => void,
  ) {
    this.timer = setInterval(() => void this.renewal(), Math.max(100, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  abstract advertise(address: string): Promise<void>;
  abstract release(): Promise<void>;

  fenced(): void {
    this.lose('fenced');
  }

  /** Pushes the end of the lease on, and this member's with it: false when another process holds it now (this process then leaves the members); undefined when the store did not answer (not a loss: commits cannot be made then either, and the next renewal or commit finds out). */
  protected abstract renew(): Promise<boolean | undefined>;

  /** Stops renewing; true when the lease was still held (a release should end it in the store). */
  protected stop(): boolean {
    clearInterval(this.timer);
    const held = !this.ended;
    this.ended = true;
    return held;
  }

  private async renewal(): Promise<void> {
    if (this.ended) return;
    if ((await this.renew()) === false) this.lose('taken');
  }

  private lose(reason: LostReason): void {
    if (this.stop()) this.onLost(reason);
  }
}
