// The changes to what a cluster keeps once per shard, as entries of the cluster log
// (engine/cluster/postgres-cluster-log.ts), and their application to one shard's engine. Every shard
// applies every entry once, in number order: the change and the meta row `clusterLog` = { seq }
// go into the journal in one synchronous go, so one batch holds both (journal.ts) and a shard
// that crashes or is taken over applies from where its store says, never twice.
//
// The operations, one per engine method that changes global state (and the API route calling it):
//   save               Engine.save               POST /flows, PUT /flows/:id, POST /flows/:id/versions (and flows files at start)
//   launch             Engine.launch             POST /flows/:id/launch
//   pause, resume      Engine.pause, resume      POST /flows/:id/pause, /resume
//   cancel             Engine.cancel             POST /flows/:id/cancel
//   stopVersion        Engine.stopVersion        POST /flows/:id/versions/:version/stop
//   duplicate          Engine.duplicate          POST /flows/:id/duplicate
//   schedule           Engine.changeSchedule     PUT /flows/:id/schedule
//   goal               Engine.changeGoal         PUT /flows/:id/goal
//   reconfigureEntry   Engine.reconfigureEntry   PUT /flows/:id/entry-points/:entryId
//   deleteDraft        Engine.deleteDraft        DELETE /flows/:id
//   saveTemplate       Engine.saveTemplate       POST /templates
//   draftFromTemplate  Engine.draftFromTemplate  POST /templates/:id/flows
//   deleteTemplate     Engine.deleteTemplate     DELETE /templates/:id
//   define             Engine.define             POST /attributes, /event-definitions, /segments
//   replaceSegment     Engine.replaceSegment     PUT /segments/:id
//   doNotContact       Engine.changeDoNotContact POST, DELETE /do-not-contact (the `doNotContact` input), the email unsubscribe link,
//                                                 a flow's do-not-contact step (engine/cluster/cluster-effects.ts)
//   endVersion         Engine.endVersion         a version idle for the idle limit in every shard, or finishing and empty in every shard (Engine's `across`)
//
// What an operation makes is carried in it, so that every shard makes the same: ids (the flow's,
// a duplicate's, a template's) are given; version numbers follow from the order, and `version`
// says which one the writer expects (a shard that would make another refuses: JCT_CLUSTER_DIVERGED);
// `at` is the time stamped on the records changed (statusAt, activatedAt, savedAt) and judged
// against (a launch's start, a schedule's end), whenever a shard applies it (Engine.atTime).
import { JunctionError, toJunctionError } from '../errors.js';
import type { DoNotContactChange } from '../vocabulary.js';
import type { DefinitionKind, Engine, VersionEnd } from './engine.js';
import type { Schedule } from './reschedule.js';

/** One change to what every shard keeps; JSON as the log stores it. */
export type ClusterOperation = { readonly at: number } & (
  | { readonly kind: 'save'; readonly doc: unknown; readonly version: number; readonly fileDigest?: string }
  | { readonly kind: 'launch'; readonly flowId: string; readonly version: number }
  | { readonly kind: 'pause' | 'resume' | 'cancel' | 'deleteDraft'; readonly flowId: string }
  | { readonly kind: 'stopVersion'; readonly flowId: string; readonly version: number }
  | { readonly kind: 'duplicate'; readonly flowId: string; readonly newId: string; readonly version?: number }
  | { readonly kind: 'schedule'; readonly flowId: string; readonly schedule: Schedule }
  | { readonly kind: 'goal'; readonly flowId: string; readonly event: string | null }
  | { readonly kind: 'reconfigureEntry'; readonly flowId: string; readonly entryId: string; readonly config: unknown }
  | { readonly kind: 'saveTemplate'; readonly flowId: string; readonly templateId: string; readonly name?: string; readonly description?: string; readonly version?: number }
  | { readonly kind: 'draftFromTemplate'; readonly templateId: string; readonly newFlowId: string }
  | { readonly kind: 'deleteTemplate'; readonly templateId: string }
  | { readonly kind: 'define'; readonly definition: DefinitionKind; readonly item: { readonly name?: string; readonly id?: string } }
  | { readonly kind: 'replaceSegment'; readonly item: { readonly id: string; readonly kind: string } }
  | { readonly kind: 'doNotContact'; readonly change: DoNotContactChange }
  | { readonly kind: 'endVersion'; readonly flowId: string; readonly version: number; readonly why: VersionEnd }
);

/** What applying an entry did on this shard: the method's answer, or why it refused (the entry counts as applied either way). */
export type ClusterOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: JunctionError };

/** The last entry this shard applied, as its store keeps it (0: none). */
export function clusterApplied(engine: Engine): number {
  return engine.clusterApplied;
}

/**
 * Applies entry `seq` to this shard, with its meta row in the same batch; an entry applied
 * already is passed over (undefined). An operation this shard refuses is recorded as applied too
 * (it would refuse it again) and its error is answered, not thrown.
 */
export function applyClusterOperation(engine: Engine, seq: number, op: ClusterOperation): ClusterOutcome | undefined {
  if (seq <= engine.clusterApplied) return undefined;
  let outcome: ClusterOutcome;
  try {
    outcome = { ok: true, value: engine.atTime(op.at, () => perform(engine, op)) };
  } catch (err) {
    outcome = { ok: false, error: toJunctionError(err, 'JCT_CLUSTER_OPERATION') };
  }
  engine.recordClusterApplied(seq);
  return outcome;
}

function perform(engine: Engine, op: ClusterOperation): unknown {
  switch (op.kind) {
    case 'save':
      expectVersion(op.version, nextVersion(engine, flowIdIn(op.doc)), 'save');
      return engine.save(op.doc, op.fileDigest === undefined ? {} : { fileDigest: op.fileDigest });
    case 'launch':
      expectVersion(op.version, engine.flowVersions(op.flowId).at(-1)?.version, 'launch');
      return engine.launch(op.flowId);
    case 'pause':
      return engine.pause(op.flowId);
    case 'resume':
      return engine.resume(op.flowId);
    case 'cancel':
      return engine.cancel(op.flowId);
    case 'deleteDraft':
      return engine.deleteDraft(op.flowId);
    case 'stopVersion':
      return engine.stopVersion(op.flowId, op.version);
    case 'duplicate':
      return engine.duplicate(op.flowId, op.newId, op.version);
    case 'schedule':
      return engine.changeSchedule(op.flowId, op.schedule);
    case 'goal':
      return engine.changeGoal(op.flowId, op.event ?? undefined);
    case 'reconfigureEntry':
      return engine.reconfigureEntry(op.flowId, op.entryId, op.config);
    case 'saveTemplate':
      return engine.saveTemplate(op.flowId, op.templateId, { name: op.name, description: op.description, version: op.version });
    case 'draftFromTemplate':
      return engine.draftFromTemplate(op.templateId, op.newFlowId);
    case 'deleteTemplate':
      return engine.deleteTemplate(op.templateId);
    case 'define':
      return engine.define(op.definition, op.definition === 'segments' ? heldMembers(engine, op.item) : op.item);
    case 'replaceSegment':
      return engine.replaceSegment(heldMembers(engine, op.item));
    case 'doNotContact':
      for (const entry of op.change.entries) engine.changeDoNotContact(op.change.op, entry);
      return undefined;
    case 'endVersion':
      return engine.endVersion(op.flowId, op.version, op.why);
  }
}

/**
 * A static segment as this shard keeps it: the members it holds (the writer checked that each
 * member is someone in the cluster; each shard keeps its own people, and the sizes add up).
 */
function heldMembers<T extends object>(engine: Engine, item: T): T {
  const members = (item as { members?: unknown }).members;
  if (!Array.isArray(members)) return item;
  return { ...item, members: members.filter((id) => typeof id !== 'string' || engine.people.get(id) !== undefined) };
}

/** The flow id a document names, if it names one (save refuses it otherwise). */
export function flowIdIn(doc: unknown): string | undefined {
  const id = (doc as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** The version save gives a flow now: its draft's, or the one after its newest. */
export function nextVersion(engine: Engine, flowId: string | undefined): number | undefined {
  if (flowId === undefined) return undefined;
  const latest = engine.flowVersions(flowId).at(-1);
  return latest?.status === 'draft' ? latest.version : (latest?.version ?? 0) + 1;
}

/** Refuses an operation that would make or touch another version on this shard than on the writer's. */
function expectVersion(expected: number, here: number | undefined, what: string): void {
  if (here === undefined || here === expected) return; // an unknown flow: the method refuses it in its own words
  throw new JunctionError('JCT_CLUSTER_DIVERGED', `this shard would ${what} version ${here}, the cluster log says version ${expected}`, { expected, here });
}
