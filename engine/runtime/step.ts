// The pure core: step(flow, state, person, input, now) → the step's whole unit of work: the
// participant's new state (or its exit), the person as the step left it with the profile and
// do-not-contact changes that made it so, and the outbox entries. It never reads a clock,
// store or network; the one thing it writes is `state`, the caller's scratch copy of the
// participant (reused step after step), which it turns into the new state. Instant elements
// run in a loop inside one step until the participant waits or exits.
import type { Value } from '../values.js';
import type { Channel, Person } from '../person.js';
import type { RunContext } from '../element.js';
import type { CompiledFlow, CompiledNode } from '../flow/compile.js';
import type { ScratchState } from './participant-table.js';
import {
  EXIT,
  ParticipantStatus,
  type DoNotContactChange,
  type Effect,
  type EffectRequest,
  type EventView,
  type FlowAddition,
  type Input,
  type Outcome,
  type ParticipantState,
  type ProfileChange,
  type Wait,
} from '../vocabulary.js';

/** Most element executions one step may make before the participant is stopped. */
export const STEP_EXECUTION_LIMIT = 10_000;

export interface Failure {
  readonly node: number;
  readonly code: string;
  readonly message: string;
}

/** How a participant starts: at an entry point, with the entry's variable values. */
export interface EnterStep {
  readonly kind: 'enter';
  readonly entry: number;
  readonly branch?: number;
  readonly vars?: Readonly<Record<string, Value>>;
  /** Flows an unbroken chain of Add to flow passed through to get here, in this same moment (see the engine's loop rule). */
  readonly chain?: readonly string[];
  /** The input whose trigger started the participant (RunContext.input). */
  readonly cause?: Input;
}

/** An Add to flow request and the node that made it. */
export interface Addition extends FlowAddition {
  readonly node: number;
}

/** A count an element added to one of its counters (e.g. `sms:sent`, the parts of a text). */
export interface Count {
  readonly node: number;
  readonly counter: string;
  readonly n: number;
}

export interface StepResult {
  /** The scratch state the step was given, now the new state. */
  readonly state: ParticipantState;
  readonly person: Person;
  /** Profile changes the step made, in order (already applied to `person`). */
  readonly profile: readonly ProfileChange[];
  readonly doNotContact: readonly DoNotContactChange[];
  /** Outbox entries, keyed `participant:step:index`. */
  readonly effects: readonly Effect[];
  /** Node indices in the order the participant passed them (the entry point first on entry). */
  readonly visited: readonly number[];
  readonly failures: readonly Failure[];
  readonly counts: readonly Count[];
  /** Add to flow requests, in order, with the node that made each. */
  readonly additions: readonly Addition[];
  /** What elements added to the answer of the step's input (RunContext.answer), in order. */
  readonly answers: readonly unknown[];
  /** False when a waiting participant's element did not accept the input: drop the scratch state, nothing changed. */
  readonly accepted: boolean;
}

/** The shared empty list of a step that changed nothing of a kind (frozen: never pushed to). */
const NOTHING = Object.freeze([]) as never[];

/**
 * What a step may look up outside the participant: the do-not-contact list as it stands before
 * the step, which flows are active, and the reply address an input names (its module's
 * InputDefinition.replyAddress).
 */
export interface Surroundings {
  /** Without a sender: whether every sender is blocked. */
  isBlocked(channel: Channel, contact: string, sender?: string): boolean;
  flowActive(flowId: string): boolean;
  entryRefusal(flowId: string, vars: Readonly<Record<string, Value>>): { code: string; message: string } | undefined;
  replyAddressOf(input: Input): string | undefined;
  /** Whether this engine is one shard of a cluster: Add to flow of another person is then an effect (ADD_OTHER), and a do-not-contact change is shared (SHARE_DO_NOT_CONTACT). */
  sharded: boolean;
}

/**
 * The effect an Add to flow of another person (by contact) is in a sharded cluster: that person
 * may live in another shard, so they are entered through the cluster once the step is durable
 * (engine/cluster/cluster-effects.ts), not in the adding person's engine.
 */
export const ADD_OTHER = 'cluster.addToFlow';

/**
 * The effect a step's do-not-contact change also is in a sharded cluster: the list is the
 * cluster's, so once the step is durable the change goes through the cluster log to every shard
 * (engine/cluster/cluster-effects.ts); the step's own shard has it at once, with the step.
 */
export const SHARE_DO_NOT_CONTACT = 'cluster.doNotContact';

/**
 * The loop rule's lists for a step of flow `flowId` (Engine.addToFlows): the flows its additions
 * carry on (`passed`: the unbroken chain of Add to flow before it, then its own flow) and those
 * they may not enter again in this moment (`entered`: its own flow too when this step entered it).
 */
export function momentOf(chain: readonly string[], flowId: string, entering: boolean): { passed: readonly string[]; entered: readonly string[] } {
  const passed = [...chain, flowId];
  return { passed, entered: entering ? passed : chain };
}

/** No event history (a step run outside an engine's partitions). */
export const NO_EVENTS: EventView = Object.freeze({ position: 0, count: () => 0, latest: () => undefined });

export function step(flow: CompiledFlow, state: ScratchState, person: Person, input: Input | EnterStep, now: number, surroundings: Surroundings, events: EventView = NO_EVENTS): StepResult {
  state.steps++;
  const run = new Run(flow, state, person, now, surroundings, events);
  if (input.kind === 'enter') run.enter(input);
  else if (!run.resume(input)) {
    return { state, person, profile: NOTHING, doNotContact: NOTHING, effects: NOTHING, visited: NOTHING, failures: NOTHING, counts: NOTHING, additions: NOTHING, answers: NOTHING, accepted: false };
  }
  return run.result();
}

/** Builds a fresh participant state at an entry point (the entry step then runs from it). */
export function newParticipant(id: string, flow: CompiledFlow, personId: string, entry: number, now: number): ParticipantState {
  return {
    id,
    flowId: flow.id,
    version: flow.version,
    personId,
    node: entry,
    status: ParticipantStatus.Active,
    waitUntil: 0,
    waitOn: '',
    waitFrom: 0,
    vars: {},
    replyAddress: '',
    enteredAt: now,
    steps: 0,
    exitReason: undefined, // present from the start: one object shape for every participant
  };
}

class Run implements RunContext {
  readonly timeZone: string;
  readonly flowId: string;
  private effects: Effect[] = NOTHING;
  private profile: readonly ProfileChange[] = NOTHING;
  private doNotContact: DoNotContactChange[] = NOTHING;
  private readonly visited: number[] = [];
  private failures: Failure[] = NOTHING;
  private counts: Count[] = NOTHING;
  private additions: Addition[] = NOTHING;
  private answers: unknown[] = NOTHING;
  /** The chain of Add to flow that led to this step in the same moment, and whether the step entered the flow (the loop rule). */
  private chain: readonly string[] = NOTHING;
  private entering = false;
  input: Input | undefined;
  private varsCopied = false;
  private current = -1;

  constructor(
    private readonly flow: CompiledFlow,
    readonly participant: ScratchState,
    public person: Person,
    readonly now: number,
    private readonly surroundings: Surroundings,
    readonly events: EventView,
  ) {
    this.timeZone = flow.settings.timeZone;
    this.flowId = flow.id;
  }

  get vars(): Readonly<Record<string, Value>> {
    return this.participant.vars;
  }

  setVar(name: string, value: Value): void {
    if (!this.varsCopied) {
      this.participant.vars = { ...this.participant.vars };
      this.varsCopied = true;
    }
    this.participant.vars[name] = value;
  }

  /** The first change list is kept as it is: the store then finds the step's result for it (applyChanges). */
  updatePerson(person: Person, changes: readonly ProfileChange[]): void {
    this.person = person;
    this.profile = this.profile === NOTHING ? changes : [...this.profile, ...changes];
  }

  changeDoNotContact(change: DoNotContactChange): void {
    if (this.doNotContact === NOTHING) this.doNotContact = [];
    this.doNotContact.push(change);
    if (this.surroundings.sharded) this.emit({ kind: SHARE_DO_NOT_CONTACT, change });
  }

  /**
   * The list as it stands, with the step's own removals applied in order as the people store
   * applies them (a block on every sender is not lifted for some senders only). An addition of
   * this step blocks from the next step on: this step's sends still go, so the confirmation
   * sent right after an opt-out (the seed's own example) is made.
   */
  isBlocked(channel: Channel, contact: string, sender: string): boolean {
    let every = this.surroundings.isBlocked(channel, contact);
    let blocked = this.surroundings.isBlocked(channel, contact, sender);
    for (const change of this.doNotContact) {
      for (const e of change.entries) {
        const forEvery = e.senders.length === 0;
        if (e.channel !== channel || e.contact !== contact || !(forEvery || e.senders.includes(sender))) continue;
        if (change.op === 'add') return false;
        if (forEvery || !every) {
          every = false;
          blocked = false;
        }
      }
    }
    return blocked;
  }

  /** Takes ownership of `effect` (elements build a fresh one per emit) and adds its key. */
  emit(effect: EffectRequest): string {
    if (this.effects === NOTHING) this.effects = [];
    const owned = effect as { key?: string; personId?: string; origin?: Effect['origin'] };
    const key = `${this.participant.id}:${this.participant.steps}:${this.effects.length}`;
    owned.key = key;
    owned.personId = this.participant.personId;
    owned.origin = { flowId: this.flow.id, version: this.flow.version, node: this.current };
    this.effects.push(effect as Effect);
    return key;
  }

  fail(code: string, message: string): void {
    if (this.failures === NOTHING) this.failures = [];
    this.failures.push({ node: this.current, code, message });
  }

  flowActive(flowId: string): boolean {
    return this.surroundings.flowActive(flowId);
  }

  entryRefusal(flowId: string, vars: Readonly<Record<string, Value>>): { code: string; message: string } | undefined {
    return this.surroundings.entryRefusal(flowId, vars);
  }

  /**
   * In a sharded cluster, an Add to flow of another person is an effect (ADD_OTHER) carrying the
   * chain of this moment, so the loop rule follows it into the shard that person is in; one
   * that would close a loop stays an addition, which the engine refuses (JCT_FLOW_LOOP).
   */
  addToFlow(addition: FlowAddition): void {
    if (addition.contact && this.surroundings.sharded) {
      const { passed, entered } = momentOf(this.chain, this.flow.id, this.entering);
      if (!entered.includes(addition.flowId)) {
        this.emit({ kind: ADD_OTHER, flowId: addition.flowId, vars: addition.vars, contact: addition.contact, chain: passed });
        return;
      }
    }
    if (this.additions === NOTHING) this.additions = [];
    this.additions.push({ ...addition, node: this.current });
  }

  count(counter: string, n: number): void {
    if (this.counts === NOTHING) this.counts = [];
    this.counts.push({ node: this.current, counter, n });
  }

  answer(part: unknown): void {
    if (this.answers === NOTHING) this.answers = [];
    this.answers.push(part);
  }

  enter(input: EnterStep): void {
    this.input = input.cause;
    this.chain = input.chain ?? NOTHING;
    this.entering = true;
    if (input.cause) this.keepReplyAddress(input.cause);
    const entry = this.flow.nodes[input.entry]!;
    this.current = entry.index;
    this.visited.push(entry.index);
    this.initVariables(input.vars);
    this.walk(entry.next[input.branch ?? 0]!);
  }

  /** Delivers an input to a waiting participant; false when its element does not take it. */
  resume(input: Input): boolean {
    const p = this.participant;
    if (p.status !== ParticipantStatus.Waiting) return false;
    const node = this.flow.nodes[p.node]!;
    this.current = node.index;
    this.input = input.kind === 'timer' ? undefined : input;
    this.keepReplyAddress(input);
    const outcome = input.kind === 'timer' && !node.def.resume ? 0 : this.resumeAt(node, input);
    if (outcome === undefined) return (p.status as ParticipantStatus) === ParticipantStatus.Exited; // the element crashed
    this.follow(node, outcome);
    return true;
  }

  result(): StepResult {
    return {
      state: this.participant,
      person: this.person,
      profile: this.profile,
      doNotContact: this.doNotContact,
      effects: this.effects,
      visited: this.visited,
      failures: this.failures,
      counts: this.counts,
      additions: this.additions,
      answers: this.answers,
      accepted: true,
    };
  }

  /** An input that names where answers go replaces the participant's reply address (a refused input's step is dropped, and the change with it). */
  private keepReplyAddress(input: Input): void {
    const address = this.surroundings.replyAddressOf(input);
    if (address !== undefined) this.participant.replyAddress = address;
  }

  /** Static defaults, then the values given at entry, then formulas (in order) for the rest. */
  private initVariables(given: Readonly<Record<string, Value>> = {}): void {
    const vars: Record<string, Value> = {};
    for (const v of this.flow.settings.variables) vars[v.name] = v.initial;
    Object.assign(vars, given);
    this.participant.vars = vars;
    this.varsCopied = true;
    for (const v of this.flow.settings.variables) {
      if (!v.formula || v.name in given) continue;
      const r = v.formula.evaluate({ vars, person: this.person, now: this.now });
      if (r.ok) vars[v.name] = r.value;
      else this.fail(r.code, `default of variable "${v.name}": ${r.message}`);
    }
  }

  private follow(node: CompiledNode, outcome: Outcome): void {
    if (outcome === EXIT) this.exit(node, node.id);
    else if (typeof outcome === 'number') this.walk(node.next[outcome]!);
    else this.wait(node, outcome, false);
  }

  /** Runs instant elements from `start` until one waits or the participant exits. */
  private walk(start: number): void {
    let index = start;
    for (let executed = 0; executed < STEP_EXECUTION_LIMIT; executed++) {
      const node = this.flow.nodes[index]!;
      this.current = index;
      this.visited.push(index);
      const outcome = this.execute(node);
      if (outcome === undefined) return;
      if (outcome === EXIT) return this.exit(node, node.id);
      if (typeof outcome !== 'number') return this.wait(node, outcome, true);
      index = node.next[outcome]!;
    }
    this.fail('JCT_STEP_LIMIT', `stopped after ${STEP_EXECUTION_LIMIT} elements in one step`);
    this.exit(this.flow.nodes[index]!, 'JCT_STEP_LIMIT');
  }

  // Element code runs guarded: a throw becomes a counted failure and the participant exits.

  private execute(node: CompiledNode): Outcome | undefined {
    try {
      return node.def.execute!(node.prepared, this);
    } catch (err) {
      return this.crashed(node, err);
    }
  }

  private resumeAt(node: CompiledNode, input: Input): Outcome | undefined {
    try {
      return node.def.resume?.(node.prepared, this, input);
    } catch (err) {
      return this.crashed(node, err);
    }
  }

  private crashed(node: CompiledNode, err: unknown): undefined {
    this.fail('JCT_ELEMENT_CRASHED', err instanceof Error ? err.message : String(err));
    this.exit(node, 'JCT_ELEMENT_CRASHED');
    return undefined;
  }

  /** `arrived`: the participant starts waiting at this node now (not an element waiting on after an input). */
  private wait(node: CompiledNode, wait: Wait, arrived: boolean): void {
    if (arrived) this.participant.waitFrom = this.events.position;
    this.participant.node = node.index;
    this.participant.status = ParticipantStatus.Waiting;
    this.participant.waitUntil = wait.until ?? 0;
    this.participant.waitOn = wait.on ?? '';
  }

  private exit(node: CompiledNode, reason: string): void {
    this.participant.node = node.index;
    this.participant.status = ParticipantStatus.Exited;
    this.participant.waitUntil = 0;
    this.participant.waitOn = '';
    this.participant.exitReason = reason;
  }
}
