// Update variable: sets one or more flow variables, each to a static value (a text may hold
// {{variable}} / {{person.attribute}} placeholders) or to the result of an expression, in
// order (an update sees the ones before it). If an expression fails at run time, or a
// placeholder's value is not of the variable's type, no update is applied: the participant
// takes the `error` branch (an automatic Exit unless connected) and the failure is counted.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type RunContext } from '../element.js';
import { coerceValue, type Value, type ValueType } from '../values.js';
import { compileExpression, type CompiledExpression } from '../expressions/cel.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';

const Variable = Type.String({ description: 'a variable declared in settings.variables' });
const Update = Type.Union([
  Type.Object({ variable: Variable, value: Type.Unknown({ description: 'a value of the variable’s type, or text with {{placeholders}}' }) }, { additionalProperties: false }),
  Type.Object({ variable: Variable, formula: Type.String({ minLength: 1, description: 'a CEL expression' }) }, { additionalProperties: false }),
]);
const Config = Type.Object(
  { updates: Type.Array(Update, { minItems: 1, maxItems: 50, description: '{ variable, value } | { variable, formula }, applied in order' }) },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

type Prepared = Array<{ variable: string; type?: ValueType; value: Value; formula?: CompiledExpression; template?: CompiledTemplate }>;

const NEXT = 0;
const ERROR = 1;

export default defineElement<Config, Prepared>({
  type: 'updateVariable',
  role: 'element',
  title: 'Update variable',
  description: 'Sets flow variables to values or expression results.',
  config: Config,
  example: { updates: [{ variable: 'status', value: 'dispatched' }, { variable: 'count', formula: 'count + 1' }] },
  branches: () => ['next', 'error'],
  compile: (config, ctx) =>
    config.updates.map((u, i) => {
      const at = `.updates[${i}]`;
      const type = ctx.variables.get(u.variable);
      if (!type) {
        ctx.problem('JCT_VARIABLE_UNKNOWN', `no flow variable "${u.variable}"; declare it in settings.variables`, `${at}.variable`);
        return { variable: u.variable, value: null };
      }
      if ('formula' in u) return { variable: u.variable, value: null, formula: compileExpression(u.formula, ctx, type, `${at}.formula`) };
      const template = typeof u.value === 'string' && u.value.includes('{{') ? compileTemplate(u.value, ctx, `${at}.value`) : undefined;
      if (template) return { variable: u.variable, type, value: null, template };
      const c = coerceValue(type, u.value);
      if (!c.ok) ctx.problem('JCT_VARIABLE_TYPE', `variable "${u.variable}" is ${type}: ${c.message}`, `${at}.value`);
      return { variable: u.variable, value: c.ok ? c.value : null };
    }),
  execute: (updates, run) => {
    const vars: Record<string, Value> = { ...run.vars };
    for (const u of updates) {
      const value = valueOf(u, vars, run);
      if (value === undefined) return ERROR;
      vars[u.variable] = value;
    }
    for (const u of updates) run.setVar(u.variable, vars[u.variable]!);
    return NEXT;
  },
});

/** The value to set, given the variables as the updates before it left them, or undefined after recording why there is none. */
function valueOf(u: Prepared[number], vars: Readonly<Record<string, Value>>, run: RunContext): Value | undefined {
  const scope = { vars, person: run.person, now: run.now };
  if (u.formula) {
    const r = u.formula.evaluate(scope);
    if (r.ok) return r.value;
    run.fail(r.code, `variable "${u.variable}": ${r.message}`);
    return undefined;
  }
  if (!u.template || !u.type) return u.value;
  const c = coerceValue(u.type, u.template.resolve(scope));
  if (c.ok) return c.value;
  run.fail('JCT_VARIABLE_TYPE', `variable "${u.variable}" is ${u.type}: ${c.message}`);
  return undefined;
}
