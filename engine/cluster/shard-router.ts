// Where a sharded cluster's work is done (decision 0018): a call for a shard runs on this
// process's engine of that shard when it holds it, else it goes to the process holding the
// shard's lease (peer-calls.ts), by name, with JSON arguments. The calls are one table
// (calls.ts), the same whichever way a call goes, so a call behaves alike here and there.
// Who holds each shard is read from the leases and kept for HOLDERS_FRESH_MS; a holder that
// answers that the shard is not there (it moved) or cannot be reached makes the router read the
// holders again and try once more when the shard has another holder by then. A shard with no
// live holder (between an owner's death and the takeover) is 503 JCT_SHARD_NOT_HERE.
import { JunctionError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import type { ShardCallName, ShardCalls } from './calls.js';
import type { PeerCalls } from './peer-calls.js';

/** Who holds each shard (its HTTP address), as the leases say. */
export type Holders = () => Promise<ReadonlyMap<number, { readonly address: string }>>;

type Result<K extends ShardCallName> = Awaited<ReturnType<ShardCalls[K]>>;

/** How long the holders read are trusted before a call reads them again (ms). */
const HOLDERS_FRESH_MS = 1000;

/** Codes of a peer's answer meaning the shard was not carried out there: worth asking its new holder. */
const MOVED = new Set(['JCT_SHARD_NOT_HERE', 'JCT_SHARD_UNREACHABLE']);

export interface ShardRouterOptions {
  readonly shards: number;
  /** The engine of a shard served here; undefined for any other. */
  readonly engineOf: (shard: number) => Engine | undefined;
  readonly holders: Holders;
  readonly peers: PeerCalls;
  readonly calls: ShardCalls;
}

export class ShardRouter {
  readonly shards: number;
  private known: { at: number; holders: Promise<ReadonlyMap<number, { readonly address: string }>> } | undefined;

  constructor(private readonly options: ShardRouterOptions) {
    this.shards = options.shards;
  }

  /** The result of call `name` with `args` on the engine of `shard`, here or where it is held. */
  run<K extends ShardCallName>(shard: number, name: K, args: Parameters<ShardCalls[K]>[1]): Promise<Result<K>> {
    return this.runOnce(shard, name, args, true);
  }

  /** The results of call `name` with `args` on every shard, in shard order. */
  each<K extends ShardCallName>(name: K, args: Parameters<ShardCalls[K]>[1]): Promise<Array<Result<K>>> {
    return Promise.all(Array.from({ length: this.shards }, (_, shard) => this.run(shard, name, args)));
  }

  private async runOnce<K extends ShardCallName>(shard: number, name: K, args: Parameters<ShardCalls[K]>[1], again: boolean): Promise<Result<K>> {
    const engine = this.options.engineOf(shard);
    if (engine) return (await this.options.calls[name](engine, args as never)) as Result<K>;
    const address = await this.holderOf(shard, false);
    try {
      return (await this.options.peers.call(address, shard, name, args)) as Result<K>;
    } catch (err) {
      if (!again || !(err instanceof JunctionError) || !MOVED.has(err.code)) throw err;
      const now = await this.holderOf(shard, true);
      if (now === address && this.options.engineOf(shard) === undefined) throw err;
      return this.runOnce(shard, name, args, false);
    }
  }

  /** The address of the process holding `shard` (read again when `fresh`); 503 JCT_SHARD_NOT_HERE when none does. */
  private async holderOf(shard: number, fresh: boolean): Promise<string> {
    const now = Date.now();
    if (fresh || this.known === undefined || now - this.known.at > HOLDERS_FRESH_MS) {
      const holders = this.options.holders();
      this.known = { at: now, holders };
      holders.catch(() => {
        if (this.known?.holders === holders) this.known = undefined;
      });
    }
    const holder = (await this.known.holders).get(shard);
    if (holder === undefined || holder.address === '') {
      throw new JunctionError('JCT_SHARD_NOT_HERE', `shard ${shard} has no live holder now (it is being taken over): try again`, { shard });
    }
    return holder.address;
  }
}
