// Per flow-version metrics: for every node, total engagements (every pass) and unique
// people engaged (first pass per person, kept as a bitset per person), element failures;
// for the flow, people entered, exited and goal performers.

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
  /** Person → bitset of the nodes they have passed (32 nodes a word; plain arrays allocate fastest). */
  private readonly seen = new Map<string, number[]>();
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
      this.seen.set(personId, new Array<number>(this.words).fill(0));
      this.metrics.profilesInFlow++;
    }
  }

  visited(personId: string, nodes: readonly number[]): void {
    const bits = this.seen.get(personId);
    for (const i of nodes) {
      const m = this.metrics.elements[i]!;
      m.totalEngagements++;
      if (!bits) continue;
      const word = i >> 5;
      const mask = 1 << (i & 31);
      if ((bits[word]! & mask) === 0) {
        bits[word] = (bits[word]! | mask) >>> 0;
        m.uniqueUsersEngaged++;
      }
    }
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

  goal(personId: string): void {
    if (this.goalSeen.has(personId)) return;
    this.goalSeen.add(personId);
    this.metrics.goalPerformers++;
  }
}
