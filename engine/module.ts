// The module contract and the registry built from modules. A module is one value declaring
// everything it adds: elements, effect handlers (several may serve one kind; the first whose
// `accepts` says yes performs the effect), input kinds (and which waiting participants they
// reach), HTTP routes (served by the gateway; the engine knows no HTTP), and its configuration
// with the names of the settings that are secrets (redacted from logs). `bin/` assembles the
// modules and their loaded settings (config/modules.ts) into one Registry per process; tests
// build their own. Effect handlers and routes get their own module's settings. Nothing here is
// global.
import type { TSchema } from '@sinclair/typebox';
import { Value as TypeValue } from '@sinclair/typebox/value';
import type { ElementDefinition } from './element.js';
import type { PeopleStore } from './store/interfaces.js';
import type { Effect, EffectRequest, Input, PersonInput, Receipt } from './vocabulary.js';
import type { EventDefinition, Person } from './person.js';
import type { Value } from './values.js';

/** A module's settings, as its ModuleConfig schema describes them (defaults applied). */
export type Settings = Readonly<Record<string, unknown>>;

/** What an effect handler may use. */
export interface EffectContext {
  readonly people: PeopleStore;
  now(): number;
  /** The settings of the module that declared the handler. */
  readonly settings: Settings;
}

/**
 * Performs outbox entries of one kind. A value (or promise) it returns is recorded as the
 * `effect.result` input; a throw becomes `effect.failed` unless the error is retryable
 * (`{ code, message, retryable: true }`, see EffectError), in which case it is retried later.
 * A result object may name references (EffectResult.refs) that later inputs report on.
 */
export interface EffectHandler {
  readonly kind: string;
  /**
   * When several handlers serve a kind: does this one perform this entry (e.g. is the sender its
   * number)? A number says how closely (above 0; `true` is 1): the closest handler performs it,
   * the first declared among equals. Default yes.
   */
  accepts?(effect: Effect, settings: Settings): boolean | number;
  /**
   * How fast the outbox may call this handler, from its module's settings (asked once, on first
   * use): `perSecond` (> 0) sustained, up to `burst` (≥ 1) at once; undefined: no limit. Entries
   * beyond it wait in the outbox, in order, for a free turn — not a retry, not a failure.
   */
  rate?(settings: Settings): { perSecond: number; burst: number } | undefined;
  /**
   * With a rate: which bucket of it an entry uses (e.g. a provider's sending number): each key
   * has the whole rate to itself. Default: one bucket for every entry of the handler.
   */
  rateKey?(effect: Effect, settings: Settings): string;
  /**
   * Why it cannot perform entries like `effect` with its module's settings (e.g. an API's
   * credentials unset), naming what is missing; undefined when it can. Asked when a flow is
   * checked against the configuration (CompileContext.unready), so that such a flow is refused
   * before it runs instead of failing there.
   */
  unready?(effect: EffectRequest, settings: Settings): string | undefined;
  perform(effect: Effect, ctx: EffectContext): unknown;
}

/** What an effect result may carry besides its own fields. */
export interface EffectResult {
  /**
   * References to what the effect did, each with what to keep with it (e.g. a sent message's
   * provider id with its channel): later inputs naming one (InputDefinition.reference) reach
   * the person and count on the element that emitted the effect. See runtime/references.ts.
   */
  readonly refs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Who caused a referenced effect, and what it recorded of it. */
export interface Reference {
  readonly at: number;
  readonly personId: string;
  readonly flowId: string;
  readonly version: number;
  /** The element that emitted the effect. */
  readonly node: number;
  /** What the effect's result attached to this reference (e.g. the channel, a link's URL). */
  readonly data: Readonly<Record<string, unknown>>;
  /** The outcomes already recorded. */
  readonly recorded: readonly string[];
}

/** What an input records about a referenced effect: once per reference and name. */
export interface InputOutcome {
  /** E.g. "delivered": recorded once per reference, whatever retries or repeats arrive. */
  readonly name: string;
  /** The reference it is recorded once on, when not the input's own (a link's click: its message's). */
  readonly on?: string;
  /** A counter of the element that emitted the effect (see FlowMetrics). */
  readonly counter?: string;
  /** An event the person performed (goals and waits for events hear it). */
  readonly event?: { readonly name: string; readonly properties: Record<string, unknown> };
}

/** An active entry point an input kind may start (see ElementDefinition.triggeredBy). */
export interface TriggerEntry {
  readonly flowId: string;
  readonly version: number;
  /** The entry node's id. */
  readonly node: string;
  /** Lower wins a tie between flows: the order flows became active in. */
  readonly order: number;
  /** What the entry's compile() returned. */
  readonly prepared: unknown;
}

export interface TriggerHit {
  readonly entry: TriggerEntry;
  /** Flow variables the entry captures from the input. */
  readonly vars: Readonly<Record<string, Value>>;
  /** Whether the person's interruptible waits for this input in other flows end (a keyword: yes; Anything: no). */
  readonly interrupts: boolean;
}

export interface TriggerMatcher {
  match(input: Input, person: Person | undefined): TriggerHit | undefined;
}

/** An input kind a module produces, the wait key that routes it, and the entries it starts. */
export interface InputDefinition {
  readonly kind: string;
  /** Participants waiting `on` this key (see Wait.on) receive the input. */
  waitKey(input: Input): string | undefined;
  /**
   * A key that identifies the input across retries (e.g. the provider's message id): one
   * already applied within the de-duplication window is answered with its first receipt (an
   * answered input: while that answer holds, see `answered`).
   */
  dedupKey?(input: Input): string | undefined;
  /**
   * The session an input is part of (a call: its provider and id) and whether the input says
   * it is over. One said to be over is remembered for the de-duplication window (durably, with
   * the inputs already applied), and a later input of it starts no flow: providers do not
   * guarantee order, and a journey begun for a call that already ended would wait for nothing.
   * Such an input is answered as not entered (reason `JCT_SESSION_ENDED`) and counted among
   * refused inputs under that code.
   */
  session?(input: Input): { readonly key: string; readonly ended: boolean } | undefined;
  /**
   * The profile to create when the input's person is unknown and a trigger starts a flow for
   * them (e.g. the sender's phone number).
   */
  person?(input: Input): PersonInput | undefined;
  /** Compiles the active entry points this kind triggers into a matcher; rebuilt when flows start or stop. */
  triggers?(entries: readonly TriggerEntry[]): TriggerMatcher;
  /**
   * Where answers to this input go (e.g. an inbound message's channel, sender and our number),
   * in the module's own encoding: kept on each participant the input reaches or starts
   * (ParticipantState.replyAddress) until another input names one.
   */
  replyAddress?(input: Input): string | undefined;
  /** Inputs about an effect done earlier (a delivery report, a reply): the reference its result named. */
  reference?(input: Input): string | undefined;
  /** What the input records about the referenced effect, in order (a read message was also delivered); none records nothing. */
  outcomes?(input: Input, reference: Reference): readonly InputOutcome[];
  /**
   * An input that tells only part of its news (a report on one part of a multipart SMS), put
   * together with what its reference kept from the inputs before it (the reference of
   * `reference()`, undefined when unknown): `input` is what is routed and recorded in its stead
   * (none: nothing yet), `keep` a note kept on the reference (Reference.recorded) for the next.
   */
  combine?(input: Input, reference: Reference | undefined): { readonly input?: Input; readonly keep?: string };
  /**
   * Its sender waits for an answer the steps it causes build (RunContext.answer; e.g. a voice
   * webhook's next instructions): the receipt's `answer` is the list of their parts, in order.
   * A retry gets the first answer only while it holds: once a participant that answer left
   * waiting has taken a step (a call gone on to a later element), the retry is late, and goes
   * to the participants waiting for the input as it is (never to a trigger), which answer it anew.
   */
  readonly answered?: boolean;
}

/** What a route handler gets: the parsed request, framework-free. */
export interface RouteRequest {
  readonly method: string;
  /** Path and query exactly as received (what a provider signs, after the public base URL). */
  readonly url: string;
  /**
   * Scheme and host the request was sent to, as its sender saw them (e.g. `https://ivr.example.com`):
   * from a trusted proxy (configuration `trustProxy`) its X-Forwarded-Proto and X-Forwarded-Host,
   * else the connection's scheme and the Host header.
   */
  readonly origin: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** JSON parsed; form fields as strings (the last of a repeated key); otherwise undefined. */
  readonly body: unknown;
  /** The body's bytes as they arrived (signatures are computed over these). */
  readonly rawBody: Buffer;
  /** A form body's parameters with every value of a repeated name, in order (what form signatures are computed over). */
  readonly form?: ReadonlyMap<string, readonly string[]>;
}

export interface RouteAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Submits an input to the engine's inbox (what routes are given instead of the engine). */
export type Submit = (personKey: string, input: Input) => Promise<Receipt>;

/** What a route handler may use: the inbox, its module's settings, and who a contact is. */
export interface RouteContext {
  readonly submit: Submit;
  readonly settings: Settings;
  /**
   * Submits an input for the person a profile names (its id, the owner of one of its contacts,
   * or a new person), found as the input is applied: two inputs for one new contact make one person.
   */
  submitFor(person: PersonInput, input: Input): Promise<Receipt>;
  /** The id of the person who has this phone (any format) or email; undefined when nobody has it. */
  owner(contact: string): Promise<string | undefined>;
  /**
   * An effect's reference (EffectResult.refs), while it is kept: whose it is and what was kept
   * with it. `named`: something made from the effect's key (a tracked link's code), whose shard
   * prefix (id-prefix.ts) tells a sharded cluster where to look first.
   */
  reference(key: string, named?: string): Promise<Reference | undefined>;
  /** The engine's clock. */
  now(): number;
  /** Counts an input passed over as malformed (an item of a provider's batch the rest of which is applied) in the metric of refused inputs. */
  refused(kind: string, code: string): void;
  /** Counts something the route or listener did that no input records (e.g. `email.unsubscribed`), in the metric of module events. */
  counted(event: string): void;
}

/** What an API key may be allowed: `admin` is everything; each other scope, one part of the API. */
export const SCOPES = ['admin', 'flows', 'people', 'events', 'flow-api', 'reports'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Who may call a route: callers with a key holding this scope (or `admin`); `signature`: anyone,
 * the handler verifies the provider's signature itself (a webhook; not rate limited per key);
 * `open`: anyone (e.g. a tracked link a person's browser follows).
 */
export type RouteAccess = Scope | 'signature' | 'open';

export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  /** Who may call it; default `admin` (a route that says nothing is never open by mistake). */
  readonly access?: RouteAccess;
  /** TypeBox schemas of the parts the gateway validates. */
  readonly schema?: { body?: TSchema; params?: TSchema; querystring?: TSchema };
  /** Largest body accepted, in bytes; default the gateway's (1 MiB). */
  readonly bodyLimit?: number;
  /** The body must be JSON: any other content type is refused with 415 before it is read (webhooks take what their provider sends). */
  readonly json?: boolean;
  /** The statuses of a successful answer, for the API document; default 200 alone. */
  readonly statuses?: readonly [number, ...number[]];
  handle(request: RouteRequest, ctx: RouteContext): Promise<RouteAnswer>;
}

/**
 * One WebSocket connection of a module's socket endpoint, framework-free. Text frames only: a
 * binary frame closes the connection (1003) before any handler sees it.
 */
export interface ModuleSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /**
   * Each text message, in arrival order. A throw or rejection (e.g. a JunctionError for a
   * message that is not JSON) answers nothing: the gateway counts it by code and the socket stays open.
   */
  onMessage(f: (text: string) => void | Promise<void>): void;
  /** Each binary frame, in arrival order (endpoints declaring `binary` only); a throw is counted like a text message's. */
  onBinary(f: (data: Buffer) => void): void;
  onClose(f: () => void): void;
}

/**
 * A WebSocket endpoint a module serves (e.g. a voice platform's socket API). The upgrade request
 * is refused (an HTTP error answer, no socket) when it does not offer `protocol` among its
 * subprotocols, when its `access` refuses it, or when `accept` throws; otherwise `open` is given
 * the connection, the upgrade request and its module's route context.
 */
export interface SocketDefinition {
  /** The path (GET, upgraded). */
  readonly url: string;
  /** The subprotocol the client must offer (Sec-WebSocket-Protocol); it is the one the server answers with. */
  readonly protocol?: string;
  /** As for routes: `signature` means `accept` checks the caller's credentials itself. */
  readonly access: RouteAccess;
  /** Binary frames go to the socket's `onBinary` handler (e.g. a voice platform's audio stream) instead of closing it with 1003. */
  readonly binary?: boolean;
  /** Checks the upgrade request (e.g. credentials); a throw (a JunctionError) refuses it with that error's answer. */
  accept?(request: RouteRequest, ctx: RouteContext): void;
  open(socket: ModuleSocket, request: RouteRequest, ctx: RouteContext): void;
}

/** What a listener may use: the inbox, its module's settings, and a logger. */
export interface ListenerContext extends RouteContext {
  readonly logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

/**
 * A server a module runs besides HTTP routes (e.g. an SMTP listener for inbound email):
 * `junction start` starts it after recovery and closes it on stop.
 */
export interface ListenerDefinition {
  readonly name: string;
  start(ctx: ListenerContext): Promise<{ close(): Promise<void> }>;
}

export interface ModuleConfig {
  /**
   * The settings' schema; a string setting marked `dataPath: true` is a folder inside the data
   * directory unless absolute, one marked `filePath: true` a file whose relative path in the
   * configuration file is taken from that file's folder (config/modules.ts).
   */
  readonly schema: TSchema;
  /** Setting names whose values are secrets: never logged. */
  readonly secrets: readonly string[];
}

export interface Module {
  readonly name: string;
  readonly elements?: readonly ElementDefinition[];
  readonly effects?: readonly EffectHandler[];
  readonly inputs?: readonly InputDefinition[];
  readonly routes?: readonly RouteDefinition[];
  /** WebSocket endpoints, served by the gateway like routes (with the module's settings). */
  readonly sockets?: readonly SocketDefinition[];
  readonly listeners?: readonly ListenerDefinition[];
  /** The channel events the module's inputs record (InputOutcome.event), with their properties. */
  readonly events?: readonly EventDefinition[];
  readonly config?: ModuleConfig;
}

/** Everything the assembled modules declare, looked up by type, kind or effect. */
export class Registry {
  private readonly elements = new Map<string, ElementDefinition>();
  private readonly handlers = new Map<string, EffectHandler[]>();
  private readonly inputKinds = new Map<string, InputDefinition>();
  private readonly settingsByModule = new Map<string, Settings>();
  private readonly settingsByPart = new Map<EffectHandler | RouteDefinition | ListenerDefinition, Settings>();
  readonly routes: readonly RouteDefinition[];
  readonly listeners: readonly ListenerDefinition[];
  /** The channel events every module declares. */
  readonly events: readonly EventDefinition[];
  readonly modules: readonly Module[];

  /** `settings` by module name, defaults filled in (a module missing from it gets its schema's defaults). */
  constructor(modules: readonly Module[], settings: Readonly<Record<string, Settings>> = {}) {
    this.modules = modules;
    for (const m of modules) {
      const own = settingsOf(m, settings[m.name]);
      this.settingsByModule.set(m.name, own);
      for (const def of m.elements ?? []) this.addElement(m, def);
      for (const h of m.effects ?? []) this.addHandler(h, own);
      for (const i of m.inputs ?? []) this.addInput(m, i);
      for (const part of [...(m.routes ?? []), ...(m.listeners ?? [])]) this.settingsByPart.set(part, own);
    }
    this.routes = modules.flatMap((m) => m.routes ?? []);
    this.listeners = modules.flatMap((m) => m.listeners ?? []);
    this.events = modules.flatMap((m) => m.events ?? []);
  }

  get(type: string): ElementDefinition | undefined {
    return this.elements.get(type);
  }

  all(): ElementDefinition[] {
    return [...this.elements.values()];
  }

  /** Why entries like `effect` cannot be performed with their module's settings (EffectHandler.unready); undefined when they can or no module serves them. */
  unready(effect: EffectRequest): string | undefined {
    const h = this.handler(effect as Effect);
    return h?.unready?.(effect, this.settingsOf(h));
  }

  /** The handler that performs this outbox entry, if any module serves it: the one that accepts it most closely, the first among equals. */
  handler(effect: Effect): EffectHandler | undefined {
    let best: EffectHandler | undefined;
    let closest = 0;
    for (const h of this.handlers.get(effect.kind) ?? []) {
      const closeness = Number(h.accepts?.(effect, this.settingsOf(h)) ?? true);
      if (closeness > closest) [best, closest] = [h, closeness];
    }
    return best;
  }

  input(kind: string): InputDefinition | undefined {
    return this.inputKinds.get(kind);
  }

  /** A module's settings (defaults applied). */
  settings(module: string): Settings {
    return this.settingsByModule.get(module) ?? NO_SETTINGS;
  }

  /** The settings of the module that declared this handler, route or listener. */
  settingsOf(part: EffectHandler | RouteDefinition | ListenerDefinition): Settings {
    return this.settingsByPart.get(part) ?? NO_SETTINGS;
  }

  private addHandler(h: EffectHandler, settings: Settings): void {
    this.handlers.set(h.kind, [...(this.handlers.get(h.kind) ?? []), h]);
    this.settingsByPart.set(h, settings);
  }

  private addElement(m: Module, def: ElementDefinition): void {
    if (this.elements.has(def.type)) throw new Error(`element type "${def.type}" declared twice (module ${m.name})`);
    this.elements.set(def.type, def);
  }

  private addInput(m: Module, def: InputDefinition): void {
    if (this.inputKinds.has(def.kind)) throw new Error(`input kind "${def.kind}" declared twice (module ${m.name})`);
    this.inputKinds.set(def.kind, def);
  }
}

const NO_SETTINGS: Settings = Object.freeze({});

/** The module's settings with its schema's defaults filled in. */
function settingsOf(m: Module, given: Settings | undefined): Settings {
  if (!m.config) return given ?? NO_SETTINGS;
  return TypeValue.Default(m.config.schema, structuredClone(given ?? {})) as Settings;
}
