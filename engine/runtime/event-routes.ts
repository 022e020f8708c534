// Where an event goes besides the participants waiting for it: the entry points it may start
// (People Real-Time Event, by event name, in the running versions that are active) and whether
// any launched version names it at all. Events Junction records itself (people, product and
// channel events) are kept in the history and routed only while some launched version names
// them (a condition, a wait, an entry point or its goal): a flow nobody wrote about them costs
// nothing per step. Rebuilt on first use after flows start, stop or change.
import type { EventEntry } from '../element.js';
import type { FlowDefinition } from '../flow-schema.js';
import type { Live } from './versions.js';

export interface EventEntryRef {
  readonly live: Live;
  readonly node: number;
  readonly entry: EventEntry;
}

export class EventRoutes {
  private entries: Map<string, EventEntryRef[]> | undefined;
  private named: Set<string> | undefined;
  private goals: Map<string, Live[]> | undefined;

  /** `running`: every flow's running version; `launched`: every launched version not over. */
  constructor(
    private readonly running: () => Iterable<Live>,
    private readonly launched: () => Iterable<Live>,
  ) {}

  invalidate(): void {
    this.entries = undefined;
    this.named = undefined;
    this.goals = undefined;
  }

  /** The launched versions whose goal is this event. */
  goalsOf(name: string): readonly Live[] {
    return (this.goals ??= this.indexGoals()).get(name) ?? NO_VERSIONS;
  }

  /** The active entry points the event may start, oldest activation first. */
  entriesFor(name: string): readonly EventEntryRef[] {
    return (this.entries ??= this.indexEntries()).get(name) ?? NONE;
  }

  /** Whether some launched version names the event. */
  isNamed(name: string): boolean {
    return (this.named ??= this.collectNamed()).has(name);
  }

  private indexEntries(): Map<string, EventEntryRef[]> {
    const index = new Map<string, EventEntryRef[]>();
    const active = [...this.running()].filter((l) => l.record.status === 'active').sort((a, b) => a.record.statusAt - b.record.statusAt);
    for (const live of active) {
      for (const i of live.flow.entries) {
        const node = live.flow.nodes[i]!;
        if (node.def.triggeredBy !== 'event') continue;
        const entry = node.prepared as EventEntry;
        for (const name of new Set(entry.names)) index.set(name, [...(index.get(name) ?? []), { live, node: i, entry }]);
      }
    }
    return index;
  }

  private indexGoals(): Map<string, Live[]> {
    const index = new Map<string, Live[]>();
    for (const live of this.launched()) {
      const goal = live.flow.settings.goal;
      if (goal !== undefined) index.set(goal, [...(index.get(goal) ?? []), live]);
    }
    return index;
  }

  private collectNamed(): Set<string> {
    const names = new Set<string>();
    for (const live of this.launched()) {
      eventsNamed(live.flow.definition, names);
      for (const node of live.flow.nodes) for (const name of node.def.listensFor?.(node.prepared) ?? []) names.add(name);
    }
    return names;
  }
}

const NONE: readonly EventEntryRef[] = Object.freeze([]);
const NO_VERSIONS: readonly Live[] = Object.freeze([]);

/** Every string under an `event` key anywhere in the flow (conditions, waits, entries, the goal). */
function eventsNamed(doc: FlowDefinition, into: Set<string>): void {
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'event' && typeof v === 'string') into.add(v);
        else walk(v);
      }
    }
  };
  walk(doc);
}
