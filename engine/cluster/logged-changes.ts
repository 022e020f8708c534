// What every shard of a sharded cluster shares changes through the cluster log (decision 0018,
// piece 3; store/postgres-cluster-log.ts, runtime/cluster-operations.ts): the Core's shared
// changes (a flow saved, launched, paused, a template, a definition, a segment, the
// do-not-contact list) become operations, carrying what a shard must make alike (`at`, the
// version the writer saw); an operation is appended, then applied in log order by an engine
// served here (the front), and the caller is answered with what that engine made of it (its
// record, or its refusal). Every shard served here applies the log when it opens, when any
// process appends (LISTEN), and every POLL_MS besides (a notification lost with a connection).
import { JunctionError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { flowIdIn, nextVersion, type ClusterOperation, type ClusterOutcome } from '../runtime/cluster-operations.js';
import { applyPending } from './apply-log.js';
import type { ClusterLog } from './postgres-cluster-log.js';
import type { SharedChanges } from '../core.js';
import type { DoNotContactChange } from '../vocabulary.js';

/** How often the shards served here read the log even when no append was heard (ms). */
const POLL_MS = 5000;
/** Longest wait for every shard to have applied a change before it is answered (ms). */
const EVERYWHERE_MS = 3000;
/** Outcomes kept per engine for callers not yet back for them (the oldest go first). */
const KEPT_OUTCOMES = 1000;

export class LoggedChanges {
  /** Per engine: the outcomes of the entries it applied, by number, until their writer takes them. */
  private readonly outcomes = new WeakMap<Engine, Map<number, ClusterOutcome>>();
  private stopListening: (() => Promise<void>) | undefined;
  private readonly poll: ReturnType<typeof setInterval>;

  constructor(
    private readonly log: ClusterLog,
    /** The engines served here now. */
    private readonly engines: () => readonly Engine[],
  ) {
    this.poll = setInterval(() => this.applyEverywhere(), POLL_MS);
    this.poll.unref();
  }

  /** Listens for appends (any process's): each makes every engine served here apply the log. */
  async listen(): Promise<void> {
    this.stopListening = await this.log.listen(() => this.applyEverywhere());
  }

  /** Applies the entries `engine` has not applied yet (a shard just opened, or told of an append). */
  apply(engine: Engine): Promise<number> {
    return applyPending(engine, this.log, (seq, _op, outcome) => this.keep(engine, seq, outcome));
  }

  /**
   * Appends `op`, has `front` apply it, and answers with its outcome there, once every shard has
   * applied it too (or EVERYWHERE_MS passed: a shard whose holder is gone applies it when it is
   * taken over): a flow launched, or a contact put on the do-not-contact list, is then so for
   * whatever comes next, in any process.
   */
  async change(front: Engine, op: ClusterOperation): Promise<unknown> {
    const seq = await this.log.append(op);
    for (;;) {
      await this.apply(front);
      const outcome = this.take(front, seq);
      if (outcome) {
        if (!outcome.ok) throw outcome.error;
        await this.log.appliedEverywhere(seq, EVERYWHERE_MS);
        return outcome.value;
      }
      // Applied elsewhere, or the front closed (given up, or the process stopping): it applies no more, and asking it again would spin.
      if (front.clusterApplied >= seq || front.stopped) throw new JunctionError('JCT_SHARD_NOT_HERE', 'the change is in the cluster log, but the shard answering moved before applying it: read it back to see it', { seq });
    }
  }

  /** The Core's shared changes as operations on the log, answered through `front()`. */
  sharedChanges(front: () => Engine): SharedChanges {
    const at = (): number => front().clock.now();
    const run = (op: ClusterOperation): Promise<never> => this.change(front(), op) as Promise<never>;
    const latest = (flowId: string): number => front().flowVersions(flowId).at(-1)?.version ?? 0;
    return {
      save: (doc, { fileDigest } = {}) => run({ kind: 'save', at: at(), doc, version: nextVersion(front(), flowIdIn(doc)) ?? 1, ...(fileDigest === undefined ? {} : { fileDigest }) }),
      launch: (flowId) => run({ kind: 'launch', at: at(), flowId, version: latest(flowId) }),
      pause: (flowId) => run({ kind: 'pause', at: at(), flowId }),
      resume: (flowId) => run({ kind: 'resume', at: at(), flowId }),
      cancel: (flowId) => run({ kind: 'cancel', at: at(), flowId }),
      deleteDraft: (flowId) => run({ kind: 'deleteDraft', at: at(), flowId }),
      stopVersion: (flowId, version) => run({ kind: 'stopVersion', at: at(), flowId, version }),
      duplicate: (flowId, newId, version) => run({ kind: 'duplicate', at: at(), flowId, newId, ...(version === undefined ? {} : { version }) }),
      changeSchedule: (flowId, schedule) => run({ kind: 'schedule', at: at(), flowId, schedule }),
      changeGoal: (flowId, event) => run({ kind: 'goal', at: at(), flowId, event: event ?? null }),
      reconfigureEntry: (flowId, entryId, config) => run({ kind: 'reconfigureEntry', at: at(), flowId, entryId, config }),
      saveTemplate: (flowId, templateId, options = {}) => run({ kind: 'saveTemplate', at: at(), flowId, templateId, ...options }),
      draftFromTemplate: (templateId, newFlowId) => run({ kind: 'draftFromTemplate', at: at(), templateId, newFlowId }),
      deleteTemplate: (templateId) => run({ kind: 'deleteTemplate', at: at(), templateId }),
      define: (definition, item) => run({ kind: 'define', at: at(), definition, item }),
      replaceSegment: (item) => run({ kind: 'replaceSegment', at: at(), item }),
    };
  }

  /** A do-not-contact change (the API's, an unsubscribe link's) as an operation on the log. */
  doNotContact(front: Engine, change: DoNotContactChange): Promise<unknown> {
    return this.change(front, { kind: 'doNotContact', at: front.clock.now(), change });
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    await this.stopListening?.();
  }

  private applyEverywhere(): void {
    for (const engine of this.engines()) void this.apply(engine).catch(() => {}); // the store out of reach: the next append or poll tries again
  }

  private keep(engine: Engine, seq: number, outcome: ClusterOutcome): void {
    let kept = this.outcomes.get(engine);
    if (kept === undefined) this.outcomes.set(engine, (kept = new Map()));
    kept.set(seq, outcome);
    if (kept.size > KEPT_OUTCOMES) kept.delete(kept.keys().next().value!);
  }

  private take(engine: Engine, seq: number): ClusterOutcome | undefined {
    const kept = this.outcomes.get(engine);
    const outcome = kept?.get(seq);
    kept?.delete(seq);
    return outcome;
  }
}
