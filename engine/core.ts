// What the gateway and the modules ask of Junction's engine: the Core. A single process has one
// engine (LocalCore, here); a sharded cluster has one engine per shard, here or in other
// processes (decision 0018), and its Core sends each call where it belongs. So every call that
// may have to travel is asynchronous here, even where one engine answers at once:
// - changes to what every shard shares (flows and their lifecycle, templates, definitions,
//   segments): in a cluster, entries of the cluster log each shard applies;
// - what concerns one person (their input, profile, journeys, a Flow API batch): their shard's;
// - reports over everyone (a flow's metrics, engaged persons, segment sizes): summed over shards.
// Reads of what every shard shares (flows, templates, catalogs, the do-not-contact list) come
// from `front`, an engine served here, synchronously.
import type { Engine, StepEvent } from './runtime/engine.js';
import type { Registry, RouteContext, Settings } from './module.js';
import type { Person, PersonInput, Input, Receipt } from './vocabulary.js';
import type { SegmentSummary } from './store/interfaces.js';
import type { Ordered } from './ordered.js';

/** The engine's changes to what every shard shares, by the engine's own method names. */
export const SHARED_CHANGES = [
  'save',
  'launch',
  'pause',
  'resume',
  'cancel',
  'changeGoal',
  'changeSchedule',
  'duplicate',
  'deleteDraft',
  'stopVersion',
  'reconfigureEntry',
  'saveTemplate',
  'draftFromTemplate',
  'deleteTemplate',
  'define',
  'replaceSegment',
] as const;
export type SharedChange = (typeof SHARED_CHANGES)[number];

/** Each shared change as the engine has it, made asynchronous: durable (in a cluster, applied by the shard answering) when it resolves. */
export type SharedChanges = { readonly [K in SharedChange]: (...args: Parameters<Engine[K]>) => Promise<ReturnType<Engine[K]>> };

type Async<K extends keyof Engine> = Engine[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

export interface Core extends SharedChanges {
  /** An engine served here: it answers reads of what every shard shares. */
  readonly front: Engine;
  readonly registry: Registry;
  /** Every engine served here (one; in a cluster, one per shard held). */
  engines(): readonly Engine[];
  /** Whether input can be taken and made durable here (readiness). */
  readonly accepting: boolean;
  /** Resolves when what was written so far is durable. */
  durable(): Promise<void>;

  // ── one person ──
  /** Applies an input to the person's engine; resolves with its receipt once durable. */
  submit(personKey: string, input: Input): Promise<Receipt>;
  /** The key of the person a profile names: its id, the owner of one of its contacts, or a new id. */
  personKey(person: PersonInput): Promise<string>;
  /** Submits an input for the person a profile names, found as it is applied (Engine.submitFor). */
  submitFor(person: PersonInput, input: Input): Promise<Receipt>;
  person(id: string): Promise<Person | undefined>;
  /** The person with this phone (any format) or email. */
  personByContact(contact: string): Promise<Person | undefined>;
  personByExternalId(externalId: string): Promise<Person | undefined>;
  journeysOf: Async<'journeysOf'>;
  addParticipants: Async<'addParticipants'>;
  operation: Async<'operation'>;

  // ── over everyone ──
  metrics: Async<'metrics'>;
  metricsAllVersions: Async<'metricsAllVersions'>;
  engagedReport: Async<'engagedReport'>;
  /** Every segment with how many people it holds. */
  segmentList(): Promise<Ordered<SegmentSummary>>;

  /** What a module's route or listener gets: the inbox, who a contact or reference is, the clock. */
  routeContext(settings: Settings): RouteContext;
  /** Calls `listener` after every step of the engines served here; returns the unsubscribe function. */
  watchSteps(listener: (event: StepEvent) => void): () => void;
}

/** The Core of a single process: its one engine (the shared changes made on it, durably). */
export interface LocalCore extends SharedChanges {}
export class LocalCore implements Core {
  constructor(readonly front: Engine) {
    Object.assign(this, durableChanges(front));
  }

  get registry(): Registry {
    return this.front.registry;
  }

  engines(): readonly Engine[] {
    return [this.front];
  }

  get accepting(): boolean {
    return this.front.accepting;
  }

  durable(): Promise<void> {
    return this.front.durable();
  }

  submit(personKey: string, input: Input): Promise<Receipt> {
    return this.front.submit(personKey, input);
  }

  async personKey(person: PersonInput): Promise<string> {
    return this.front.personKey(person);
  }

  submitFor(person: PersonInput, input: Input): Promise<Receipt> {
    return this.front.submitFor(person, input);
  }

  async person(id: string): Promise<Person | undefined> {
    return this.front.people.get(id);
  }

  async personByContact(contact: string): Promise<Person | undefined> {
    return this.front.people.findByContact(contact);
  }

  async personByExternalId(externalId: string): Promise<Person | undefined> {
    return this.front.people.findByExternalId(externalId);
  }

  async journeysOf(personId: string): ReturnType<Core['journeysOf']> {
    return this.front.journeysOf(personId);
  }

  addParticipants(...args: Parameters<Engine['addParticipants']>): ReturnType<Core['addParticipants']> {
    return this.front.addParticipants(...args);
  }

  async operation(operationId: string): ReturnType<Core['operation']> {
    return this.front.operation(operationId);
  }

  async metrics(...args: Parameters<Engine['metrics']>): ReturnType<Core['metrics']> {
    return this.front.metrics(...args);
  }

  async metricsAllVersions(flowId: string): ReturnType<Core['metricsAllVersions']> {
    return this.front.metricsAllVersions(flowId);
  }

  async engagedReport(...args: Parameters<Engine['engagedReport']>): ReturnType<Core['engagedReport']> {
    return this.front.engagedReport(...args);
  }

  async segmentList(): Promise<Ordered<SegmentSummary>> {
    return this.front.people.segmentList();
  }

  routeContext(settings: Settings): RouteContext {
    return this.front.routeContext(settings);
  }

  watchSteps(listener: (event: StepEvent) => void): () => void {
    return this.front.watchSteps(listener);
  }
}

/** Each shared change made on the engine at once (a refusal rejects), resolved once it is durable. */
function durableChanges(engine: Engine): SharedChanges {
  const durably = (name: SharedChange) => async (...args: unknown[]) => {
    const result: unknown = (engine[name] as (...a: unknown[]) => unknown).apply(engine, args);
    await engine.durable();
    return result;
  };
  return Object.fromEntries(SHARED_CHANGES.map((name) => [name, durably(name)])) as unknown as SharedChanges;
}
