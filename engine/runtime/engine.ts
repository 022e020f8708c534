// The imperative shell around the pure step. Everything that happens to people comes in
// through one inbox, submit(personKey, input), whose receipt resolves once the input's
// consequences are durable. Inputs run in the partition of their person (partition.ts), one
// task at a time; each step's transition (participant state, profile and do-not-contact
// changes, entry history, metrics, what the participant now waits for, outbox entries) is
// applied to memory and put into the journal in one synchronous go, so a batch never holds
// half a transition. A step runs on a scratch copy of the participant, reused step after step
// (one per nesting level: a step's people change may run other queued steps), and only its
// changed columns go back into the partition's table; rows kept in memory are marked in the
// journal and built once per batch. Outbox entries are performed once durable (outbox.ts).
// Flow versions and their lifecycle are kept here too, journaled on every change.
import { randomUUID } from 'node:crypto';
import { loadPeople } from '../people-file.js';
import type { Clock } from '../clock.js';
import { aboutSetting, JunctionError, toJunctionError } from '../errors.js';
import { depthProblem } from '../schema-problems.js';
import { coerceValue, type Value } from '../values.js';
import type { AttributeCatalog } from '../people/catalog.js';
import type { EnterResult, EntryHost } from '../element.js';
import type { EffectResult, InputDefinition, InputOutcome, Reference, Registry, RouteContext, Settings, TriggerHit } from '../module.js';
import { compileFlow, compileFlowOrThrow, flowInvalid, RULES_ADDED_LATER, type CompiledFlow, type CompiledNode } from '../flow/compile.js';
import { unknownGoalMessage } from '../flow/settings.js';
import { Identifier, isIdentifier, type FlowDefinition } from '../flow-schema.js';
import type { PeopleChange, PeopleStore } from '../store/interfaces.js';
import type { Channel, DoNotContactEntry } from '../person.js';
import { GroupCommit, KeyedRows, MemoryBackend, serialise, type JournalBackend, type Table } from '../store/journal.js';
import { addDuration, canonicalTimeZone } from '../calendar.js';
import {
  isEffectWait,
  ParticipantStatus,
  type Effect,
  type FlowRecord,
  type FlowStatus,
  type DoNotContactChange,
  type Input,
  type ParticipantState,
  type Person,
  type PersonInput,
  type Problem,
  type Receipt,
} from '../vocabulary.js';
import { momentOf, newParticipant, step, type Addition, type EnterStep, type StepResult, type Surroundings } from './step.js';
import { Partition, partitionOf, type Task } from './partition.js';
import type { ScratchState } from './participant-table.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import { SegmentClock } from './segment-clock.js';
import { sumMetrics, sumVersions, type AllVersionsMetrics, type FlowMetrics, type MetricsTotals } from './metrics.js';
import { checkFrequencyCap, recordEntry } from './reentry.js';
import { isLive, move } from './lifecycle.js';
import { heldEntryId, Versions, type Held, type HeldEntry, type Live } from './versions.js';
import { Engagement, type Engaged, type EngagedCursor, type EngagedReport } from './engagement.js';
import { MAX_BATCH, OPERATION_KEEP_MS, operationKey, Operations, refusalMessage, requestHash, sameRequest, sameRequestHash, type OperationReport, type ParticipantOutcome, type ParticipantToAdd } from './operations.js';
import { heldKey, heldSeqOf, isHeldEntryRow, readHistory, readParticipant, sequenceOfKey, splitKey, versionKey, type HeldEntryRow, type HeldRow } from './rows.js';
import { personOf } from '../people/layout.js';
import { normalizeContact } from '../people/contacts.js';
import { requireNewPersonId } from '../people/person-id.js';
import { attributesSet, checkJsonAttributes, givenExternalId, mergeTarget } from '../people/profile.js';
import { Seen, answerHolds, endedKey, type SeenEntry } from './dedup.js';
import { Triggers } from './triggers.js';
import { References } from './references.js';
import { EventRoutes } from './event-routes.js';
import { EventCatalog } from '../people/events.js';
import type { EventDefinition } from '../person.js';
import type { EventRow } from './rows.js';
import { reschedule, withSchedule, type Rescheduled, type Schedule } from './reschedule.js';
import { Templates, type TemplateRecord } from './templates.js';
import { OrderedMap, type Ordered } from '../ordered.js';

/** What a Flow API entry point's config may declare (elements/flow-api.ts). */
type CampaignConfig = { readonly campaignId?: string };

/** A flow that has seen no activity for this long finishes by itself. */
export const IDLE_LIMIT = { amount: 365, unit: 'days' } as const;
export const DEFAULT_PARTITIONS = 8;
/** The meta row of the start of the last complete re-check of the segments that follow the clock (segment-clock.ts). */
const SEGMENTS_CHECKED_AT = 'segments:checkedAt';
/** The meta row of the last cluster log entry this engine applied, `{ seq }` (cluster-operations.ts; the log's trimming reads it). */
export const CLUSTER_LOG = 'clusterLog';
/** The meta row of a sharded cluster's schema: its shard count (cluster/shard-count.ts). One engine never runs over such a schema. */
export const SHARDS_META = 'shards';
/**
 * A shard's meta rows `moved:<partition>`: the last participant sequence of that partition moved
 * in from a store one engine kept alone (cluster/move-store.ts); those keep their ids.
 */
export const MOVED_META = 'moved:';
/** How long a module input's de-duplication key is remembered by default: 48 hours. */
export const DEFAULT_DEDUP_WINDOW_MS = 48 * 3600 * 1000;

/** The reason an input of a session already over starts nothing (InputDefinition.session). */
const SESSION_ENDED = 'JCT_SESSION_ENDED';

/** What the steps of the answered input being routed fill: its answers, and the participants they left (SeenEntry.left). */
interface Answering {
  readonly input: Input;
  readonly parts: unknown[];
  readonly left: NonNullable<SeenEntry['left']>;
}
/** How long a person's events are kept by default: 90 days. */
export const DEFAULT_EVENT_RETENTION_MS = 90 * 24 * 3600 * 1000;
/** How far ahead of the engine's clock an app's event time may be (clock skew); such an event is taken as happening now. */
export const EVENT_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** How long an effect's references (a sent message's id, a link) are kept by default: 7 days. */
export const DEFAULT_REFERENCE_WINDOW_MS = 7 * 24 * 3600 * 1000;

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

export interface StepEvent {
  readonly at: number;
  readonly flow: CompiledFlow;
  readonly participant: Readonly<ParticipantState>;
  readonly result: StepResult;
}

/** An entry the frequency cap refused: who, at which entry point (its type), why and when. */
export interface EntryRefusal {
  readonly flowId: string;
  readonly personId: string;
  readonly entryType: string;
  readonly reason: string;
  readonly at: number;
}

export type EnginePeople = PeopleStore & { catalog(): AttributeCatalog };

/** How a Flow API call adds its people: through which entry point, under whose Idempotency-Key, echoing what. */
export interface OperationOptions {
  readonly entry?: string;
  readonly idempotencyKey?: string;
  /** The id of the calling API key: an Idempotency-Key is its own. */
  readonly caller?: string;
  readonly callbackData?: string;
  /** Where the caller has the report sent (the gateway sends it): a retry with another one is another request. */
  readonly notifyUrl?: string;
  /** The report's id, when the caller fixes it (a sharded cluster's batch: one id for its part on every shard); else a new one. */
  readonly operationId?: string;
  /** The hash of the whole request this call is a part of (a sharded cluster's batch), kept and checked instead of this call's own. */
  readonly requestHash?: string;
}

/** Statuses of a version whose entry points may still read a segment. */
const SEGMENT_READERS: ReadonlySet<FlowStatus> = new Set(['scheduled', 'active', 'paused']);

/** What the API may define, by the people file's section names. */
export type DefinitionKind = 'attributes' | 'events' | 'segments';

export interface EngineOptions {
  clock: Clock;
  people: EnginePeople;
  registry: Registry;
  /** Where transitions are made durable; default: in memory (tests, simulation). */
  journal?: GroupCommit;
  /** Number of partitions people are spread over. Default 8. */
  partitions?: number;
  outbox?: OutboxOptions;
  logger?: Logger;
  /** Called after every step that changed a participant (the simulator prints paths from it). */
  onStep?: (event: StepEvent) => void;
  /** Called when the frequency cap refuses someone an entry point let in (the simulator lists them). */
  onEntryRefused?: (refusal: EntryRefusal) => void;
  /** How long a retried input (same provider message id) is recognised. Default 48 hours. */
  dedupWindowMs?: number;
  /** How long an effect's references are kept for the inputs that report on them. Default 7 days. */
  referenceWindowMs?: number;
  /** How long a person's events are kept in the history. Default 90 days. */
  eventRetentionMs?: number;
  /** Built-in templates (the product's predefined flows): each takes its definition's id, name and description. */
  templates?: readonly FlowDefinition[];
  /** The workspace's IANA time zone: flows that name none and segment rules read dates in it. Default UTC. */
  timeZone?: string;
  /** This engine is one shard of a cluster: people it does not hold may live in other shards (an Add to flow of another person is then an effect carried out through the cluster: step.ts ADD_OTHER). Default false. */
  sharded?: boolean;
  /**
   * In a sharded cluster, a launched version ends when the flow's rules say so of the whole
   * cluster, not of one shard: idle for the idle limit in every shard, or finishing with nobody
   * left in any shard. A shard where it is so asks the cluster, which ends it in every shard
   * through the cluster log (`endVersion`). Default: the engine ends its own versions.
   */
  across?: VersionAcross;
  /** What the ids it makes (of people and participants) start with: a shard's engine gives its shard, so ids and the effects' keys made of them are the cluster's own (engine/cluster/shard-of.ts). Default none. */
  idPrefix?: string;
}

/** How a shard's engine asks its cluster about a version (EngineOptions.across). */
export interface VersionAcross {
  /** The version's latest activity in any shard (ms since the epoch). */
  activity(flowId: string, version: number): Promise<number>;
  /** How many participants the version has in every shard together. */
  inside(flowId: string, version: number): Promise<number>;
  /** Ends the version in every shard: idle for the idle limit, or finishing and empty. */
  end(flowId: string, version: number, why: VersionEnd): Promise<void>;
}

/** Why a cluster ends a version: idle everywhere (finished, JCT_FLOW_EXPIRED), or finishing with nobody left (finished). */
export type VersionEnd = 'idle' | 'empty';

/** How long a shard waits before asking its cluster again when it could not be asked about an idle version (ms), or a finishing one left empty. */
const IDLE_ASK_AGAIN_MS = 60 * 60_000;
const EMPTY_ASK_AGAIN_MS = 60_000;

export interface EnterOptions {
  /** Id of the entry point; default: the flow's only entry point that accepts later entries. */
  entry?: string;
  /** Which of the entry point's branches to take (entry points with several branches). */
  branch?: number;
  vars?: Record<string, unknown>;
}

const TIMER_KIND = 'timer';

const NO_VARS: Readonly<Record<string, Value>> = Object.freeze({});
const NO_CHAIN: readonly string[] = Object.freeze([]);

/** The outcomes of a new reference: none, one frozen list for all. */
const NOTHING_RECORDED: readonly string[] = Object.freeze([]);

/**
 * JSON.parse hands out one string for every short string it reads (V8 internalizes those up to
 * ten characters), so a participant's short person id is already the people store's; a longer
 * one is looked up to keep one copy (a cold read into a million-entry Map costs about 0.7 µs).
 */
const PARSE_SHARES_UP_TO = 10;

/** A submit's refusal when its batch failed: one function shared by every submit. */
const refuseUnavailable = (): Promise<never> => Promise.reject(unavailable());

export class Engine {
  readonly clock: Clock;
  readonly people: EnginePeople;
  readonly registry: Registry;
  readonly journal: GroupCommit;
  private readonly logger: Logger;
  private readonly onStep: ((event: StepEvent) => void) | undefined;
  private readonly onEntryRefused: ((refusal: EntryRefusal) => void) | undefined;
  private readonly across: VersionAcross | undefined;
  private readonly stepWatchers = new Set<(event: StepEvent) => void>();
  private readonly records = new OrderedMap<FlowRecord[]>();
  private readonly versions = new Versions();
  private readonly parts: Partition[];
  private readonly outbox: Outbox;
  private readonly peopleListeners = new Set<(change: PeopleChange) => void>();
  /** Per partition: module inputs already applied, by de-duplication key. */
  private readonly seen: Seen[];
  private readonly dedupWindowMs: number;
  private readonly refs = new References();
  private readonly operations = new Operations();
  /** Flow API calls with an Idempotency-Key still running, by `<flow>\0<key>`. */
  private readonly operationsRunning = new Map<string, Promise<OperationReport>>();
  private readonly engagement: Engagement;
  private readonly segmentClock: SegmentClock;
  /** The workspace's time zone, canonical (see EngineOptions.timeZone). */
  readonly timeZone: string;
  /** The start of the last complete segment check before a restart (recovery only). */
  private segmentsCheckedAt: number | undefined;
  private readonly templatesById: Templates;
  private readonly referenceWindowMs: number;
  private readonly surroundings: Surroundings = {
    isBlocked: (channel: Channel, contact: string, sender?: string): boolean => this.people.isBlocked(channel, contact, sender),
    flowActive: (flowId: string): boolean => this.versions.current(flowId)?.record.status === 'active',
    entryRefusal: (flowId: string, vars: Readonly<Record<string, Value>>) => this.entryRefusal(flowId, vars),
    replyAddressOf: (input: Input): string | undefined => this.registry.input(input.kind)?.replyAddress?.(input),
    sharded: false,
  };
  private readonly triggers = new Triggers(() => this.running());
  private readonly eventRoutes = new EventRoutes(() => this.running(), () => this.versions.live());
  private readonly eventRetentionMs: number;
  /** The wait key (`event:<name>`) of each event name routed so far: built once, its hash kept. */
  private readonly eventWaitKeys = new Map<string, string>();
  private readonly refusals = new Map<string, number>();
  private readonly moduleEvents = new Map<string, number>();
  /**
   * The flows the step running now and the instant chain that led to it passed through (see
   * addToFlows): the chain before the step, and the step's own flow (undefined outside a step).
   * The chain as one array is built only when an event that some flow names needs it.
   */
  private chainBefore: readonly string[] = NO_CHAIN;
  private chainFlow: string | undefined;
  /**
   * The participant (its number) whose step is running now (undefined outside a step): the events
   * its own changes make Junction record (a tag added, an attribute changed) come before the wait
   * it arrived at in that step, so that wait neither takes them nor counts them.
   */
  private stepParticipant: { readonly part: Partition; readonly seq: number; readonly personId: string } | undefined;
  /** The event catalog and the custom definitions it was built from (rebuilt when they change). */
  private events: { catalog: EventCatalog; custom: ReadonlyMap<string, EventDefinition> } | undefined;
  private toDispatch: Effect[] = [];
  /** The people's journal rows, by person id. */
  private readonly personRows: KeyedRows;
  /** What new person and participant ids start with (EngineOptions.idPrefix). */
  private readonly idPrefix: string;
  /** Scratch participant states by nesting level of the steps running now (see the header). */
  private readonly scratch: ScratchState[] = [];
  private depth = 0;
  /** The last held input's number (its journal key, see hold()). */
  private heldSeq = 0;
  private draining = false;
  /** The last cluster log entry applied (see recordClusterApplied). */
  private clusterSeq = 0;
  /** The time stamped on the records a cluster operation changes, while one runs (see atTime). */
  private operationAt: number | undefined;
  /** The answered input being routed, and the parts the steps it causes answer it with (see InputDefinition.answered). */
  private answering: Answering | undefined;
  /** Batches of outbox entries waiting for their commit before they are performed. */
  private dispatching = 0;
  /** Outbox entries written and not yet done. */
  private pendingEffects = 0;
  private closed = false;

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.people = options.people;
    this.registry = options.registry;
    this.journal = options.journal ?? new GroupCommit(new MemoryBackend(), { flushMs: 0 });
    this.logger = options.logger ?? silent;
    this.onStep = options.onStep;
    this.onEntryRefused = options.onEntryRefused;
    const count = options.partitions ?? DEFAULT_PARTITIONS;
    this.parts = Array.from({ length: count }, (_, i) => new Partition(i, this.clock, (seqs, now) => this.wake(i, seqs, now), options.idPrefix));
    this.seen = this.parts.map(() => new Seen());
    this.dedupWindowMs = options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS;
    this.referenceWindowMs = options.referenceWindowMs ?? DEFAULT_REFERENCE_WINDOW_MS;
    this.eventRetentionMs = options.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS;
    this.templatesById = new Templates(options.templates ?? []);
    this.timeZone = workspaceZone(options.timeZone);
    this.idPrefix = options.idPrefix ?? '';
    this.surroundings.sharded = options.sharded ?? false;
    this.across = options.across;
    this.engagement = new Engagement(this.timeZone);
    this.personRows = new KeyedRows('person', (id) => id, (id) => {
      const person = this.people.get(id); // as it is when the batch is written
      return person ? personOf(person) : null;
    });
    const ctx = { people: this.people, now: () => this.clock.now() };
    this.outbox = new Outbox(this.registry, ctx, this.clock, this.logger, (effect, input) => this.recordOutcome(effect, input), options.outbox);
    this.people.onChange((change) => this.peopleChanged(change));
    this.segmentClock = new SegmentClock(this.clock, this.people, (at) => this.journal.put('meta', SEGMENTS_CHECKED_AT, at));
    this.segmentClock.arm();
  }

  // ── the inbox ───────────────────────────────────────────────────────────────

  /**
   * Applies an input to the person's partition and resolves with its receipt once everything
   * it caused is durable. A refused input (JunctionError) writes nothing.
   */
  submit(personKey: string, input: Input): Promise<Receipt> {
    if (!this.journal.available || this.closed) return Promise.reject(unavailable());
    let receipt: Receipt;
    try {
      receipt = this.apply(personKey, input);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.journal.durable().then(() => receipt, refuseUnavailable);
  }

  /** Applies an input in memory (its changes join the open batch); throws, writing nothing, to refuse it. */
  private apply(personKey: string, input: Input): Receipt {
    try {
      return this.route(this.partition(personKey), personKey, input);
    } catch (err) {
      this.countRefusal(input.kind, err);
      throw err;
    } finally {
      this.drain();
      this.answering = undefined;
    }
  }

  /**
   * The person key a profile input belongs to: its id when it has one (a contact owned by
   * someone else is then refused by the write), else the owner of one of its contacts (unless the
   * owner has another external id: mergeTarget), else a new id.
   */
  personKey(person: PersonInput): string {
    if (person.id !== undefined) {
      if (!this.people.get(person.id)) requireNewPersonId(person.id); // one kept before the rule stays reachable
      return person.id;
    }
    const externalId = givenExternalId(person);
    const known = externalId === undefined ? undefined : this.people.findByExternalId(externalId);
    if (known) return known.id;
    for (const contact of [...(person.phones ?? []), ...(person.emails ?? [])]) {
      const found = this.people.findByContact(contact);
      if (found) return mergeTarget(found, contact, externalId).id;
    }
    if (!person.phones?.length && !person.emails?.length && externalId === undefined) {
      throw new JunctionError('JCT_PERSON_EMPTY', 'a person needs an id, an external id, a phone or an email');
    }
    return this.newPersonId();
  }

  /** A new person's id: the prefix this engine was given, then one never made before. */
  private newPersonId(): string {
    return this.idPrefix + newPersonId();
  }

  /** Submits an input for the person a profile names (personKey), found as the input is applied. */
  submitFor(person: PersonInput, input: Input): Promise<Receipt> {
    let key: string;
    try {
      key = this.personKey(person);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.submit(key, input);
  }

  /** An effect's reference while it is kept: whose it is, which element made it, what was kept with it. */
  reference(key: string): Reference | undefined {
    return this.refs.get(key);
  }

  /** What a module's route or listener gets of the engine: the inbox, who a contact or reference is, the clock. */
  routeContext(settings: Settings): RouteContext {
    return {
      settings,
      submit: (personKey, input) => this.submit(personKey, input),
      submitFor: (person, input) => this.submitFor(person, input),
      owner: async (contact) => this.people.findByContact(contact)?.id,
      reference: async (key) => this.reference(key),
      now: () => this.clock.now(),
      refused: (kind, code) => this.countRefused(kind, code),
      counted: (event) => void this.moduleEvents.set(event, (this.moduleEvents.get(event) ?? 0) + 1),
    };
  }

  /** Enters a person into the flow's running version (the Flow API and Add to flow use this). */
  enter(flowId: string, personId: string, options: EnterOptions = {}): Promise<Receipt> {
    return this.submit(personId, { kind: 'flow.enter', flowId, ...options });
  }

  /**
   * Records that a person performed a custom event (at `at`, default now): kept in their history,
   * counted for goals, delivered to whoever waits for it, and starting the flows it triggers.
   */
  event(personId: string, name: string, properties: Record<string, unknown> = {}, at = this.clock.now()): Promise<Receipt> {
    return this.submit(personId, { kind: 'event', name, properties, at });
  }

  /** Built-in, channel (the modules') and custom (the people store's) events. */
  eventCatalog(): EventCatalog {
    const custom = this.people.events();
    if (this.events?.custom !== custom) this.events = { catalog: new EventCatalog(this.registry.events, custom.values()), custom };
    return this.events.catalog;
  }

  /**
   * Defines one custom attribute, custom event or segment (an item as the people file writes it,
   * checked the same way); it is journaled and defined again at recovery. Returns the definition
   * kept (an event defined before keeps its properties: the merge).
   */
  define(kind: DefinitionKind, item: { readonly name?: string; readonly id?: string }): unknown {
    if (kind === 'segments' && this.people.segment(item.id!)) {
      throw new JunctionError('JCT_SEGMENT_EXISTS', `segment "${item.id}" exists already; PUT /api/v1/segments/${item.id} replaces it`, { segmentId: item.id });
    }
    return this.keepDefinition(kind, item);
  }

  /**
   * Replaces a segment (its name, members or rule), journaled like define(). Its kind (static or
   * realtime) does not change while a launched version may still read it (JCT_SEGMENT_IN_USE).
   */
  replaceSegment(item: { readonly id: string; readonly kind: string }): unknown {
    const before = this.people.segment(item.id);
    if (!before) throw new JunctionError('JCT_NOT_FOUND', `no segment with id "${item.id}"; POST /api/v1/segments defines one`, { segmentId: item.id });
    const users = before.kind === item.kind ? [] : this.flowsReading(item.id);
    if (users.length > 0) {
      throw new JunctionError('JCT_SEGMENT_IN_USE', `segment "${item.id}" stays ${before.kind} while launched flows read it (${users.join(', ')}); define a new segment instead`, { segmentId: item.id, flows: users });
    }
    return this.keepDefinition('segments', item);
  }

  /** The launched versions that may still read the segment (scheduled, active or paused: not finishing), as "flow version N". */
  private flowsReading(segmentId: string): string[] {
    const reads = (node: CompiledNode) => [...(node.def.segmentsRead?.(node.prepared) ?? [])].includes(segmentId);
    return this.versions
      .all()
      .filter((l) => SEGMENT_READERS.has(l.record.status) && l.flow.nodes.some(reads))
      .map((l) => `${l.flow.id} version ${l.flow.version}`);
  }

  private keepDefinition(kind: DefinitionKind, item: { readonly name?: string; readonly id?: string }): unknown {
    loadPeople({ [kind]: [item] }, this.people, this.timeZone);
    if (kind === 'segments') this.segmentClock.arm();
    const kept = kind === 'events' ? this.people.events().get(item.name!) : item; // an event keeps the properties defined before: the merge is kept
    this.journal.put('definition', `${kind}\u0000${item.id ?? item.name}`, kept);
    return kept;
  }

  /** Resolves when everything put so far is durable and no effect handler is running. */
  async idle(): Promise<void> {
    for (;;) {
      await this.journal.durable();
      await this.outbox.idle();
      await this.journal.durable();
      if (this.toDispatch.length === 0 && this.dispatching === 0 && !this.outbox.busy) return;
    }
  }

  /**
   * The Flow API's batch: adds up to 1,000 people (each created or updated from its profile)
   * to the flow through its Flow API entry point `entry` (the only one when omitted), each as
   * its own input; the report says who was accepted and why others were not, and is kept 30
   * days. A call repeating an Idempotency-Key of the same caller (API key id) and flow with the
   * same request adds nobody and returns the first call's report; with another request it is
   * refused (JCT_IDEMPOTENCY_KEY_REUSED). Throws (adding nobody) when the flow cannot take anyone.
   */
  async addParticipants(flowId: string, people: readonly ParticipantToAdd[], options: OperationOptions = {}): Promise<OperationReport & { repeated?: true }> {
    const key = options.idempotencyKey;
    if (key === undefined) return this.runOperation(flowId, people, options);
    const given = options.requestHash;
    const same = (earlier: OperationReport) => sameRequest(earlier, key, (kept) => (given === undefined ? sameRequestHash(kept, people, options.entry, options) : kept === given));
    const earlier = this.operations.forKey(flowId, options.caller, key);
    if (earlier) return { ...same(earlier), repeated: true };
    const inFlight = operationKey(flowId, options.caller, key);
    const running = this.operationsRunning.get(inFlight);
    if (running) return { ...same(await running), repeated: true }; // a retry while the first call still runs
    const first = this.runOperation(flowId, people, options, given ?? requestHash(people, options.entry, options)).finally(() => this.operationsRunning.delete(inFlight));
    this.operationsRunning.set(inFlight, first);
    return first;
  }

  private async runOperation(flowId: string, people: readonly ParticipantToAdd[], options: OperationOptions, hash?: string): Promise<OperationReport> {
    this.checkBatch(flowId, people.length, options.entry);
    if (!this.journal.available || this.closed) throw unavailable();
    const participants = people.map((p) => this.addOne(flowId, p, options.entry));
    const { entry, idempotencyKey, caller, callbackData } = options;
    const report: OperationReport = {
      operationId: options.operationId ?? randomUUID(),
      flowId,
      at: this.clock.now(),
      participants,
      ...(entry === undefined ? {} : { entry }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(idempotencyKey === undefined || caller === undefined ? {} : { caller }),
      ...(hash === undefined ? {} : { requestHash: hash }),
      ...(callbackData === undefined ? {} : { callbackData }),
    };
    for (const gone of this.operations.expire(report.at - OPERATION_KEEP_MS)) this.journal.put('operation', gone, null);
    // Kept before the wait, in the batch of the entries it reports: when that batch is written
    // late (the store was out of reach and this call answered 503), a retry with the same key
    // finds the report instead of adding the people again.
    this.operations.keep(report);
    this.journal.put('operation', report.operationId, report);
    await this.journal.durable().catch(refuseUnavailable);
    return report;
  }

  /** Refuses a Flow API batch that adds nobody: too many people, a flow taking nobody now (JCT_FLOW_STATUS), no such Flow API entry point. */
  checkBatch(flowId: string, size: number, entry: string | undefined): void {
    if (size > MAX_BATCH) throw new JunctionError('JCT_BATCH_TOO_LARGE', `at most ${MAX_BATCH} participants per call; this one has ${size}`);
    pickEntry(this.takingVersion(flowId).flow, entry, 'flowApi');
  }

  /**
   * The flow and Flow API entry point that declare this campaign id (config.campaignId): on the
   * flow's current version, else on its latest one; a flow running now is preferred.
   */
  campaign(campaignId: string): { flowId: string; entry: string } | undefined {
    const found = [...new Set(this.versions.all().map((l) => l.flow.id))].flatMap((id) => {
      const live = this.versions.current(id) ?? this.versions.latest(id)!;
      const entry = campaignEntry(live.flow, campaignId);
      return entry === undefined ? [] : [{ flowId: id, entry, current: live === this.versions.current(id) }];
    });
    const running = found.some((f) => f.current) ? found.filter((f) => f.current) : found;
    if (running.length > 1) throw new JunctionError('JCT_CAMPAIGN_AMBIGUOUS', `flows ${running.map((f) => `"${f.flowId}"`).join(', ')} all declare the campaign id ${campaignId}`);
    return running[0] && { flowId: running[0].flowId, entry: running[0].entry };
  }

  /** Refuses a version whose Flow API campaign id another flow's running version declares. */
  private checkCampaignsFree(flow: CompiledFlow): void {
    for (const i of flow.entries) {
      const id = (flow.nodes[i]!.prepared as CampaignConfig | undefined)?.campaignId;
      if (id === undefined) continue;
      const other = this.versions.all().find((l) => l.flow.id !== flow.id && this.versions.current(l.flow.id) === l && campaignEntry(l.flow, id) !== undefined);
      if (other) throw new JunctionError('JCT_CAMPAIGN_TAKEN', `flow "${other.flow.id}" already declares the campaign id ${id}: stop it, or give this flow another one`, { campaignId: id, flowId: other.flow.id });
    }
  }

  /** The engaged persons of a month ("YYYY-MM" in the workspace's time zone): who first entered a flow when (all, or a page after a cursor), the total and the top flows. */
  engagedReport(month: string, page?: { after?: EngagedCursor; limit?: number }): EngagedReport {
    return this.engagement.report(month, page);
  }

  /** How many people each flow engaged first in a month, every flow (a sharded cluster's top flows are made from every shard's). */
  engagedPerFlow(month: string): Record<string, number> {
    return this.engagement.perFlow(month);
  }

  /** A kept Flow API report. */
  operation(operationId: string): OperationReport | undefined {
    return this.operations.get(operationId);
  }

  /** The kept report of a Flow API call with this caller's Idempotency-Key to this flow (Operations.forKey). */
  operationForKey(flowId: string, caller: string | undefined, idempotencyKey: string): OperationReport | undefined {
    return this.operations.forKey(flowId, caller, idempotencyKey);
  }

  /** Enters one person in memory (its durability is the operation's to wait for); a refusal is its outcome. */
  private addOne(flowId: string, p: ParticipantToAdd, entry: string | undefined): ParticipantOutcome {
    const echo = { ...(p.ref === undefined ? {} : { ref: p.ref }), ...(p.position === undefined ? {} : { position: p.position }) };
    if (p.refused) return { ...echo, status: 'rejected', reason: p.refused.code, message: p.refused.message };
    try {
      const r = this.apply(this.personKey(p.person), { kind: 'flow.enter', flowId, through: 'flowApi', entry, vars: p.vars, person: p.person });
      if (r.entered) return { ...echo, status: 'accepted', personId: r.personId, participantId: r.participantId! };
      const reason = r.reason ?? 'JCT_NOT_ENTERED';
      return { ...echo, status: 'rejected', personId: r.personId, reason, message: refusalMessage(reason) };
    } catch (err) {
      const e = toJunctionError(err, 'JCT_INTERNAL');
      if (e.code === 'JCT_INTERNAL') throw e;
      return { ...echo, status: 'rejected', reason: e.code, message: e.message };
    }
  }

  /** Hears of every step (the live feed); returns the function that stops it. */
  watchSteps(listener: (event: StepEvent) => void): () => void {
    this.stepWatchers.add(listener);
    return () => this.stepWatchers.delete(listener);
  }

  private stepped(event: StepEvent): void {
    this.onStep?.(event);
    for (const watch of this.stepWatchers) watch(event);
  }

  /** Resolves once every change made so far (a flow saved, launched, …) is durable. */
  durable(): Promise<void> {
    return this.journal.durable();
  }

  // ── the cluster log (cluster-operations.ts) ─────────────────────────────────

  /** The last cluster log entry this engine applied, as its meta row keeps it (0: none). */
  get clusterApplied(): number {
    return this.clusterSeq;
  }

  /** Records that cluster log entry `seq` is applied: its meta row joins the open batch (call it in the same go as the change). */
  recordClusterApplied(seq: number): void {
    this.clusterSeq = seq;
    this.journal.put('meta', CLUSTER_LOG, { seq });
  }

  /**
   * Runs `change` with `at` as the time stamped on the flow records and templates it changes and
   * judged against for a launch or a schedule, so that every shard applying a cluster operation
   * keeps the same times whenever it applies it.
   */
  atTime<T>(at: number, change: () => T): T {
    const outer = this.operationAt;
    this.operationAt = at;
    try {
      return change();
    } finally {
      this.operationAt = outer;
    }
  }

  /** The time of a change to flows or templates: the cluster operation's, else the clock's. */
  private changeTime(): number {
    return this.operationAt ?? this.clock.now();
  }

  // ── flow definitions and lifecycle ──────────────────────────────────────────

  /** Every problem of a flow document, as a launch now would find them (the segments an audience names included). */
  validate(doc: unknown): Problem[] {
    const r = compileFlow(doc, { ...this.compileOptions(), now: this.clock.now(), segmentExists: (id) => this.people.segment(id) !== undefined });
    return r.ok ? [] : r.problems;
  }

  /** Saves a flow document as a draft: a new flow, or the next version of an existing one; `fileDigest`: from the flows folder at start, the file's digest. */
  save(doc: unknown, { fileDigest }: { fileDigest?: string } = {}): FlowRecord {
    const id = flowIdOf(doc);
    const definition = doc as FlowDefinition;
    const latest = this.record(id);
    const draft = latest?.status === 'draft' ? latest : undefined;
    const record: FlowRecord = draft ?? { id, version: (latest?.version ?? 0) + 1, definition, status: 'draft', statusAt: this.changeTime() };
    const origin = fileDigest === undefined ? {} : { fromFile: true as const, fileDigest };
    serialise('flow', versionKey(id, record.version), { ...record, definition, ...origin }); // a row the store cannot take is refused before anything changes
    if (draft) Object.assign(draft, { definition }, origin);
    else this.records.set(id, [...(this.records.get(id) ?? []), Object.assign(record, origin)]);
    this.putFlow(record);
    return record;
  }

  /** Validates and launches the flow's draft version: scheduled, or active at once. */
  launch(flowId: string): FlowRecord {
    const record = this.record(flowId);
    if (!record) throw unknownFlow(flowId);
    if (record.status !== 'draft') throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no draft to launch (latest version is ${record.status})`);
    const now = this.changeTime();
    const flow = compileFlowOrThrow(record.definition, { ...this.compileOptions(), version: record.version, now });
    const original = this.versions.of(flowId)[0];
    if (original) checkNewVersion(original.flow, flow);
    this.checkNothingHeld(flow);
    this.checkCampaignsFree(flow);
    const previous = this.versions.current(flowId);
    const live = this.addLive(record, flow);
    const start = flow.settings.start;
    if (start !== undefined && start > now) {
      this.setStatus(record, 'scheduled');
      this.armStart(live, start);
    } else {
      this.activateOrRollBack(live);
    }
    if (previous) this.stopEntries(previous);
    this.drain();
    return record;
  }

  /**
   * Sets or clears the goal of the running version in place (no new version): goal performers
   * count from now on; those counted before stay.
   */
  changeGoal(flowId: string, event: string | undefined): FlowRecord {
    const live = this.requireCurrent(flowId);
    if (event !== undefined && !this.eventCatalog().get(event)) throw new JunctionError('JCT_GOAL_UNKNOWN', unknownGoalMessage(event), { event });
    (live.flow.settings as { goal?: string }).goal = event;
    const settings = { ...live.record.definition.settings };
    if (event === undefined) delete settings.goal;
    else settings.goal = { event };
    live.record.definition = { ...live.record.definition, settings };
    this.eventRoutes.invalidate();
    this.putFlow(live.record);
    return live.record;
  }

  /**
   * Changes the flow's schedule in place (no new version) on every version that is not over and
   * on its draft. A version that has started keeps its start (it cannot start again) and takes
   * the new end; a scheduled one takes both, and starts at once when its new start is not in the
   * future (or is left out). An end already past stops entries at once; otherwise the versions'
   * timers are armed again. When any version refuses the schedule, nothing changes.
   */
  changeSchedule(flowId: string, schedule: Schedule): FlowRecord[] {
    const records = this.records.get(flowId);
    if (!records) throw unknownFlow(flowId);
    const changes = records
      .filter((r) => r.status === 'draft' || r.status === 'scheduled' || isLive(r.status))
      .map((record) => ({ record, to: reschedule(record.definition, schedule, isLive(record.status), `flow "${flowId}" version ${record.version}`, this.timeZone) }));
    if (changes.length === 0) throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no draft and no version that is not over`);
    for (const { record, to } of changes) this.rescheduleVersion(record, to);
    this.drain();
    return changes.map((c) => c.record);
  }

  /** A version's new schedule: in its definition (journaled) and, once launched, in its settings and timers. */
  private rescheduleVersion(record: FlowRecord, to: Rescheduled): void {
    record.definition = withSchedule(record.definition, to.schedule);
    this.putFlow(record);
    const live = this.versions.version(record.id, record.version);
    if (!live) return; // the draft
    Object.assign(live.flow.settings, { start: to.start, end: to.end });
    live.timers.splice(0).forEach((t) => this.clock.cancel(t));
    const now = this.changeTime();
    if (to.end !== undefined && to.end <= now) this.stopEntries(live);
    if (live.record.status !== 'scheduled') {
      if (isLive(live.record.status)) this.armFlowTimers(live);
    } else if (to.start !== undefined && to.start > now) {
      this.armStart(live, to.start);
    } else {
      this.activateScheduled(live);
    }
  }

  /**
   * A new draft flow `newId` from a version of `flowId` (default its newest): an independent
   * flow with its own versions and metrics. Not for flows with an Inbound Message entry: two
   * flows would answer the same keywords.
   */
  duplicate(flowId: string, newId: string, version?: number): FlowRecord {
    const from = this.versionRecord(flowId, version);
    if (startsOnInboundMessages(from.definition)) {
      throw new JunctionError('JCT_DUPLICATE_NOT_ALLOWED', `flow "${flowId}" starts on inbound messages; a copy would answer the same keywords: create a new version instead`);
    }
    if (this.records.has(newId)) throw flowExists(newId);
    return this.save({ ...structuredClone(from.definition), id: newId });
  }

  /** A version of the flow (default its newest), launched or not. */
  private versionRecord(flowId: string, version: number | undefined): FlowRecord {
    const from = version === undefined ? this.record(flowId) : this.records.get(flowId)?.find((r) => r.version === version);
    if (!from) throw version === undefined ? unknownFlow(flowId) : new JunctionError('JCT_VERSION_UNKNOWN', `flow "${flowId}" has no version ${version}`);
    return from;
  }

  /** Saves a copy of a version's definition (default the flow's newest) as a template for new flows. */
  saveTemplate(flowId: string, templateId: string, options: { name?: string; description?: string; version?: number } = {}): TemplateRecord {
    const { definition } = this.versionRecord(flowId, options.version);
    const template: TemplateRecord = {
      id: templateId,
      name: options.name ?? definition.name,
      description: options.description ?? definition.description ?? '',
      definition: structuredClone(definition),
      builtIn: false,
      savedAt: this.changeTime(),
    };
    this.templatesById.add(template);
    this.journal.put('template', templateId, template);
    return template;
  }

  /** The built-in and saved templates, by id. */
  templates(): Ordered<TemplateRecord> {
    return this.templatesById.all();
  }

  template(id: string): TemplateRecord | undefined {
    return this.templatesById.get(id);
  }

  /** A new draft flow `newFlowId` from a copy of the template: independent of it and of every flow made from it. */
  draftFromTemplate(templateId: string, newFlowId: string): FlowRecord {
    const { definition } = this.templatesById.require(templateId);
    if (this.records.has(newFlowId)) throw flowExists(newFlowId);
    return this.save({ ...structuredClone(definition), id: newFlowId });
  }

  /** Deletes a saved template; built-in ones are refused. Flows made from it are not touched. */
  deleteTemplate(id: string): void {
    this.templatesById.remove(id);
    this.journal.put('template', id, null);
  }

  /** Deletes the flow's draft (a flow never launched goes away entirely); launched versions are never deleted. */
  deleteDraft(flowId: string): void {
    const latest = this.record(flowId);
    if (!latest) throw unknownFlow(flowId);
    if (latest.status !== 'draft') throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no draft (latest version is ${latest.status}); only drafts are deleted`);
    const rest = this.records.get(flowId)!.slice(0, -1);
    if (rest.length === 0) this.records.delete(flowId);
    else this.records.set(flowId, rest);
    this.journal.put('flow', versionKey(flowId, latest.version), null);
  }

  /** Stops one launched version: it takes no one new, and finishes once the people inside have left. */
  stopVersion(flowId: string, version: number): FlowRecord {
    const live = this.versions.version(flowId, version);
    if (!live) throw this.notLaunched(flowId, version);
    if (!isLive(live.record.status) && live.record.status !== 'scheduled') {
      throw new JunctionError('JCT_FLOW_STATUS', `version ${version} of flow "${flowId}" is ${live.record.status}`);
    }
    this.stopEntries(live);
    this.drain();
    return live.record;
  }

  pause(flowId: string): FlowRecord {
    const live = this.requireCurrent(flowId);
    this.setStatus(live.record, 'paused');
    return live.record;
  }

  resume(flowId: string): FlowRecord {
    const live = this.requireCurrent(flowId);
    this.setStatus(live.record, 'active');
    const entries = this.forgetHeldEntries(live);
    this.releaseHeld(live);
    for (const h of entries) this.admitHeld(live, h);
    this.drain();
    return live.record;
  }

  /** An entry held while paused is made now, if its person is still known; the frequency cap applies as of now. */
  private admitHeld(live: Live, h: HeldEntry): void {
    if (!this.people.get(h.personId)) return;
    this.admit(this.partition(h.personId), live, h.entry, h.personId, {}, undefined);
  }

  /** The version's held inputs go to their participants, in the order they came; their rows go in the same batch. */
  private releaseHeld(live: Live): void {
    for (const h of this.forgetHeld(live)) {
      const part = this.partition(h.personId);
      part.push(() => this.deliverHeld(part, h));
    }
  }

  /** Lets go of the version's held inputs and entries (in memory and their rows) and returns the inputs. */
  private forgetHeld(live: Live): Held[] {
    const held = live.held;
    live.held = [];
    live.heldTimers.clear();
    for (const h of held) this.journal.put('held', h.key, null);
    this.forgetHeldEntries(live);
    return held;
  }

  /** Lets go of the version's held entries (in memory and their rows) and returns them, in the order they were held. */
  private forgetHeldEntries(live: Live): HeldEntry[] {
    const entries = [...live.heldEntries.values()];
    live.heldEntries.clear();
    for (const h of entries) this.journal.put('held', h.key, null);
    return entries;
  }

  /** Enters the person now, or holds the entry while the version is paused (once per person and entry point). */
  private enterOrHold(live: Live, entry: number, personId: string): EnterResult {
    if (live.record.status !== 'paused') return this.admit(this.partition(personId), live, entry, personId, {}, undefined);
    const id = heldEntryId(entry, personId);
    if (!live.heldEntries.has(id)) {
      const h: HeldEntry = { key: heldKey(++this.heldSeq), personId, entry };
      live.heldEntries.set(id, h);
      const row: HeldEntryRow = [live.flow.id, live.flow.version, personId, entry];
      this.journal.put('held', h.key, row);
    }
    return { entered: false, reason: 'JCT_FLOW_PAUSED' };
  }

  /**
   * A held input goes to the participant it was held for, if it still waits where it did. It is
   * not routed again: it was taken in when it came (an event is in the history already, an
   * inbound message remembered for de-duplication, an effect's outcome counted), and routing it
   * again recorded it twice or dropped it as a retry. A timer is checked to be still due.
   */
  private deliverHeld(part: Partition, h: Held): void {
    const seq = part.participants.seqOf(h.participant);
    if (seq === undefined) return;
    const state = this.enterScratch();
    try {
      const there = part.participants.load(seq, state) && state.status === ParticipantStatus.Waiting && state.node === h.node;
      if (!there) return;
    } finally {
      this.depth--;
    }
    if (h.input.kind === TIMER_KIND) this.wakeOne(part, seq, h.input);
    else this.deliverTo(part, seq, h.input);
  }

  /** Holds an input for a waiting participant of a paused version, journaled with the step that holds it (a due timer once). */
  private hold(live: Live, state: ParticipantState, input: Input): void {
    if (input.kind === TIMER_KIND) {
      if (live.heldTimers.has(state.id)) return;
      live.heldTimers.add(state.id);
    }
    const h: Held = { key: heldKey(++this.heldSeq), personId: state.personId, participant: state.id, node: state.node, input };
    live.held.push(h);
    const row: HeldRow = [live.flow.id, live.flow.version, h.personId, h.participant, h.node, input];
    this.journal.put('held', h.key, row);
  }

  /** Cancels every live version of the flow: participants are removed without further effects. */
  cancel(flowId: string): FlowRecord {
    const versions = this.versions.of(flowId).filter((l) => isLive(l.record.status) || l.record.status === 'scheduled');
    if (versions.length === 0) {
      const latest = this.record(flowId);
      if (!latest) throw unknownFlow(flowId);
      this.setStatus(latest, 'canceled');
      return latest;
    }
    for (const live of versions) this.end(live, 'canceled', 'canceled');
    return versions[versions.length - 1]!.record;
  }

  /** Edits an entry point's config in place on the launched version (e.g. audience added). */
  reconfigureEntry(flowId: string, entryId: string, config: unknown): void {
    const live = this.versions.latest(flowId);
    if (!live || !isLive(live.record.status)) throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no launched version that is running`);
    const index = live.flow.indexOf.get(entryId);
    const node = index === undefined ? undefined : live.flow.nodes[index];
    if (!node || !live.flow.entries.includes(node.index)) throw new JunctionError('JCT_ENTRY_UNKNOWN', `flow "${flowId}" has no entry point "${entryId}"`);
    if (!node.def.reconfigure) throw new JunctionError('JCT_ENTRY_NOT_EDITABLE', `entry point "${entryId}" cannot be edited while the flow runs`);
    const definition = structuredClone(live.record.definition); // the record keeps in-place changes (goal, schedule)
    definition.entryPoints.find((e) => e.id === entryId)!.config = config;
    const updated = this.compileLaunched(definition, live.flow.version);
    const after = updated.nodes[node.index]!.prepared;
    node.def.reconfigure(node.prepared, after, this.entryHost(live, node.index));
    live.deactivate.get(node.index)?.();
    live.deactivate.delete(node.index);
    (node as { prepared: unknown }).prepared = after;
    live.record.definition = definition;
    this.putFlow(live.record);
    this.activateEntry(live, node.index, 'rearm');
    this.drain();
  }

  /** The newest launched version that is not over, if any, else the newest version. */
  status(flowId: string): FlowRecord | undefined {
    return this.versions.current(flowId)?.record ?? this.record(flowId);
  }

  /** Every version of one flow, oldest first (empty for an unknown flow). */
  flowVersions(flowId: string): readonly FlowRecord[] {
    return this.records.get(flowId) ?? [];
  }

  /** Every flow's versions (oldest first), by flow id. */
  flows(): Ordered<readonly FlowRecord[]> {
    return this.records;
  }

  /** One version of a flow, if it exists. */
  flowRecord(flowId: string, version: number): FlowRecord | undefined {
    return this.records.get(flowId)?.find((r) => r.version === version);
  }

  /** Every version of every flow. */
  flowRecords(): FlowRecord[] {
    return [...this.records.values()].flat();
  }

  /** A version's metrics summed over every partition (default: the newest launched version). */
  metrics(flowId: string, version?: number): FlowMetrics {
    const live = version === undefined ? this.versions.latest(flowId) : this.versions.version(flowId, version);
    if (!live) throw this.notLaunched(flowId, version);
    const parts = this.parts.flatMap((p) => p.existingMetrics(live.flow) ?? []);
    return sumMetrics(flowId, live.flow.version, parts, live.flow.nodes);
  }

  /** Every launched version's metrics of the flow together (people counted once). */
  metricsAllVersions(flowId: string): AllVersionsMetrics {
    const versions = this.versions.of(flowId);
    if (versions.length === 0) throw this.notLaunched(flowId);
    const perVersion = versions.map((l) => this.metrics(flowId, l.flow.version));
    const partitions = this.parts.map((p) => versions.flatMap((l) => p.existingMetrics(l.flow) ?? []));
    return sumVersions(flowId, perVersion, partitions);
  }

  /** Why a flow has no such launched version: no such flow, or not that version (or none launched yet). */
  notLaunched(flowId: string, version?: number): JunctionError {
    if (!this.records.has(flowId)) return unknownFlow(flowId);
    return new JunctionError('JCT_VERSION_UNKNOWN', version === undefined ? `flow "${flowId}" has no launched version yet (only a draft)` : `flow "${flowId}" has no launched version ${version}`, {
      flowId,
      ...(version === undefined ? {} : { version }),
    });
  }

  compiled(flowId: string, version?: number): CompiledFlow | undefined {
    return (version === undefined ? this.versions.latest(flowId) : this.versions.version(flowId, version))?.flow;
  }

  participant(id: string): ParticipantState | undefined {
    for (const p of this.parts) {
      const s = p.participants.get(id);
      if (s) return s;
    }
    return undefined;
  }

  *participantsOf(flowId: string, version: number): Iterable<ParticipantState> {
    for (const p of this.parts) yield* p.ofVersion(flowId, version);
  }

  /** The person's participants inside flows now (a pass over their partition's participants). */
  journeysOf(personId: string): ParticipantState[] {
    return this.partition(personId).participants.values().filter((p) => p.personId === personId);
  }

  /** Inputs refused (bad input: nothing written), by `<input kind> <error code>`. */
  get refusedInputs(): ReadonlyMap<string, number> {
    return this.refusals;
  }

  /** What modules' routes and listeners counted (RouteContext.counted), by event. */
  get moduleEventCounts(): ReadonlyMap<string, number> {
    return this.moduleEvents;
  }

  private countRefusal(kind: string, err: unknown): void {
    this.countRefused(kind, err instanceof JunctionError ? err.code : 'JCT_INTERNAL');
  }

  /** Counts an input refused, or passed over without a word to its sender, by kind and code (the metric of refused inputs). */
  private countRefused(kind: string, code: string): void {
    const key = `${kind} ${code}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }

  /** Outbox entries that failed for good, by kind. */
  get effectFailures(): ReadonlyMap<string, number> {
    return this.outbox.failures;
  }

  /** Failed attempts of outbox entries that were tried again (a retryable failure), by kind. */
  get effectRetries(): ReadonlyMap<string, number> {
    return this.outbox.retries;
  }

  /** Outbox entries written and not yet done (waiting for their commit, a retry or their handler). */
  get outboxPending(): number {
    return this.pendingEffects;
  }

  /** Whether close() was called: nothing should be applied to this engine any more. */
  get stopped(): boolean {
    return this.closed;
  }

  /** Whether input can be taken and made durable (readiness): not while the store is out of reach (a batch failing, or its connection down) or once a batch failed for good, nor after close. */
  get accepting(): boolean {
    return this.journal.ready && !this.closed;
  }

  /** Participants inside each flow version, by the element they are at (a pass over every participant). */
  participantsAtElements(): Array<{ flowId: string; version: number; element: string; participants: number }> {
    const counts = new Map<string, { flowId: string; version: number; element: string; participants: number }>();
    for (const p of this.parts) {
      p.participants.countAtNodes((flowId, version, node, participants) => {
        const element = this.versions.version(flowId, version)?.flow.nodes[node]?.id ?? String(node);
        const key = `${flowId}@${version}#${element}`;
        const entry = counts.get(key) ?? { flowId, version, element, participants: 0 };
        entry.participants += participants;
        counts.set(key, entry);
      });
    }
    return [...counts.values()];
  }

  /** Stops timers, entry subscriptions and retries, and writes what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    this.segmentClock.stop();
    for (const live of this.versions.all()) {
      this.deactivateAll(live);
      live.timers.forEach((t) => this.clock.cancel(t));
    }
    for (const p of this.parts) p.wakeups.stop();
    this.outbox.close();
    await this.outbox.idle();
    await this.journal.close();
  }

  // ── recovery ────────────────────────────────────────────────────────────────

  /**
   * Loads the working state from the journal's backend: flows (re-armed, never re-launched;
   * ended versions only read, for their metrics),
   * people, do-not-contact, participants with their waits and timers (overdue ones fire in
   * due order), entry history, metrics and pending outbox entries (performed again with
   * their keys). Call once, on a new engine, before any input. `peopleFile` loads the people file
   * once the people are restored (`restored`: whether anyone was), before the API's definitions,
   * which win over the file's.
   */
  recover(backend: JournalBackend, peopleFile?: (restored: boolean) => void): { participants: number; people: number; outbox: number } {
    const rows = (table: Table) => backend.load(table);
    for (const [key, value] of rows('meta')) this.restoreMeta(key, value);
    this.journal.put('meta', 'partitions', this.parts.length);
    const people = this.restorePeople(rows('person'), rows('dnc'));
    peopleFile?.(people > 0);
    this.restoreDefinitions(rows('definition'));
    this.people.rewindSegments(this.segmentsCheckedAt ?? this.clock.now());
    this.restoreFlows(rows('flow'));
    for (const [key, value] of rows('history')) this.restoreHistory(key, value);
    for (const [key, value] of rows('event')) this.restoreEvent(key, value as EventRow);
    for (const [key, value] of rows('metrics')) this.restoreMetrics(key, value as MetricsTotals);
    for (const [key, value] of rows('seen')) this.restoreSeen(key, value as { bits: number[]; goal: boolean });
    this.restoreDedup(rows('dedup') as Iterable<[string, SeenEntry]>);
    this.refs.restore(rows('ref') as Iterable<[string, Reference]>);
    for (const [, value] of rows('template')) this.templatesById.restore(value as TemplateRecord);
    this.operations.restore(rows('operation') as Iterable<[string, OperationReport]>);
    for (const [key, value] of rows('engaged')) this.engagement.restore(key, value as Engaged);
    for (const gone of this.engagement.expire(this.clock.now())) this.journal.put('engaged', gone, null); // months that passed while stopped
    const participants = this.restoreParticipants(rows('participant'));
    this.restoreHeld(rows('held'));
    this.rearmEntries();
    const pending = [...rows('outbox')].map(([, value]) => value as Effect);
    this.pendingEffects += pending.length;
    this.outbox.dispatch(pending);
    this.drain();
    this.segmentClock.arm();
    return { participants, people, outbox: pending.length };
  }

  private restoreMeta(key: string, value: unknown): void {
    if (key === SHARDS_META) {
      const details = aboutSetting('shards', { stored: value, configured: 1 });
      throw new JunctionError('JCT_SHARDS_CHANGED', `the store is a sharded cluster's, started with ${String(value)} shards, not 1: its people are in the shards' schemas; start with shards ${String(value)}`, details);
    }
    if (key === 'partitions' && value !== this.parts.length) {
      const details = aboutSetting('partitions', { stored: value, configured: this.parts.length });
      throw new JunctionError('JCT_PARTITIONS_CHANGED', `the store was written with ${String(value)} partitions, not ${this.parts.length}: start with ${String(value)} partitions`, details);
    }
    if (key === SEGMENTS_CHECKED_AT) this.segmentsCheckedAt = value as number;
    if (key === CLUSTER_LOG) this.clusterSeq = (value as { seq: number }).seq;
    if (key.startsWith('seq:')) {
      const part = this.parts[Number(key.slice(4))];
      if (part) part.seq = Math.max(part.seq, value as number);
    }
    if (key.startsWith(MOVED_META)) this.parts[Number(key.slice(MOVED_META.length))]?.keepMovedIds(value as number);
    if (key.startsWith('events:')) {
      const part = this.parts[Number(key.slice(7))];
      if (part) part.events.seq = Math.max(part.events.seq, value as number);
    }
  }

  /**
   * The API's definitions, after the profiles (a static segment's members are found among them;
   * one no longer there was erased, in a store written before erasing took them out of it).
   */
  private restoreDefinitions(rows: Iterable<[string, unknown]>): void {
    const doc: Record<DefinitionKind, unknown[]> = { attributes: [], events: [], segments: [] };
    for (const [key, item] of rows) doc[key.slice(0, key.indexOf('\u0000')) as DefinitionKind].push(item);
    doc.segments = doc.segments.map((item) => this.withoutErased(item as { members?: unknown }));
    loadPeople(doc, this.people, this.timeZone);
  }

  private withoutErased<T extends { members?: unknown }>(segment: T): T {
    return Array.isArray(segment.members) ? { ...segment, members: segment.members.filter((id) => this.people.get(String(id))) } : segment;
  }

  private restorePeople(people: Iterable<[string, unknown]>, dnc: Iterable<[string, unknown]>): number {
    let n = 0;
    for (const [, value] of people) {
      this.people.restore(value as Person);
      n++;
    }
    for (const [, value] of dnc) this.people.addDoNotContact(value as DoNotContactEntry);
    return n;
  }

  private restoreFlows(rows: Iterable<[string, unknown]>): void {
    const all = [...rows].map(([, value]) => value as FlowRecord & { lastActivityAt?: number });
    all.sort((a, b) => (a.id === b.id ? a.version - b.version : a.id < b.id ? -1 : 1));
    for (const record of all) {
      const { lastActivityAt, ...plain } = record;
      this.records.set(plain.id, [...(this.records.get(plain.id) ?? []), plain]);
      if (plain.status === 'draft') continue;
      if (plain.status === 'finished' || plain.status === 'canceled') this.restoreEnded(plain);
      else this.rearm(plain, lastActivityAt ?? plain.statusAt);
    }
  }

  /**
   * An ended version comes back as it was before the restart, with nothing armed: its metrics
   * (restored next) stay readable, alone and with the other versions. One that no longer
   * compiles (its module gone from the configuration) is left out with a warning.
   */
  private restoreEnded(record: FlowRecord): void {
    try {
      this.addLive(record, this.compileLaunched(record.definition, record.version, false));
    } catch (err) {
      const { code, message } = toJunctionError(err, 'JCT_INTERNAL');
      this.logger.warn({ flowId: record.id, version: record.version, code }, `flow "${record.id}" version ${record.version} (${record.status}) no longer compiles, its metrics are not read: ${message}`);
    }
  }

  /** Puts a running version back to work after a restart (its entry points come back once the rest is loaded: rearmEntries). */
  private rearm(record: FlowRecord, lastActivityAt: number): void {
    const flow = this.compileLaunched(record.definition, record.version);
    const live = this.addLive(record, flow);
    live.lastActivityAt = lastActivityAt;
    if (record.status === 'scheduled') return this.armStart(live, flow.settings.start ?? this.clock.now());
    this.armFlowTimers(live);
  }

  /** Refuses a flow whose entry points hold what a running version of another flow holds (ElementDefinition.holds). */
  private checkNothingHeld(flow: CompiledFlow): void {
    const wanted = heldBy(flow);
    if (wanted.size === 0) return;
    for (const live of this.versions.all()) {
      if (live.flow.id === flow.id || !HOLDING.has(live.record.status)) continue;
      for (const [key, entry] of heldBy(live.flow)) {
        if (!wanted.has(key)) continue;
        throw new JunctionError(
          'JCT_ENTRY_TAKEN',
          `${key} answers flow "${live.flow.id}" (its entry point "${entry}", ${live.record.status}): one flow at a time; stop that flow first, or give it a new version without it`,
          { key, flowId: live.flow.id, entryPoint: entry, entryPointHere: wanted.get(key)! },
        );
      }
    }
  }

  /** Compiles a version launched before, perhaps by an older Junction: rules added since then are told, not enforced. */
  private compileLaunched(definition: FlowDefinition, version: number, running = true): CompiledFlow {
    const result = compileFlow(definition, { ...this.compileOptions(), version, tolerate: RULES_ADDED_LATER });
    if (!result.ok) throw flowInvalid(result.problems);
    if (running && result.tolerated.length > 0) {
      const { id } = result.flow;
      this.logger.warn(
        { flowId: id, version, code: 'JCT_FLOW_OUTDATED', problems: result.tolerated },
        `flow "${id}" version ${version} breaks rules added since it was launched; it keeps running, and a new version must follow them`,
      );
    }
    return result.flow;
  }

  /**
   * The entry points of the active and paused versions listen again, without bringing their
   * audience in again. Last in recovery: an entry point that enters people at once (a date
   * that came while down) sees who is inside and who entered when.
   */
  private rearmEntries(): void {
    for (const live of this.versions.all()) {
      if (live.record.status === 'finishing') this.finishIfEmpty(live); // in a shard, one left empty may not have been finished in the cluster yet
      if (live.record.status !== 'active' && live.record.status !== 'paused') continue;
      for (const index of live.flow.entries) this.activateEntry(live, index, 'rearm');
    }
  }

  private restoreHistory(key: string, value: unknown): void {
    const [flowId, personId] = splitKey(key);
    const part = this.partition(personId);
    part.setHistory(flowId, part.personSlot(personId), readHistory(value));
  }

  /** An event goes back into its person's history, unless retention has let it go since. */
  private restoreEvent(key: string, [name, at, props]: EventRow): void {
    const [personId, digits] = splitKey(key);
    const part = this.partition(personId);
    const slot = part.personSlot(personId);
    const seq = parseInt(digits, 36);
    const kept = part.events.restore(slot, name, at, seq, props, this.clock.now() - this.eventRetentionMs);
    if (!kept) this.journal.mark(part.eventRows, part.eventRows.dropped(personId, seq));
  }

  private restoreMetrics(key: string, totals: MetricsTotals): void {
    const [part, version] = splitKey(key);
    const live = this.liveByKey(version);
    if (live) this.parts[Number(part)]?.metrics(live.flow).restoreTotals(totals);
  }

  private restoreSeen(key: string, value: { bits: number[]; goal: boolean }): void {
    const [version, personId] = splitKey(key);
    const live = this.liveByKey(version);
    if (!live) return;
    const part = this.partition(personId);
    part.metrics(live.flow).restoreSeen(part.personSlot(personId), value.bits, value.goal);
  }

  /** A remembered input goes back to its person's partition, in the order they were applied. */
  private restoreDedup(rows: Iterable<[string, SeenEntry]>): void {
    const byPartition = this.parts.map((): Array<[string, SeenEntry]> => []);
    for (const row of rows) byPartition[partitionOf(row[1].receipt.personId, this.parts.length)]!.push(row);
    byPartition.forEach((entries, i) => this.seen[i]!.restore(entries));
  }

  /** Participants go back into their partitions; their keys bring them in sequence order. */
  private restoreParticipants(rows: Iterable<[string, unknown]>): number {
    let n = 0;
    const shared = (personId: string): string => (personId.length <= PARSE_SHARES_UP_TO ? personId : (this.people.get(personId)?.id ?? personId));
    for (const [key, value] of rows) {
      const state = readParticipant('', value, shared); // its id is its partition's to tell (moved-in ones keep theirs)
      if (!this.versions.version(state.flowId, state.version)) continue;
      this.partition(state.personId).put(sequenceOfKey(key), state);
      n++;
    }
    return n;
  }

  /**
   * Held inputs and entries go back to their paused versions, in the order they came (a store
   * written before they were kept has none). Those of a version no longer paused are let go:
   * inputs delivered now, entries dropped (it resumed, or stopped taking people). Those of a
   * version gone are let go too.
   */
  private restoreHeld(rows: Iterable<[string, unknown]>): void {
    const released = new Set<Live>();
    for (const [key, value] of rows) {
      this.heldSeq = Math.max(this.heldSeq, heldSeqOf(key));
      const row = value as HeldRow | HeldEntryRow;
      const live = this.versions.version(row[0], row[1]);
      if (!live || !isLive(live.record.status)) {
        this.journal.put('held', key, null);
        continue;
      }
      if (isHeldEntryRow(row)) live.heldEntries.set(heldEntryId(row[3], row[2]), { key, personId: row[2], entry: row[3] });
      else this.restoreHeldInput(live, key, row);
      if (live.record.status !== 'paused') released.add(live);
    }
    for (const live of released) this.releaseHeld(live);
  }

  private restoreHeldInput(live: Live, key: string, [, , personId, participant, node, input]: HeldRow): void {
    live.held.push({ key, personId, participant, node, input });
    if (input.kind === TIMER_KIND) live.heldTimers.add(participant);
  }

  private liveByKey(key: string): Live | undefined {
    const at = key.lastIndexOf('@');
    return this.versions.version(key.slice(0, at), Number(key.slice(at + 1)));
  }

  // ── routing inputs ──────────────────────────────────────────────────────────

  private partition(personId: string): Partition {
    return this.parts[partitionOf(personId, this.parts.length)]!;
  }

  /** Applies one input in its partition; returns the receipt. Throws (writing nothing) to refuse it. */
  private route(part: Partition, personKey: string, input: Input): Receipt {
    switch (input.kind) {
      case 'flow.enter':
        return this.enterFlow(part, personKey, input);
      case 'timer': {
        const seq = part.participants.seqOf(input.participant);
        return { personId: personKey, delivered: seq !== undefined && this.wakeOne(part, seq, input) ? 1 : 0 };
      }
      case 'event':
        return this.ingestEvent(part, personKey, input);
      case 'effect.result':
      case 'effect.failed':
        return this.effectOutcome(part, personKey, input);
      case 'person.upsert':
        return { personId: this.upsertInput(personKey, input.person).id };
      case 'person.update':
        checkJsonAttributes(attributesSet(input.changes), this.people.catalog());
        return { personId: this.people.update(personKey, input.changes).id };
      case 'flow.remove':
        return this.removeFromFlow(part, personKey, input.flowId);
      case 'person.erase':
        return this.erasePerson(part, personKey);
      case 'doNotContact':
        for (const entry of input.change.entries) this.changeDoNotContact(input.change.op, entry);
        return { personId: personKey };
      default:
        return this.moduleInput(part, personKey, input);
    }
  }

  private enterFlow(part: Partition, personKey: string, input: Extract<Input, { kind: 'flow.enter' }>): Receipt {
    const live = input.through === 'flowApi' ? this.takingVersion(input.flowId) : this.requireCurrent(input.flowId);
    const entry = pickEntry(live.flow, input.entry, input.through);
    const vars = checkVars(live.flow, input.vars);
    const person = input.person ? this.upsertInput(personKey, input.person) : this.people.get(personKey);
    if (!person) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${personKey}"`);
    const r = this.admit(part, live, entry, person.id, vars, input.branch, input.chain);
    // One object of one shape per receipt (held until durable), with the store's id string.
    return r.entered ? { personId: person.id, entered: true, participantId: r.participantId } : { personId: person.id, entered: false, reason: r.reason };
  }

  /** Takes the person's participants out of every version of the flow (see the `flow.remove` input). */
  private removeFromFlow(part: Partition, personId: string, flowId: string): Receipt {
    if (!this.record(flowId)) throw unknownFlow(flowId);
    if (!this.people.get(personId)) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${personId}"`, { personId });
    let removed = 0;
    for (const p of this.journeysOf(personId)) {
      const live = p.flowId === flowId ? this.versions.version(p.flowId, p.version) : undefined;
      if (!live) continue;
      const state = { ...p, exitReason: 'removed' };
      this.leave(part, live, part.participants.seqOf(p.id)!, state, false);
      this.steppedOut(live, state, 'removed');
      removed++;
    }
    return { personId, removed };
  }

  /** Erases a person (see the `person.erase` input): everything the engine keeps of them, all in this step's batch. */
  private erasePerson(part: Partition, personId: string): Receipt {
    if (!this.people.get(personId)) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${personId}"`, { personId });
    const journeys = this.journeysOf(personId);
    for (const p of journeys) this.dropParticipant(part, p);
    this.dropHeldOf(personId);
    for (const [key, entry] of this.refs.forget(personId)) this.journal.put('ref', key, entry);
    const { rows, events } = part.erase(personId);
    for (const [group, member] of rows) this.journal.mark(group, member);
    for (const seq of events) this.journal.mark(part.eventRows, part.eventRows.dropped(personId, seq));
    const { gone, added } = this.engagement.anonymize(personId, `erased-${newPersonId()}`);
    for (const key of gone) this.journal.put('engaged', key, null);
    for (const [key, row] of added) this.journal.put('engaged', key, row);
    const listing = [...this.people.segmentList().after()].filter(([, { definition: d }]) => d.members?.includes(personId)).map(([id]) => id);
    this.people.remove(personId);
    for (const id of listing) { // static segments defined with them no longer name them
      const { name, kind, members } = this.people.segment(id)!;
      this.journal.put('definition', `segments\u0000${id}`, { id, name, kind, members });
    }
    return { personId, erased: { participants: journeys.length, events: events.length } };
  }

  /** Takes a participant out of its flow now, without a step or an exit event (its person is being erased). */
  private dropParticipant(part: Partition, p: ParticipantState): void {
    const seq = part.participants.seqOf(p.id)!;
    const live = this.versions.version(p.flowId, p.version);
    if (!live) {
      part.remove(seq, p.personId);
      this.journal.mark(part.participantRows, seq);
      return;
    }
    this.takeOut(part, live, seq, p.personId, false, undefined);
    this.finishIfEmpty(live);
  }

  /** Lets go of the inputs held for the person's participants (an inbound message's text among them) and of their held entries. */
  private dropHeldOf(personId: string): void {
    for (const live of this.versions.live()) {
      for (const [id, h] of live.heldEntries) {
        if (h.personId !== personId) continue;
        live.heldEntries.delete(id);
        this.journal.put('held', h.key, null);
      }
      if (!live.held.some((h) => h.personId === personId)) continue;
      const kept: Held[] = [];
      for (const h of live.held) {
        if (h.personId !== personId) kept.push(h);
        else {
          this.journal.put('held', h.key, null);
          live.heldTimers.delete(h.participant);
        }
      }
      live.held = kept;
    }
  }

  /** An app's event: a defined custom event with typed properties, at a time not ahead of the clock, for a known (or given) person. */
  private ingestEvent(part: Partition, personKey: string, input: Extract<Input, { kind: 'event' }>): Receipt {
    const properties = this.eventCatalog().check(input.name, input.properties);
    const now = this.clock.now();
    if (!Number.isFinite(input.at) || input.at > now + EVENT_CLOCK_SKEW_MS || input.at < now - this.eventRetentionMs) {
      throw new JunctionError('JCT_EVENT_TIME', `event "${input.name}": its time must be a date-time within the kept history (${Math.round(this.eventRetentionMs / 86_400_000)} days) and at most ${EVENT_CLOCK_SKEW_MS / 60_000} minutes ahead`);
    }
    // A person the partition knows exists (profiles are never removed) and goes on by the key the
    // store found them with: the profile is not read. One new to it is looked up (or created)
    // and numbered with the store's own string.
    const known = input.person ? undefined : part.knownPersonSlot(personKey);
    const personId = known === undefined ? this.requirePerson(personKey, input.person).id : personKey;
    const slot = known ?? part.personSlot(personId);
    // A time a little ahead is the app's clock running fast: the event is now, or conditions (counting up to now) would not see it yet.
    const at = Math.min(input.at, now);
    return this.keepAndRoute(part, personId, slot, { kind: 'event', name: input.name, properties, at }, NO_CHAIN); // custom (checked): always kept
  }

  /** Creates or merges the profile an input carries, its custom attributes checked by the types their JSON gave (checkJsonAttributes). */
  private upsertInput(personKey: string, input: PersonInput): Person {
    checkJsonAttributes(Object.entries(input.custom ?? {}), this.people.catalog());
    return this.people.upsert({ ...input, id: personKey });
  }

  /** The person an event names: created or merged when it brings a profile, else one that exists. */
  private requirePerson(personKey: string, input: PersonInput | undefined): Person {
    const person = input ? this.upsertInput(personKey, input) : this.people.get(personKey);
    if (person === undefined) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${personKey}" (an unknown phone or email creates the profile when the events module setting createPeople is on)`);
    return person;
  }

  /** A person's event: kept and routed when it is a custom one or some launched version names it. */
  private eventHappened(part: Partition, personId: string, input: Extract<Input, { kind: 'event' }>, chain: readonly string[] = NO_CHAIN, cause?: number): Receipt {
    const custom = this.eventCatalog().get(input.name)?.group === 'custom';
    if (!custom && !this.eventRoutes.isNamed(input.name)) return { personId, delivered: 0 };
    if (!this.people.get(personId)) return { personId, delivered: 0 }; // erased since (e.g. a late delivery report)
    return this.keepAndRoute(part, personId, part.personSlot(personId), input, chain, cause);
  }

  /**
   * Kept in the history of the person (numbered `slot`), counted for goals, delivered to waits
   * (but to the participant whose step caused it, `cause`), and starting the entries it triggers.
   */
  private keepAndRoute(part: Partition, personId: string, slot: number, input: Extract<Input, { kind: 'event' }>, chain: readonly string[], cause?: number): Receipt {
    const recorded = this.recordEvent(part, personId, slot, input);
    if (cause !== undefined) this.waitPast(part, cause, recorded);
    const goals = this.eventRoutes.goalsOf(input.name);
    for (let i = 0; i < goals.length; i++) {
      const live = goals[i]!; // an indexed loop: no iterator per event
      const rec = part.existingMetrics(live.flow);
      if (rec?.hasEntered(slot) && rec.goal(slot)) this.putMetrics(part, live, slot, true);
    }
    const delivered = this.deliverOn(part, slot, this.eventWaitKey(input.name), input, cause);
    this.enterOnEvent(part, personId, slot, input, chain);
    return { personId, delivered };
  }

  /** Participant `seq`, when waiting, counts only the events recorded after event `recorded`. */
  private waitPast(part: Partition, seq: number, recorded: number): void {
    const state = this.enterScratch();
    try {
      if (!part.participants.load(seq, state) || state.status !== ParticipantStatus.Waiting || state.waitFrom >= recorded) return;
      state.waitFrom = recorded;
      part.participants.write(seq, state);
      this.journal.mark(part.participantRows, seq);
    } finally {
      this.depth--;
    }
  }

  /** The key participants waiting for this event wait on (`event:<name>`), built once per name. */
  private eventWaitKey(name: string): string {
    let key = this.eventWaitKeys.get(name);
    if (key === undefined) this.eventWaitKeys.set(name, (key = `event:${name}`));
    return key;
  }

  /** Keeps the event in the person's history (and the journal), dropping what retention lets go. */
  private recordEvent(part: Partition, personId: string, slot: number, input: Extract<Input, { kind: 'event' }>): number {
    const props = input.properties as Readonly<Record<string, Value>>;
    const seq = part.events.add(slot, input.name, input.at, props, this.clock.now() - this.eventRetentionMs);
    const rows = part.eventRows;
    this.journal.mark(rows, rows.recorded(personId, seq, input.name, input.at, props));
    for (const gone of part.events.dropped) this.journal.mark(rows, rows.dropped(personId, gone));
    this.journal.put('meta', part.eventSeqKey, seq);
    return seq;
  }

  /** Starts the People Real-Time Event entries whose conditions the event completes. */
  /**
   * Loop rule: an event Junction recorded because of a step (a flow exited, a tag added) carries
   * the instant chain of flows behind that step, and does not start a flow of that chain again
   * in the same moment (a flow started by "flow.exited" would otherwise re-enter itself forever).
   */
  private enterOnEvent(part: Partition, personId: string, slot: number, input: Extract<Input, { kind: 'event' }>, chain: readonly string[]): void {
    const entries = this.eventRoutes.entriesFor(input.name);
    if (entries.length === 0) return;
    const person = this.people.get(personId);
    if (!person) return;
    const event = { name: input.name, properties: input.properties as Readonly<Record<string, Value>> };
    const now = this.clock.now();
    for (const { live, node, entry } of entries) {
      const vars = entry.match(event, person, part.events.view(slot, now - this.eventRetentionMs), now, live.record.activatedAt ?? live.record.statusAt);
      if (!vars) continue;
      if (chain.includes(live.flow.id)) this.logger.info({ flowId: live.flow.id, event: input.name, code: 'JCT_FLOW_LOOP' }, 'an event this flow caused in the same moment does not start it again');
      else this.admit(part, live, node, personId, vars, undefined, chain.length > 0 ? chain : undefined);
    }
  }

  /** The chain of flows the events of the step running now carry (see chainBefore). */
  private get chain(): readonly string[] {
    return this.chainFlow === undefined ? this.chainBefore : [...this.chainBefore, this.chainFlow];
  }

  /** An event Junction records itself (people, product): routed after the current step, when a launched version names it. */
  private emitEvent(part: Partition, personId: string, name: string, properties: Record<string, Value>): boolean {
    if (!this.eventRoutes.isNamed(name)) return false;
    this.routeAfterStep(part, personId, name, properties, this.chain);
    return true;
  }

  /** Routes an event some launched version names after the current step, carrying the chain of flows behind it (loop rule). */
  private routeAfterStep(part: Partition, personId: string, name: string, properties: Record<string, Value>, chain: readonly string[]): void {
    const at = this.clock.now();
    const own = this.stepParticipant;
    const cause = own?.part === part && own.personId === personId ? own.seq : undefined;
    part.push(() => void this.eventHappened(part, personId, { kind: 'event', name, properties, at }, chain, cause));
  }

  /** An outbox entry's outcome: the entry is done; the participant waiting for it moves on. */
  private effectOutcome(part: Partition, personId: string, input: Extract<Input, { kind: 'effect.result' | 'effect.failed' }>): Receipt {
    this.journal.put('outbox', input.key, null);
    this.pendingEffects--;
    if (input.kind === 'effect.result') this.keepReferences(personId, input);
    const [participantId, steps] = input.key.split(':');
    const state = part.participants.get(participantId!);
    const waits = state?.status === ParticipantStatus.Waiting && isEffectWait(state.waitOn) && state.steps === Number(steps);
    return { personId, delivered: waits && this.deliverTo(part, part.participants.seqOf(participantId!)!, input) ? 1 : 0 };
  }

  /** Keeps the references an effect's result names, with who emitted the effect (its origin). */
  private keepReferences(personId: string, input: Extract<Input, { kind: 'effect.result' }>): void {
    const refs = (input.result as EffectResult | null)?.refs;
    const origin = input.origin;
    if (!refs || !origin) return;
    const at = this.clock.now();
    for (const gone of this.refs.expire(at - this.referenceWindowMs)) this.journal.put('ref', gone, null);
    for (const [key, data] of Object.entries(refs)) {
      const entry: Reference = { at, personId, ...origin, data, recorded: NOTHING_RECORDED };
      this.refs.set(key, entry);
      this.journal.put('ref', key, entry);
    }
  }

  /** An input about a referenced effect: each of its outcomes counted on the element that emitted it and heard as the person's event, once. */
  private recordReported(part: Partition, personId: string, def: InputDefinition, input: Input): void {
    const key = def.reference?.(input);
    const ref = key === undefined ? undefined : this.refs.get(key);
    if (!ref || ref.personId !== personId) return;
    for (const outcome of def.outcomes?.(input, ref) ?? []) this.recordOutcomeOf(part, personId, ref, outcome.on ?? key!, outcome);
  }

  /** One outcome of a referenced effect, recorded on reference `on` unless it already was. */
  private recordOutcomeOf(part: Partition, personId: string, ref: Reference, on: string, outcome: InputOutcome): void {
    const recorded = this.refs.record(on, outcome.name);
    if (!recorded) return;
    this.journal.put('ref', on, recorded);
    const live = this.versions.version(ref.flowId, ref.version);
    if (outcome.counter !== undefined && live) {
      part.metrics(live.flow).count(ref.node, outcome.counter, 1);
      this.putMetrics(part, live, part.personSlot(personId), false);
    }
    if (!outcome.event) return;
    const properties = { ...outcome.event.properties, flowId: ref.flowId, element: live?.flow.nodes[ref.node]?.id ?? null };
    this.eventHappened(part, personId, { kind: 'event', name: outcome.event.name, properties, at: this.clock.now() });
  }

  /** A module's input: a retry within the window gets its first receipt; otherwise it is routed. */
  private moduleInput(part: Partition, personId: string, input: Input): Receipt {
    const def = this.registry.input(input.kind);
    if (!def) throw new JunctionError('JCT_INPUT_UNKNOWN', `no module handles inputs of kind "${input.kind}"`);
    const dedup = def.dedupKey?.(input);
    const seenKey = dedup === undefined ? undefined : `${input.kind}\u0000${dedup}`;
    const seen = this.seen[part.index]!;
    if (seenKey !== undefined) this.forgetExpired(seen);
    const earlier = seenKey === undefined ? undefined : seen.get(seenKey);
    if (earlier) return this.answerHolds(part, earlier) ? { ...earlier.receipt, duplicate: true } : this.lateRetry(part, personId, def, input);
    const whole = def.combine ? this.combined(personId, def, input) : input;
    if (!whole) return { personId, delivered: 0 };
    const answering = def.answered ? this.answerTo(whole) : undefined; // filled by the steps it causes, now and in the drain
    const routed = this.routeModuleInput(part, personId, def, whole); // may refuse the input: nothing is recorded before
    const receipt = answering ? { ...routed, answer: answering.parts } : routed;
    this.recordReported(part, personId, def, whole);
    if (seenKey !== undefined) this.remember(seen, seenKey, receipt, answering?.left);
    this.rememberEnded(seen, def, whole, receipt);
    return receipt;
  }

  /** Whether a retry's first answer still holds: the participants it left waiting are where it left them (dedup.ts). */
  private answerHolds(part: Partition, entry: SeenEntry): boolean {
    return answerHolds(entry, (id) => part.participants.get(id)?.steps);
  }

  /**
   * A retry whose first answer no longer holds (InputDefinition.answered): given to the
   * participants waiting for the input as it is, which answer it anew; it starts no flow, and
   * the first receipt stays the one remembered.
   */
  private lateRetry(part: Partition, personId: string, def: InputDefinition, input: Input): Receipt {
    const answering = this.answerTo(input);
    const key = def.waitKey(input);
    const person = part.knownPersonSlot(personId);
    const delivered = key === undefined || person === undefined ? 0 : this.deliverOn(part, person, key, input);
    return { personId, delivered, answer: answering.parts };
  }

  /** Remembers, for the de-duplication window, a session the input says is over (InputDefinition.session). */
  private rememberEnded(seen: Seen, def: InputDefinition, input: Input, receipt: Receipt): void {
    const session = def.session?.(input);
    if (session?.ended) this.remember(seen, endedKey(input.kind, session.key), receipt);
  }

  /** Whether the input belongs to a session an earlier input said was over: then it starts nothing, and is counted (InputDefinition.session). */
  private sessionOver(part: Partition, def: InputDefinition, input: Input): boolean {
    const session = def.session?.(input);
    if (session === undefined || session.ended || !this.seen[part.index]!.get(endedKey(input.kind, session.key))) return false;
    this.countRefused(input.kind, SESSION_ENDED);
    return true;
  }

  /** An input telling part of its news, put together with what its reference (the person's) kept (InputDefinition.combine): what to route, if anything yet. */
  private combined(personId: string, def: InputDefinition, input: Input): Input | undefined {
    const key = def.reference?.(input);
    const found = key === undefined ? undefined : this.refs.get(key);
    const ref = found?.personId === personId ? found : undefined;
    const { input: whole, keep } = def.combine!(input, ref);
    const kept = ref && keep !== undefined ? this.refs.record(key!, keep) : undefined;
    if (kept) this.journal.put('ref', key!, kept);
    return whole;
  }

  /**
   * Waiting participants first; a trigger that interrupts (a keyword) ends the interruptible
   * waits and starts its flow; otherwise the input goes to whoever still waits, or, when no
   * one does, starts the flow its trigger matched.
   */
  private routeModuleInput(part: Partition, personId: string, def: InputDefinition, input: Input): Receipt {
    const key = def.waitKey(input);
    const person = part.knownPersonSlot(personId);
    let waiting = key === undefined || person === undefined ? [] : [...part.waitingOn(person, key)];
    const hit = this.triggers.match(def, input, this.people.get(personId));
    if (hit?.interrupts) waiting = waiting.filter((id) => !this.interrupt(part, id));
    if (waiting.length > 0 || !hit) {
      let delivered = 0;
      for (const id of waiting) if (this.deliverTo(part, id, input)) delivered++;
      return { personId, delivered };
    }
    if (this.sessionOver(part, def, input)) return { personId, delivered: 0, entered: false, reason: SESSION_ENDED };
    return { personId, delivered: 0, ...this.enterByTrigger(part, personId, def, input, hit) };
  }

  private enterByTrigger(part: Partition, personId: string, def: InputDefinition, input: Input, hit: TriggerHit): EnterResult {
    const live = this.versions.version(hit.entry.flowId, hit.entry.version);
    if (!live) return { entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' };
    if (!this.people.get(personId)) {
      const person = def.person?.(input);
      if (!person) return { entered: false, reason: 'JCT_PERSON_UNKNOWN' };
      // A sender that cannot be a contact (a short code, an alphanumeric sender id) starts nothing; refusing it would refuse the webhook's other messages too.
      if (![...(person.phones ?? []), ...(person.emails ?? [])].every((c) => normalizeContact(c))) {
        this.countRefused(input.kind, 'JCT_CONTACT_INVALID'); // answered as taken, counted so that operators see it
        return { entered: false, reason: 'JCT_CONTACT_INVALID' };
      }
      this.people.upsert({ ...person, id: personId });
    }
    return this.admit(part, live, live.flow.indexOf.get(hit.entry.node)!, personId, hit.vars, undefined, undefined, input);
  }

  /** Ends a participant's wait because a keyword started another journey, if its element allows it. */
  private interrupt(part: Partition, seq: number): boolean {
    const state = part.participants.at(seq);
    const live = state && this.versions.version(state.flowId, state.version);
    if (!state || !live || state.status !== ParticipantStatus.Waiting) return false;
    const node = live.flow.nodes[state.node]!;
    if (!node.def.interruptible?.(node.prepared)) return false;
    part.metrics(live.flow).count(state.node, 'interrupted', 1); // counted before leave() journals the metrics
    this.leave(part, live, seq, state, false);
    this.steppedOut(live, state, 'interrupted');
    return true;
  }

  /** Tells the step watchers (the live feed) of a participant that left without a step of its own: interrupted, or its version ended. */
  private steppedOut(live: Live, state: ParticipantState, reason: string): void {
    if (!this.onStep && this.stepWatchers.size === 0) return;
    const exited = { ...state, status: ParticipantStatus.Exited, waitUntil: 0, waitOn: '', exitReason: reason };
    this.stepped({ at: this.clock.now(), flow: live.flow, participant: exited, result: nothingDone(exited, this.people.get(state.personId)!) });
  }

  /**
   * A step's answers go to the answered input it handled, if that is the one being routed; the
   * participant, if still inside, is noted with its step count (SeenEntry.left).
   */
  private keepAnswers(input: Input | EnterStep, parts: readonly unknown[], state: ParticipantState): void {
    const answering = this.answering;
    if (answering === undefined || (input.kind === 'enter' ? input.cause : input) !== answering.input) return;
    answering.parts.push(...parts);
    const left = answering.left.filter(([id]) => id !== state.id);
    if (state.status !== ParticipantStatus.Exited) left.push([state.id, state.steps]);
    answering.left.splice(0, answering.left.length, ...left);
  }

  /** The lists the steps this input causes fill as they run, before the receipt resolves: their answers, and the participants they left. */
  private answerTo(input: Input): Answering {
    this.answering = { input, parts: [], left: [] };
    return this.answering;
  }

  /** Keeps a receipt for the de-duplication window (with the participants an answered input left, filled as its steps run). */
  private remember(seen: Seen, key: string, receipt: Receipt, left?: SeenEntry['left']): void {
    const entry: SeenEntry = left === undefined ? { at: this.clock.now(), receipt } : { at: this.clock.now(), receipt, left };
    seen.set(key, entry);
    this.journal.put('dedup', key, entry);
  }

  /** Lets the keys older than the window go, from memory and the store. */
  private forgetExpired(seen: Seen): void {
    for (const gone of seen.expire(this.clock.now() - this.dedupWindowMs)) this.journal.put('dedup', gone, null);
  }

  /** Delivers an input to the participants of the person (by number) waiting on key `on`. */
  private deliverOn(part: Partition, person: number, on: string, input: Input, skip?: number): number {
    const seqs = part.waitingOn(person, on);
    let n = 0;
    for (let i = 0; i < seqs.length; i++) if (seqs[i] !== skip && this.deliverTo(part, seqs[i]!, input)) n++;
    return n;
  }

  /**
   * Delivers an input to waiting participant `seq`: its step, or held while its version is
   * paused, unless its sender waits for the answer (a caller on the line: the call goes on).
   */
  private deliverTo(part: Partition, seq: number, input: Input): boolean {
    const state = this.enterScratch();
    try {
      if (!part.participants.load(seq, state) || state.status !== ParticipantStatus.Waiting) return false;
      const live = this.versions.version(state.flowId, state.version);
      if (!live) return false;
      if (live.record.status === 'paused' && this.registry.input(input.kind)?.answered !== true) {
        this.hold(live, state, input);
        return true;
      }
      return this.runStep(part, live, seq, state, input);
    } finally {
      this.depth--;
    }
  }

  /** The scratch state of a step starting now; leave it with `this.depth--`. */
  private enterScratch(): ScratchState {
    return (this.scratch[this.depth++] ??= {} as ScratchState);
  }

  /** Queues a timer input for each participant whose wake-up this is (checked again when it runs). */
  private wake(partIndex: number, seqs: number[], now: number): void {
    const part = this.parts[partIndex]!;
    for (const seq of seqs) if (this.isDue(part, seq, now)) part.push(seq);
    this.drain();
  }

  /** A wake-up may be stale: the participant moved on since it was armed, or a twin entry ran first. */
  private wakeOne(part: Partition, seq: number, input?: Input): boolean {
    if (!this.isDue(part, seq, this.clock.now())) return false;
    return this.deliverTo(part, seq, input ?? { kind: TIMER_KIND, participant: part.participants.idOf(seq) });
  }

  private isDue(part: Partition, seq: number, now: number): boolean {
    const at = part.participants.waitUntilOf(seq);
    return at > 0 && at <= now;
  }

  private recordOutcome(effect: Effect, input: Input): void {
    if (this.closed) return;
    this.submit(effect.personId, input.kind === 'effect.result' ? { ...input, origin: effect.origin } : input).catch((err: unknown) => {
      const e = toJunctionError(err, 'JCT_INTERNAL');
      this.logger.error({ effect: effect.kind, key: effect.key, code: e.code }, `outcome not recorded: ${e.message}`);
    });
  }

  // ── work queue ──────────────────────────────────────────────────────────────

  /** Runs every partition's queued tasks until none is left; a no-op while already running. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let busy = true; busy; ) {
        busy = false;
        for (const part of this.parts) {
          for (let task = part.take(); task !== undefined; task = part.take()) {
            busy = true;
            this.runTask(part, task);
          }
        }
      }
    } finally {
      this.draining = false;
    }
    this.dispatchWhenDurable();
  }

  /** Runs a task; a number is the sequence of a participant whose wake-up is due. */
  private runTask(part: Partition, task: Task): void {
    try {
      if (typeof task === 'number') this.wakeOne(part, task);
      else task();
    } catch (err) {
      const e = toJunctionError(err, 'JCT_INTERNAL');
      this.logger.error({ code: e.code }, e.message);
    }
  }

  /** Outbox entries are performed only once the batch holding them is durable. */
  private dispatchWhenDurable(): void {
    if (this.toDispatch.length === 0) return;
    const effects = this.toDispatch;
    this.toDispatch = [];
    this.dispatching++;
    this.journal.written().then(
      () => {
        this.dispatching--;
        this.outbox.dispatch(effects);
      },
      () => {
        this.dispatching--;
        this.logger.error({ code: 'JCT_STORE_UNAVAILABLE', effects: effects.length }, 'outbox entries not performed: the journal failed');
      },
    );
  }

  // ── entries and steps ───────────────────────────────────────────────────────

  /** Frequency cap and status checks, then a new participant whose entry step is queued. */
  private admit(part: Partition, live: Live, entry: number, personId: string, vars: Readonly<Record<string, Value>>, branch: number | undefined, chain?: readonly string[], cause?: Input): EnterResult {
    if (live.record.status !== 'active') return { entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' };
    const person = this.people.get(personId);
    if (!person) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${personId}"`);
    personId = person.id; // the store's own string: kept by the participant, and found fastest in maps
    const now = this.clock.now();
    const { settings, id: flowId } = live.flow;
    const slot = part.personSlot(personId);
    const history = part.historyOf(flowId, slot);
    const verdict = checkFrequencyCap(settings, history, now);
    if (!verdict.ok) {
      this.onEntryRefused?.({ flowId, personId, entryType: live.flow.nodes[entry]!.def.type, reason: verdict.reason, at: now });
      return { entered: false, reason: verdict.reason };
    }
    const h = history ?? { entries: [], inside: 0, lastExitAt: 0 };
    recordEntry(settings, h, now);
    this.journal.mark(part.setHistory(flowId, slot, h), slot);
    const id = part.nextId();
    const seq = part.seq;
    this.journal.put('meta', part.seqKey, seq);
    part.put(seq, newParticipant(id, live.flow, personId, entry, now), slot);
    this.journal.mark(part.participantRows, seq);
    part.metrics(live.flow).entered(slot);
    this.putMetrics(part, live, slot, true);
    this.noteEngaged(personId, flowId, now);
    const input: EnterStep = cause ? { kind: 'enter', entry, vars, cause } : chain ? { kind: 'enter', entry, vars, chain } : branch === undefined ? { kind: 'enter', entry, vars } : { kind: 'enter', entry, vars, branch };
    part.push(() => void this.firstStep(part, live, seq, input));
    if (this.eventRoutes.isNamed('flow.entered')) this.routeAfterStep(part, personId, 'flow.entered', { flowId, version: live.flow.version }, [...(chain ?? this.chain), flowId]);
    return { entered: true, participantId: id };
  }

  /** The person's first entry into any flow this month is kept for the engaged persons report. */
  private noteEngaged(personId: string, flowId: string, now: number): void {
    const first = this.engagement.entered(personId, flowId, now);
    if (!first) return;
    this.journal.put('engaged', first.key, first.row);
    if (first.newMonth) for (const gone of this.engagement.expire(now)) this.journal.put('engaged', gone, null);
  }

  /** A new participant's entry step. */
  private firstStep(part: Partition, live: Live, seq: number, input: EnterStep): boolean {
    const state = this.enterScratch();
    try {
      return part.participants.load(seq, state) && this.runStep(part, live, seq, state, input);
    } finally {
      this.depth--;
    }
  }

  /** Runs a step on `state`, participant `seq`'s scratch state. */
  private runStep(part: Partition, live: Live, seq: number, state: ScratchState, input: Input | EnterStep): boolean {
    if (!isLive(live.record.status)) return false;
    const person = this.people.get(state.personId);
    const now = this.clock.now();
    if (!person) {
      this.leave(part, live, seq, state, false);
      return false;
    }
    const result = step(live.flow, state, person, input, now, this.surroundings, part.events.view(part.personSlot(state.personId), now - this.eventRetentionMs));
    if (!result.accepted) return false;
    const { chainBefore, chainFlow, stepParticipant } = this;
    const chain = input.kind === 'enter' ? (input.chain ?? NO_CHAIN) : NO_CHAIN;
    this.chainBefore = chain; // the events this step makes Junction record carry it (see enterOnEvent)
    this.chainFlow = live.flow.id;
    this.stepParticipant = { part, seq, personId: state.personId };
    try {
      this.applyStep(part, live, seq, state, result, now);
      if (result.answers.length > 0) this.keepAnswers(input, result.answers, state);
      if (result.additions.length > 0) this.addToFlows(live, state.personId, result.additions, chain, input.kind === 'enter');
    } finally {
      this.chainBefore = chainBefore;
      this.chainFlow = chainFlow;
      this.stepParticipant = stepParticipant;
    }
    return true;
  }

  /** The transition: every change of one step, applied to memory and put into the journal together. */
  private applyStep(part: Partition, live: Live, seq: number, next: ScratchState, result: StepResult, now: number): void {
    this.applyPersonChanges(live, next, result);
    this.touch(live, now);
    const person = part.personSlot(next.personId);
    const rec = part.metrics(live.flow);
    const firstVisit = rec.visited(person, result.visited);
    for (const c of result.counts) rec.count(c.node, c.counter, c.n);
    for (const f of result.failures) {
      rec.failed(f.node);
      this.logger.warn({ flowId: live.flow.id, element: live.flow.nodes[f.node]?.id, code: f.code }, f.message);
    }
    if (next.status === ParticipantStatus.Exited) {
      this.leave(part, live, seq, next, live.flow.nodes[next.node]!.def.type === 'exit');
    } else {
      part.put(seq, next, person);
      this.journal.mark(part.participantRows, seq);
    }
    this.putMetrics(part, live, person, firstVisit);
    for (const effect of result.effects) {
      this.journal.put('outbox', effect.key, effect);
      this.pendingEffects++;
      this.toDispatch.push(effect);
    }
    if (this.onStep || this.stepWatchers.size > 0) {
      const participant = { ...next }; // the scratch state is reused: the event keeps its own copy
      this.stepped({ at: now, flow: live.flow, participant, result: { ...result, state: participant } });
    }
  }

  /**
   * Add to flow, after the step that asked for it (same batch, so both are durable together):
   * the person, or another found by contact (created when missing), enters the target flow's
   * Existing Flow entry point. Loop rule: within one moment (a chain of entry steps that never
   * waited), a flow the chain already passed through is not entered again — A adding to B adding
   * to A stops there, counted as a failure JCT_FLOW_LOOP on the element; a loop that waits
   * somewhere runs on, as a loop inside a flow must. The adding flow itself was entered in this
   * moment only when the step that adds (`entering`) entered it: after a wait, a flow may add
   * people to itself again.
   */
  private addToFlows(from: Live, personId: string, additions: readonly Addition[], chain: readonly string[], entering: boolean): void {
    const { passed, entered } = momentOf(chain, from.flow.id, entering);
    for (const a of additions) {
      try {
        if (entered.includes(a.flowId)) throw new JunctionError('JCT_FLOW_LOOP', `Add to flow: "${a.flowId}" was already entered in this moment by the same chain (${entered.join(' → ')}); a loop between flows needs a waiting element`);
        const live = this.versions.current(a.flowId);
        if (!live) throw this.notRunning(a.flowId);
        const who = a.contact ? this.personByContact(a.contact) : personId;
        const r = this.admit(this.partition(who), live, pickEntry(live.flow, undefined, 'existingFlow'), who, checkVars(live.flow, a.vars), undefined, passed);
        if (!r.entered) this.logger.info({ flowId: a.flowId, from: from.flow.id, reason: r.reason }, 'Add to flow: not entered');
      } catch (err) {
        this.additionFailed(from, personId, a, toJunctionError(err, 'JCT_ADD_TO_FLOW'));
      }
    }
  }

  /** Why the running version of a flow would not take an Add to flow entry with these variables; undefined when it would. */
  private entryRefusal(flowId: string, vars: Readonly<Record<string, Value>>): { code: string; message: string } | undefined {
    const live = this.versions.current(flowId);
    if (!live) return undefined;
    try {
      pickEntry(live.flow, undefined, 'existingFlow');
      checkVars(live.flow, vars);
      return undefined;
    } catch (err) {
      const { code, message } = toJunctionError(err, 'JCT_ADD_TO_FLOW');
      return { code, message };
    }
  }

  /** The person with this contact, created when there is none. */
  private personByContact(contact: NonNullable<Addition['contact']>): string {
    const found = this.people.findByContact(contact.value);
    if (found) return found.id;
    return this.people.upsert({ id: this.newPersonId(), ...(contact.channel === 'phone' ? { phones: [contact.value] } : { emails: [contact.value] }) }).id;
  }

  private additionFailed(from: Live, personId: string, a: Addition, e: JunctionError): void {
    const part = this.partition(personId);
    part.metrics(from.flow).failed(a.node);
    this.putMetrics(part, from, part.personSlot(personId), false);
    this.logger.warn({ flowId: from.flow.id, element: from.flow.nodes[a.node]?.id, target: a.flowId, code: e.code }, e.message);
  }

  /** Adds or removes a do-not-contact entry and journals the contact's entry as it now is. */
  changeDoNotContact(op: DoNotContactChange['op'], entry: DoNotContactEntry): void {
    if (op === 'add') this.people.addDoNotContact(entry);
    else this.people.removeDoNotContact(entry);
    // kept under the contact as the list keeps it (+385912345678, ana@example.com), however it was written: a removal finds the row an addition wrote
    const contact = normalizeContact(entry.contact)?.value ?? entry.contact;
    this.journal.put('dnc', `${entry.channel}\u0000${contact}`, this.people.blockOf(entry.channel, contact) ?? null);
  }

  /** Applies the step's profile and do-not-contact changes; a store refusal stops the participant (in `state`). */
  private applyPersonChanges(live: Live, state: ScratchState, result: StepResult): void {
    try {
      if (result.profile.length > 0) this.people.update(state.personId, result.profile);
      for (const change of result.doNotContact) for (const entry of change.entries) this.changeDoNotContact(change.op, entry);
    } catch (err) {
      const e = toJunctionError(err, 'JCT_PROFILE_UPDATE');
      this.logger.warn({ flowId: live.flow.id, participant: state.id, code: e.code }, e.message);
      state.status = ParticipantStatus.Exited;
      state.waitUntil = 0;
      state.waitOn = '';
      state.exitReason = e.code;
    }
  }

  private leave(part: Partition, live: Live, seq: number, state: ParticipantState, reachedExit: boolean): void {
    this.takeOut(part, live, seq, state.personId, reachedExit, this.clock.now());
    this.exited(part, live, state.personId, state.exitReason ?? 'interrupted');
    this.finishIfEmpty(live);
  }

  private exited(part: Partition, live: Live, personId: string, reason: string): void {
    if (this.eventRoutes.isNamed('flow.exited')) this.routeAfterStep(part, personId, 'flow.exited', { flowId: live.flow.id, version: live.flow.version, reason }, [...this.chain, live.flow.id]);
  }

  /** Takes participant `seq` out: its row, the metrics, the person's entry history (and exit time when it left by itself). */
  private takeOut(part: Partition, live: Live, seq: number, personId: string, reachedExit: boolean, exitedAt: number | undefined): void {
    const person = part.personSlot(personId);
    part.remove(seq, personId);
    this.journal.mark(part.participantRows, seq);
    part.metrics(live.flow).left(reachedExit);
    this.putMetrics(part, live, person, false);
    const h = part.historyOf(live.flow.id, person);
    if (!h) return;
    h.inside = Math.max(0, h.inside - 1);
    if (exitedAt !== undefined) h.lastExitAt = exitedAt;
    this.journal.mark(part.setHistory(live.flow.id, person, h), person);
  }

  /** Marks the metrics totals, and the person's (by number) seen-nodes row when it changed; both are built when the batch is written. */
  private putMetrics(part: Partition, live: Live, person: number, seenChanged: boolean): void {
    const m = part.versionMetrics(live.flow);
    this.journal.mark(m.totals, 0);
    if (seenChanged) this.journal.mark(m.seen, person);
  }

  /** Journals the profile a change touched, then lets entry points hear of it after the current step. */
  private peopleChanged(change: PeopleChange): void {
    const segmentOnly = change.kind === 'segmentJoined' || change.kind === 'segmentLeft'; // membership is not stored
    if (!segmentOnly) this.journal.mark(this.personRows, change.personId);
    const part = this.partition(change.personId);
    const emitted = this.emitPeopleEvents(part, change);
    this.segmentClock.arm(); // a write may bring a person's moment closer
    if (!emitted && this.peopleListeners.size === 0) return;
    for (const listener of this.peopleListeners) part.push(() => listener(change));
    this.drain();
  }

  /** The people events of a profile change: an attribute or contact changed, a tag added or removed. */
  private emitPeopleEvents(part: Partition, change: PeopleChange): boolean {
    let emitted = false;
    if (change.kind === 'updated') for (const attribute of change.attributes ?? []) emitted = this.emitEvent(part, change.personId, 'person.changed', { attribute }) || emitted;
    else if (change.kind === 'tagAdded' || change.kind === 'tagRemoved') emitted = this.emitEvent(part, change.personId, `person.${change.kind}`, { tag: change.tag ?? null });
    return emitted;
  }

  // ── versions ────────────────────────────────────────────────────────────────

  private compileOptions() {
    return { registry: this.registry, attributes: this.people.catalog(), events: this.eventCatalog(), configured: true, timeZone: this.timeZone };
  }

  private record(flowId: string): FlowRecord | undefined {
    return this.records.get(flowId)?.at(-1);
  }

  private addLive(record: FlowRecord, flow: CompiledFlow): Live {
    const live: Live = { record, flow, deactivate: new Map(), held: [], heldTimers: new Set(), heldEntries: new Map(), lastActivityAt: this.clock.now(), timers: [], entryTimers: new Set() };
    this.versions.add(live);
    this.triggers.invalidate();
    this.eventRoutes.invalidate();
    return live;
  }

  private putFlow(record: FlowRecord, lastActivityAt?: number): void {
    this.journal.put('flow', versionKey(record.id, record.version), { ...record, lastActivityAt: lastActivityAt ?? this.versions.version(record.id, record.version)?.lastActivityAt });
  }

  private setStatus(record: FlowRecord, to: FlowStatus): void {
    move(record, to, this.changeTime());
    this.putFlow(record);
    this.triggers.invalidate();
    this.eventRoutes.invalidate();
  }

  /** Notes activity for the idle limit; journaled with the flow at most once a minute. */
  private touch(live: Live, now: number): void {
    const stale = now - live.lastActivityAt > 60_000;
    live.lastActivityAt = now;
    if (stale) this.putFlow(live.record, now);
  }

  private armStart(live: Live, start: number): void {
    live.timers.push(this.clock.schedule(start, () => this.runNow(() => this.activateScheduled(live))));
  }

  /** Runs flow-level work from a clock callback through the queue of partition 0. */
  private runNow(task: () => void): void {
    this.parts[0]!.push(task);
    this.drain();
  }

  /** Activates at the scheduled start; if an entry point cannot start, the version is canceled. */
  private activateScheduled(live: Live): void {
    try {
      this.activate(live);
    } catch (err) {
      const e = toJunctionError(err, 'JCT_ACTIVATION_FAILED');
      this.logger.error({ flowId: live.flow.id, version: live.flow.version, code: e.code }, e.message);
      this.end(live, 'canceled', e.code);
    }
  }

  /** Activates at launch; if an entry point cannot start, the version goes back to draft and nothing stays. */
  private activateOrRollBack(live: Live): void {
    try {
      this.activate(live);
    } catch (err) {
      this.deactivateAll(live);
      live.timers.forEach((t) => this.clock.cancel(t));
      for (const part of this.parts) {
        for (const p of [...part.ofVersion(live.flow.id, live.flow.version)]) {
          const seq = part.participants.seqOf(p.id)!;
          part.remove(seq, p.personId);
          this.journal.mark(part.participantRows, seq);
        }
      }
      this.versions.drop(live);
      this.triggers.invalidate();
      this.eventRoutes.invalidate();
      live.record.status = 'draft';
      this.putFlow(live.record);
      throw err;
    }
  }

  private activate(live: Live): void {
    live.record.activatedAt ??= this.changeTime();
    this.setStatus(live.record, 'active');
    this.armFlowTimers(live);
    for (const index of live.flow.entries) this.activateEntry(live, index, 'launch');
    if (!acceptsLaterEntries(live.flow)) this.stopEntries(live);
  }

  private armFlowTimers(live: Live): void {
    const { end } = live.flow.settings;
    if (end !== undefined) live.timers.push(this.clock.schedule(end, () => this.runNow(() => this.scheduleEnded(live))));
    this.armIdleCheck(live);
  }

  private activateEntry(live: Live, index: number, reason: 'launch' | 'rearm'): void {
    const node = live.flow.nodes[index]!;
    const off = node.def.activate?.(node.prepared, this.entryHost(live, index), reason);
    if (off) live.deactivate.set(index, off);
  }

  private deactivateAll(live: Live): void {
    for (const off of live.deactivate.values()) off();
    live.deactivate.clear();
  }

  private entryHost(live: Live, entry: number): EntryHost {
    return {
      flowId: live.flow.id,
      people: this.people,
      now: () => this.clock.now(),
      enter: (personId, vars) => this.admit(this.partition(personId), live, entry, personId, vars ?? {}, undefined),
      enterOrHold: (personId) => this.enterOrHold(live, entry, personId),
      onPeopleChange: (listener) => {
        this.peopleListeners.add(listener);
        return () => this.peopleListeners.delete(listener);
      },
      schedule: (at, task) => {
        const handle = this.clock.schedule(at, () => {
          live.entryTimers.delete(handle);
          this.runNow(task);
        });
        live.entryTimers.add(handle);
        return () => {
          live.entryTimers.delete(handle);
          this.clock.cancel(handle);
        };
      },
      lastEntryAt: (personId) => {
        const part = this.partition(personId);
        const slot = part.knownPersonSlot(personId);
        return slot === undefined ? undefined : part.historyOf(live.flow.id, slot)?.entries.at(-1);
      },
    };
  }

  /** Checks, an idle limit after `since` (default: the version's last activity here), whether the version is idle. */
  private armIdleCheck(live: Live, since = live.lastActivityAt): void {
    this.armIdleCheckAt(live, addDuration(since, IDLE_LIMIT, live.flow.settings.timeZone));
  }

  private armIdleCheckAt(live: Live, at: number): void {
    live.timers.push(
      this.clock.schedule(at, () =>
        this.runNow(() => {
          if (!isLive(live.record.status)) return;
          live.lastActivityAt = this.activityOf(live);
          if (!this.idleSince(live, live.lastActivityAt)) this.armIdleCheck(live);
          else if (this.across) void this.idleInCluster(live, this.across);
          else this.end(live, 'finished', 'JCT_FLOW_EXPIRED');
        }),
      ),
    );
  }

  private idleSince(live: Live, activity: number): boolean {
    return addDuration(activity, IDLE_LIMIT, live.flow.settings.timeZone) <= this.clock.now();
  }

  /** A version idle here, in a shard: finished everywhere when idle in every shard, else checked again a limit after the latest activity. */
  private async idleInCluster(live: Live, across: VersionAcross): Promise<void> {
    const { id, version } = live.record;
    try {
      const latest = Math.max(live.lastActivityAt, await across.activity(id, version));
      if (this.stopped || !isLive(live.record.status)) return;
      if (!this.idleSince(live, latest)) return this.armIdleCheck(live, latest);
      await across.end(id, version, 'idle');
    } catch (err) {
      if (this.unasked(live, err, 'whether an idle flow is idle in every shard')) this.armIdleCheckAt(live, this.clock.now() + IDLE_ASK_AGAIN_MS);
    }
  }

  /** A finishing version left empty here, in a shard: finished everywhere once nobody is left in any shard (the last shard to empty finds so). */
  private async emptyInCluster(live: Live, across: VersionAcross): Promise<void> {
    const { id, version } = live.record;
    try {
      const inside = await across.inside(id, version);
      if (this.stopped || live.record.status !== 'finishing') return;
      if (inside === 0) await across.end(id, version, 'empty');
    } catch (err) {
      if (this.unasked(live, err, 'whether a finishing flow is empty in every shard')) {
        live.timers.push(this.clock.schedule(this.clock.now() + EMPTY_ASK_AGAIN_MS, () => this.runNow(() => this.finishIfEmpty(live))));
      }
    }
  }

  /** The cluster could not be asked `what` about a version: said, and whether it is still to be asked again. */
  private unasked(live: Live, err: unknown, what: string): boolean {
    if (this.stopped || !isLive(live.record.status)) return false;
    this.logger.warn({ flowId: live.record.id, version: live.record.version, code: toJunctionError(err, 'JCT_CLUSTER_OPERATION').code }, `the cluster could not be asked ${what}: asking again later`);
    return true;
  }

  /** The latest activity of a launched version in this engine, or null when it is not running here (finished, canceled, not launched yet). */
  flowActivity(flowId: string, version: number): number | null {
    const live = this.versions.version(flowId, version);
    return live && isLive(live.record.status) ? this.activityOf(live) : null;
  }

  /** A version's latest activity: now while an entry point waits for a date (not idle), else its last. */
  private activityOf(live: Live): number {
    return live.entryTimers.size > 0 ? this.clock.now() : live.lastActivityAt;
  }

  /** How many participants a launched version has in this engine. */
  inside(flowId: string, version: number): number {
    return this.parts.reduce((n, p) => n + p.inside(flowId, version), 0);
  }

  /**
   * Ends a version as its cluster found it (EngineOptions.across): idle in every shard, or
   * finishing with nobody left in any. A shard that took someone in after it was asked (it had
   * not applied the newer version's launch yet) keeps them: it asks again once they leave.
   */
  endVersion(flowId: string, version: number, why: VersionEnd): void {
    const live = this.versions.version(flowId, version);
    if (!live) return;
    if (why === 'idle' && isLive(live.record.status)) this.end(live, 'finished', 'JCT_FLOW_EXPIRED');
    if (why === 'empty' && live.record.status === 'finishing' && this.inside(flowId, version) === 0) this.end(live, 'finished', 'finished');
  }

  private scheduleEnded(live: Live): void {
    if (live.record.status === 'active' || live.record.status === 'paused') this.stopEntries(live);
  }

  /** No more entries: the version is finishing, and finished once empty. */
  private stopEntries(live: Live): void {
    this.deactivateAll(live);
    const s = live.record.status;
    if (s === 'scheduled' || s === 'active' || s === 'paused') this.setStatus(live.record, 'finishing');
    if (s === 'paused') this.releaseHeld(live); // its participants go on: so do the inputs held for them
    this.finishIfEmpty(live);
  }

  /** "Empty" is counted over every partition. */
  private finishIfEmpty(live: Live): void {
    if (live.record.status !== 'finishing') return;
    if (this.parts.some((p) => p.inside(live.flow.id, live.flow.version) > 0)) return;
    if (this.across) void this.emptyInCluster(live, this.across);
    else this.end(live, 'finished', 'finished');
  }

  /** Ends a version: removes its participants (with `reason`) and stops its timers. */
  private end(live: Live, status: 'finished' | 'canceled', reason: string): void {
    this.deactivateAll(live);
    live.timers.forEach((t) => this.clock.cancel(t));
    this.forgetHeld(live);
    if (live.record.status !== status) this.setStatus(live.record, status);
    for (const part of this.parts) {
      for (const p of [...part.ofVersion(live.flow.id, live.flow.version)]) this.removeEnded(part, live, p, reason);
    }
  }

  private removeEnded(part: Partition, live: Live, p: ParticipantState, reason: string): void {
    this.takeOut(part, live, part.participants.seqOf(p.id)!, p.personId, false, undefined);
    this.exited(part, live, p.personId, reason);
    this.steppedOut(live, p, reason);
    this.logger.info({ flowId: live.flow.id, participant: p.id, reason }, 'participant removed');
  }

  /** Every flow's running version (the newest launched one not over). */
  private running(): Live[] {
    return this.versions.all().filter((l) => this.versions.current(l.flow.id) === l);
  }

  private requireCurrent(flowId: string): Live {
    const live = this.versions.current(flowId);
    if (!live) throw this.notRunning(flowId);
    return live;
  }

  /**
   * The version the Flow API adds people to: the running one, when active. A flow that takes
   * nobody now refuses the whole call, whatever its status (paused, scheduled, or no version
   * running): 409 JCT_FLOW_STATUS, the status in its details, nothing written.
   */
  private takingVersion(flowId: string): Live {
    const live = this.requireCurrent(flowId);
    const { version, status } = live.record;
    if (status !== 'active') throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" is ${status} (version ${version}): nobody enters it until it is active`, { flowId, version, status });
    return live;
  }

  /** Why a flow takes no entries: it does not exist, or no version of it is running. */
  private notRunning(flowId: string): JunctionError {
    const latest = this.record(flowId);
    if (!latest) return unknownFlow(flowId);
    const { version, status } = latest;
    return new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no launched version that is running (latest version ${version} is ${status})`, { flowId, version, status });
  }
}

/**
 * The rules of a new version: none for a flow that brings its audience in only at launch (also
 * while its version is finishing), and the original version's entry points stay, with their types.
 */
/** The workspace's time zone, canonical; an unknown one is refused (JCT_TIMEZONE_INVALID). */
function workspaceZone(tz = 'UTC'): string {
  const canonical = canonicalTimeZone(tz);
  if (canonical === undefined) throw new JunctionError('JCT_TIMEZONE_INVALID', `unknown time zone "${tz}"; use an IANA name such as Europe/Zagreb`);
  return canonical;
}

function checkNewVersion(original: CompiledFlow, next: CompiledFlow): void {
  if (!acceptsLaterEntries(original)) {
    throw new JunctionError('JCT_VERSION_NOT_ALLOWED', `flow "${original.id}" brings its audience in only at launch; duplicate it instead of creating a new version`);
  }
  for (const i of original.entries) {
    const entry = original.nodes[i]!;
    const kept = next.indexOf.get(entry.id);
    if (kept === undefined || next.nodes[kept]!.def.type !== entry.def.type || !next.entries.includes(kept)) {
      throw new JunctionError('JCT_VERSION_ENTRY_REMOVED', `the original entry point "${entry.id}" (${entry.def.type}) of flow "${original.id}" cannot be removed or changed in a new version`, {
        problems: [{ code: 'JCT_VERSION_ENTRY_REMOVED', message: `keep entry point "${entry.id}" (${entry.def.type})`, path: '$.entryPoints' }],
      });
    }
  }
}

function acceptsLaterEntries(flow: CompiledFlow): boolean {
  return flow.entries.some((i) => {
    const n = flow.nodes[i]!;
    return n.def.acceptsLaterEntries?.(n.prepared) ?? true;
  });
}

/**
 * The entry point to enter through: the one named, or the only one that takes later entries;
 * `through` allows only entry points of that type.
 */
/** The id of the flow's Flow API entry point that declares this campaign id, if one does. */
function campaignEntry(flow: CompiledFlow, campaignId: string): string | undefined {
  const i = flow.entries.find((e) => flow.nodes[e]!.def.type === 'flowApi' && (flow.nodes[e]!.prepared as CampaignConfig | undefined)?.campaignId === campaignId);
  return i === undefined ? undefined : flow.nodes[i]!.id;
}

function pickEntry(flow: CompiledFlow, entryId: string | undefined, through: string | undefined): number {
  const allowed = through === undefined ? flow.entries : flow.entries.filter((i) => flow.nodes[i]!.def.type === through);
  if (allowed.length === 0) throw new JunctionError('JCT_ENTRY_NONE', `flow "${flow.id}" has no entry point of type "${through}" to enter through`);
  if (entryId !== undefined) {
    const i = flow.indexOf.get(entryId);
    if (i === undefined || !allowed.includes(i)) throw new JunctionError('JCT_ENTRY_UNKNOWN', `flow "${flow.id}" has no ${through ?? ''}${through ? ' ' : ''}entry point "${entryId}"`);
    return i;
  }
  let open = 0;
  let found = -1;
  for (const i of allowed) {
    const node = flow.nodes[i]!;
    if (!(node.def.acceptsLaterEntries?.(node.prepared) ?? true)) continue;
    open++;
    found = i;
  }
  if (open !== 1) throw new JunctionError('JCT_ENTRY_AMBIGUOUS', `flow "${flow.id}" has ${open} entry points people can be added through; name one`);
  return found;
}

/** Entry values for the flow's declared variables, typed; anything else is refused. */
function checkVars(flow: CompiledFlow, given: Record<string, unknown> | undefined): Readonly<Record<string, Value>> {
  if (given === undefined) return NO_VARS;
  const out: Record<string, Value> = {};
  for (const [name, raw] of Object.entries(given)) {
    const declared = flow.settings.variables.find((v) => v.name === name);
    if (!declared) throw new JunctionError('JCT_VARIABLE_UNKNOWN', `flow "${flow.id}" has no variable "${name}"`);
    const c = coerceValue(declared.type, raw);
    if (!c.ok) throw new JunctionError('JCT_VARIABLE_TYPE', `variable "${name}": ${c.message}`);
    out[name] = c.value;
  }
  return out;
}

/**
 * The id of a flow document to save: an Identifier, as duplicate and the API's paths expect.
 * A document nested deeper than the validator reads is refused first (drafts are not validated).
 */
function flowIdOf(doc: unknown): string {
  const deep = depthProblem(doc, '$', 'JCT_FLOW_SHAPE');
  if (deep) throw new JunctionError(deep.code, `the flow is ${deep.message} (at ${deep.path})`, { path: deep.path });
  const id = (doc as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') throw new JunctionError('JCT_FLOW_SHAPE', 'a flow needs a string "id"');
  if (!isIdentifier(id)) throw new JunctionError('JCT_FLOW_ID', `${JSON.stringify(id)} is not a flow id: ${Identifier.description!.toLowerCase()}`, { id });
  return id;
}


/** Whether a flow (a draft too, which may be unfinished: no or malformed entry points) has an Inbound Message entry point. */
function startsOnInboundMessages(definition: FlowDefinition): boolean {
  const entryPoints: unknown = definition.entryPoints;
  return Array.isArray(entryPoints) && entryPoints.some((e: unknown) => (e as { type?: unknown } | null)?.type === 'inboundMessage');
}

/** The statuses in which a version holds what its entry points hold (a finishing one takes no one new). */
const HOLDING: ReadonlySet<FlowStatus> = new Set(['scheduled', 'active', 'paused']);

/** What the flow's entry points hold alone (ElementDefinition.holds): key → entry point id. */
function heldBy(flow: CompiledFlow): Map<string, string> {
  const held = new Map<string, string>();
  for (const i of flow.entries) {
    const node = flow.nodes[i]!;
    for (const key of node.def.holds?.(node.prepared) ?? []) held.set(key, node.id);
  }
  return held;
}

function unknownFlow(flowId: string): JunctionError {
  return new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${flowId}"`);
}

function flowExists(flowId: string): JunctionError {
  return new JunctionError('JCT_FLOW_EXISTS', `a flow with id "${flowId}" exists already`);
}

function unavailable(): JunctionError {
  return new JunctionError('JCT_STORE_UNAVAILABLE', 'the store cannot make this durable right now; retry later');
}

/** Random per process start, so ids never repeat across processes and restarts. */
const ID_PREFIX = `p${Date.now().toString(36)}${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36)}`;
let lastPersonId = 0;

/** A new person id: this process's prefix and a counter. */
function newPersonId(): string {
  return `${ID_PREFIX}.${(++lastPersonId).toString(36)}`;
}

/** The step result of a participant taken out without a step (an interrupted wait). */
function nothingDone(state: ParticipantState, person: Person): StepResult {
  const none = [] as never[];
  return { state, person, profile: none, doNotContact: none, effects: none, visited: none, failures: none, counts: none, additions: none, answers: none, accepted: true };
}
