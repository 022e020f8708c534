// Reports over everyone in a sharded cluster (decision 0018, piece 6): a flow's metrics (one
// version, or every version together), a month's engaged persons and the segments' sizes, each
// made of every shard's own (router.each). A person lives in one shard, so the shards' people are
// disjoint: counts add up, and so do "people counted once" (entered, goal performers, unique
// people per element); rates are computed again from the sums. What every shard shares (which
// versions exist, their elements, the segments' definitions) is read from the front.
import type { Engine } from '../runtime/engine.js';
import { addChannels, addNodeFigures, percentage, sumMetrics, type AllVersionsMetrics, type FlowMetrics, type NodeMetrics } from '../runtime/metrics.js';
import { topFlows, type EngagedPerson, type EngagedReport } from '../runtime/engagement.js';
import { orderedView, type Ordered } from '../ordered.js';
import type { SegmentSummary } from '../store/interfaces.js';
import type { EngagedPage } from './calls.js';
import type { ShardRouter } from './shard-router.js';

/** A version's metrics over every shard (default: the front's newest launched version); refused as one engine refuses. */
export async function clusterMetrics(front: Engine, router: ShardRouter, flowId: string, version?: number): Promise<FlowMetrics> {
  const flow = front.compiled(flowId, version);
  if (!flow) throw front.notLaunched(flowId, version);
  const answers = await router.each('metrics', { flowId, version: flow.version });
  return sumMetrics(flowId, flow.version, answers.filter(isSome).map((metrics) => ({ metrics })), flow.nodes);
}

/** Every launched version's metrics of a flow together, over every shard. */
export async function clusterMetricsAllVersions(front: Engine, router: ShardRouter, flowId: string): Promise<AllVersionsMetrics> {
  if (!front.compiled(flowId)) throw front.notLaunched(flowId);
  return sumShards(flowId, (await router.each('metricsAllVersions', { flowId })).filter(isSome));
}

/**
 * Shards' every-version metrics together. A shard behind the log may miss the newest versions:
 * the answers are read newest first, so the elements come in the order, and with the names, that
 * the newest versions give them (as one engine's sumVersions does).
 */
function sumShards(flowId: string, answers: readonly AllVersionsMetrics[]): AllVersionsMetrics {
  const newestFirst = [...answers].sort((a, b) => newest(b) - newest(a));
  const versions = [...new Set(answers.flatMap((a) => a.versions))].sort((a, b) => a - b);
  const all: AllVersionsMetrics = { flowId, versions, profilesInFlow: 0, profilesExited: 0, activeParticipants: 0, goalPerformers: 0, goalPercentage: 0, messagesSent: 0, channels: {}, elements: [] };
  const elements = new Map<string, NodeMetrics>();
  for (const a of newestFirst) {
    all.profilesInFlow += a.profilesInFlow;
    all.profilesExited += a.profilesExited;
    all.activeParticipants += a.activeParticipants;
    all.goalPerformers += a.goalPerformers;
    for (const e of a.elements) addNodeFigures(elementOf(elements, e), e);
  }
  all.elements.push(...elements.values());
  for (const e of all.elements) addChannels(all, e.counters);
  all.goalPercentage = percentage(all.goalPerformers, all.profilesInFlow);
  return all;
}

function newest(metrics: AllVersionsMetrics): number {
  return Math.max(0, ...metrics.versions);
}

/** The sum's element with e's id, made (named as e) when it is the first. */
function elementOf(elements: Map<string, NodeMetrics>, e: NodeMetrics): NodeMetrics {
  let s = elements.get(e.id);
  if (!s) elements.set(e.id, (s = { id: e.id, name: e.name, type: e.type, totalEngagements: 0, uniqueUsersEngaged: 0, failures: 0, counters: {} }));
  return s;
}

/**
 * A month's engaged persons over every shard: the total, the top flows from every flow's count
 * in every shard, and the people in the report's order (first entry time, then person id): every
 * shard's page after the cursor, merged and cut to the limit (the cluster's page is among them).
 */
export async function clusterEngagedReport(router: ShardRouter, month: string, page: EngagedPage = {}): Promise<EngagedReport> {
  const answers = await router.each('engagedReport', { month, page });
  const perFlow = new Map<string, number>();
  for (const a of answers) for (const [flowId, n] of Object.entries(a.perFlow)) perFlow.set(flowId, (perFlow.get(flowId) ?? 0) + n);
  const people = answers.flatMap((a) => a.people).sort(inReportOrder);
  const limit = page.limit ?? people.length;
  return {
    month,
    total: answers.reduce((sum, a) => sum + a.total, 0),
    topFlows: topFlows(perFlow),
    people: people.slice(0, limit),
    more: people.length > limit || answers.some((a) => a.more),
  };
}

/** The engaged report's order: first entry time, then person id (as strings compare). */
function inReportOrder(a: EngagedPerson, b: EngagedPerson): number {
  return a.engagedAt - b.engagedAt || (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0);
}

/** The segments as the front has them (their definitions are shared), each sized over every shard. */
export async function clusterSegmentList(front: Engine, router: ShardRouter): Promise<Ordered<SegmentSummary>> {
  const sizes = await router.each('segmentSizes', {});
  return orderedView(front.people.segmentList(), ({ definition }) => ({ definition, size: sizes.reduce((sum, s) => sum + (s[definition.id] ?? 0), 0) }));
}

function isSome<T>(value: T | null): value is T {
  return value !== null;
}
