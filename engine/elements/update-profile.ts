// Update person profile: sets standard or custom attributes — to a value (which may hold
// {{variable}} / {{person.attribute}} placeholders), to empty, or to an expression's result.
// Every value is computed from the person as they arrived at the element, then all are
// applied together, so the order of the updates never matters.
// A value that cannot be made the attribute's type, or a failing expression, sends the
// participant down `error` (an automatic Exit unless connected) and is counted.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../element.js';
import { coerceValue, type Value, type ValueType } from '../values.js';
import type { AttributeCatalog } from '../people/catalog.js';
import type { ProfileChange } from '../vocabulary.js';
import { compileExpression, type CompiledExpression } from '../expressions/cel.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';
import { changeProfile } from './profile-change.js';
import { readonlyReason } from '../people/profile.js';

const Attribute = Type.String({ description: 'a standard or custom attribute name' });
const Update = Type.Union([
  Type.Object({ attribute: Attribute, value: Type.Unknown({ description: 'a value of the attribute’s type, or text with {{placeholders}}' }) }, { additionalProperties: false }),
  Type.Object({ attribute: Attribute, clear: Type.Literal(true, { description: 'empty the attribute' }) }, { additionalProperties: false }),
  Type.Object({ attribute: Attribute, formula: Type.String({ minLength: 1, description: 'a CEL expression' }) }, { additionalProperties: false }),
]);
const Config = Type.Object(
  { updates: Type.Array(Update, { minItems: 1, maxItems: 50, description: '{ attribute, value } | { attribute, clear: true } | { attribute, formula }' }) },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;
type UpdateConfig = Config['updates'][number];

interface Prepared {
  readonly catalog: AttributeCatalog;
  readonly updates: ReadonlyArray<{ attribute: string; type: ValueType; value: Value; template?: CompiledTemplate; formula?: CompiledExpression }>;
}

const NEXT = 0;
const ERROR = 1;

export default defineElement<Config, Prepared>({
  type: 'updateProfile',
  role: 'element',
  title: 'Update person profile',
  description: 'Sets person attributes to values, placeholders, empty, or expression results.',
  config: Config,
  example: {
    updates: [
      { attribute: 'city', value: 'Zagreb' },
      { attribute: 'lastName', value: '{{person.lastName}}' },
      { attribute: 'preferredLanguage', clear: true },
    ],
  },
  branches: () => ['next', 'error'],
  compile: (config, ctx) => ({
    catalog: ctx.attributes,
    updates: config.updates.map((u, i) => compileUpdate(u, ctx, `.updates[${i}]`)),
  }),
  execute: (p, run) => {
    const changes: ProfileChange[] = [];
    for (const u of p.updates) {
      const value = valueOf(u, run);
      if (value === undefined) return ERROR;
      changes.push({ op: 'set', attribute: u.attribute, value });
    }
    return changeProfile(run, changes, p.catalog) ? NEXT : ERROR;
  },
});

function compileUpdate(u: UpdateConfig, ctx: CompileContext, at: string): Prepared['updates'][number] {
  const info = ctx.attributes.get(u.attribute);
  const readonly = info && readonlyReason(u.attribute, info.kind);
  const type = info?.type ?? 'text';
  const base = { attribute: u.attribute, type, value: null };
  if (!info) ctx.problem('JCT_ATTRIBUTE_UNKNOWN', `unknown attribute "${u.attribute}"; check the spelling or define it as a custom attribute`, `${at}.attribute`);
  else if (readonly) ctx.problem('JCT_ATTRIBUTE_READONLY', `"${u.attribute}" cannot be set: ${readonly}`, `${at}.attribute`);
  if (!info || readonly || 'clear' in u) return base;
  if ('formula' in u) return { ...base, formula: compileExpression(u.formula, ctx, type, `${at}.formula`) };
  if (typeof u.value === 'string' && u.value.includes('{{')) return { ...base, template: compileTemplate(u.value, ctx, `${at}.value`) };
  const c = coerceValue(type, u.value);
  if (!c.ok) ctx.problem('JCT_ATTRIBUTE_TYPE', `"${u.attribute}" is ${type}: ${c.message}`, `${at}.value`);
  return { ...base, value: c.ok ? c.value : null };
}

/** The value to set, or undefined after recording why there is none. */
function valueOf(u: Prepared['updates'][number], run: RunContext): Value | undefined {
  const scope = { vars: run.vars, person: run.person, now: run.now };
  if (u.formula) {
    const r = u.formula.evaluate(scope);
    if (r.ok) return r.value;
    run.fail(r.code, `"${u.attribute}": ${r.message}`);
    return undefined;
  }
  if (!u.template) return u.value;
  const c = coerceValue(u.type, u.template.resolve(scope));
  if (c.ok) return c.value;
  run.fail('JCT_ATTRIBUTE_TYPE', `"${u.attribute}" is ${u.type}: ${c.message}`);
  return undefined;
}
