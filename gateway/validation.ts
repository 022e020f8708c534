// Request validation for Fastify routes, with TypeBox instead of Fastify's Ajv: a compiled
// check on the way in, and on failure a JCT_REQUEST_INVALID error listing each problem's path
// and message. Nothing is coerced or silently dropped: a wrong type or an unknown field is
// an error. Both the check and the problem listing take time linear in the body size. JSON
// bodies nested deeper than the store can write are refused before they are parsed, and so are
// bodies that are not valid UTF-8 (whatever charset they claim): they are never stored with
// their bytes replaced. A body whose objects use the keys `__proto__` or `constructor.prototype`
// (prototype poisoning) is refused as such (JCT_JSON_FORBIDDEN_KEY), not as invalid JSON.
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { JunctionError } from '../engine/errors.js';
import { jsonTooDeep, tooDeepError } from '../engine/json-text.js';
import { schemaProblems } from '../engine/schema-problems.js';

/** Problems listed in one answer (checking stops there: a hostile body costs no more). */
const MAX_PROBLEMS = 20;

/** Fastify validator compiler: `app.setValidatorCompiler(compileValidator)`. */
export const compileValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  return (data: unknown) => (check.Check(data) ? true : { error: invalidRequest(schema, data, httpPart ?? 'request') });
};

/** JCT_REQUEST_INVALID (400) naming `part` and up to MAX_PROBLEMS of `data`'s problems against `schema`. */
export function invalidRequest(schema: TSchema, data: unknown, part: string): JunctionError {
  const problems = schemaProblems(schema, data, '$', 'JCT_REQUEST_INVALID', MAX_PROBLEMS + 1).map(({ path, message }) => ({ path, message }));
  const first = problems[0];
  const where = first ? `: ${first.path}: ${first.message}` : '';
  const more = problems.length > MAX_PROBLEMS ? ` (and more)` : problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new JunctionError('JCT_REQUEST_INVALID', `invalid ${part}${where}${more}`, { problems: problems.slice(0, MAX_PROBLEMS) });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body's text; JCT_BODY_ENCODING (400) when it is not valid UTF-8. */
export function utf8Body(raw: Buffer): string {
  try {
    return UTF8.decode(raw);
  } catch {
    throw new JunctionError('JCT_BODY_ENCODING', 'the request body is not valid UTF-8');
  }
}

/**
 * Replaces the app's JSON body parser with Fastify's own behind an encoding check
 * (JCT_BODY_ENCODING) and a depth check (JCT_JSON_TOO_DEEP). An empty body is no body (many
 * clients send the JSON content type on every request): a route that needs one says so.
 * Fastify's parser refuses a forbidden key as it refuses broken JSON: a refused body that is
 * JSON after all is told apart (parsed once more, on the refusal only).
 */
export function limitJsonDepth(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw: Buffer, done) => {
    if (raw.length === 0) return done(null, undefined);
    let body: string;
    try {
      body = utf8Body(raw);
    } catch (err) {
      return done(err as JunctionError, undefined);
    }
    if (jsonTooDeep(body)) done(tooDeepError('the request body'), undefined);
    else parse(req, body, (err, value) => done(err && isJson(body) ? forbiddenKey() : err, value));
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function forbiddenKey(): JunctionError {
  return new JunctionError('JCT_JSON_FORBIDDEN_KEY', 'the request body uses the key "__proto__" or "constructor" with "prototype" in an object: such keys are refused');
}
