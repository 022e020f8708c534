// Validates a flow document and compiles it into the runtime form the step function walks:
// an array of nodes (entry points, elements, then one automatic Exit per unconnected
// branch) whose branches are node indices. Validation reports every problem at once.
import { Value } from '@sinclair/typebox/value';
import { JunctionError } from '../errors.js';
import type { CompileContext, ElementDefinition } from '../element.js';
import type { Registry } from '../module.js';
import { AttributeCatalog } from '../people/catalog.js';
import { EventCatalog } from '../people/events.js';
import type { Problem } from '../vocabulary.js';
import { FlowShapeSchema, MAX_ELEMENTS, type FlowDefinition, type NodeDefinition } from '../flow-schema.js';
import { migrate } from './migrations/index.js';
import { schemaProblems } from '../schema-problems.js';
import { unknownTypeMessage } from './type-hint.js';
import { cyclesWithoutWait, unreachableParts, type GraphNode } from './graph.js';
import { compileSettings, compileTimeZone, declaredVariables, type CompiledSettings } from './settings.js';

export const EXIT_TYPE = 'exit';

export interface CompiledNode {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly def: ElementDefinition;
  readonly prepared: unknown;
  readonly branchNames: readonly string[];
  /** Branch slot → index of the node it leads to. */
  readonly next: readonly number[];
  /** True for an Exit added automatically on an unconnected branch. */
  readonly automatic: boolean;
}

export interface CompiledFlow {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly definition: FlowDefinition;
  readonly nodes: readonly CompiledNode[];
  /** Node indices of the entry points, in document order. */
  readonly entries: readonly number[];
  readonly indexOf: ReadonlyMap<string, number>;
  readonly settings: CompiledSettings;
}

export interface CompileOptions {
  registry: Registry;
  attributes?: AttributeCatalog;
  /** Default: the built-in events and those the registry's modules declare (no custom ones). */
  events?: EventCatalog;
  /** Whether a segment exists (a Predefined Audience naming one that does not is refused); left out: segments are not checked. */
  segmentExists?: (id: string) => boolean;
  version?: number;
  /** The time now (epoch ms), to refuse a schedule that has ended; leave it out for a version launched before. */
  now?: number;
  /**
   * The registry's settings are the configuration's (an engine's, or `junction validate` with a
   * configuration file): an element whose effects its module cannot perform with them is refused.
   */
  configured?: boolean;
  /** Codes of problems that do not fail the compile: they are listed in `tolerated` instead. */
  tolerate?: ReadonlySet<string>;
  /** The workspace's time zone, for a flow that names none. Default UTC. */
  timeZone?: string;
}

export type CompileResult = { ok: true; flow: CompiledFlow; tolerated: Problem[] } | { ok: false; problems: Problem[] };

/**
 * Rules added after flows that break them could have been launched: a 100-year cap on
 * durations, RE2 syntax for `matches()` patterns, no IVR element after a wait that ends the
 * call, a goal that names a known event, placeholders that Update variable values, condition
 * values and event filters fill in (they were kept as written before), re-entry off with no
 * delay or limits beside it, an Outbound call through a provider the configuration lets place
 * calls (a configuration that lost its settings must not stop the flows launched before), a
 * Send email's from and reply-to as one address each, no body on a Call webhook's GET or DELETE,
 * no user or password in a Call webhook's URL (never sent: a launched flow fails that step),
 * split shares in hundredths of a percent (a finer one was rounded, a tiny one to nobody), a
 * Predefined Audience that names only segments that exist, an Add to flow into its own flow
 * only when that has an Existing Flow entry point, no connection on a branch the element's
 * config never takes (a wait's timeout branch with no timeout, a Call webhook's failure
 * branches when its answer is not awaited). A launched version that breaks one keeps
 * running after an upgrade or a change of configuration (recovery says so once); a new version
 * must follow them.
 */
export const RULES_ADDED_LATER: ReadonlySet<string> = new Set([
  'JCT_DURATION_TOO_LONG',
  'JCT_PATTERN_NOT_RE2',
  'JCT_IVR_CALL_LOST',
  'JCT_GOAL_UNKNOWN',
  'JCT_PLACEHOLDER_UNKNOWN',
  'JCT_REENTRY_CONFLICT',
  'JCT_CALL_PROVIDER_UNCONFIGURED',
  'JCT_EMAIL_ADDRESS_INVALID',
  'JCT_WEBHOOK_BODY_NOT_SENT',
  'JCT_WEBHOOK_URL_CREDENTIALS',
  'JCT_SPLIT_PRECISION',
  'JCT_SEGMENT_UNKNOWN',
  'JCT_ADD_TO_FLOW_SELF_NO_ENTRY',
  'JCT_BRANCH_NEVER_TAKEN',
]);

/** Validates and compiles; never throws for a bad document. */
export function compileFlow(doc: unknown, options: CompileOptions): CompileResult {
  const problems: Problem[] = [];
  const tolerated: Problem[] = [];
  const report: Report = (code, message, path, elementId) => {
    const list = options.tolerate?.has(code) ? tolerated : problems;
    list.push(elementId === undefined ? { code, message, path } : { code, message, path, elementId });
  };
  try {
    const flow = readDocument(doc, report);
    if (!flow) return { ok: false, problems };
    const compiled = new FlowCompiler(flow, options, report, () => problems.length).compile();
    return problems.length === 0 && compiled ? { ok: true, flow: compiled, tolerated } : { ok: false, problems };
  } catch (err) {
    // A bug in an element's compile() must not take the caller down with it.
    report('JCT_INTERNAL', `validation stopped: ${err instanceof Error ? err.message : String(err)}`, '$');
    return { ok: false, problems };
  }
}

/** Compiles or throws JunctionError JCT_FLOW_INVALID with every problem in `details.problems`. */
export function compileFlowOrThrow(doc: unknown, options: CompileOptions): CompiledFlow {
  const result = compileFlow(doc, options);
  if (result.ok) return result.flow;
  throw flowInvalid(result.problems);
}

/** JCT_FLOW_INVALID naming the first problem, with every problem in `details.problems`. */
export function flowInvalid(problems: Problem[]): JunctionError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new JunctionError('JCT_FLOW_INVALID', `flow is invalid: ${first.path}: ${first.message}${more}`, { problems });
}

type Report = (code: string, message: string, path: string, elementId?: string) => void;

function readDocument(doc: unknown, report: Report): FlowDefinition | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    report('JCT_FLOW_SHAPE', 'a flow must be a JSON object', '$');
    return undefined;
  }
  let migrated: Record<string, unknown>;
  try {
    migrated = migrate(doc as Record<string, unknown>);
  } catch (err) {
    const e = err as JunctionError;
    report(e.code, e.message, '$.schemaVersion');
    return undefined;
  }
  const shapeErrors = schemaProblems(FlowShapeSchema, migrated, '$', 'JCT_FLOW_SHAPE');
  shapeErrors.forEach((p) => report(p.code, p.message, p.path));
  // A typo in a top-level field (a misspelt or missing name) hides nothing else: the nodes are still checked.
  return shapeErrors.every((p) => isLooseField(p.path)) ? (migrated as unknown as FlowDefinition) : undefined;
}

/** Top-level fields the nodes and settings are compiled without. */
const STRUCTURE = new Set(['id', 'schemaVersion', 'entryPoints', 'elements', 'settings']);

function isLooseField(path: string): boolean {
  const m = /^\$\.([A-Za-z_$][\w$]*)$/.exec(path);
  return m !== null && !STRUCTURE.has(m[1]!);
}

interface Located {
  readonly node: NodeDefinition;
  readonly path: string;
  readonly entry: boolean;
  def?: ElementDefinition;
  prepared?: unknown;
  branchNames: readonly string[];
  valid: boolean;
}

class FlowCompiler {
  private readonly registry: Registry;
  private readonly attributes: AttributeCatalog;
  private readonly events: EventCatalog;
  private readonly timeZone: string;
  private readonly variables;
  private readonly located: Located[];

  constructor(
    private readonly flow: FlowDefinition,
    private readonly options: CompileOptions,
    private readonly report: Report,
    private readonly problemCount: () => number,
  ) {
    this.registry = options.registry;
    this.attributes = options.attributes ?? new AttributeCatalog();
    this.events = options.events ?? new EventCatalog(this.registry.events);
    this.timeZone = compileTimeZone(flow, report, options.timeZone);
    this.variables = declaredVariables(flow, report);
    this.located = [
      ...flow.entryPoints.map((node, i) => this.locate(node, `$.entryPoints[${i}]`, true)),
      ...flow.elements.map((node, i) => this.locate(node, `$.elements[${i}]`, false)),
    ];
  }

  compile(): CompiledFlow | undefined {
    if (this.flow.elements.length > MAX_ELEMENTS) {
      this.report('JCT_TOO_MANY_ELEMENTS', `a flow has at most ${MAX_ELEMENTS} elements; split it with Add to flow`, '$.elements');
    }
    const unique = this.checkUniqueIds();
    this.checkLimits();
    this.located.forEach((l) => this.compileNode(l));
    const indexOf = new Map(this.located.map((l, i) => [l.node.id, i]));
    const wiring = this.located.map((l) => this.wire(l, indexOf));
    const settings = compileSettings(this.flow, this.timeZone, (path) => this.context(path, undefined), this.report, this.options.now);
    if (!this.located.every((l) => l.valid)) return undefined;
    if (unique) this.checkGraph(wiring); // with an id used twice, which node a branch leads to is unknown: no graph to check
    return this.build(wiring, indexOf, settings);
  }

  private locate(node: NodeDefinition, path: string, entry: boolean): Located {
    const def = this.registry.get(node.type);
    const located: Located = { node, path, entry, def, branchNames: [], valid: def !== undefined };
    if (!def) {
      const known = this.registry.all().filter((d) => (d.role === 'entry') === entry).map((d) => d.type);
      this.report('JCT_ELEMENT_TYPE_UNKNOWN', unknownTypeMessage(node.type, entry ? 'entry point' : 'element', known), `${path}.type`, node.id);
    } else if ((def.role === 'entry') !== entry) {
      const where = entry ? 'entryPoints' : 'elements';
      this.report('JCT_ELEMENT_ROLE', `"${node.type}" is ${def.role === 'entry' ? 'an entry point' : 'an element'} and cannot be listed in ${where}`, `${path}.type`, node.id);
      located.valid = false;
    }
    return located;
  }

  /** Whether every node's id is its own; each one used again is reported. */
  private checkUniqueIds(): boolean {
    const seen = new Set<string>();
    for (const l of this.located) {
      if (seen.has(l.node.id)) {
        this.report('JCT_ELEMENT_ID_DUPLICATE', `id "${l.node.id}" is used twice`, `${l.path}.id`, l.node.id);
      }
      seen.add(l.node.id);
    }
    return seen.size === this.located.length;
  }

  private checkLimits(): void {
    const counts = new Map<string, number>();
    for (const l of this.located) {
      const max = l.def?.maxPerFlow;
      if (max === undefined) continue;
      const n = (counts.get(l.node.type) ?? 0) + 1;
      counts.set(l.node.type, n);
      if (n > max) {
        this.report('JCT_ELEMENT_LIMIT', `a flow may have at most ${max} "${l.node.type}"`, l.path, l.node.id);
      }
    }
  }

  /** What compile() sees; `path` is where its problems go, `nodePath` where those of the node as a whole do. */
  private context(path: string, node: NodeDefinition | undefined, nodePath = path): CompileContext {
    const report = this.report;
    return {
      flow: this.flow,
      node: node ?? { id: '$settings', type: 'settings' },
      path,
      timeZone: this.timeZone,
      variables: this.variables,
      attributes: this.attributes,
      events: this.events,
      segmentExists: this.options.segmentExists,
      problem: (code, message, subpath = '') => report(code, message, path + subpath, node?.id),
      nodeProblem: (code, message) => report(code, message, nodePath, node?.id),
      waits: (type) => this.registry.get(type)?.waits === true,
      unready: (effect) => (this.options.configured ? this.registry.unready(effect) : undefined),
    };
  }

  private compileNode(l: Located): void {
    if (!l.def) return;
    const configPath = `${l.path}.config`;
    const shape = schemaProblems(l.def.config, l.node.config ?? {}, configPath, 'JCT_CONFIG_INVALID');
    shape.forEach((p) => this.report(p.code, p.message, p.path, l.node.id));
    if (shape.length > 0) {
      l.valid = false;
      return;
    }
    const config = l.node.config ?? {};
    const before = this.problemCount();
    l.branchNames = l.def.branches(config);
    l.prepared = l.def.compile ? l.def.compile(config, this.context(configPath, l.node, l.path)) : config;
    if (this.problemCount() > before) l.valid = false;
  }

  /** Branch slot → target index, or -1 where an automatic Exit goes. */
  private wire(l: Located, indexOf: Map<string, number>): number[] {
    const branches = l.node.branches ?? {};
    for (const [name, target] of Object.entries(branches)) {
      const path = `${l.path}.branches.${name}`;
      if (l.def && l.valid && !l.branchNames.includes(name)) {
        const known = l.branchNames.length ? l.branchNames.join(', ') : 'none';
        this.report('JCT_BRANCH_UNKNOWN', `"${l.node.type}" has no branch "${name}" (its branches: ${known})`, path, l.node.id);
      } else if (l.def && l.valid) {
        this.checkTaken(l, name, path);
      }
      const t = indexOf.get(target);
      if (t === undefined) this.report('JCT_BRANCH_TARGET_UNKNOWN', `branch "${name}" leads to "${target}", which is not in this flow`, path, l.node.id);
      else if (this.located[t]!.entry) this.report('JCT_BRANCH_TARGET_ENTRY', `branch "${name}" leads to entry point "${target}"; entry points cannot be branch targets`, path, l.node.id);
    }
    return l.branchNames.map((name) => {
      const t = branches[name] === undefined ? undefined : indexOf.get(branches[name]!);
      return t === undefined || this.located[t]!.entry ? -1 : t;
    });
  }

  /** Refuses a connection on a branch the node's config never takes. */
  private checkTaken(l: Located, name: string, path: string): void {
    const config = l.node.config ?? {};
    const never = l.def!.branchesNeverTaken?.find((n) => n.branches.includes(name) && Value.Check(n.config, config));
    if (!never) return;
    this.report('JCT_BRANCH_NEVER_TAKEN', `"${l.node.type}" never takes branch "${name}" ${never.when}: ${never.fix}, or leave the branch unconnected`, path, l.node.id);
  }

  private checkGraph(wiring: number[][]): void {
    const graph: GraphNode[] = this.located.map((l, i) => ({
      id: l.node.id,
      entry: l.entry,
      waits: l.def?.waits === true,
      targets: wiring[i]!.filter((t) => t >= 0),
    }));
    for (const { start, after } of unreachableParts(graph)) {
      const l = this.located[start]!;
      const behind = after === 0 ? '' : ` (nor to the ${after} element${after === 1 ? '' : 's'} after it)`;
      this.report('JCT_ELEMENT_UNREACHABLE', `no entry point leads to "${l.node.id}"${behind}`, l.path, l.node.id);
    }
    for (const cycle of cyclesWithoutWait(graph)) {
      const ids = cycle.map((i) => this.located[i]!.node.id);
      const l = this.located[cycle[0]!]!;
      this.report('JCT_CYCLE_WITHOUT_WAIT', `elements ${ids.join(' → ')} form a loop with no waiting element: every round would run in the same moment, and validation cannot see what ends it (a counter variable may not: its formula and conditions are any expression); put a waiting element such as a Pause in the loop`, l.path, l.node.id);
    }
  }

  private build(wiring: number[][], indexOf: Map<string, number>, settings: CompiledSettings): CompiledFlow | undefined {
    const exitDef = this.registry.get(EXIT_TYPE);
    if (!exitDef) throw new Error('the exit element is not registered');
    const nodes: CompiledNode[] = [];
    const autoIndex = new Map<string, number>();
    this.located.forEach((l, i) => {
      const next = wiring[i]!.map((t, slot) => {
        if (t >= 0) return t;
        const id = `${l.node.id}.${l.branchNames[slot]}.exit`;
        const at = this.located.length + autoIndex.size;
        autoIndex.set(id, at);
        return at;
      });
      nodes.push({ index: i, id: l.node.id, name: l.node.name ?? l.node.id, def: l.def!, prepared: l.prepared, branchNames: l.branchNames, next, automatic: false });
    });
    for (const [id, index] of autoIndex) {
      nodes.push({ index, id, name: 'Exit', def: exitDef, prepared: {}, branchNames: [], next: [], automatic: true });
    }
    if (this.problemCount() > 0) return undefined;
    return {
      id: this.flow.id,
      version: this.options.version ?? 1,
      name: this.flow.name,
      definition: this.flow,
      nodes,
      entries: this.located.flatMap((l, i) => (l.entry ? [i] : [])),
      indexOf: new Map([...indexOf, ...autoIndex]),
      settings,
    };
  }
}
