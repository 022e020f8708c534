// Flow API batches in a sharded cluster (decision 0018, piece 6): one call adds its people to the
// flow as one engine would (Engine.addParticipants), each on their own shard, and answers ONE
// report, in the caller's order, under ONE operation id.
// - Whole-call refusals (too many people, an unknown flow, a flow taking nobody now: JCT_FLOW_STATUS,
//   no such Flow API entry point) are checked on the front, which has every flow, before anything
//   is sent: such a call adds nobody anywhere.
// - The people are split by shard (one directory query for the whole batch); each shard's part runs
//   there in parallel, under the operation id the facade fixed, and is kept there as that shard's
//   report. Each participant of a part carries its place in the batch (`position`, journaled with
//   the report), so the parts are merged in the caller's order, now and after a restart; the
//   merged report never shows it. A refused participant (not fitting the request's schema) goes
//   in its part too, where the engine reports it rejected at its place, touching nobody.
// - A report is read (operation) by asking every shard for its part and merging those found.
// - Idempotency-Key: every part is kept under the key with the hash of the WHOLE request. A call
//   with a key first asks every shard for a part kept under it: a part of another request refuses
//   the call (JCT_IDEMPOTENCY_KEY_REUSED); parts covering every place answer the merged first
//   report (`repeated`), nothing run. Only the places no part covers are split and run, under
//   the first call's operation id: those of a first call that failed on some shard. So a retry
//   never sends a person already reported again, wherever the directory would now send them (a
//   person the first call created now has their shard in the directory; another person of the
//   batch may have taken one of their contacts on another shard): the kept parts say where each
//   place went. Two calls with one key at once run the same split, and each shard answers the
//   second with its first part (as one engine does).
// What is left: a place a failed first call left out, whose person the directory sends, on the
// retry, to a shard already keeping a part under the key, is not run (that shard answers its
// kept part): it is reported rejected, JCT_BATCH_PART_MOVED, not kept; the caller sends that
// person again with a new key. Shards that lag the front in the cluster log may refuse their part
// of a flow the front takes (a flow launched or paused a moment ago): the call then fails after
// the other parts were added, as a call that failed on one engine's store may.
import { randomUUID } from 'node:crypto';
import type { Engine, OperationOptions } from '../runtime/engine.js';
import { requestHash, sameRequest, sameRequestHash, type OperationReport, type ParticipantOutcome, type ParticipantToAdd } from '../runtime/operations.js';
import type { PersonInput } from '../vocabulary.js';
import type { ShardRouter } from './shard-router.js';
import { byShard } from './shard-of.js';

export interface BatchesOptions {
  readonly router: ShardRouter;
  /** The engine that checks a whole call (an engine served here: it has every flow). */
  readonly front: () => Engine;
  /** The shard of each profile, in order, from one directory query. */
  readonly shardsOf: (people: readonly PersonInput[]) => Promise<number[]>;
}

type Report = OperationReport & { repeated?: true };
type Placed = ParticipantToAdd & { readonly position: number };

const PART_MOVED = 'JCT_BATCH_PART_MOVED';

export class ShardedBatches {
  constructor(private readonly options: BatchesOptions) {}

  /** The Flow API batch over the cluster: Engine.addParticipants, each person on their shard, one report. */
  async add(flowId: string, people: readonly ParticipantToAdd[], options: OperationOptions = {}): Promise<Report> {
    const key = options.idempotencyKey;
    const hash = key === undefined ? undefined : requestHash(people, options.entry, options);
    const earlier = key === undefined ? [] : await this.partsForKey(flowId, people, options, key);
    const done = new Set(earlier.flatMap((part) => part.participants.map((p) => p.position)));
    if (earlier.length > 0 && done.size === people.length) return { ...merged(earlier, people), repeated: true };
    this.options.front().checkBatch(flowId, people.length, options.entry);
    const todo = people.map((p, position): Placed => ({ ...p, position })).filter((p) => !done.has(p.position));
    const operationId = earlier[0]?.operationId ?? randomUUID();
    const parts = await this.run(flowId, todo, { ...options, operationId, ...(hash === undefined ? {} : { requestHash: hash }) });
    const report = merged([...earlier, ...parts], people);
    return earlier.length === 0 && parts.every((p) => p.repeated) ? { ...report, repeated: true } : report;
  }

  /** A batch's report: the parts every shard keeps, merged; undefined when none keeps one. */
  async operation(operationId: string): Promise<OperationReport | undefined> {
    const parts = (await this.options.router.each('operation', { operationId })).filter((p) => p !== null);
    return parts.length === 0 ? undefined : merged(parts);
  }

  /** The parts kept under this key by any shard; refused (JCT_IDEMPOTENCY_KEY_REUSED) when they were of another request. */
  private async partsForKey(flowId: string, people: readonly ParticipantToAdd[], options: OperationOptions, key: string): Promise<OperationReport[]> {
    const found = await this.options.router.each('operationForKey', { flowId, caller: options.caller ?? null, idempotencyKey: key });
    const parts = found.filter((p) => p !== null);
    return parts.map((part) => sameRequest(part, key, (kept) => sameRequestHash(kept, people, options.entry, options)));
  }

  /** Each shard's part of `todo` run there, in parallel; fails (once every part is done) when one failed. */
  private async run(flowId: string, todo: readonly Placed[], options: OperationOptions): Promise<Report[]> {
    const shards = await this.options.shardsOf(todo.map((p) => p.person));
    const parts = byShard(todo, (_, i) => shards[i]!);
    if (parts.size === 0) parts.set(0, []); // a batch of nobody: its (empty) report is kept by shard 0
    const runs = [...parts].map(([shard, people]) => this.options.router.run(shard, 'addParticipants', { flowId, people, options }));
    const settled = await Promise.allSettled(runs);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Report>).value);
  }
}

/**
 * The parts of one batch as one report: its participants in the caller's order (the first part
 * reporting a place answers for it), their places not shown; given the batch's `people`, a place
 * no part reports is rejected (PART_MOVED). The report's time is its earliest part's.
 */
function merged(parts: readonly Report[], people?: readonly ParticipantToAdd[]): OperationReport {
  const byPlace = new Map<number, ParticipantOutcome>();
  for (const p of parts.flatMap((part) => part.participants)) if (p.position !== undefined && !byPlace.has(p.position)) byPlace.set(p.position, p);
  const places = people === undefined ? [...byPlace.keys()].sort((a, b) => a - b) : people.map((_, i) => i);
  const participants = places.map((i) => shown(byPlace.get(i) ?? moved(people![i]!)));
  const { repeated: _, ...first } = parts[0]!;
  return { ...first, at: Math.min(...parts.map((p) => p.at)), participants };
}

/** An outcome as the report shows it: without its place. */
function shown({ position: _, ...outcome }: ParticipantOutcome): ParticipantOutcome {
  return outcome;
}

/** The outcome of a place no part reports (see the top comment). */
function moved({ ref }: ParticipantToAdd): ParticipantOutcome {
  const message = 'a retry found this person on a shard that kept no part of the first call for them: send them again with a new Idempotency-Key';
  return { ...(ref === undefined ? {} : { ref }), status: 'rejected', reason: PART_MOVED, message };
}
