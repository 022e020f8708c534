// Junction's expression language: CEL (cel-js) with Junction's functions (functions.ts),
// the flow's variables by bare name (`count + 1`), the person's attributes as
// `person.firstName`, and `now()`. An expression is parsed and type-checked once, at flow
// compile; evaluation is synchronous, deterministic and never throws.
//
// Problems reported at compile:
//   JCT_EXPRESSION_TOO_LONG      more than MAX_EXPRESSION_LENGTH characters
//   JCT_EXPRESSION_TOO_COMPLEX   beyond the structural limits (nesting, size, comprehensions)
//   JCT_EXPRESSION_SYNTAX        not valid CEL
//   JCT_EXPRESSION_TYPE          unknown name, or no function/operator for those types
//   JCT_EXPRESSION_ARGUMENT      a literal argument the function cannot use (unit, pattern)
//   JCT_EXPRESSION_RESULT_TYPE   the result can never become the expected type
// At run time every failure is an EvalResult with code JCT_EXPRESSION_FAILED.
import { EvaluationError, ParseError, TypeError as CelTypeError, type ParseResult } from '@marcbachmann/cel-js';
import type { CompileContext } from '../element.js';
import type { ValueType } from '../values.js';
import { inspect } from './checks.js';
import { fromCel, resultFits } from './convert.js';
import { flowEnvironment } from './environment.js';
import { EXPRESSION_FAILED, enter, leave, type EvalResult, type ExpressionScope } from './scope.js';

export type { EvalResult, ExpressionScope } from './scope.js';
export { EXPRESSION_FAILED } from './scope.js';

export const MAX_EXPRESSION_LENGTH = 2000;

export interface CompiledExpression {
  readonly source: string;
  evaluate(scope: ExpressionScope): EvalResult;
}

/**
 * Parses and type-checks `source` against the flow's variables and attributes. Reports
 * problems through `ctx` at `subpath` and returns undefined when there are any.
 * `expected` is the Junction type the result must become; undefined accepts any value.
 */
export function compileExpression(
  source: string,
  ctx: CompileContext,
  expected: ValueType | undefined,
  subpath: string,
): CompiledExpression | undefined {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    ctx.problem(
      'JCT_EXPRESSION_TOO_LONG',
      `the expression has ${source.length} characters; at most ${MAX_EXPRESSION_LENGTH} are allowed`,
      subpath,
    );
    return undefined;
  }
  const { env, context } = flowEnvironment(ctx.variables, ctx.attributes);
  let program: ParseResult;
  try {
    program = env.parse(source);
  } catch (err) {
    ctx.problem(parseProblemCode(err), describe(err), subpath);
    return undefined;
  }
  const checked = program.check();
  if (!checked.valid) {
    ctx.problem('JCT_EXPRESSION_TYPE', describe(checked.error), subpath);
    return undefined;
  }
  const finding = inspect(program.ast);
  if (finding) {
    ctx.problem(finding.code, finding.message, subpath);
    if (!finding.runs) return undefined; // else kept for a compile that tolerates it
  }
  const resultType = checked.type ?? 'dyn';
  if (expected !== undefined && !resultFits(resultType, expected)) {
    ctx.problem(
      'JCT_EXPRESSION_RESULT_TYPE',
      `the expression gives ${plainTypes(resultType)}, which cannot become ${expected}`,
      subpath,
    );
    return undefined;
  }
  const zone = ctx.timeZone;
  return {
    source,
    evaluate(scope: ExpressionScope): EvalResult {
      enter(scope, zone);
      try {
        return { ok: true, value: fromCel(program(context), expected, zone) };
      } catch (err) {
        return { ok: false, code: EXPRESSION_FAILED, message: describe(err) };
      } finally {
        leave();
      }
    },
  };
}

function parseProblemCode(err: unknown): string {
  if (err instanceof ParseError && err.code === 'limit_exceeded') return 'JCT_EXPRESSION_TOO_COMPLEX';
  return err instanceof CelTypeError ? 'JCT_EXPRESSION_TYPE' : 'JCT_EXPRESSION_SYNTAX';
}

/** One line: cel-js's summary and where in the source it points, without its ASCII-art excerpt. */
function describe(err: unknown): string {
  if (err instanceof ParseError || err instanceof CelTypeError || err instanceof EvaluationError) {
    const start = err.range?.start;
    return plainTypes(start === undefined ? err.summary : `${err.summary} (at character ${start + 1})`);
  }
  return err instanceof Error ? err.message : String(err);
}

/** Authors write timestamps and durations; cel-js names them by their protobuf types. */
function plainTypes(text: string): string {
  return text.replaceAll('google.protobuf.Timestamp', 'timestamp').replaceAll('google.protobuf.Duration', 'duration');
}
