// A shard's engine applying the cluster log: the entries after the last it applied, in order
// (runtime/cluster-operations.ts applies each with its meta row), one pass at a time per engine.
import type { Engine } from '../runtime/engine.js';
import { applyClusterOperation, type ClusterOperation, type ClusterOutcome } from '../runtime/cluster-operations.js';
import type { ClusterLog } from './postgres-cluster-log.js';

/** Told of each entry applied by applyPending: its number, operation and outcome. */
export type ClusterApplied = (seq: number, op: ClusterOperation, outcome: ClusterOutcome) => void;

/** Per engine: the pass over the log running now, and the one every call meanwhile waits for. */
const passes = new WeakMap<Engine, Passes>();

/**
 * Applies the entries after the last one applied, in order, then writes them (the journal
 * flushed); resolves with how many it applied. An engine closed meanwhile is left alone. One pass at a time per engine: a call while one
 * runs waits for it, then shares one more pass with every other call made meanwhile.
 */
export function applyPending(engine: Engine, log: ClusterLog, onApplied?: ClusterApplied): Promise<number> {
  let serial = passes.get(engine);
  if (serial === undefined) passes.set(engine, (serial = new Passes()));
  return serial.run(() => applyAll(engine, log, onApplied));
}

async function applyAll(engine: Engine, log: ClusterLog, onApplied: ClusterApplied | undefined): Promise<number> {
  let applied = 0;
  while (!engine.stopped) {
    const entries = await log.after(engine.clusterApplied);
    if (engine.stopped) break; // closed while the entries were read (the shard given up): a flow launched now would arm timers nobody stops
    for (const { seq, op } of entries) {
      const outcome = applyClusterOperation(engine, seq, op);
      if (outcome === undefined) continue;
      applied++;
      onApplied?.(seq, op, outcome);
    }
    if (entries.length === 0) break;
  }
  if (!engine.stopped) await engine.journal.flush();
  return applied;
}

/** Runs passes one at a time: a call while one runs gets the next, shared by every call until it starts. */
class Passes {
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  run(pass: () => Promise<number>): Promise<number> {
    if (this.running === undefined) return this.start(pass);
    const after = () => {
      this.queued = undefined;
      return this.start(pass);
    };
    return (this.queued ??= this.running.then(after, after));
  }

  private start(pass: () => Promise<number>): Promise<number> {
    const running: Promise<number> = pass().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }
}
