// The element contract: what an entry point or element declares (config schema, branches,
// compile, execute, resume, and for entry points activate/reconfigure) and what it sees while
// compiling (CompileContext) and running (RunContext). Modules list their elements
// (module.ts); the registry looks them up by type.
import type { TSchema } from '@sinclair/typebox';
import type { ValueType, Value } from './values.js';
import type { FlowDefinition, NodeDefinition } from './flow-schema.js';
import type { Channel, Person } from './person.js';
import type { AttributeCatalog } from './people/catalog.js';
import type { EventCatalog } from './people/events.js';
import type { PeopleChange, PeopleStore } from './store/interfaces.js';
import type { DoNotContactChange, EffectRequest, EventView, FlowAddition, Input, Outcome, ParticipantState, ProfileChange } from './vocabulary.js';

/** What an element's compile() sees of the flow, and how it reports problems. */
export interface CompileContext {
  readonly flow: FlowDefinition;
  readonly node: NodeDefinition;
  /** JSON path of this node's config, e.g. `$.elements[2].config`. */
  readonly path: string;
  readonly timeZone: string;
  /** Declared flow variables and their types. */
  readonly variables: ReadonlyMap<string, ValueType>;
  readonly attributes: AttributeCatalog;
  /** Every event a condition may name: built-in, channel and custom. */
  readonly events: EventCatalog;
  /** Whether a segment exists; undefined when the segments are not known (the flow is not checked against them). */
  readonly segmentExists?: ((id: string) => boolean) | undefined;
  /** Reports a problem; `subpath` is appended to `path` (e.g. `.segments[0].value`). */
  problem(code: string, message: string, subpath?: string): void;
  /** Reports a problem of the node as a whole (where it stands in the flow), at its own path, e.g. `$.elements[2]`. */
  nodeProblem(code: string, message: string): void;
  /** Whether elements of this type can make a participant wait (ElementDefinition.waits). */
  waits(type: string): boolean;
  /**
   * Why an effect this element would ask for cannot be performed with the configuration's
   * settings (EffectHandler.unready), e.g. a provider's credentials unset; always undefined
   * when the flow is not checked against a configuration (CompileOptions.configured).
   */
  unready(effect: EffectRequest): string | undefined;
}

/** What an element sees while a participant passes through it inside one step. */
export interface RunContext {
  readonly now: number;
  readonly timeZone: string;
  readonly flowId: string;
  readonly participant: Readonly<ParticipantState>;
  /** The person as of this moment in the step (includes changes made earlier in the step). */
  readonly person: Person;
  readonly vars: Readonly<Record<string, Value>>;
  setVar(name: string, value: Value): void;
  /**
   * Replaces the person for the rest of the step with `person`, the result of applying
   * `changes`; the changes commit with the step.
   */
  updatePerson(person: Person, changes: readonly ProfileChange[]): void;
  /** Adds or removes do-not-contact entries; they commit with the step. */
  changeDoNotContact(change: DoNotContactChange): void;
  /** Is this contact on the do-not-contact list for this channel and sender (this step's changes included)? */
  isBlocked(channel: Channel, contact: string, sender: string): boolean;
  /** Asks for an effect, committed with the step and performed once it is durable. Returns its key. */
  emit(effect: EffectRequest): string;
  /** Whether a flow has a running, active version (Add to flow's target). */
  flowActive(flowId: string): boolean;
  /** Why an active flow would not take an Add to flow entry with these variables (no Existing Flow entry point, a variable it lacks or of another type); undefined when it would. */
  entryRefusal(flowId: string, vars: Readonly<Record<string, Value>>): { code: string; message: string } | undefined;
  /** Add to flow: the person (or another) enters another flow after this step; it commits with the step. */
  addToFlow(addition: FlowAddition): void;
  /** The person's event history (what event conditions count). */
  readonly events: EventView;
  /** Records a run-time failure of this element (counted per element; never thrown). */
  fail(code: string, message: string): void;
  /** Adds `n` to one of this element's counters in the flow metrics (e.g. `sms:sent`: `<channel>:<what>`). */
  count(counter: string, n: number): void;
  /**
   * The input this step handles: what a waiting element resumes on, or the input whose trigger
   * started the participant (e.g. a call's first webhook); undefined for timers and other entries.
   */
  readonly input: Input | undefined;
  /**
   * Adds a part to what the step's input is answered with, when its kind is answered
   * (InputDefinition.answered: e.g. a voice webhook's next instructions); otherwise dropped.
   */
  answer(part: unknown): void;
}

export type EnterResult = { entered: true; participantId: string } | { entered: false; reason: string };

/** What an entry point's activate() may use to bring people in. */
export interface EntryHost {
  readonly flowId: string;
  /** Read-only use: who has a tag, who is in a segment or company. */
  readonly people: PeopleStore;
  now(): number;
  /** Enters a person through this entry point; frequency cap and flow status apply. */
  enter(personId: string, vars?: Readonly<Record<string, Value>>): EnterResult;
  /**
   * Enters a person whose moment came (a date). While the flow is paused the entry is held and
   * made when it resumes, once per person however many moments passed (kept across restarts;
   * let go if the flow stops taking people); the result then says JCT_FLOW_PAUSED.
   */
  enterOrHold(personId: string): EnterResult;
  /**
   * Hears about profile changes, each after the step or write that caused it has been applied
   * (never inside it). Returns the function that stops listening.
   */
  onPeopleChange(listener: (change: PeopleChange) => void): () => void;
  /** Runs `task` at `at` (engine clock), in turn with the engine's other work. Returns the function that cancels it. */
  schedule(at: number, task: () => void): () => void;
  /** When the person last entered this flow (any version, any entry point), if ever. */
  lastEntryAt(personId: string): number | undefined;
}

/** An event as entry points started by events see it. */
export interface HappenedEvent {
  readonly name: string;
  readonly properties: Readonly<Record<string, Value>>;
}

/**
 * What an entry point started by events (`triggeredBy: 'event'`) prepares: the events that may
 * start it, and whether this one does.
 */
export interface EventEntry {
  readonly names: readonly string[];
  /**
   * The variables to enter with, or undefined when the person does not enter. `history` already
   * holds `event`; `activatedAt` is when the flow version went live.
   */
  match(event: HappenedEvent, person: Person, history: EventView, now: number, activatedAt: number): Record<string, Value> | undefined;
}

/** Branches an element never takes while its config is of a kind (ElementDefinition.branchesNeverTaken). */
export interface BranchesNeverTaken {
  readonly branches: readonly string[];
  /** The configs that never take them: a TypeBox schema `config` matches (it also goes into docs/flow.schema.json). */
  readonly config: TSchema;
  /** Those configs in words, after "never takes …": e.g. `without "waitFor" (it waits until the conditions hold)`. */
  readonly when: string;
  /** What makes the branch taken, e.g. `give it a "waitFor" duration`. */
  readonly fix: string;
}

export interface ElementDefinition<Config = any, Prepared = any> {
  /** The `type` written in flow files, e.g. `pause`. */
  readonly type: string;
  readonly role: 'entry' | 'element';
  readonly title: string;
  readonly description: string;
  /** TypeBox schema of `config`; also generates docs/flow.schema.json. */
  readonly config: TSchema;
  /** A typical config, shown in docs/elements.md; a test compiles every example. */
  readonly example: Config;
  /** Outgoing branch names, in slot order: execute() returns an index into this list. */
  branches(config: Config): readonly string[];
  /**
   * When the configuration names the branches (one per segment, per option …): how the reference
   * says so. Without it the branches are the same whatever the configuration.
   */
  readonly branchesFromConfig?: string;
  /**
   * Branches some configurations never take (no timeout, no answer awaited …): validation
   * refuses one connected there (JCT_BRANCH_NEVER_TAKEN), and docs/flow.schema.json says so.
   */
  readonly branchesNeverTaken?: readonly BranchesNeverTaken[];
  /**
   * Events whose arrival this element waits for besides the `event` keys of its config (e.g.
   * person.changed): the engine keeps and routes Junction's own events only while named.
   */
  listensFor?(prepared: Prepared): readonly string[];
  /** True when the element can make a participant wait (a cycle must contain one). */
  readonly waits?: boolean;
  /** How many of this type one flow may hold (e.g. one Predefined Audience). */
  readonly maxPerFlow?: number;
  /** Checks what the schema cannot and returns the runtime form of the config. */
  compile?(config: Config, ctx: CompileContext): Prepared;
  /** Runs the element for a participant arriving at it. Entry points have none. */
  execute?(prepared: Prepared, run: RunContext): Outcome;
  /**
   * Delivers an input to a participant waiting at this element. Returns where it goes, a new
   * Wait, or undefined when the input is not for this element (the participant keeps waiting).
   */
  resume?(prepared: Prepared, run: RunContext, input: Input): Outcome | undefined;
  /**
   * Entry points: called when the flow becomes active (`launch`: bring the initial audience in),
   * and again after reconfigure() or a restart (`rearm`: only re-arm listeners).
   * Returns the function that deactivates it.
   */
  activate?(prepared: Prepared, host: EntryHost, reason: 'launch' | 'rearm'): (() => void) | void;
  /**
   * Entry points: false when this entry brings people in only at launch (a static audience).
   * A flow none of whose entries accept later entries is finishing once launched. Default true.
   */
  acceptsLaterEntries?(prepared: Prepared): boolean;
  /** The ids of the segments this node reads (a segment's kind does not change while a launched flow reads it). Default none. */
  segmentsRead?(prepared: Prepared): Iterable<string>;
  /**
   * Entry points started by an input (an inbound message, a call): the input kind whose
   * triggers (InputDefinition.triggers in module.ts) match them. `event`: started by events;
   * `prepared` is then an EventEntry.
   */
  readonly triggeredBy?: string;
  /**
   * Entry points: what this one holds alone (an Inbound Call's numbers). While a flow's version
   * that holds a key runs (scheduled, active or paused), another flow holding it is not launched.
   */
  holds?(prepared: Prepared): readonly string[];
  /**
   * Elements that wait for an input: whether a participant waiting here gives way when the same
   * input starts another flow through a trigger that interrupts (a keyword). Default false.
   */
  interruptible?(prepared: Prepared): boolean;
  /**
   * Entry points: called when an active flow's entry config is edited in place, before the
   * old one is deactivated and the new one activated. Brings in whoever the change adds;
   * throws a JunctionError when the edit is not allowed.
   */
  reconfigure?(before: Prepared, after: Prepared, host: EntryHost): void;
}

/** Declares an element (a typing helper: modules list their elements). */
export function defineElement<C, P = C>(def: ElementDefinition<C, P>): ElementDefinition<C, P> {
  return def;
}
