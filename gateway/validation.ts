// Request validation for Fastify routes, with TypeBox instead of Fastify's Ajv: a compiled
// check on the way in, and on failure a JCT_REQUEST_INVALID error listing each problem's path
// and message. Nothing is coerced or silently dropped: a wrong type or an unknown field is
// an error. Both the check and the problem listing take time linear in the body size. JSON
// bodies nested deeper than the store can write are refused before they are parsed.
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

function invalidRequest(schema: TSchema, data: unknown, part: string): JunctionError {
  const problems = schemaProblems(schema, data, '$', 'JCT_REQUEST_INVALID', MAX_PROBLEMS + 1).map(({ path, message }) => ({ path, message }));
  const first = problems[0];
  const where = first ? `: ${first.path}: ${first.message}` : '';
  const more = problems.length > MAX_PROBLEMS ? ` (and more)` : problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new JunctionError('JCT_REQUEST_INVALID', `invalid ${part}${where}${more}`, { problems: problems.slice(0, MAX_PROBLEMS) });
}

/** Replaces the app's JSON body parser with Fastify's own behind a depth check (JCT_JSON_TOO_DEEP). */
export function limitJsonDepth(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonTooDeep(body as string)) done(tooDeepError('the request body'), undefined);
    else parse(req, body as string, done);
  });
}
