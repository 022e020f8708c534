// Entry points started by inputs (ElementDefinition.triggeredBy): for each input kind whose
// module compiles triggers, the matcher built from the entry points of every flow whose
// running version is active. Built on first use and dropped whenever a flow's status or
// version changes, so matching never scans flows. Ties between flows go to the one whose
// running version became active first (a resumed flow counts from its resume), then by id.
import type { InputDefinition, TriggerEntry, TriggerHit, TriggerMatcher } from '../module.js';
import type { Person } from '../person.js';
import type { Input } from '../vocabulary.js';
import type { Live } from './versions.js';

export class Triggers {
  private readonly matchers = new Map<string, TriggerMatcher>();

  /** `running` lists every flow's running version. */
  constructor(private readonly running: () => Iterable<Live>) {}

  /** Flows started, stopped, paused, resumed or got a new version: rebuild on next use. */
  invalidate(): void {
    this.matchers.clear();
  }

  match(def: InputDefinition, input: Input, person: Person | undefined): TriggerHit | undefined {
    if (!def.triggers) return undefined;
    let matcher = this.matchers.get(def.kind);
    if (!matcher) this.matchers.set(def.kind, (matcher = def.triggers(this.entries(def.kind))));
    return matcher.match(input, person);
  }

  private entries(kind: string): TriggerEntry[] {
    const active = [...this.running()]
      .filter((l) => l.record.status === 'active')
      .sort((a, b) => a.record.statusAt - b.record.statusAt || (a.flow.id < b.flow.id ? -1 : 1));
    return active.flatMap((live, order) =>
      live.flow.entries
        .map((i) => live.flow.nodes[i]!)
        .filter((node) => node.def.triggeredBy === kind)
        .map((node) => ({ flowId: live.flow.id, version: live.flow.version, node: node.id, order, prepared: node.prepared })),
    );
  }
}
