// Per flow-version metrics of one partition: for every node, total engagements (every pass)
// and unique people engaged (first pass per person, kept as a bitset per person), element
// failures; for the flow, people entered, exited and goal performers. The engine sums the
// partitions' figures (sumMetrics); totals() and seenOf() are what the journal keeps.

export interface NodeMetrics {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  totalEngagements: number;
  uniqueUsersEngaged: number;
  failures: number;
}

export interface FlowMetrics {
  readonly flowId: string;
  readonly version: number;
  /** Unique people who entered. */
  profilesInFlow: number;
  /** Participants that reached an exit (not canceled or stopped by an error). */
  profilesExited: number;
  /** Participants inside right now. */
  activeParticipants: number;
  goalPerformers: number;
  readonly elements: NodeMetrics[];
}

export class MetricsRecorder {
  /**
   * Person → bitset of the nodes they have passed, 32 nodes a word: a number when the flow has
   * at most 32 nodes (no object per person), else an array of words.
   */
  private readonly seen = new Map<string, number | number[]>();
  private readonly goalSeen = new Set<string>();
  readonly metrics: FlowMetrics;
  private readonly words: number;

  constructor(flowId: string, version: number, nodes: readonly { id: string; name: string; def: { type: string } }[]) {
    this.words = Math.ceil(nodes.length / 32);
    this.metrics = {
      flowId,
      version,
      profilesInFlow: 0,
      profilesExited: 0,
      activeParticipants: 0,
      goalPerformers: 0,
      elements: nodes.map((n) => ({ id: n.id, name: n.name, type: n.def.type, totalEngagements: 0, uniqueUsersEngaged: 0, failures: 0 })),
    };
  }

  entered(personId: string): void {
    this.metrics.activeParticipants++;
    if (!this.seen.has(personId)) {
      this.seen.set(personId, this.words === 1 ? 0 : new Array<number>(this.words).fill(0));
      this.metrics.profilesInFlow++;
    }
  }

  /** Counts passes; true when the person passed a node for the first time (seenOf changed). */
  visited(personId: string, nodes: readonly number[]): boolean {
    const before = this.seen.get(personId);
    const bits = typeof before === 'number' ? [before] : before;
    let first = false;
    for (const i of nodes) {
      const m = this.metrics.elements[i]!;
      m.totalEngagements++;
      if (!bits) continue;
      const word = i >> 5;
      const mask = 1 << (i & 31);
      if ((bits[word]! & mask) === 0) {
        bits[word] = (bits[word]! | mask) >>> 0;
        m.uniqueUsersEngaged++;
        first = true;
      }
    }
    if (first && typeof before === 'number') this.seen.set(personId, bits![0]!);
    return first;
  }

  /** What the journal keeps of a person: the nodes passed and whether the goal was met. */
  seenOf(personId: string): { bits: number[]; goal: boolean } | undefined {
    const bits = this.seen.get(personId);
    if (bits === undefined) return undefined;
    return { bits: typeof bits === 'number' ? [bits] : bits, goal: this.goalSeen.has(personId) };
  }

  restoreSeen(personId: string, bits: number[], goal: boolean): void {
    this.seen.set(personId, this.words === 1 ? bits[0]! : bits);
    if (goal) this.goalSeen.add(personId);
  }

  /** The counters, compactly: [entered, exited, active, goals, [total, unique, failures] per node]. */
  totals(): MetricsTotals {
    const m = this.metrics;
    return [m.profilesInFlow, m.profilesExited, m.activeParticipants, m.goalPerformers, m.elements.map((e) => [e.totalEngagements, e.uniqueUsersEngaged, e.failures])];
  }

  restoreTotals(t: MetricsTotals): void {
    const m = this.metrics;
    [m.profilesInFlow, m.profilesExited, m.activeParticipants, m.goalPerformers] = t;
    t[4].forEach(([total, unique, failures], i) => {
      const e = m.elements[i];
      if (e) Object.assign(e, { totalEngagements: total, uniqueUsersEngaged: unique, failures });
    });
  }

  hasEntered(personId: string): boolean {
    return this.seen.has(personId);
  }

  failed(node: number): void {
    const m = this.metrics.elements[node];
    if (m) m.failures++;
  }

  left(reachedExit: boolean): void {
    this.metrics.activeParticipants--;
    if (reachedExit) this.metrics.profilesExited++;
  }

  /** True when this is the person's first goal in this version. */
  goal(personId: string): boolean {
    if (this.goalSeen.has(personId)) return false;
    this.goalSeen.add(personId);
    this.metrics.goalPerformers++;
    return true;
  }
}

export type MetricsTotals = [number, number, number, number, Array<[number, number, number]>];

/** One version's metrics over every partition. */
export function sumMetrics(flowId: string, version: number, parts: readonly MetricsRecorder[], nodes: readonly { id: string; name: string; def: { type: string } }[]): FlowMetrics {
  const sum = new MetricsRecorder(flowId, version, nodes).metrics;
  for (const { metrics: m } of parts) {
    sum.profilesInFlow += m.profilesInFlow;
    sum.profilesExited += m.profilesExited;
    sum.activeParticipants += m.activeParticipants;
    sum.goalPerformers += m.goalPerformers;
    m.elements.forEach((e, i) => {
      const s = sum.elements[i]!;
      s.totalEngagements += e.totalEngagements;
      s.uniqueUsersEngaged += e.uniqueUsersEngaged;
      s.failures += e.failures;
    });
  }
  return sum;
}
