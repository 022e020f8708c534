// Condition values with {{placeholders}}, as in other text: `{ "attribute": "city", "operator":
// "is", "value": "{{homeCity}}" }` compares with the variable's value, `{{person.city}}` with an
// attribute's. The operator is checked at compile; the operand is read from the scope and
// checked at test time, prepared once per distinct value. A value that does not fit the
// operator at that moment (empty, or not a number for lessThan) makes the condition false.
import { compileTemplate, type CompiledTemplate, type TemplateContext } from '../expressions/template.js';
import type { Value } from '../values.js';
import type { Parsed, TypeOperators, ValueTest } from './define.js';

/**
 * The test for `operator` with `raw`: filled in from the scope when `raw` is text with
 * placeholders, else prepared now. Unknown placeholders are reported at `subpath` (the
 * value is then compared as written, as a flow launched before this rule did). Undefined
 * when the type has no such operator.
 */
export function prepareValue(
  operators: TypeOperators,
  operator: string,
  raw: unknown,
  ctx: TemplateContext,
  subpath: string,
): Parsed<ValueTest> | undefined {
  const template = typeof raw === 'string' && raw.includes('{{') ? compileTemplate(raw, ctx, subpath) : undefined;
  if (!template || template.placeholders.length === 0) return operators.prepare(operator, raw);
  const probe = operators.prepare(operator, undefined);
  // An operator that takes no value says so for the text as written.
  return probe?.ok === false ? { ok: true, value: filledIn(operators, operator, template) } : operators.prepare(operator, raw);
}

function filledIn(operators: TypeOperators, operator: string, template: CompiledTemplate): ValueTest {
  let last: Value | undefined;
  let test: ValueTest | undefined;
  return (value, scope) => {
    const operand = template.resolve(scope);
    if (test === undefined || operand !== last) {
      const prepared = operators.prepare(operator, operand);
      test = prepared?.ok ? prepared.value : NEVER;
      last = operand;
    }
    return test(value, scope);
  };
}

const NEVER: ValueTest = () => false;
