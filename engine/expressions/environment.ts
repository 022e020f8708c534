// The CEL environments: one shared base with Junction's functions, operators and structural
// limits, and per flow a clone declaring the flow's variables (by bare name, with their CEL
// types) and `person`. A flow's clone is built once per variables map and catalog.
import { Environment } from '@marcbachmann/cel-js';
import type { AttributeCatalog } from '../people/catalog.js';
import type { ValueType } from '../values.js';
import { CEL_TYPES, toCel } from './convert.js';
import { FUNCTIONS, OPERATORS } from './functions.js';
import { CHANNEL_FIELDS, CHANNEL_TYPE, ChannelView, PERSON, PERSON_TYPE, PersonView, personFields } from './person.js';
import { currentScope, currentZone, evaluationFailed } from './scope.js';

/** Parse-time bounds: enough for any sensible expression, small enough to keep a hostile one cheap. */
const LIMITS = { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 };

/** Words CEL reserves; a variable with one of these names cannot be written in an expression. */
const RESERVED: ReadonlySet<string> = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while'.split(' '),
);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface FlowEnvironment {
  readonly env: Environment;
  /** The evaluation context: reads variables and the person from the scope being evaluated. */
  readonly context: ReadonlyMap<string, unknown>;
}

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
  for (const [name, type] of variables) {
    if (isExpressible(name)) env.registerVariable(name, CEL_TYPES[type]);
  }
  return { env, context: new VariableReader(variables, catalog) };
}

function isExpressible(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED.has(name) && name !== PERSON;
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
