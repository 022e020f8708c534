// The imperative shell around the pure step: owns flow versions and their lifecycle,
// entries and the frequency cap, and metrics; runs steps from one task queue (tasks.ts),
// wakes waiting participants (timers.ts) and performs effects (effects.ts).
import type { Clock, TimerHandle } from '../clock.js';
import { JunctionError, toJunctionError } from '../errors.js';
import { coerceValue, type Value } from '../values.js';
import type { AttributeCatalog } from '../people/catalog.js';
import { registry as defaultRegistry, type ElementRegistry, type EnterResult, type EntryHost } from '../registry.js';
import { compileFlow, compileFlowOrThrow, type CompiledFlow } from '../flow/compile.js';
import type { FlowDefinition } from '../flow/schema.js';
import type { FlowRecord, FlowStore, ParticipantStore, PeopleStore } from '../store/interfaces.js';
import { MemoryFlowStore, MemoryParticipantStore } from '../store/memory.js';
import { addDuration } from '../calendar.js';
import { newParticipant, step, type StepResult } from './step.js';
import { Wakeups } from './timers.js';
import { TaskQueue } from './tasks.js';
import { EffectRunner } from './effects.js';
import { MetricsRecorder, type FlowMetrics } from './metrics.js';
import { checkFrequencyCap, recordEntry, type EntryHistory } from './reentry.js';
import { isLive, move } from './lifecycle.js';
import { ParticipantStatus, type Input, type ParticipantState, type Problem } from './types.js';

const TIMER: Input = { kind: 'timer' };

/** A flow that has seen no activity for this long finishes by itself. */
export const IDLE_LIMIT = { amount: 365, unit: 'days' } as const;

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

export interface EngineOptions {
  clock: Clock;
  people: PeopleStore & { catalog(): AttributeCatalog };
  flows?: FlowStore;
  participants?: ParticipantStore;
  registry?: ElementRegistry;
  logger?: Logger;
  /** Called after every step that changed a participant (the simulator prints paths from it). */
  onStep?: (event: StepEvent) => void;
}

export interface EnterOptions {
  /** Id of the entry point; default: the flow's only entry point that accepts later entries. */
  entry?: string;
  /** Which of the entry point's branches to take (entry points with several branches). */
  branch?: number;
  vars?: Record<string, unknown>;
}

/** One launched flow version and everything the shell keeps for it. */
interface Live {
  readonly record: FlowRecord;
  readonly flow: CompiledFlow;
  readonly metrics: MetricsRecorder;
  /** Entry node index → the function that stops it bringing people in. */
  deactivate: Map<number, () => void>;
  held: Array<{ id: string; input: Input }>;
  lastActivityAt: number;
  timers: TimerHandle[];
}

export class Engine {
  readonly clock: Clock;
  readonly people: PeopleStore & { catalog(): AttributeCatalog };
  readonly flows: FlowStore;
  readonly participants: ParticipantStore;
  private readonly registry: ElementRegistry;
  private readonly logger: Logger;
  private readonly onStep: ((event: StepEvent) => void) | undefined;
  /** Launched versions per flow id, oldest first. */
  private readonly live = new Map<string, Live[]>();
  private readonly history = new Map<string, Map<string, EntryHistory>>();
  private readonly wakeups: Wakeups;
  private readonly tasks: TaskQueue;
  private readonly effects: EffectRunner;
  private nextId = 0;

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.people = options.people;
    this.flows = options.flows ?? new MemoryFlowStore();
    this.participants = options.participants ?? new MemoryParticipantStore();
    this.registry = options.registry ?? defaultRegistry;
    this.logger = options.logger ?? silent;
    this.onStep = options.onStep;
    this.tasks = new TaskQueue(this.logger);
    this.wakeups = new Wakeups(this.clock, (ids, now) => this.wake(ids, now));
    const ctx = { people: this.people, now: () => this.clock.now() };
    this.effects = new EffectRunner(this.registry, ctx, this.logger, (id, input) => this.tasks.run(() => this.deliverTo(id, input)));
  }

  /** Effects whose handler threw or rejected, by kind. */
  get effectFailures(): ReadonlyMap<string, number> {
    return this.effects.failures;
  }

  // ── flow definitions and lifecycle ───────────────────────────────────────────

  validate(doc: unknown): Problem[] {
    const r = compileFlow(doc, this.compileOptions());
    return r.ok ? [] : r.problems;
  }

  /** Saves a flow document as a draft: a new flow, or the next version of an existing one. */
  save(doc: unknown): FlowRecord {
    const id = (doc as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') throw new JunctionError('JCT_FLOW_SHAPE', 'a flow needs a string "id"');
    const latest = this.flows.get(id);
    if (latest?.status === 'draft') {
      latest.definition = doc as FlowDefinition;
      return latest;
    }
    const record: FlowRecord = {
      id,
      version: (latest?.version ?? 0) + 1,
      definition: doc as FlowDefinition,
      status: 'draft',
      statusAt: this.clock.now(),
    };
    this.flows.put(record);
    return record;
  }

  /** Validates and launches the flow's draft version: scheduled, or active at once. */
  launch(flowId: string): FlowRecord {
    const record = this.flows.get(flowId);
    if (!record) throw unknownFlow(flowId);
    if (record.status !== 'draft') throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no draft to launch (latest version is ${record.status})`);
    const flow = compileFlowOrThrow(record.definition, { ...this.compileOptions(), version: record.version });
    const previous = this.current(flowId);
    if (previous && !this.acceptsLaterEntries(previous.flow)) {
      throw new JunctionError('JCT_VERSION_NOT_ALLOWED', `flow "${flowId}" brings its audience in only at launch; duplicate it instead of creating a new version`);
    }
    const now = this.clock.now();
    const live: Live = { record, flow, metrics: new MetricsRecorder(flow.id, flow.version, flow.nodes), deactivate: new Map(), held: [], lastActivityAt: now, timers: [] };
    this.live.set(flowId, [...this.versionsOf(flowId), live]);
    const start = flow.settings.start;
    if (start !== undefined && start > now) {
      move(record, 'scheduled', now);
      live.timers.push(this.clock.schedule(start, () => this.tasks.run(() => this.activateScheduled(live))));
    } else {
      this.activateOrRollBack(live);
    }
    if (previous) this.stopEntries(previous);
    this.tasks.drain();
    return record;
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

  /** Activates at launch; if an entry point cannot start, the version goes back to draft. */
  private activateOrRollBack(live: Live): void {
    try {
      this.activate(live);
    } catch (err) {
      this.deactivateAll(live);
      live.timers.forEach((t) => this.clock.cancel(t));
      for (const p of [...this.participants.ofFlow(live.flow.id, live.flow.version)]) this.participants.delete(p.id);
      this.live.set(live.flow.id, this.versionsOf(live.flow.id).filter((l) => l !== live));
      live.record.status = 'draft';
      throw err;
    }
  }

  pause(flowId: string): FlowRecord {
    const live = this.requireCurrent(flowId);
    move(live.record, 'paused', this.clock.now());
    return live.record;
  }

  resume(flowId: string): FlowRecord {
    const live = this.requireCurrent(flowId);
    move(live.record, 'active', this.clock.now());
    const held = live.held.splice(0);
    for (const h of held) this.tasks.push(() => this.deliverTo(h.id, h.input));
    this.tasks.drain();
    return live.record;
  }

  /** Cancels every live version of the flow: participants are removed without further effects. */
  cancel(flowId: string): FlowRecord {
    const versions = this.versionsOf(flowId);
    if (versions.length === 0) {
      const draft = this.flows.get(flowId);
      if (!draft) throw unknownFlow(flowId);
      move(draft, 'canceled', this.clock.now());
      return draft;
    }
    for (const live of versions) this.end(live, 'canceled', 'canceled');
    return versions[versions.length - 1]!.record;
  }

  /** Edits an entry point's config in place on the launched version (e.g. audience added). */
  reconfigureEntry(flowId: string, entryId: string, config: unknown): void {
    const live = this.latestLaunched(flowId);
    if (!live || !isLive(live.record.status)) throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no launched version that is running`);
    const index = live.flow.indexOf.get(entryId);
    const node = index === undefined ? undefined : live.flow.nodes[index];
    if (!node || !live.flow.entries.includes(node.index)) throw new JunctionError('JCT_ENTRY_UNKNOWN', `flow "${flowId}" has no entry point "${entryId}"`);
    if (!node.def.reconfigure) throw new JunctionError('JCT_ENTRY_NOT_EDITABLE', `entry point "${entryId}" cannot be edited while the flow runs`);
    const definition = structuredClone(live.flow.definition);
    const raw = definition.entryPoints.find((e) => e.id === entryId)!;
    raw.config = config;
    const updated = compileFlowOrThrow(definition, { ...this.compileOptions(), version: live.flow.version });
    const after = updated.nodes[node.index]!.prepared;
    const host = this.entryHost(live, node.index);
    node.def.reconfigure(node.prepared, after, host);
    live.deactivate.get(node.index)?.();
    live.deactivate.delete(node.index);
    (node as { prepared: unknown }).prepared = after;
    live.record.definition = definition;
    this.activateEntry(live, node.index, 'reconfigure');
    this.tasks.drain();
  }

  /** The newest launched version that is not over, if any. */
  status(flowId: string): FlowRecord | undefined {
    return this.current(flowId)?.record ?? this.flows.get(flowId);
  }

  metrics(flowId: string, version?: number): FlowMetrics {
    const live = version === undefined ? this.latestLaunched(flowId) : this.version(flowId, version);
    if (!live) throw unknownFlow(flowId);
    return live.metrics.metrics;
  }

  compiled(flowId: string, version?: number): CompiledFlow | undefined {
    return (version === undefined ? this.latestLaunched(flowId) : this.version(flowId, version))?.flow;
  }

  /** Stops all timers and entry subscriptions; the engine can be dropped afterwards. */
  close(): void {
    for (const live of this.allVersions()) {
      this.deactivateAll(live);
      live.timers.forEach((t) => this.clock.cancel(t));
    }
    this.wakeups.stop();
  }

  // ── people entering and inputs ────────────────────────────────────────────────

  /** Enters a person into the flow's active version (the Flow API and Add to flow use this). */
  enter(flowId: string, personId: string, options: EnterOptions = {}): EnterResult {
    const live = this.current(flowId);
    if (!live) throw unknownFlow(flowId);
    const entry = this.pickEntry(live, options.entry);
    const vars = this.checkVars(live.flow, options.vars);
    const result = this.admit(live, entry, personId, vars, options.branch);
    this.tasks.drain();
    return result;
  }

  /** Delivers an input to every waiting participant of the person; returns how many took it. */
  deliver(personId: string, input: Input): number {
    let accepted = 0;
    for (const p of [...this.participants.ofPerson(personId)]) {
      if (p.status === ParticipantStatus.Waiting && this.deliverTo(p.id, input)) accepted++;
    }
    this.tasks.drain();
    return accepted;
  }

  /** Records that a person performed an event: counts goals, then delivers it to waiting participants. */
  event(personId: string, name: string, properties: Record<string, unknown> = {}): number {
    for (const live of this.allVersions()) {
      if (live.flow.settings.goal === name && live.metrics.hasEntered(personId)) live.metrics.goal(personId);
    }
    return this.deliver(personId, { kind: 'event', name, properties, at: this.clock.now() });
  }

  // ── internals ─────────────────────────────────────────────────────────────────

  private compileOptions() {
    return { registry: this.registry, attributes: this.people.catalog() };
  }

  private activate(live: Live): void {
    const now = this.clock.now();
    move(live.record, 'active', now);
    const { end } = live.flow.settings;
    if (end !== undefined) live.timers.push(this.clock.schedule(end, () => this.tasks.run(() => this.scheduleEnded(live))));
    this.armIdleCheck(live);
    for (const index of live.flow.entries) this.activateEntry(live, index, 'launch');
    if (!this.acceptsLaterEntries(live.flow)) this.stopEntries(live);
  }

  private activateEntry(live: Live, index: number, reason: 'launch' | 'reconfigure'): void {
    const node = live.flow.nodes[index]!;
    const off = node.def.activate?.(node.prepared, this.entryHost(live, index), reason);
    if (off) live.deactivate.set(index, off);
  }

  private deactivateAll(live: Live): void {
    for (const off of live.deactivate.values()) off();
    live.deactivate.clear();
  }

  private acceptsLaterEntries(flow: CompiledFlow): boolean {
    return flow.entries.some((i) => {
      const n = flow.nodes[i]!;
      return n.def.acceptsLaterEntries?.(n.prepared) ?? true;
    });
  }

  private entryHost(live: Live, entry: number): EntryHost {
    return {
      flowId: live.flow.id,
      people: this.people,
      now: () => this.clock.now(),
      enter: (personId, vars) => {
        const result = this.admit(live, entry, personId, vars ?? {}, undefined);
        this.tasks.drain(); // runs now when called from outside (a people change); queued when inside a step
        return result;
      },
    };
  }

  /** Frequency cap and status checks, then a new participant whose entry step is queued. */
  private admit(live: Live, entry: number, personId: string, vars: Readonly<Record<string, Value>>, branch: number | undefined): EnterResult {
    if (live.record.status !== 'active') return { entered: false, reason: 'JCT_FLOW_NOT_ACTIVE' };
    if (!this.people.get(personId)) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${personId}"`);
    const now = this.clock.now();
    const people = this.historyOf(live.flow.id);
    const history = people.get(personId);
    const verdict = checkFrequencyCap(live.flow.settings, history, now);
    if (!verdict.ok) return { entered: false, reason: verdict.reason };
    const h = history ?? { entries: [], inside: 0, lastExitAt: 0 };
    people.set(personId, h);
    recordEntry(live.flow.settings, h, now);
    const id = `${live.flow.id}.${(this.nextId++).toString(36)}`;
    const state = newParticipant(id, live.flow, personId, entry, now);
    this.participants.put(state);
    live.metrics.entered(personId);
    const input: Input = branch === undefined ? { kind: 'enter', entry, vars } : { kind: 'enter', entry, vars, branch };
    this.tasks.push(() => this.runStep(live, state, input));
    return { entered: true, participantId: id };
  }

  private pickEntry(live: Live, entryId: string | undefined): number {
    const { flow } = live;
    if (entryId !== undefined) {
      const i = flow.indexOf.get(entryId);
      if (i === undefined || !flow.entries.includes(i)) throw new JunctionError('JCT_ENTRY_UNKNOWN', `flow "${flow.id}" has no entry point "${entryId}"`);
      return i;
    }
    const open = flow.entries.filter((i) => flow.nodes[i]!.def.acceptsLaterEntries?.(flow.nodes[i]!.prepared) ?? true);
    if (open.length !== 1) throw new JunctionError('JCT_ENTRY_AMBIGUOUS', `flow "${flow.id}" has ${open.length} entry points people can be added through; name one`);
    return open[0]!;
  }

  private checkVars(flow: CompiledFlow, given: Record<string, unknown> | undefined): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const [name, raw] of Object.entries(given ?? {})) {
      const declared = flow.settings.variables.find((v) => v.name === name);
      if (!declared) throw new JunctionError('JCT_VARIABLE_UNKNOWN', `flow "${flow.id}" has no variable "${name}"`);
      const c = coerceValue(declared.type, raw);
      if (!c.ok) throw new JunctionError('JCT_VARIABLE_TYPE', `variable "${name}": ${c.message}`);
      out[name] = c.value;
    }
    return out;
  }

  private deliverTo(participantId: string, input: Input): boolean {
    const state = this.participants.get(participantId);
    if (!state || state.status !== ParticipantStatus.Waiting) return false;
    const live = this.version(state.flowId, state.version);
    if (!live) return false;
    if (live.record.status === 'paused') {
      live.held.push({ id: participantId, input });
      return true;
    }
    return this.runStep(live, state, input);
  }

  private runStep(live: Live, state: ParticipantState, input: Input): boolean {
    if (!isLive(live.record.status)) return false;
    const person = this.people.get(state.personId);
    const now = this.clock.now();
    if (!person) {
      this.leave(live, { ...state, status: ParticipantStatus.Exited, exitReason: 'JCT_PERSON_UNKNOWN' }, false);
      return false;
    }
    const result = step(live.flow, state, person, input, now);
    if (!result.accepted) return false;
    live.lastActivityAt = now;
    live.metrics.visited(state.personId, result.visited);
    for (const f of result.failures) {
      live.metrics.failed(f.node);
      this.logger.warn({ flowId: live.flow.id, element: live.flow.nodes[f.node]?.id, code: f.code }, f.message);
    }
    const next = result.state;
    if (next.status === ParticipantStatus.Exited) {
      this.leave(live, next, live.flow.nodes[next.node]!.def.type === 'exit');
    } else {
      this.participants.put(next);
      if (next.waitUntil > 0) this.wakeups.add(next.waitUntil, next.id);
    }
    this.effects.perform(result.effects);
    this.onStep?.({ at: now, flow: live.flow, participant: next, result });
    return true;
  }

  private leave(live: Live, state: ParticipantState, reachedExit: boolean): void {
    this.participants.delete(state.id);
    live.metrics.left(reachedExit);
    const h = this.historyOf(live.flow.id).get(state.personId);
    if (h) {
      h.inside = Math.max(0, h.inside - 1);
      h.lastExitAt = this.clock.now();
    }
    this.finishIfEmpty(live);
  }

  // ── timers ────────────────────────────────────────────────────────────────────

  /** Queues a timer input for each participant still waiting for one of these wake-ups. */
  private wake(ids: string[], now: number): void {
    for (const id of ids) {
      const p = this.participants.get(id);
      if (p && p.status === ParticipantStatus.Waiting && p.waitUntil > 0 && p.waitUntil <= now) {
        this.tasks.push(() => this.deliverTo(id, TIMER));
      }
    }
    this.tasks.drain();
  }

  private armIdleCheck(live: Live): void {
    const at = addDuration(live.lastActivityAt, IDLE_LIMIT, live.flow.settings.timeZone);
    live.timers.push(
      this.clock.schedule(at, () =>
        this.tasks.run(() => {
          if (!isLive(live.record.status)) return;
          if (addDuration(live.lastActivityAt, IDLE_LIMIT, live.flow.settings.timeZone) <= this.clock.now()) this.end(live, 'finished', 'JCT_FLOW_EXPIRED');
          else this.armIdleCheck(live);
        }),
      ),
    );
  }

  private scheduleEnded(live: Live): void {
    if (live.record.status === 'active' || live.record.status === 'paused') this.stopEntries(live);
  }

  /** No more entries: the version is finishing, and finished once empty. */
  private stopEntries(live: Live): void {
    this.deactivateAll(live);
    if (live.record.status === 'scheduled' || live.record.status === 'active' || live.record.status === 'paused') {
      move(live.record, 'finishing', this.clock.now());
    }
    this.finishIfEmpty(live);
  }

  private finishIfEmpty(live: Live): void {
    if (live.record.status === 'finishing' && this.participants.count(live.flow.id, live.flow.version) === 0) {
      this.end(live, 'finished', 'finished');
    }
  }

  /** Ends a version: removes its participants (with `reason`) and stops its timers. */
  private end(live: Live, status: 'finished' | 'canceled', reason: string): void {
    this.deactivateAll(live);
    live.timers.forEach((t) => this.clock.cancel(t));
    live.held = [];
    if (live.record.status !== status) move(live.record, status, this.clock.now());
    for (const p of [...this.participants.ofFlow(live.flow.id, live.flow.version)]) {
      this.participants.delete(p.id);
      live.metrics.left(false);
      const h = this.historyOf(live.flow.id).get(p.personId);
      if (h) h.inside = Math.max(0, h.inside - 1);
      this.logger.info({ flowId: live.flow.id, participant: p.id, reason }, 'participant removed');
    }
  }

  private historyOf(flowId: string): Map<string, EntryHistory> {
    let m = this.history.get(flowId);
    if (!m) this.history.set(flowId, (m = new Map()));
    return m;
  }

  /** The newest version that is scheduled, active or paused. */
  private current(flowId: string): Live | undefined {
    return this.versionsOf(flowId).findLast((l) => ['active', 'paused', 'scheduled'].includes(l.record.status));
  }

  private requireCurrent(flowId: string): Live {
    const live = this.current(flowId);
    if (!live) throw new JunctionError('JCT_FLOW_STATUS', `flow "${flowId}" has no launched version that is running`);
    return live;
  }

  private latestLaunched(flowId: string): Live | undefined {
    return this.versionsOf(flowId).at(-1);
  }

  private versionsOf(flowId: string): readonly Live[] {
    return this.live.get(flowId) ?? [];
  }

  private version(flowId: string, version: number): Live | undefined {
    return this.versionsOf(flowId).find((l) => l.record.version === version);
  }

  private allVersions(): Live[] {
    return [...this.live.values()].flat();
  }

}

function unknownFlow(flowId: string): JunctionError {
  return new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${flowId}"`);
}
