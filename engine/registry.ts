// The element registry. Every entry point and element (core ones in engine/elements/,
// channel and IVR ones in their own folders) is one ElementDefinition that registers
// itself here on import. The runtime only ever looks types up; it never lists them.
import type { TSchema } from '@sinclair/typebox';
import type { ValueType, Value } from './values.js';
import type { FlowDefinition, NodeDefinition } from './flow/schema.js';
import type { Person } from './people/types.js';
import type { AttributeCatalog } from './people/catalog.js';
import type { PeopleStore } from './store/interfaces.js';
import type { Effect, EffectRequest, Input, Outcome, ParticipantState } from './runtime/types.js';

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
  /** Reports a problem; `subpath` is appended to `path` (e.g. `.segments[0].value`). */
  problem(code: string, message: string, subpath?: string): void;
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
  /** Replaces the person view for the rest of the step; the element also emits the change as an effect. */
  setPerson(person: Person): void;
  /** Asks for an effect. The runtime takes the object over (it adds the key): pass a fresh one. */
  emit(effect: EffectRequest): void;
  /** Records a run-time failure of this element (counted per element; never thrown). */
  fail(code: string, message: string): void;
}

export type EnterResult = { entered: true; participantId: string } | { entered: false; reason: string };

/** What an entry point's activate() may use to bring people in. */
export interface EntryHost {
  readonly flowId: string;
  readonly people: PeopleStore;
  now(): number;
  /** Enters a person through this entry point; frequency cap and flow status apply. */
  enter(personId: string, vars?: Readonly<Record<string, Value>>): EnterResult;
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
   * and again after reconfigure() with the new config (`reconfigure`: only re-arm listeners).
   * Returns the function that deactivates it.
   */
  activate?(prepared: Prepared, host: EntryHost, reason: 'launch' | 'reconfigure'): (() => void) | void;
  /**
   * Entry points: false when this entry brings people in only at launch (a static audience).
   * A flow none of whose entries accept later entries is finishing once launched. Default true.
   */
  acceptsLaterEntries?(prepared: Prepared): boolean;
  /**
   * Entry points: called when an active flow's entry config is edited in place, before the
   * old one is deactivated and the new one activated. Brings in whoever the change adds;
   * throws a JunctionError when the edit is not allowed.
   */
  reconfigure?(before: Prepared, after: Prepared, host: EntryHost): void;
}

/** What an effect handler may use. Channels add their own handlers for their effects. */
export interface EffectContext {
  readonly people: PeopleStore;
  now(): number;
}

/**
 * Performs one effect. A value or promise it returns is delivered back to the participant
 * as an `effect.result` input (`effect.failed` when it rejects), for elements that wait on it.
 */
export type EffectHandler = (effect: Effect, ctx: EffectContext) => unknown;

export class ElementRegistry {
  private readonly byType = new Map<string, ElementDefinition>();
  private readonly effectHandlers = new Map<string, EffectHandler>();

  registerEffect(kind: string, handler: EffectHandler): void {
    if (this.effectHandlers.has(kind)) throw new Error(`effect kind registered twice: ${kind}`);
    this.effectHandlers.set(kind, handler);
  }

  effect(kind: string): EffectHandler | undefined {
    return this.effectHandlers.get(kind);
  }

  register(def: ElementDefinition): void {
    if (this.byType.has(def.type)) throw new Error(`element type registered twice: ${def.type}`);
    this.byType.set(def.type, def);
  }

  get(type: string): ElementDefinition | undefined {
    return this.byType.get(type);
  }

  all(): ElementDefinition[] {
    return [...this.byType.values()];
  }
}

/** The process-wide registry every element file registers into. */
export const registry = new ElementRegistry();

/** Registers the handler of an effect kind (`profile.update`, `message.send`, …). */
export function defineEffect(kind: string, handler: EffectHandler): void {
  registry.registerEffect(kind, handler);
}

/** Declares an element and registers it; returns the definition for tests and reuse. */
export function defineElement<C, P = C>(def: ElementDefinition<C, P>): ElementDefinition<C, P> {
  registry.register(def as ElementDefinition);
  return def;
}
