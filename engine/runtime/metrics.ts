// Per flow-version metrics of one partition: for every node, total engagements (every pass)
// and unique people engaged (first pass per person, kept as a bitset per person), element
// failures and named counters (messages sent, delivered, seen, failed, clicked, replied per
// channel, as `<channel>:<what>`; participants interrupted); for the flow, people entered,
// exited and goal performers, and the message counters summed per channel. People are known by
// their number in the partition (Partition.personSlot), so per-person state is an array
// entry, not a map entry. The engine sums the partitions' figures (sumMetrics; a sharded
// cluster then the shards', cluster/reports.ts); totals() and seenOf() are what the journal keeps. An erased person's nodes are forgotten, but what they
// added to the every-version figures stays as counts (PeopleShare, kept with the totals).

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
  /** Goal performers per 100 people who entered, one decimal. */
  goalPercentage: number;
  /** Messages the providers accepted, every channel (an SMS counts its parts). */
  messagesSent: number;
  /** Per channel: sent, delivered, seen, failed, clicked, replied. */
  channels: Record<string, ChannelMetrics>;
  readonly elements: NodeMetrics[];
}

/**
 * What some people add to a flow's every-version figures (sumVersions), each counted once:
 * people, goal performers and unique people per element id. Erased people's share is kept so,
 * with the totals of one version (the newest they were in).
 */
export interface PeopleShare {
  people: number;
  goals: number;
  elements: Record<string, number>;
}

export class MetricsRecorder {
  /**
   * Person number → bitset of the nodes they have passed, 32 nodes a word: a number when the
   * flow has at most 32 nodes (no object per person), else an array of words.
   */
  private readonly seen: Array<number | number[] | undefined> = [];
  private readonly goalSeen = new Set<number>();
  readonly metrics: FlowMetrics;
  /** Erased people's share of the every-version figures, when this recorder keeps it. */
  erased: PeopleShare | undefined;
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
      goalPercentage: 0,
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

  /** Keeps an erased person's share of the every-version figures (their nodes are forgotten). */
  keepErased(share: PeopleShare): void {
    const kept = (this.erased ??= { people: 0, goals: 0, elements: {} });
    kept.people += share.people;
    kept.goals += share.goals;
    addCounters(kept.elements, share.elements);
  }

  /** Forgets which nodes the person passed (erasure); the counts stay. False when there was nothing. */
  forget(person: number): boolean {
    if (this.seen[person] === undefined) return false;
    this.seen[person] = undefined;
    this.goalSeen.delete(person);
    return true;
  }

  restoreSeen(person: number, bits: number[], goal: boolean): void {
    this.seen[person] = this.words === 1 ? bits[0]! : bits;
    if (goal) this.goalSeen.add(person);
  }

  /** The counters, compactly: [entered, exited, active, goals, [total, unique, failures, named counters?] per node, erased people?]. */
  totals(): MetricsTotals {
    const m = this.metrics;
    const totals: MetricsTotals = [m.profilesInFlow, m.profilesExited, m.activeParticipants, m.goalPerformers, m.elements.map(nodeTotals)];
    if (this.erased) totals.push(structuredClone(this.erased)); // a copy: the row is written later
    return totals;
  }

  restoreTotals(t: MetricsTotals): void {
    const m = this.metrics;
    [m.profilesInFlow, m.profilesExited, m.activeParticipants, m.goalPerformers] = t;
    this.erased = t[5] && structuredClone(t[5]); // a copy: keepErased adds to it
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

  /** One past the highest person number seen. */
  get people(): number {
    return this.seen.length;
  }

  hasGoal(person: number): boolean {
    return this.goalSeen.has(person);
  }

  /** The node indices the person has passed. */
  passed(person: number): number[] {
    const bits = this.seen[person];
    if (bits === undefined) return [];
    const words = typeof bits === 'number' ? [bits] : bits;
    const out: number[] = [];
    words.forEach((word, w) => {
      for (let b = 0; b < 32; b++) if ((word & (1 << b)) !== 0) out.push(w * 32 + b);
    });
    return out;
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
export type MetricsTotals = [number, number, number, number, NodeTotals[], erased?: PeopleShare];

function nodeTotals(e: NodeMetrics): NodeTotals {
  for (const _ in e.counters) return [e.totalEngagements, e.uniqueUsersEngaged, e.failures, { ...e.counters }]; // a copy: the row is written later
  return [e.totalEngagements, e.uniqueUsersEngaged, e.failures];
}

/** One version's metrics over every partition. */
export function sumMetrics(flowId: string, version: number, parts: ReadonlyArray<Pick<MetricsRecorder, 'metrics'>>, nodes: readonly { id: string; name: string; def: { type: string } }[]): FlowMetrics {
  const sum = new MetricsRecorder(flowId, version, nodes).metrics;
  for (const { metrics: m } of parts) {
    sum.profilesInFlow += m.profilesInFlow;
    sum.profilesExited += m.profilesExited;
    sum.activeParticipants += m.activeParticipants;
    sum.goalPerformers += m.goalPerformers;
    m.elements.forEach((e, i) => addNodeFigures(sum.elements[i]!, e));
  }
  for (const e of sum.elements) addChannels(sum, e.counters);
  sum.goalPercentage = percentage(sum.goalPerformers, sum.profilesInFlow);
  return sum;
}

/** Adds a node's figures (passes, unique people, failures, named counters) to another's. */
export function addNodeFigures(into: NodeMetrics, from: NodeMetrics): void {
  into.totalEngagements += from.totalEngagements;
  into.uniqueUsersEngaged += from.uniqueUsersEngaged;
  into.failures += from.failures;
  addCounters(into.counters, from.counters);
}

/** `part` per 100 of `whole`, one decimal (0 of nobody). */
export function percentage(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
}

/** Every version of a flow together: the versions, and elements matched by id across them (named as the newest names them). */
export type AllVersionsMetrics = Omit<FlowMetrics, 'version'> & { readonly versions: readonly number[] };

/**
 * Every version's metrics of one flow together. Counts of passes, exits, failures and messages
 * add up; people are counted once however many versions they were in (entered, goal, each
 * element's unique people), read from each partition's recorders of the versions.
 */
export function sumVersions(flowId: string, versions: readonly FlowMetrics[], partitions: ReadonlyArray<readonly MetricsRecorder[]>): AllVersionsMetrics {
  const elements = new Map<string, NodeMetrics>();
  const all: AllVersionsMetrics = { flowId, versions: versions.map((v) => v.version), profilesInFlow: 0, profilesExited: 0, activeParticipants: 0, goalPerformers: 0, goalPercentage: 0, messagesSent: 0, channels: {}, elements: [] };
  for (const v of versions) {
    all.profilesExited += v.profilesExited;
    all.activeParticipants += v.activeParticipants;
    for (const e of v.elements) addElement(elements, e);
  }
  for (const recorders of partitions) countPeopleOnce(all, elements, recorders);
  all.elements.push(...elements.values());
  for (const e of all.elements) addChannels(all, e.counters);
  all.goalPercentage = percentage(all.goalPerformers, all.profilesInFlow);
  return all;
}

/** Adds a version's element (versions come oldest first: the element is named as the newest version names it). */
function addElement(elements: Map<string, NodeMetrics>, e: NodeMetrics): void {
  const s: NodeMetrics = { ...(elements.get(e.id) ?? { totalEngagements: 0, uniqueUsersEngaged: 0, failures: 0, counters: {} }), id: e.id, name: e.name, type: e.type };
  elements.set(e.id, s);
  s.totalEngagements += e.totalEngagements;
  s.failures += e.failures;
  addCounters(s.counters, e.counters);
}

/** One partition's people, each counted once across the versions' recorders, and the erased people they keep. */
function countPeopleOnce(all: AllVersionsMetrics, elements: Map<string, NodeMetrics>, recorders: readonly MetricsRecorder[]): void {
  const people = Math.max(0, ...recorders.map((r) => r.people));
  for (let person = 0; person < people; person++) addShare(all, elements, personAcrossVersions(recorders, person));
  for (const r of recorders) addShare(all, elements, r.erased);
}

/** One person's share of the every-version figures of the versions' recorders (one partition's); undefined when they never entered. */
export function personAcrossVersions(recorders: readonly MetricsRecorder[], person: number): PeopleShare | undefined {
  const inside = recorders.filter((r) => r.hasEntered(person));
  if (inside.length === 0) return undefined;
  const ids = new Set(inside.flatMap((r) => r.passed(person).map((i) => r.metrics.elements[i]!.id)));
  return { people: 1, goals: inside.some((r) => r.hasGoal(person)) ? 1 : 0, elements: Object.fromEntries([...ids].map((id) => [id, 1])) };
}

/** Adds a share (one person's, or the erased people's) to the every-version figures. */
function addShare(all: AllVersionsMetrics, elements: Map<string, NodeMetrics>, share: PeopleShare | undefined): void {
  if (!share) return;
  all.profilesInFlow += share.people;
  all.goalPerformers += share.goals;
  for (const [id, n] of Object.entries(share.elements)) {
    const e = elements.get(id);
    if (e) e.uniqueUsersEngaged += n;
  }
}

function addCounters(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
}

/** Sums a node's `<channel>:<what>` counters into the flow's per-channel figures and messages sent. */
export function addChannels(sum: Pick<FlowMetrics, 'channels' | 'messagesSent'>, counters: Record<string, number>): void {
  for (const [name, n] of Object.entries(counters)) {
    const colon = name.indexOf(':');
    if (colon < 0) continue;
    const channel = (sum.channels[name.slice(0, colon)] ??= {});
    const what = name.slice(colon + 1);
    channel[what] = (channel[what] ?? 0) + n;
    if (what === 'sent') sum.messagesSent += n;
  }
}
