// Launched flow versions, by flow id, oldest first: what the engine keeps for each (the record,
// the compiled flow, the entry points' off switches, inputs held while paused, flow timers)
// and the lookups the engine makes (the running version, a given version, every version).
import type { TimerHandle } from '../clock.js';
import type { CompiledFlow } from '../flow/compile.js';
import type { FlowRecord, Input } from '../vocabulary.js';
import { isLive } from './lifecycle.js';

export interface Live {
  readonly record: FlowRecord;
  readonly flow: CompiledFlow;
  /** Entry node index → the function that stops it bringing people in. */
  readonly deactivate: Map<number, () => void>;
  /** Inputs that arrived for participants while the version was paused, in the order they came (journaled: table `held`). */
  held: Held[];
  /** Participants with a held timer (a due timer is held once, though it fires again after a restart). */
  readonly heldTimers: Set<string>;
  /** Entries held while paused (EntryHost.enterOrHold), by heldEntryId (journaled: table `held`). */
  readonly heldEntries: Map<string, HeldEntry>;
  lastActivityAt: number;
  readonly timers: TimerHandle[];
  /** Timers entry points armed (EntryHost.schedule) that have not fired: while any is, the version is not idle. */
  readonly entryTimers: Set<TimerHandle>;
}

/** An input held for participant `participant`, waiting at node `node` when it came; `key`: its journal row. */
export interface Held {
  readonly key: string;
  readonly personId: string;
  readonly participant: string;
  readonly node: number;
  readonly input: Input;
}

/** A person's entry through entry node `entry`, held until the version resumes; `key`: its journal row. */
export interface HeldEntry {
  readonly key: string;
  readonly personId: string;
  readonly entry: number;
}

/** One held entry per person and entry point. */
export function heldEntryId(entry: number, personId: string): string {
  return `${entry}\u0000${personId}`;
}

const RUNNING = new Set(['active', 'paused', 'scheduled']);

export class Versions {
  private readonly byFlow = new Map<string, Live[]>();

  add(live: Live): void {
    this.byFlow.set(live.flow.id, [...this.of(live.flow.id), live]);
  }

  drop(live: Live): void {
    this.byFlow.set(live.flow.id, this.of(live.flow.id).filter((l) => l !== live));
  }

  of(flowId: string): readonly Live[] {
    return this.byFlow.get(flowId) ?? [];
  }

  /** The newest version that is scheduled, active or paused. */
  current(flowId: string): Live | undefined {
    return this.of(flowId).findLast((l) => RUNNING.has(l.record.status));
  }

  latest(flowId: string): Live | undefined {
    return this.of(flowId).at(-1);
  }

  version(flowId: string, version: number): Live | undefined {
    for (const live of this.of(flowId)) if (live.record.version === version) return live;
    return undefined;
  }

  all(): Live[] {
    return [...this.byFlow.values()].flat();
  }

  /** Versions whose participants still run (active, paused, finishing). */
  live(): Live[] {
    return this.all().filter((l) => isLive(l.record.status));
  }
}
