// Per flow-version metrics of one partition: for every node, total engagements (every pass)
// and unique people engaged (first pass per person, kept as a bitset per person), element
// failures and named counters (messages sent, delivered, seen, failed, clicked, replied per
// channel, as `<channel>:<what>`; participants interrupted); for the flow, people entered,
// exited and goal performers, and the message counters summed per channel. People are known by
// their number in the partition (Partition.personSlot), so per-person state is an array
// entry, not a map entry. The engine sums the partitions' figures (sumMetrics); totals() and
// seenOf() are what the journal keeps.

export interface NodeMetrics {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  totalEngagements: number;
  uniqueUsersEngaged: number;
  failures: number;
  /** Named counters, e.g. `sms:sent` (SMS parts the provider accepted), `whatsapp:delivered`, `interrupted`. */
  counters: Record<string, number>;
}

/** Message counters of one channel, summed over the flow's elements. */
export type ChannelMetrics = Record<string, number>;

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
  /** Messages the providers accepted, every channel (an SMS counts its parts). */
  messagesSent: number;
  /** Per channel: sent, delivered, seen, failed, clicked, replied. */
  channels: Record<string, ChannelMetrics>;
  readonly elements: NodeMetrics[];
}

export class MetricsRecorder {
  /**
   * Person number → bitset of the nodes they have passed, 32 nodes a word: a number when the
   * flow has at most 32 nodes (no object per person), else an array of words.
   */
  private readonly seen: Array<number | number[] | undefined> = [];
  private readonly goalSeen = new Set<number>();
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
      messagesSent: 0,
      channels: {},
      elements: nodes.map((n) => ({ id: n.id, name: n.name, type: n.def.type, totalEngagements: 0, uniqueUsersEngaged: 0, failures: 0, counters: {} })),
    };
  }

  entered(person: number): void {
    this.metrics.activeParticipants++;
    if (this.seen[person] === undefined) {
      this.seen[person] = this.words === 1 ? 0 : new Array<number>(this.words).fill(0);
      this.metrics.profilesInFlow++;
    }
  }

  /** Counts passes; true when the person passed a node for the first time (seenOf changed). */
  visited(person: number, nodes: readonly number[]): boolean {
    const before = this.seen[person];
    const words = typeof before === 'object' ? before : undefined;
    let word0 = typeof before === 'number' ? before : 0; // the one word of a small flow, kept unboxed
    let first = false;
    for (let n = 0; n < nodes.length; n++) {
      const i = nodes[n]!;
      const m = this.metrics.elements[i]!;
      m.totalEngagements++;
      if (before === undefined) continue;
      const bits = words ? words[i >> 5]! : word0;
      const mask = 1 << (i & 31);
      if ((bits & mask) !== 0) continue;
      if (words) words[i >> 5] = (bits | mask) >>> 0;
      else word0 = (bits | mask) >>> 0;
      m.uniqueUsersEngaged++;
      first = true;
    }
    if (first && !words) this.seen[person] = word0;
    return first;
  }

  /** What the journal keeps of a person: the nodes passed and whether the goal was met. */
  seenOf(person: number): { bits: number[]; goal: boolean } | undefined {
    const bits = this.seen[person];
    if (bits === undefined) return undefined;
    return { bits: typeof bits === 'number' ? [bits] : bits, goal: this.goalSeen.has(person) };
  }

  restoreSeen(person: number, bits: number[], goal: boolean): void {
    this.seen[person] = this.words === 1 ? bits[0]! : bits;
    if (goal) this.goalSeen.add(person);
  }

  /** The counters, compactly: [entered, exited, active, goals, [total, unique, failures, named counters?] per node]. */
  totals(): MetricsTotals {
    const m = this.metrics;
    return [m.profilesInFlow, m.profilesExited, m.activeParticipants, m.goalPerformers, m.elements.map(nodeTotals)];
  }

  restoreTotals(t: MetricsTotals): void {
    const m = this.metrics;
    [m.profilesInFlow, m.profilesExited, m.activeParticipants, m.goalPerformers] = t;
    t[4].forEach(([total, unique, failures, counters], i) => {
      const e = m.elements[i];
      if (e) Object.assign(e, { totalEngagements: total, uniqueUsersEngaged: unique, failures, counters: { ...counters } });
    });
  }

  /** Adds to a node's named counter. */
  count(node: number, counter: string, n: number): void {
    const m = this.metrics.elements[node];
    if (m) m.counters[counter] = (m.counters[counter] ?? 0) + n;
  }

  hasEntered(person: number): boolean {
    return this.seen[person] !== undefined;
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
  goal(person: number): boolean {
    if (this.goalSeen.has(person)) return false;
    this.goalSeen.add(person);
    this.metrics.goalPerformers++;
    return true;
  }
}

export type NodeTotals = [total: number, unique: number, failures: number, counters?: Record<string, number>];
export type MetricsTotals = [number, number, number, number, NodeTotals[]];

function nodeTotals(e: NodeMetrics): NodeTotals {
  for (const _ in e.counters) return [e.totalEngagements, e.uniqueUsersEngaged, e.failures, e.counters];
  return [e.totalEngagements, e.uniqueUsersEngaged, e.failures];
}

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
      for (const [name, n] of Object.entries(e.counters)) s.counters[name] = (s.counters[name] ?? 0) + n;
    });
  }
  for (const e of sum.elements) addChannels(sum, e.counters);
  return sum;
}

/** Sums a node's `<channel>:<what>` counters into the flow's per-channel figures and messages sent. */
function addChannels(sum: FlowMetrics, counters: Record<string, number>): void {
  for (const [name, n] of Object.entries(counters)) {
    const colon = name.indexOf(':');
    if (colon < 0) continue;
    const channel = (sum.channels[name.slice(0, colon)] ??= {});
    const what = name.slice(colon + 1);
    channel[what] = (channel[what] ?? 0) + n;
    if (what === 'sent') sum.messagesSent += n;
  }
}
