// Call webhook: sends an HTTP request to a URL (the `http.request` outbox entry, performed
// after the step is durable, with the entry's idempotency key in an `Idempotency-Key`
// header) and waits for the answer: `next` when it succeeds; `clientError` for a 4xx answer
// and `serverError` for a 5xx one (after retries) when those branches are connected; `failed`
// otherwise (no answer, unreachable, a redirect, or no answer within the timeout; a retry due
// after the timeout is not sent: the entry's deadline). With `waitForAnswer: false` it takes
// `next` at once and the request is sent after the step, its answer not awaited.
// Scheduling: a `window` (daily, local time) outside which the participant waits for its next
// start before the request is made (the timeout counts from then), and a `speed` (at most N
// requests per second, minute, hour or day from this element, spread evenly; the wait for a
// turn counts against the timeout, after which the request is not sent and failed is taken).
// The URL, the body and the header values are texts with {{placeholders}}: in the URL each
// value is percent-encoded; in a JSON body (the default) escaped as inside a JSON string; in a
// form body (a Content-Type header of application/x-www-form-urlencoded) percent-encoded; in
// any other body as it is; in a header value with control characters dropped (a header value is
// sent as its UTF-8 bytes). Without a
// body, the flow, participant, person and variables are sent (as JSON, or as form fields); a GET
// or DELETE is sent without a body (a configured one is refused). Headers that are the
// request's own (Host, Content-Length, Idempotency-Key, the signature…) are refused, and so is a URL
// naming a user or password (never sent: they belong in an Authorization header).
// `answer` saves values of a successful answer into flow variables, each found by a JSON
// path in its JSON body or by the name of one of its headers; a path that leads to nothing, to
// an object or a list, or to a value not of the variable's type sets the variable to empty (null).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type RunContext } from '../element.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';
import type { ExpressionScope } from '../expressions/scope.js';
import { JSON_PATH } from '../effects/http-request.js';
import { TimeOfDayString as Time } from '../flow-schema.js';
import { coerceValue, type ValueType } from '../values.js';
import { canonicalTimeZone, windowOpenAt } from '../calendar.js';
import { isEffectWait, type Outcome } from '../vocabulary.js';

/** Seconds in each period a speed may name. */
const PERIOD_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;

/** An HTTP header name (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a header value may not hold: a control character other than tab (a line break among them). */
const HEADER_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const HEADER_CONTROLS = new RegExp(HEADER_CONTROL, 'g');

/** One answer value saved into a variable: from the JSON body by path, or from a header by name. */
const AnswerItem = Type.Union([
  Type.Object(
    {
      variable: Type.String({ minLength: 1, description: 'a variable declared in settings.variables' }),
      path: Type.String({ pattern: JSON_PATH.source, maxLength: 500, description: 'JSON path in the answer, e.g. $.customer.points or $.items[0].id' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      variable: Type.String({ minLength: 1, description: 'a variable declared in settings.variables' }),
      header: Type.String({ pattern: HEADER_NAME.source, maxLength: 200, description: 'name of a header of the answer, e.g. X-Request-Id' }),
    },
    { additionalProperties: false },
  ),
]);

const Config = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'http:// or https:// URL, with {{placeholders}} (their values percent-encoded); never with a user or password (send them in an Authorization header)' }),
    method: Type.Optional(
      Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('GET'), Type.Literal('DELETE')], { default: 'POST', description: 'GET and DELETE send no body' }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 8000, not: { pattern: HEADER_CONTROL.source } }), {
        maxProperties: 30,
        propertyNames: { pattern: HEADER_NAME.source }, // names and values (not) for editors; compileHeaders() explains a bad one
        description:
          'request headers, name → value with {{placeholders}}, e.g. {"Authorization": "Bearer {{token}}"}; Content-Type application/x-www-form-urlencoded sends the body as a form. Kept with the flow, never logged',
      }),
    ),
    body: Type.Optional(
      Type.String({ maxLength: 100_000, description: 'request body, with {{placeholders}} (escaped for JSON by default, percent-encoded for a form); default: the participant summarized' }),
    ),
    window: Type.Optional(
      Type.Object(
        {
          start: Time,
          end: Time,
          timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "IANA time zone; default: the flow's" })),
        },
        { additionalProperties: false, description: 'requests are made only between start and end each day (an end before the start spans midnight); outside, the participant waits for the next start' },
      ),
    ),
    speed: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          per: Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]),
        },
        { additionalProperties: false, description: 'at most count requests per period from this element, spread evenly (100 per minute: one every 0.6 s); waiting for a turn counts against timeoutSeconds' },
      ),
    ),
    waitForAnswer: Type.Optional(Type.Boolean({ default: true, description: 'false: next at once, the request sent after the step and its answer not awaited (no answer variables)' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'how long to wait for the answer, retries included' })),
    answer: Type.Optional(
      Type.Array(AnswerItem, {
        minItems: 1,
        maxItems: 50,
        description: 'values of a successful answer saved into flow variables: by JSON path in its JSON body (up to 1 MiB) or by header name; empty when nothing of the variable\'s type is there',
      }),
    ),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

/** How the body's placeholders are written: by the body's Content-Type. */
type Format = 'json' | 'form' | 'text';

interface Prepared {
  /** The URL as written when a placeholder is unknown (tolerated for flows launched before URLs took placeholders). */
  readonly url: CompiledTemplate | string;
  readonly method: string;
  /** GET and DELETE: sent without a body. */
  readonly bodyless: boolean;
  readonly body: CompiledTemplate | undefined;
  readonly format: Format;
  readonly headers: ReadonlyArray<readonly [name: string, value: CompiledTemplate]>;
  readonly wait: boolean;
  readonly window: { readonly start: string; readonly end: string; readonly timeZone: string | undefined } | undefined;
  /** The outbox pace of this element's requests: its key and rate. */
  readonly pace: { readonly key: string; readonly perSecond: number } | undefined;
  readonly timeoutMs: number;
  readonly answer: ReadonlyArray<{ variable: string; type: ValueType; path?: string; header?: string }>;
  /** Whether the 4xx and 5xx branches are connected (else those answers take failed). */
  readonly clientError: boolean;
  readonly serverError: boolean;
}

const NEXT = 0;
const FAILED = 1;
const CLIENT_ERROR = 2;
const SERVER_ERROR = 3;

/** Headers the request sets itself. */
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection', 'idempotency-key', 'x-junction-signature']);

export default defineElement<Config, Prepared>({
  type: 'callWebhook',
  role: 'element',
  title: 'Call webhook',
  description: 'Sends an HTTP request and waits for its answer: next on success; clientError (4xx) and serverError (5xx) when connected; failed otherwise.',
  config: Config,
  example: {
    url: 'https://crm.example/hooks/junction',
    headers: { Authorization: 'Basic anVuY3Rpb246czNjcjN0' },
    body: '{"phone":"{{person.phone}}"}',
    timeoutSeconds: 30,
    answer: [{ variable: 'status', path: '$.customer.status' }],
  },
  branches: () => ['next', 'failed', 'clientError', 'serverError'],
  branchesNeverTaken: [
    {
      branches: ['failed', 'clientError', 'serverError'],
      config: Type.Object({ waitForAnswer: Type.Literal(false) }),
      when: 'with "waitForAnswer": false (it takes next at once, the answer not awaited)',
      fix: 'leave "waitForAnswer" out or true',
    },
  ],
  waits: true,
  compile: (config, ctx) => {
    const method = config.method ?? 'POST';
    const bodyless = method === 'GET' || method === 'DELETE';
    const wait = config.waitForAnswer ?? true;
    if (bodyless && config.body !== undefined) ctx.problem('JCT_WEBHOOK_BODY_NOT_SENT', `a ${method} request carries no body: leave "body" out and pass values in the URL with {{placeholders}}`, '.body');
    if (!wait && config.answer !== undefined) ctx.problem('JCT_WEBHOOK_ANSWER_NOT_AWAITED', 'answer variables need the answer: leave "answer" out or waitForAnswer true', '.answer');
    if (namesCredentials(config.url)) ctx.problem('JCT_WEBHOOK_URL_CREDENTIALS', 'a URL with a user or password is never requested: leave them out and send them in an Authorization header', '.url');
    const branches = ctx.node.branches ?? {};
    return {
      url: compileTemplate(config.url, ctx, '.url') ?? config.url,
      method,
      bodyless,
      body: config.body === undefined || bodyless ? undefined : compileTemplate(config.body, ctx, '.body'),
      format: formatOf(config.headers ?? {}),
      headers: compileHeaders(config.headers ?? {}, ctx),
      wait,
      window: compileWindow(config.window, ctx),
      pace: config.speed && { key: `${ctx.flow.id}\u0000${ctx.node.id}`, perSecond: config.speed.count / PERIOD_SECONDS[config.speed.per] },
      timeoutMs: (config.timeoutSeconds ?? 60) * 1000,
      answer: compileAnswer(config.answer ?? [], ctx),
      clientError: branches['clientError'] !== undefined,
      serverError: branches['serverError'] !== undefined,
    };
  },
  execute: (p, run) => {
    const opens = p.window && windowOpenAt(run.now, p.window.timeZone ?? run.timeZone, p.window.start, p.window.end);
    return opens !== undefined && opens > run.now ? { wait: true, on: '', until: opens } : request(p, run);
  },
  resume: (p, run, input) => {
    if (input.kind === 'effect.result') {
      saveAnswer(p, run, input.result);
      return NEXT;
    }
    if (input.kind === 'effect.failed') return failureOf(p, input.error.status);
    // A timer ends the wait for the answer, or the wait for the window, which opened.
    if (input.kind === 'timer') return isEffectWait(run.participant.waitOn) ? FAILED : request(p, run);
    return undefined;
  },
});

/** Emits the request; waits for its answer unless told not to. */
function request(p: Prepared, run: RunContext): Outcome {
  const until = run.now + p.timeoutMs;
  const scope = { vars: run.vars, person: run.person, now: run.now };
  const url = typeof p.url === 'string' ? p.url : p.url.render(scope, encodeURIComponent);
  const headers = p.headers.length > 0 ? { headers: Object.fromEntries(p.headers.map(([name, value]) => [name, headerValue(value, scope)])) } : {};
  const body = p.bodyless ? {} : { body: bodyOf(p, run) };
  run.emit({ kind: 'http.request', url, method: p.method, ...headers, ...body, deadline: until, ...answerFields(p), ...(p.pace ? { pace: p.pace } : {}) });
  return p.wait ? { wait: true, on: 'effect', until } : NEXT;
}

/** Whether a URL names a user or password before its host (placeholders there included). */
function namesCredentials(url: string): boolean {
  const authority = /^https?:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  return authority.includes('@');
}

function compileWindow(window: Config['window'], ctx: CompileContext): Prepared['window'] {
  if (window === undefined) return undefined;
  if (window.start === window.end) ctx.problem('JCT_WINDOW_EMPTY', `the window starts and ends at ${window.start}: give two different times (an end before the start spans midnight)`, '.window.end');
  const timeZone = window.timeZone === undefined ? undefined : canonicalTimeZone(window.timeZone);
  if (window.timeZone !== undefined && timeZone === undefined) ctx.problem('JCT_TIMEZONE_INVALID', `"${window.timeZone}" is not an IANA time zone, e.g. Europe/Zagreb`, '.window.timeZone');
  return { start: window.start, end: window.end, timeZone };
}

/** The branch of a failure: by the answer's status when its branch is connected. */
function failureOf(p: Prepared, status: number | undefined): number {
  if (status !== undefined && status >= 400 && status < 500 && p.clientError) return CLIENT_ERROR;
  if (status !== undefined && status >= 500 && p.serverError) return SERVER_ERROR;
  return FAILED;
}

function formatOf(headers: Readonly<Record<string, string>>): Format {
  const type = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1].toLowerCase();
  if (type === undefined || type.includes('json')) return 'json';
  return type.startsWith('application/x-www-form-urlencoded') ? 'form' : 'text';
}

/** Header names checked (a token, not one the request sets, once) and values compiled. */
function compileHeaders(headers: Readonly<Record<string, string>>, ctx: CompileContext): Array<readonly [string, CompiledTemplate]> {
  const seen = new Set<string>();
  return Object.entries(headers).flatMap(([name, value]) => {
    const at = `.headers[${JSON.stringify(name)}]`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name) || HEADER_CONTROL.test(value)) ctx.problem('JCT_WEBHOOK_HEADER_INVALID', `header ${JSON.stringify(name)}: a name is letters, digits and !#$%&'*+-.^_\`|~, a value one line of text`, at);
    else if (RESERVED.has(lower)) ctx.problem('JCT_WEBHOOK_HEADER_RESERVED', `header "${name}" is set by Junction itself (Host, Content-Length, Idempotency-Key, the signature…): leave it out`, at);
    else if (seen.has(lower)) ctx.problem('JCT_WEBHOOK_HEADER_REPEATED', `header "${name}" is given twice (names are case-insensitive)`, at);
    seen.add(lower);
    const compiled = compileTemplate(value, ctx, at);
    return compiled ? [[name, compiled] as const] : [];
  });
}

function compileAnswer(answer: Config['answer'] & object, ctx: CompileContext): Prepared['answer'] {
  return answer.flatMap((item, i) => {
    const type = ctx.variables.get(item.variable);
    if (type) return [{ ...item, type }];
    ctx.problem('JCT_VARIABLE_UNKNOWN', `no flow variable "${item.variable}"; declare it in settings.variables`, `.answer[${i}].variable`);
    return [];
  });
}

/** What the request reads of a successful answer: JSON paths in the body, header names (lower case). */
function answerFields(p: Prepared): { answerPaths?: string[]; answerHeaders?: string[] } {
  const paths = p.answer.flatMap((a) => (a.path === undefined ? [] : [a.path]));
  const headers = p.answer.flatMap((a) => (a.header === undefined ? [] : [a.header.toLowerCase()]));
  return { ...(paths.length > 0 ? { answerPaths: paths } : {}), ...(headers.length > 0 ? { answerHeaders: headers } : {}) };
}

/** Sets the answer's variables from the values the request found at their paths and headers. */
function saveAnswer(p: Prepared, run: RunContext, result: unknown): void {
  const found = (result ?? {}) as { values?: unknown[]; headers?: unknown[] };
  let path = 0;
  let header = 0;
  for (const { variable, type, path: byPath } of p.answer) {
    const value = byPath === undefined ? found.headers?.[header++] : found.values?.[path++];
    const c = coerceValue(type, value ?? null);
    run.setVar(variable, c.ok ? c.value : null);
  }
}

function bodyOf(p: Prepared, run: RunContext): string {
  if (p.body) return p.body.render({ vars: run.vars, person: run.person, now: run.now }, ESCAPES[p.format]);
  const { id, flowId, personId } = run.participant;
  if (p.format !== 'form') return JSON.stringify({ flowId, participantId: id, personId, vars: run.vars });
  const form = new URLSearchParams({ flowId, participantId: id, personId });
  for (const [name, value] of Object.entries(run.vars)) for (const item of Array.isArray(value) ? value : [value]) form.append(name, item === null ? '' : String(item));
  return form.toString();
}

/** How a placeholder's value is written into the body, by its format. */
const ESCAPES: Record<Format, (value: string) => string> = {
  // As it reads inside a JSON string: quotes, backslashes and control characters escaped.
  json: (value) => JSON.stringify(value).slice(1, -1),
  form: encodeURIComponent,
  text: (value) => value,
};

/**
 * A header's value as sent: one line (a placeholder's control characters dropped; the flow's
 * own text has none), its UTF-8 bytes as they are, the flow's text as well as the values (a
 * character past U+00FF could not be sent otherwise).
 */
function headerValue(value: CompiledTemplate, scope: ExpressionScope): string {
  return Buffer.from(value.render(scope, (text) => text.replace(HEADER_CONTROLS, '')), 'utf8').toString('latin1');
}
