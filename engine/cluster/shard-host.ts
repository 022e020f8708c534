// The engines of the shards this process holds in a sharded cluster (decision 0018, piece 2).
// A shard is a whole engine over a store of its own (its own PostgreSQL schema), fenced by the
// shard's lease: taking a lease opens the shard's store, recovers the engine from it and serves
// it; giving a shard up (a member joined and this process holds more than its share) stops it
// taking input, writes its last batch and closes it before the lease is ended, so the next
// owner, loading after, sees everything; a lease lost (taken at renewal, or a commit fenced)
// drops the shard at once: its state is stale, and whatever it still writes is refused by the
// fence. A shard is brought up to date (`ready`: the cluster log) before it serves; once it
// serves, the contacts of the people it restored are indexed in the background, as one engine's
// are. Input for a shard that is opening, closing or not held here is not this host's: the
// caller answers it (503, or forwards it to the holder).
import type { Engine } from '../runtime/engine.js';
import type { JournalBackend } from '../store/journal.js';
import type { Fence } from '../store/postgres.js';

/** A shard's engine with the store it was recovered from. */
export interface OpenedShard {
  readonly engine: Engine;
  readonly backend: JournalBackend;
  /** Loads the shard's part of the people file as it recovers (Engine.recover). */
  readonly peopleFile?: (restored: boolean) => void;
  /** Told once the engine recovered, before the first batch after it is written (which a recovery always has). */
  readonly recovered?: () => void;
  /** Told once the shard serves. */
  readonly serving?: () => void;
  /** Indexes the contacts of the people it restored, a slice at a time, once it serves (recovery leaves them for later); resolves with how many. */
  readonly indexContacts?: () => Promise<number>;
}

/** The lease a shard is held by: its commits check it. */
export interface HeldShard extends Fence {
  readonly shard: number;
  readonly token: string;
}

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShardHostOptions<L extends HeldShard> {
  /** Opens the shard's store, its commits checked against `lease`, and makes its engine over it (not recovered yet). */
  open(lease: L): Promise<OpenedShard>;
  /** Brings a recovered shard up to date before it serves (the cluster log's entries it missed). */
  ready?(engine: Engine): Promise<void>;
  logger: Logger;
}

/** The shards held here, each served by its own engine. */
export class ShardHost<L extends HeldShard = HeldShard> {
  private readonly serving = new Map<number, OpenedShard>();
  /** Shards being closed: closing a shard that is opened again waits for it. */
  private readonly closing = new Map<number, Promise<void>>();

  constructor(private readonly options: ShardHostOptions<L>) {}

  /** Opens and recovers the shard of a lease just taken; it serves once this resolves. A failure closes what was opened. */
  async take(lease: L): Promise<void> {
    const started = performance.now();
    await this.closing.get(lease.shard);
    const opened = await this.options.open(lease);
    try {
      const recovered = opened.engine.recover(opened.backend, opened.peopleFile);
      opened.recovered?.();
      await opened.engine.journal.flush();
      await this.options.ready?.(opened.engine);
      this.serving.set(lease.shard, opened);
      this.options.logger.info({ shard: lease.shard, token: lease.token, ...recovered, ms: Math.round(performance.now() - started) }, 'shard taken: recovered and serving');
      opened.serving?.();
      if (opened.indexContacts) void this.indexContacts(lease.shard, opened.indexContacts);
    } catch (err) {
      await closeShard(opened).catch(() => {});
      throw err;
    }
  }

  /** A shard's restored contacts indexed in the background (else its first lookup would index them all at once). */
  private async indexContacts(shard: number, index: () => Promise<number>): Promise<void> {
    const started = performance.now();
    const people = await index();
    if (people > 0) this.options.logger.info({ shard, people, ms: Math.round(performance.now() - started) }, 'contacts indexed');
  }

  /** Gives a shard up in good order: no more input, its last batch written, its store closed. */
  async give(shard: number): Promise<void> {
    await this.close(shard);
    this.options.logger.info({ shard }, 'shard given up');
  }

  /** A shard whose lease was lost: dropped at once, its engine closed (what it still writes is fenced). */
  lost(shard: number, reason: 'taken' | 'fenced'): void {
    this.options.logger.error({ code: 'JCT_LEASE_LOST', shard, reason }, `this process lost the lease of shard ${shard} (${reason === 'taken' ? 'another process took it over' : 'a commit was fenced'}): its state there is stale and dropped`);
    void this.close(shard);
  }

  /** The engine serving `shard` here, if any. */
  engine(shard: number): Engine | undefined {
    return this.serving.get(shard)?.engine;
  }

  /** The shards served here, in order. */
  shards(): number[] {
    return [...this.serving.keys()].sort((a, b) => a - b);
  }

  /** Closes every shard (the process stops): each writes its last batch. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.serving.keys()].map((shard) => this.close(shard)));
  }

  private close(shard: number): Promise<void> {
    const opened = this.serving.get(shard);
    if (opened === undefined) return this.closing.get(shard) ?? Promise.resolve();
    this.serving.delete(shard);
    const closed = closeShard(opened)
      .catch((err: unknown) => this.options.logger.error({ shard, err: (err as Error).message }, 'shard closed with an error'))
      .finally(() => this.closing.delete(shard));
    this.closing.set(shard, closed);
    return closed;
  }
}

async function closeShard({ engine, backend }: OpenedShard): Promise<void> {
  try {
    await engine.close();
  } finally {
    await backend.close();
  }
}
