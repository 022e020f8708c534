// Compiles Segment Audience conditions (schema.ts) into tests. Every check, parse and
// operator choice happens here, once; a test only reads a value and compares (a value with
// {{placeholders}} is parsed again when what it fills in changes: placeholders.ts). Real-time
// segments of the people store and entry points use the same conditions, without flow variables.
import type { TSchema } from '@sinclair/typebox';
import { checkDurationLength, nextWeekdayTime, requireTimeZone } from '../calendar.js';
import { JunctionError } from '../errors.js';
import { schemaProblems } from '../schema-problems.js';
import type { AttributeCatalog } from '../people/catalog.js';
import { attributeValue } from '../people/profile.js';
import type { CompileContext } from '../element.js';
import type { Person } from '../person.js';
import type { Problem } from '../vocabulary.js';
import type { SegmentRule } from '../store/interfaces.js';
import type { Value, ValueType } from '../values.js';
import type { ConditionScope, TypeOperators } from './define.js';
import { attributeOperators, operatorsFor } from './operators.js';
import { clockFollowing } from './dates.js';
import { durationOf } from './operands.js';
import { prepareValue } from './placeholders.js';
import { ALL_HISTORY, compileEventCondition } from './events.js';
import { AllGroupShape, AnyGroupShape, AttributeConditionSchema, VariableConditionSchema, type Condition } from './schema.js';

export type { ConditionScope } from './define.js';

export interface CompiledCondition {
  test(scope: ConditionScope): boolean;
  /** With relative date conditions: the earliest instant after scope.now from which time alone may change the result (ClockFollowing.next). */
  next?(scope: ConditionScope): number | undefined;
}

/** What compiling conditions needs of an element's CompileContext. */
export type ConditionContext = Pick<CompileContext, 'attributes' | 'variables' | 'problem'> & Partial<Pick<CompileContext, 'events' | 'flow'>>;

/**
 * Compiles a group, { "all": [...] } or { "any": [...] }, reporting every problem through
 * `ctx.problem` with paths under `subpath`. Undefined when there was any problem.
 */
export function compileGroup(raw: unknown, ctx: ConditionContext, subpath: string): CompiledCondition | undefined {
  const compiler = new ConditionCompiler(ctx);
  const compiled = compiler.group(raw, subpath);
  return compiler.failed ? undefined : compiled;
}

/** Compiles one attribute or variable condition, as compileGroup does a group. */
export function compileCondition(raw: unknown, ctx: ConditionContext, subpath: string): CompiledCondition | undefined {
  const compiler = new ConditionCompiler(ctx);
  const compiled = compiler.condition(raw as Record<string, unknown>, subpath);
  return compiler.failed ? undefined : compiled;
}

const NO_VARIABLES: ReadonlyMap<string, ValueType> = new Map();
const NO_VARS: Readonly<Record<string, Value>> = Object.freeze({});

/**
 * The context an entry point compiles its conditions in: they are tested before anyone is a
 * participant, so no flow variable has a value and a {{placeholder}} naming one is unknown.
 */
export function entryContext<T extends ConditionContext>(ctx: T): T {
  return { ...ctx, variables: NO_VARIABLES };
}

/**
 * Compiles the rule of a real-time segment, tested in `timeZone`; a rule with relative date
 * conditions says when time alone may change its result (SegmentRule.nextMidnight or
 * nextChange). Throws JunctionError
 * JCT_SEGMENT_RULE_INVALID with every problem in `details.problems` (paths under `path`).
 */
export function compileSegmentRule(raw: unknown, catalog: AttributeCatalog, timeZone = 'UTC', path = '$'): SegmentRule {
  requireTimeZone(timeZone);
  const problems: Problem[] = [];
  const problem = (code: string, message: string, subpath = ''): void => {
    problems.push({ code, message, path: path + subpath });
  };
  const compiler = new ConditionCompiler({ attributes: catalog, variables: NO_VARIABLES, problem });
  const compiled = compiler.group(raw, '');
  if (!compiled || problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new JunctionError('JCT_SEGMENT_RULE_INVALID', `the segment rule has ${problems.length} problem(s): ${list}`, {
      problems,
    });
  }
  const scope = (person: Person, now: number): ConditionScope => ({ person, now, timeZone, vars: NO_VARS });
  const test = (person: Person, now: number): boolean => compiled.test(scope(person, now));
  const next = compiled.next;
  if (!next) return { test };
  if (compiler.daily) return { test, nextMidnight: (now) => nextWeekdayTime(now, timeZone, []) };
  return { test, nextChange: (person, now) => next(scope(person, now)) };
}

/** Where a condition's value comes from. */
interface Source {
  readonly label: string;
  readonly type: ValueType;
  readonly operators: TypeOperators;
  read(scope: ConditionScope): Value;
}

class ConditionCompiler {
  failed = false;
  /** False once a condition that time alone changes at other moments than local midnight was compiled. */
  daily = true;

  constructor(private readonly ctx: ConditionContext) {}

  group(raw: unknown, path: string): CompiledCondition | undefined {
    const key = isRecord(raw) ? groupKey(raw) : undefined;
    if (!isRecord(raw) || !key) {
      const expected = 'expected a group: { "all": [...] } (every item matches) or { "any": [...] } (at least one does)';
      this.report('JCT_CONDITION_INVALID', expected, path);
      return undefined;
    }
    if (!this.hasShape(key === 'all' ? AllGroupShape : AnyGroupShape, raw, path)) return undefined;
    const items = (raw[key] as unknown[]).map((item, i) => this.item(item, `${path}.${key}[${i}]`));
    const compiled = items.filter((item): item is CompiledCondition => item !== undefined);
    if (compiled.length < items.length) return undefined;
    const test: CompiledCondition['test'] =
      key === 'all' ? (scope) => compiled.every((item) => item.test(scope)) : (scope) => compiled.some((item) => item.test(scope));
    const timed = compiled.filter((item) => item.next !== undefined);
    return timed.length === 0 ? { test } : { test, next: (scope) => earliest(timed, scope) };
  }

  private item(raw: unknown, path: string): CompiledCondition | undefined {
    if (isRecord(raw) && groupKey(raw)) return this.group(raw, path);
    if (isRecord(raw) && 'event' in raw) return this.event(raw, path);
    if (!isRecord(raw) || !('attribute' in raw || 'variable' in raw)) {
      this.report(
        'JCT_CONDITION_INVALID',
        'expected a condition { "attribute" or "variable", "operator", "value" }, an event condition { "event", "happened" } or a group { "all" or "any": [...] }',
        path,
      );
      return undefined;
    }
    return this.condition(raw, path);
  }

  condition(raw: Record<string, unknown>, path: string): CompiledCondition | undefined {
    if (!this.hasShape('variable' in raw ? VariableConditionSchema : AttributeConditionSchema, raw, path)) return undefined;
    const c = raw as Condition;
    const source = 'variable' in c ? this.variable(c.variable, path) : this.attribute(c.attribute, path);
    if (!source) return undefined;
    const prepared = prepareValue(source.operators, c.operator, c.value, this.ctx, `${path}.value`);
    if (!prepared) {
      const allowed = source.operators.names.join(', ');
      const message = `"${c.operator}" does not apply to ${source.label} (${source.type}); use one of: ${allowed}`;
      this.report('JCT_OPERATOR_INVALID', message, `${path}.operator`);
      return undefined;
    }
    if (!prepared.ok) {
      this.report('JCT_CONDITION_VALUE', `"${c.operator}" on ${source.label} ${prepared.problem}`, `${path}.value`);
      return undefined;
    }
    // Told, not failed: a flow launched before the cap keeps its condition (RULES_ADDED_LATER).
    checkDurationLength(durationOf(c.value), 'a duration in a condition', `${path}.value`, this.ctx);
    const test = prepared.value;
    const read = source.read;
    const clock = source.type === 'date' || source.type === 'datetime' ? clockFollowing(source.type === 'date', c.operator, c.value) : undefined;
    if (!clock) return { test: (scope) => test(read(scope), scope) };
    this.daily &&= clock.daily;
    return { test: (scope) => test(read(scope), scope), next: (scope) => clock.next(read(scope), scope.now, scope.timeZone) };
  }

  /** An event condition counts the whole kept history (see events.ts). */
  private event(raw: Record<string, unknown>, path: string): CompiledCondition | undefined {
    const compiled = compileEventCondition(raw, this.ctx, path);
    if (!compiled) this.failed = true;
    return compiled && { test: (scope) => compiled.test(scope, ALL_HISTORY) };
  }

  private attribute(name: string, path: string): Source | undefined {
    const info = this.ctx.attributes.get(name);
    if (!info) {
      const message = `unknown attribute "${name}"; check the spelling or define it as a custom attribute`;
      this.report('JCT_ATTRIBUTE_UNKNOWN', message, `${path}.attribute`);
      return undefined;
    }
    return {
      label: `attribute "${name}"`,
      type: info.type,
      operators: attributeOperators(info),
      read: (scope) => attributeValue(scope.person, name),
    };
  }

  private variable(name: string, path: string): Source | undefined {
    const type = this.ctx.variables.get(name);
    if (!type) {
      const declared = [...this.ctx.variables.keys()];
      const known = declared.length > 0 ? `declared ones: ${declared.join(', ')}` : 'no variables are declared here';
      this.report('JCT_VARIABLE_UNKNOWN', `unknown variable "${name}"; ${known}`, `${path}.variable`);
      return undefined;
    }
    return {
      label: `variable "${name}"`,
      type,
      operators: operatorsFor(type),
      read: (scope) => scope.vars[name] ?? null,
    };
  }

  private hasShape(schema: TSchema, raw: unknown, path: string): boolean {
    const problems = schemaProblems(schema, raw, path, 'JCT_CONDITION_INVALID');
    for (const p of problems) this.report(p.code, p.message, p.path);
    return problems.length === 0;
  }

  private report(code: string, message: string, path: string): void {
    this.failed = true;
    this.ctx.problem(code, message, path);
  }
}

/** The earliest `next` of the items, or undefined when none has one. */
function earliest(items: readonly CompiledCondition[], scope: ConditionScope): number | undefined {
  let best: number | undefined;
  for (const item of items) {
    const at = item.next!(scope);
    if (at !== undefined && (best === undefined || at < best)) best = at;
  }
  return best;
}

function isRecord(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

function groupKey(raw: Record<string, unknown>): 'all' | 'any' | undefined {
  return 'all' in raw ? 'all' : 'any' in raw ? 'any' : undefined;
}
