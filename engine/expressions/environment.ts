// The CEL environments: one shared base with Junction's functions, operators and structural
// limits, and per flow a clone declaring the flow's variables (by bare name, with their CEL
// types) and `person`. A flow's clone is built once per variables map and catalog.
//
// cel-js runs `matches()` with JavaScript's RegExp, which backtracks: `^(a|a)*$` takes seconds on
// 26 characters and hours on 40, blocking the process. V8 has a linear-time engine for the
// patterns without backreferences and lookarounds (those checks.ts lets through), and the flag set
// below makes every regular expression of the process fall back to it once a match has
// backtracked too long (V8's default: 50,000 backtracks).
import { setFlagsFromString } from 'node:v8';
import { Environment } from '@marcbachmann/cel-js';
import type { AttributeCatalog } from '../people/catalog.js';
import type { ValueType } from '../values.js';
import { CEL_TYPES, toCel } from './convert.js';
import { FUNCTIONS, OPERATORS } from './functions.js';
import { CHANNEL_FIELDS, CHANNEL_TYPE, ChannelView, PERSON, PERSON_TYPE, PersonView, personFields } from './person.js';
import { currentScope, currentZone, evaluationFailed } from './scope.js';

/** Parse-time bounds: enough for any sensible expression, small enough to keep a hostile one cheap. */
const LIMITS = { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 };

export interface FlowEnvironment {
  readonly env: Environment;
  /** The evaluation context: reads variables and the person from the scope being evaluated. */
  readonly context: ReadonlyMap<string, unknown>;
}

setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
const base = createBase();
const built = new WeakMap<ReadonlyMap<string, ValueType>, { catalog: AttributeCatalog; flow: FlowEnvironment }>();

export function flowEnvironment(variables: ReadonlyMap<string, ValueType>, catalog: AttributeCatalog): FlowEnvironment {
  const cached = built.get(variables);
  if (cached?.catalog === catalog) return cached.flow;
  const flow = createFlowEnvironment(variables, catalog);
  built.set(variables, { catalog, flow });
  return flow;
}

function createBase(): Environment {
  const env = new Environment({ limits: LIMITS });
  for (const { signature, handler, description } of FUNCTIONS) env.registerFunction(signature, handler, { description });
  for (const { signature, handler } of OPERATORS) env.registerOperator(signature, handler);
  env.registerType(CHANNEL_TYPE, { ctor: ChannelView, fields: CHANNEL_FIELDS });
  return env;
}

function createFlowEnvironment(variables: ReadonlyMap<string, ValueType>, catalog: AttributeCatalog): FlowEnvironment {
  const env = base.clone();
  env.registerType(PERSON_TYPE, { ctor: PersonView, fields: personFields(catalog) });
  env.registerVariable(PERSON, PERSON_TYPE);
  for (const [name, type] of variables) declare(env, name, CEL_TYPES[type]);
  return { env, context: new VariableReader(variables, catalog) };
}

/** Can a flow variable of this name be used in expressions (not a reserved or taken name)? */
export function isExpressionName(name: string): boolean {
  if (name === PERSON || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
  try {
    base.clone().registerVariable(name, 'dyn');
    return true;
  } catch {
    return false;
  }
}

/**
 * cel-js refuses reserved words and names it already uses (`person`, `int`, `google`, …),
 * and a name such as `order-id` cannot be written in CEL anyway. Such a variable is simply
 * not in the expression language: an expression naming it gets the usual type problem.
 */
function declare(env: Environment, name: string, type: string): void {
  try {
    env.registerVariable(name, type);
  } catch {
    // not expressible; see above
  }
}

/** cel-js reads a Map context with get(); this one converts on demand, so unused variables cost nothing. */
class VariableReader extends Map<string, unknown> {
  readonly #types: ReadonlyMap<string, ValueType>;
  readonly #catalog: AttributeCatalog;

  constructor(types: ReadonlyMap<string, ValueType>, catalog: AttributeCatalog) {
    super();
    this.#types = types;
    this.#catalog = catalog;
  }

  override get(name: string): unknown {
    const scope = currentScope();
    if (name === PERSON) return new PersonView(scope.person, this.#catalog, currentZone());
    const type = this.#types.get(name);
    if (type === undefined) return undefined;
    const value = scope.vars[name] ?? null;
    if (value === null) throw evaluationFailed(`flow variable ${name} is empty`);
    return toCel(type, value, currentZone());
  }
}
