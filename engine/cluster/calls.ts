// The calls a sharded cluster makes on one shard's engine (shard-router.ts), by name: the same
// functions run here when this process holds the shard and, through the internal route
// (gateway/cluster/shard-calls.ts), in the process that holds it. Arguments and results are
// JSON (nothing is `undefined` on the way: "nobody" is null).
import type { Engine, OperationOptions } from '../runtime/engine.js';
import { JunctionError } from '../errors.js';
import type { OperationReport, ParticipantToAdd } from '../runtime/operations.js';
import type { Input, PersonInput, Receipt } from '../vocabulary.js';
import type { Person } from '../person.js';
import { externalIdOfKey } from './shard-of.js';
import type { Reference } from '../module.js';
import type { AllVersionsMetrics, FlowMetrics } from '../runtime/metrics.js';
import type { EngagedCursor, EngagedReport } from '../runtime/engagement.js';

/** A page of a month's engaged persons: after a place in the report's order, at most `limit` (none: all). */
export interface EngagedPage {
  readonly after?: EngagedCursor;
  readonly limit?: number;
}

/** A call carried out by a shard's engine: (engine, JSON arguments) → JSON result. */
export type ShardCall<A = never, R = unknown> = (engine: Engine, args: A) => Promise<R>;

export const SHARD_CALLS = {
  /** Applies an input to the person's partition of this shard; its receipt once durable. */
  submit: (engine: Engine, { personKey, input }: { personKey: string; input: Input }): Promise<Receipt> => engine.submit(personKey, input),
  /** Applies an input for the person a profile names, found in this shard as it is applied. */
  submitFor: (engine: Engine, { person, input }: { person: PersonInput; input: Input }): Promise<Receipt> => engine.submitFor(person, input),
  /** The key of the person a profile names, in this shard (a new one carries the shard). */
  personKey: async (engine: Engine, { person }: { person: PersonInput }): Promise<string> => engine.personKey(person),
  person: async (engine: Engine, { id }: { id: string }): Promise<Person | null> => engine.people.get(id) ?? null,
  personByContact: async (engine: Engine, { contact }: { contact: string }): Promise<Person | null> => engine.people.findByContact(contact) ?? null,
  personByExternalId: async (engine: Engine, { externalId }: { externalId: string }): Promise<Person | null> => engine.people.findByExternalId(externalId) ?? null,
  /** Of these directory keys (shard-of.ts), those a person of this shard holds. */
  heldKeys: async (engine: Engine, { keys }: { keys: string[] }): Promise<string[]> => keys.filter((key) => holderOfKey(engine, key) !== undefined),
  journeysOf: async (engine: Engine, { personId }: { personId: string }) => engine.journeysOf(personId),
  /** Of these person ids, the ones this shard does not hold. */
  unknownPeople: async (engine: Engine, { ids }: { ids: string[] }): Promise<string[]> => ids.filter((id) => engine.people.get(id) === undefined),
  reference: async (engine: Engine, { key }: { key: string }): Promise<Reference | null> => engine.reference(key) ?? null,
  /** A launched version's latest activity in this shard, for the idle limit (null: not running here). */
  flowActivity: async (engine: Engine, { flowId, version }: { flowId: string; version: number }): Promise<number | null> => engine.flowActivity(flowId, version),
  /** How many participants a launched version has in this shard. */
  flowInside: async (engine: Engine, { flowId, version }: { flowId: string; version: number }): Promise<number> => engine.inside(flowId, version),
  // Reports over everyone (reports.ts sums them): a shard that has not applied a flow's launch yet
  // (the log reaches it a little later) has nobody in it, and answers null.
  /** One launched version's metrics in this shard. */
  metrics: async (engine: Engine, { flowId, version }: { flowId: string; version: number }): Promise<FlowMetrics | null> =>
    engine.compiled(flowId, version) ? engine.metrics(flowId, version) : null,
  /** Every launched version's metrics together in this shard. */
  metricsAllVersions: async (engine: Engine, { flowId }: { flowId: string }): Promise<AllVersionsMetrics | null> =>
    engine.compiled(flowId) ? engine.metricsAllVersions(flowId) : null,
  /** A month's engaged persons in this shard (all, or the page), with every flow's count besides the top ones. */
  engagedReport: async (engine: Engine, { month, page }: { month: string; page: EngagedPage }): Promise<EngagedReport & { perFlow: Record<string, number> }> => ({
    ...engine.engagedReport(month, page),
    perFlow: engine.engagedPerFlow(month),
  }),
  /** How many people each segment holds in this shard, by segment id. */
  segmentSizes: async (engine: Engine, _args: Record<string, never>): Promise<Record<string, number>> =>
    Object.fromEntries(Array.from(engine.people.segmentList().after(), ([id, { size }]) => [id, size])),
  /** A shard's part of a Flow API batch (batches.ts): its people added here, its report kept here. */
  addParticipants: (engine: Engine, { flowId, people, options }: { flowId: string; people: readonly ParticipantToAdd[]; options: OperationOptions }): Promise<OperationReport & { repeated?: true }> =>
    engine.addParticipants(flowId, people, options),
  /** This shard's part of a Flow API batch's report, if it keeps one. */
  operation: async (engine: Engine, { operationId }: { operationId: string }): Promise<OperationReport | null> => engine.operation(operationId) ?? null,
  /** This shard's part of the Flow API batch sent with this caller's Idempotency-Key to this flow, if it keeps one. */
  operationForKey: async (engine: Engine, { flowId, caller, idempotencyKey }: { flowId: string; caller: string | null; idempotencyKey: string }): Promise<OperationReport | null> =>
    engine.operationForKey(flowId, caller ?? undefined, idempotencyKey) ?? null,
} satisfies Record<string, ShardCall<never>>;

export type ShardCalls = typeof SHARD_CALLS;
export type ShardCallName = keyof ShardCalls & string;

/** The person of this shard holding a directory key (a contact's normalised form or an external id's key). */
function holderOfKey(engine: Engine, key: string): Person | undefined {
  const externalId = externalIdOfKey(key);
  return externalId === undefined ? engine.people.findByContact(key) : engine.people.findByExternalId(externalId);
}

/** Codes by which an engine refuses a flow as it stands in that shard, which the cluster log's latest entries may have changed. */
const FLOW_MAY_HAVE_CHANGED = new Set(['JCT_FLOW_UNKNOWN', 'JCT_FLOW_STATUS', 'JCT_FLOW_NOT_ACTIVE', 'JCT_FLOW_PAUSED']);

/**
 * The calls, each tried once more when its engine refused a flow and, caught up with the cluster
 * log (`catchUp`), has applied something since the call began: a flow launched through another
 * process reaches this shard a moment later (the log's NOTIFY), and a call made right after the
 * launch must not be refused for it. An engine refuses before it changes anything, so the second
 * try is the only one that counts.
 */
export function withCatchUp(calls: ShardCalls, catchUp: (engine: Engine) => Promise<unknown>): ShardCalls {
  const caught: Record<string, ShardCall<never>> = {};
  for (const [name, call] of Object.entries(calls) as Array<[string, ShardCall<never>]>) {
    caught[name] = async (engine, args) => {
      const before = engine.clusterApplied;
      try {
        return await call(engine, args);
      } catch (err) {
        if (!(err instanceof JunctionError) || !FLOW_MAY_HAVE_CHANGED.has(err.code)) throw err;
        await catchUp(engine);
        if (engine.clusterApplied === before) throw err;
        return call(engine, args);
      }
    };
  }
  return caught as ShardCalls;
}
