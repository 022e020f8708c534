// The keyword condition as flows write it (Inbound Message entry points and Evaluate inbound
// message branches), and its checks: a pattern must compile on RE2 and stay short, an
// attribute must exist, button operators belong to WhatsApp.
import { Type } from '@sinclair/typebox';
import type { CompileContext } from '../element.js';
import { compilePattern, type KeywordCondition } from './keywords.js';

const MAX_PATTERN = 1000;

const Texts = Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { minItems: 1, maxItems: 100, description: 'any of these (OR)' });

export const ConditionSchema = Type.Union(
  [
    Type.Object({ operator: Type.Literal('anything', { description: 'any message' }) }, { additionalProperties: false }),
    Type.Object(
      { operator: Type.Literal('equalsAttribute', { description: 'the text equals this person attribute' }), attribute: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    ),
    Type.Object({ operator: Type.Literal('matchesText', { description: 'the whole text is one of these' }), values: Texts }, { additionalProperties: false }),
    Type.Object(
      {
        operator: Type.Literal('matchesRegex', { description: 'the text matches this RE2 pattern (case-insensitive)' }),
        pattern: Type.String({ minLength: 1, maxLength: MAX_PATTERN }),
      },
      { additionalProperties: false },
    ),
    Type.Object({ operator: Type.Literal('containsText', { description: 'the text contains one of these' }), values: Texts }, { additionalProperties: false }),
    Type.Object({ operator: Type.Literal('buttonText', { description: 'WhatsApp: the button pressed has this text' }), values: Texts }, { additionalProperties: false }),
    Type.Object({ operator: Type.Literal('buttonPayload', { description: 'WhatsApp: the button pressed has this payload' }), values: Texts }, { additionalProperties: false }),
  ],
  { description: 'what the message must be; priority across flows: attribute, button payload, button text, text, pattern, contains, anything' },
);

/** A condition no message meets: what a condition with a problem compiles to. */
const NEVER: KeywordCondition = { operator: 'matchesText', values: [] };

/** Checks what the schema cannot, reporting problems at `subpath`; returns the condition to run (NEVER when it has a problem). */
export function checkCondition(condition: KeywordCondition, channel: string, ctx: CompileContext, subpath: string): KeywordCondition {
  let ok = true;
  const problem = (code: string, message: string, at: string): void => {
    ok = false;
    ctx.problem(code, message, `${subpath}${at}`);
  };
  if (condition.operator === 'matchesRegex') {
    try {
      compilePattern(condition.pattern);
    } catch (err) {
      problem('JCT_PATTERN_INVALID', `the pattern cannot run on RE2 (no backreferences or lookarounds): ${(err as Error).message}`, '.pattern');
    }
  }
  if (condition.operator === 'equalsAttribute' && !ctx.attributes.get(condition.attribute)) {
    problem('JCT_ATTRIBUTE_UNKNOWN', `no person attribute "${condition.attribute}"`, '.attribute');
  }
  if ((condition.operator === 'buttonText' || condition.operator === 'buttonPayload') && channel !== 'whatsapp') {
    problem('JCT_CONDITION_CHANNEL', `${condition.operator} needs the whatsapp channel`, '.operator');
  }
  return ok ? condition : NEVER;
}
