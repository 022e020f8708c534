// Text with placeholders, using the same names as expressions:
//   {{orderId}}                      the flow variable `orderId`
//   {{person.firstName}}             the person attribute `firstName`
//   {{person.sms.lastContactedAt}}   any catalog attribute, written as the catalog names it
// `person.` always means an attribute, so a name is never ambiguous. Spaces inside the
// braces are allowed; a name that is neither a declared variable nor a catalog attribute
// is reported at compile (JCT_PLACEHOLDER_UNKNOWN). An empty value renders as nothing,
// dates and date-times in their canonical form (2026-03-01, 2026-03-01T09:00:00.000Z),
// lists as their items joined with ", ". Text without a closing `}}` stays as written.
import { attributeValue } from '../people/profile.js';
import type { CompileContext } from '../element.js';
import type { Value, ValueType } from '../values.js';
import type { ExpressionScope } from './scope.js';

export interface CompiledTemplate {
  readonly text: string;
  /** Placeholder names in order of appearance, as written (without braces and spaces). */
  readonly placeholders: readonly string[];
  /** The type resolve() gives: the placeholder's own when the text is one placeholder, otherwise text. */
  readonly type: ValueType;
  /** The text with each placeholder's value, passed through `escape` when given (e.g. for a URL). */
  render(scope: ExpressionScope, escape?: (value: string) => string): string;
  /**
   * The value for a typed target (e.g. a profile update): a text that is exactly one
   * placeholder (spaces around allowed) keeps that value and its type; any other text is rendered.
   */
  resolve(scope: ExpressionScope): Value;
}

interface Slot {
  readonly name: string;
  readonly type: ValueType;
  read(scope: ExpressionScope): Value;
}

type Part = string | Slot;

/** What compiling a template needs of an element's CompileContext. */
export type TemplateContext = Pick<CompileContext, 'attributes' | 'variables' | 'problem'>;

const PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;
const PERSON_PREFIX = 'person.';

/** Compiles `text`; reports each unknown placeholder at `subpath` and then returns undefined. */
export function compileTemplate(text: string, ctx: TemplateContext, subpath: string): CompiledTemplate | undefined {
  const parts: Part[] = [];
  let unknown = false;
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    const slot = resolveName(name, ctx);
    if (!slot) {
      unknown = true;
      ctx.problem('JCT_PLACEHOLDER_UNKNOWN', unknownMessage(name), subpath);
    } else {
      parts.push(text.slice(last, match.index), slot);
    }
    last = match.index + match[0].length;
  }
  if (unknown) return undefined;
  parts.push(text.slice(last));
  return build(text, parts.filter((part) => part !== ''));
}

function resolveName(name: string, ctx: TemplateContext): Slot | undefined {
  if (name.startsWith(PERSON_PREFIX)) {
    const attribute = ctx.attributes.get(name.slice(PERSON_PREFIX.length));
    return attribute && {
      name,
      type: attribute.type,
      read: (scope) => attributeValue(scope.person, attribute.name),
    };
  }
  const type = ctx.variables.get(name);
  return type && { name, type, read: (scope) => scope.vars[name] ?? null };
}

function unknownMessage(name: string): string {
  if (name.startsWith(PERSON_PREFIX)) {
    return `{{${name}}}: the person has no attribute ${name.slice(PERSON_PREFIX.length)}`;
  }
  return `{{${name}}}: no flow variable is named ${JSON.stringify(name)} (person attributes are written {{person.name}})`;
}

function build(text: string, parts: readonly Part[]): CompiledTemplate {
  const slots = parts.filter((part): part is Slot => typeof part !== 'string');
  const only = slots.length === 1 && parts.every((part) => typeof part !== 'string' || part.trim() === '') ? slots[0] : undefined;
  const render = (scope: ExpressionScope, escape = (value: string) => value): string =>
    parts.map((part) => (typeof part === 'string' ? part : escape(display(part.read(scope))))).join('');
  return {
    text,
    placeholders: slots.map((slot) => slot.name),
    type: only?.type ?? 'text',
    render,
    resolve: (scope) => (only ? only.read(scope) : render(scope)),
  };
}

/** How a value reads inside text. */
function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(display).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
