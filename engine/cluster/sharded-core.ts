// The Core of a sharded cluster (decision 0018, piece 6): the gateway and the modules ask it what
// they ask one engine (core.ts), and it sends each call where it belongs.
// - Shared changes (flows, templates, definitions, segments, the do-not-contact list) go through
//   the cluster log (logged-changes.ts), answered by the front: the lowest-numbered shard served here.
// - What concerns one person goes to their shard (shard-router.ts): a person id names it
//   (shard-of.ts), a contact or an external id is held where the directory says or in its home
//   shard (profile-shards.ts), and one nobody has goes to its home shard, whose engine then makes
//   the person with an id of that shard.
// - A Flow API batch is split by shard and its report merged (batches.ts).
// - Reports over everyone are each shard's, summed (reports.ts).
// - A version ends when that is so of the cluster: idle for the idle limit in every shard, or
//   finishing with nobody left in any (a shard where it is so asks: `across`).
// Reads of what every shard shares come from the front. A process that serves no shard has no
// front: it answers 503 JCT_SHARD_NOT_HERE (its requests are forwarded before reaching it).
import { JunctionError } from '../errors.js';
import type { Core, SharedChanges } from '../core.js';
import type { Engine, StepEvent, VersionAcross } from '../runtime/engine.js';
import type { Registry, RouteContext, Settings, Reference } from '../module.js';
import type { Input, PersonInput, Receipt } from '../vocabulary.js';
import type { Person } from '../person.js';
import type { SegmentSummary } from '../store/interfaces.js';
import type { Ordered } from '../ordered.js';
import type { Directory } from './directory.js';
import type { LoggedChanges } from './logged-changes.js';
import type { ShardRouter } from './shard-router.js';
import type { ShardHost } from './shard-host.js';
import { byShard, contactKey, externalIdKey, shardOfPersonId } from './shard-of.js';
import { shardNamed } from '../id-prefix.js';
import { ProfileShards } from './profile-shards.js';
import { clusterEngagedReport, clusterMetrics, clusterMetricsAllVersions, clusterSegmentList } from './reports.js';
import { ShardedBatches } from './batches.js';

export interface ShardedCoreOptions {
  readonly registry: Registry;
  readonly host: ShardHost<never>;
  readonly router: ShardRouter;
  readonly directory: Directory;
  readonly changes: LoggedChanges;
}

export interface ShardedCore extends SharedChanges {}
export class ShardedCore implements Core {
  readonly registry: Registry;
  private readonly host: ShardHost<never>;
  private readonly router: ShardRouter;
  private readonly profiles: ProfileShards;
  private readonly changes: LoggedChanges;
  /** The step feeds watching, each with how to stop watching every engine it watches (shards opened since included). */
  private readonly watchers = new Map<(event: StepEvent) => void, Array<() => void>>();
  private readonly batches: ShardedBatches;

  constructor(options: ShardedCoreOptions) {
    ({ registry: this.registry, host: this.host, router: this.router, changes: this.changes } = options);
    this.profiles = new ProfileShards(options.directory, this.router);
    const shared = options.changes.sharedChanges(() => this.front);
    Object.assign(this, shared, {
      define: async (...[kind, item]: Parameters<SharedChanges['define']>) => {
        if (kind === 'segments') await this.requireMembers(item);
        return shared.define(kind, item);
      },
      replaceSegment: async (item: Parameters<SharedChanges['replaceSegment']>[0]) => {
        await this.requireMembers(item);
        return shared.replaceSegment(item);
      },
    });
    this.batches = new ShardedBatches({ router: this.router, front: () => this.front, shardsOf: (people) => this.profiles.of(people) });
  }

  /** The engine of the lowest-numbered shard served here. */
  get front(): Engine {
    const [shard] = this.host.shards();
    const engine = shard === undefined ? undefined : this.host.engine(shard);
    if (engine === undefined) throw new JunctionError('JCT_SHARD_NOT_HERE', 'this process serves no shard of the cluster now: try again', {});
    return engine;
  }

  engines(): readonly Engine[] {
    return this.host.shards().map((shard) => this.host.engine(shard)!);
  }

  get accepting(): boolean {
    const engines = this.engines();
    return engines.length > 0 && engines.every((e) => e.accepting);
  }

  async durable(): Promise<void> {
    await Promise.all(this.engines().map((e) => e.durable()));
  }

  /** An input to its person's shard; a do-not-contact change, shared by every shard, to the cluster log. */
  async submit(personKey: string, input: Input): Promise<Receipt> {
    if (input.kind === 'doNotContact') {
      await this.changes.doNotContact(this.front, input.change);
      return { personId: personKey };
    }
    return this.router.run(this.shardOfId(personKey), 'submit', { personKey, input });
  }

  async personKey(person: PersonInput): Promise<string> {
    return this.router.run(await this.shardOfProfile(person), 'personKey', { person });
  }

  async submitFor(person: PersonInput, input: Input): Promise<Receipt> {
    return this.router.run(await this.shardOfProfile(person), 'submitFor', { person, input });
  }

  async person(id: string): Promise<Person | undefined> {
    return (await this.router.run(this.shardOfId(id), 'person', { id })) ?? undefined;
  }

  async personByContact(contact: string): Promise<Person | undefined> {
    const shard = await this.profiles.ofKey(contactKey(contact) ?? contact);
    return (await this.router.run(shard, 'personByContact', { contact })) ?? undefined;
  }

  async personByExternalId(externalId: string): Promise<Person | undefined> {
    const shard = await this.profiles.ofKey(externalIdKey(externalId));
    return (await this.router.run(shard, 'personByExternalId', { externalId })) ?? undefined;
  }

  journeysOf(personId: string): ReturnType<Core['journeysOf']> {
    return this.router.run(this.shardOfId(personId), 'journeysOf', { personId });
  }

  /**
   * An effect's reference: from the shard `named` names (a tracked link's code), else from the
   * shards served here, then every other one (a sent message's id names no shard); the first that keeps it answers.
   */
  async reference(key: string, named?: string): Promise<Reference | undefined> {
    const shard = named === undefined ? undefined : shardNamed(named, this.router.shards);
    const there = shard === undefined ? null : await this.router.run(shard, 'reference', { key });
    if (there !== null) return there;
    for (const engine of this.engines()) {
      const here = engine.reference(key);
      if (here) return here;
    }
    const asked = new Set([...this.host.shards(), ...(shard === undefined ? [] : [shard])]);
    const elsewhere = Array.from({ length: this.router.shards }, (_, s) => s).filter((s) => !asked.has(s));
    const found = await Promise.all(elsewhere.map((s) => this.router.run(s, 'reference', { key })));
    return found.find((r) => r !== null) ?? undefined;
  }

  routeContext(settings: Settings): RouteContext {
    return {
      settings,
      submit: (personKey, input) => this.submit(personKey, input),
      submitFor: (person, input) => this.submitFor(person, input),
      owner: async (contact) => (await this.personByContact(contact))?.id,
      reference: (key, named) => this.reference(key, named),
      now: () => this.front.clock.now(),
      refused: (kind, code) => this.front.routeContext(settings).refused(kind, code),
      counted: (event) => this.front.routeContext(settings).counted(event),
    };
  }

  watchSteps(listener: (event: StepEvent) => void): () => void {
    this.watchers.set(listener, this.engines().map((e) => e.watchSteps(listener)));
    return () => {
      this.watchers.get(listener)?.forEach((unwatch) => unwatch());
      this.watchers.delete(listener);
    };
  }

  /** A shard opened here: the step feeds watching follow it too. */
  opened(engine: Engine): void {
    for (const [listener, unwatch] of this.watchers) unwatch.push(engine.watchSteps(listener));
  }

  addParticipants(...args: Parameters<Engine['addParticipants']>): ReturnType<Core['addParticipants']> {
    return this.batches.add(...args);
  }

  operation(operationId: string): ReturnType<Core['operation']> {
    return this.batches.operation(operationId);
  }

  async metrics(flowId: string, version?: number): ReturnType<Core['metrics']> {
    return clusterMetrics(this.front, this.router, flowId, version);
  }

  async metricsAllVersions(flowId: string): ReturnType<Core['metricsAllVersions']> {
    return clusterMetricsAllVersions(this.front, this.router, flowId);
  }

  async engagedReport(...args: Parameters<Engine['engagedReport']>): ReturnType<Core['engagedReport']> {
    return clusterEngagedReport(this.router, ...args);
  }

  async segmentList(): Promise<Ordered<SegmentSummary>> {
    return clusterSegmentList(this.front, this.router);
  }

  /** What a shard's engine asks of its cluster about a version (EngineOptions.across): every shard's part, and ending it in every shard through the cluster log. */
  readonly across: VersionAcross = {
    activity: async (flowId, version) => {
      const activity = await this.router.each('flowActivity', { flowId, version });
      return Math.max(0, ...activity.filter((at): at is number => at !== null));
    },
    inside: async (flowId, version) => (await this.router.each('flowInside', { flowId, version })).reduce((sum, n) => sum + n, 0),
    end: async (flowId, version, why) => {
      const front = this.front;
      // Every shard of a version nobody is in asks at once: once the front has ended it, its end is in the log already.
      const status = front.flowRecord(flowId, version)?.status;
      if (status === 'finished' || status === 'canceled') return;
      await this.changes.change(front, { kind: 'endVersion', at: front.clock.now(), flowId, version, why });
    },
  };

  /** A static segment's members must be people of the cluster (each shard keeps only its own): JCT_PERSON_UNKNOWN names the others. */
  private async requireMembers(item: { readonly id?: string; readonly members?: unknown }): Promise<void> {
    if (!Array.isArray(item.members)) return;
    const members = byShard(item.members.filter((m): m is string => typeof m === 'string'), (id) => this.shardOfId(id));
    const unknown = (await Promise.all([...members].map(([shard, ids]) => this.router.run(shard, 'unknownPeople', { ids })))).flat();
    if (unknown.length > 0) throw new JunctionError('JCT_PERSON_UNKNOWN', `segment "${item.id ?? ''}" lists unknown people: ${unknown.join(', ')}`, { segmentId: item.id, people: unknown });
  }

  private shardOfId(id: string): number {
    return shardOfPersonId(id, this.router.shards);
  }

  private async shardOfProfile(person: PersonInput): Promise<number> {
    return (await this.profiles.of([person]))[0]!;
  }

}
