// Call webhook: sends an HTTP request to a URL (the `http.request` outbox entry, performed
// after the step is durable, with the entry's idempotency key in an `Idempotency-Key`
// header) and waits for the answer: `next` when it succeeds, `failed` when it fails for good
// or no answer comes within the timeout; a retry due after the timeout is not sent (the
// entry's deadline). The URL and the body are texts with {{placeholders}} (in the URL each
// value is percent-encoded; in the body, sent as JSON, escaped as inside a JSON string);
// without a body, a JSON object with the flow, participant, person and variables is sent; a GET
// or DELETE is sent without a body (a configured one is refused).
// `answer` saves values of a successful JSON answer into flow variables, each found by a JSON
// path; a path that leads to nothing, to an object or a list, or to a value not of the
// variable's type sets the variable to empty (null).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type RunContext } from '../element.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';
import { JSON_PATH } from '../effects/http-request.js';
import { coerceValue, type ValueType } from '../values.js';

const Config = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'http:// or https:// URL, with {{placeholders}} (their values percent-encoded)' }),
    method: Type.Optional(
      Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('GET'), Type.Literal('DELETE')], { default: 'POST', description: 'GET and DELETE send no body' }),
    ),
    body: Type.Optional(Type.String({ maxLength: 100_000, description: 'JSON request body, with {{placeholders}} (their values escaped as inside a JSON string); default: a JSON summary of the participant' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'how long to wait for the answer, retries included' })),
    answer: Type.Optional(
      Type.Array(
        Type.Object(
          {
            variable: Type.String({ minLength: 1, description: 'a variable declared in settings.variables' }),
            path: Type.String({ pattern: JSON_PATH.source, maxLength: 500, description: 'JSON path in the answer, e.g. $.customer.points or $.items[0].id' }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 50, description: 'values of a successful JSON answer (up to 1 MiB) saved into flow variables; empty when the path leads to no text, number or boolean' },
      ),
    ),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  /** The URL as written when a placeholder is unknown (tolerated for flows launched before URLs took placeholders). */
  readonly url: CompiledTemplate | string;
  readonly method: string;
  /** GET and DELETE: sent without a body. */
  readonly bodyless: boolean;
  readonly body: CompiledTemplate | undefined;
  readonly timeoutMs: number;
  readonly answer: ReadonlyArray<{ variable: string; path: string; type: ValueType }>;
}

const NEXT = 0;
const FAILED = 1;

export default defineElement<Config, Prepared>({
  type: 'callWebhook',
  role: 'element',
  title: 'Call webhook',
  description: 'Sends an HTTP request and waits for its answer: next on success, failed otherwise.',
  config: Config,
  example: { url: 'https://crm.example/hooks/junction', body: '{"phone":"{{person.phone}}"}', timeoutSeconds: 30, answer: [{ variable: 'status', path: '$.customer.status' }] },
  branches: () => ['next', 'failed'],
  waits: true,
  compile: (config, ctx) => {
    const method = config.method ?? 'POST';
    const bodyless = method === 'GET' || method === 'DELETE';
    if (bodyless && config.body !== undefined) ctx.problem('JCT_WEBHOOK_BODY_NOT_SENT', `a ${method} request carries no body: leave "body" out and pass values in the URL with {{placeholders}}`, '.body');
    return {
      url: compileTemplate(config.url, ctx, '.url') ?? config.url,
      method,
      bodyless,
      body: config.body === undefined || bodyless ? undefined : compileTemplate(config.body, ctx, '.body'),
      timeoutMs: (config.timeoutSeconds ?? 60) * 1000,
      answer: (config.answer ?? []).flatMap(({ variable, path }, i) => {
        const type = ctx.variables.get(variable);
        if (type) return [{ variable, path, type }];
        ctx.problem('JCT_VARIABLE_UNKNOWN', `no flow variable "${variable}"; declare it in settings.variables`, `.answer[${i}].variable`);
        return [];
      }),
    };
  },
  execute: (p, run) => {
    const until = run.now + p.timeoutMs;
    const url = typeof p.url === 'string' ? p.url : p.url.render({ vars: run.vars, person: run.person, now: run.now }, encodeURIComponent);
    const answerPaths = p.answer.length > 0 ? { answerPaths: p.answer.map((a) => a.path) } : {};
    const body = p.bodyless ? {} : { body: bodyOf(p, run) };
    run.emit({ kind: 'http.request', url, method: p.method, ...body, deadline: until, ...answerPaths });
    return { wait: true, on: 'effect', until };
  },
  resume: (p, run, input) => {
    if (input.kind === 'effect.result') {
      saveAnswer(p, run, input.result);
      return NEXT;
    }
    if (input.kind === 'effect.failed' || input.kind === 'timer') return FAILED;
    return undefined;
  },
});

/** Sets the answer's variables from the values the request found at their paths. */
function saveAnswer(p: Prepared, run: RunContext, result: unknown): void {
  const values = (result as { values?: unknown[] } | null)?.values ?? [];
  p.answer.forEach(({ variable, type }, i) => {
    const c = coerceValue(type, values[i] ?? null);
    run.setVar(variable, c.ok ? c.value : null);
  });
}

function bodyOf(p: Prepared, run: RunContext): string {
  if (p.body) return p.body.render({ vars: run.vars, person: run.person, now: run.now }, inJsonString);
  const { id, flowId, personId } = run.participant;
  return JSON.stringify({ flowId, participantId: id, personId, vars: run.vars });
}

/** A value as it reads inside a JSON string: quotes, backslashes and control characters escaped. */
function inJsonString(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
