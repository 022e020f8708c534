// Call webhook: sends an HTTP request to a URL (the `http.request` outbox entry, performed
// after the step is durable, with the entry's idempotency key in an `Idempotency-Key`
// header) and waits for the answer: `next` when it succeeds, `failed` when it fails for good
// or no answer comes within the timeout; a retry due after the timeout is not sent (the
// entry's deadline). The URL and the body are texts with {{placeholders}} (in the URL each
// value is percent-encoded; in the body, sent as JSON, escaped as inside a JSON string);
// without a body, a JSON object with the flow, participant, person and variables is sent.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type RunContext } from '../element.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';

const Config = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'http:// or https:// URL, with {{placeholders}} (their values percent-encoded)' }),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')], { default: 'POST' })),
    body: Type.Optional(Type.String({ maxLength: 100_000, description: 'JSON request body, with {{placeholders}} (their values escaped as inside a JSON string); default: a JSON summary of the participant' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'how long to wait for the answer, retries included' })),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  /** The URL as written when a placeholder is unknown (tolerated for flows launched before URLs took placeholders). */
  readonly url: CompiledTemplate | string;
  readonly method: string;
  readonly body: CompiledTemplate | undefined;
  readonly timeoutMs: number;
}

const NEXT = 0;
const FAILED = 1;

export default defineElement<Config, Prepared>({
  type: 'callWebhook',
  role: 'element',
  title: 'Call webhook',
  description: 'Sends an HTTP request and waits for its answer: next on success, failed otherwise.',
  config: Config,
  example: { url: 'https://crm.example/hooks/junction', body: '{"phone":"{{person.phone}}"}', timeoutSeconds: 30 },
  branches: () => ['next', 'failed'],
  waits: true,
  compile: (config, ctx) => ({
    url: compileTemplate(config.url, ctx, '.url') ?? config.url,
    method: config.method ?? 'POST',
    body: config.body === undefined ? undefined : compileTemplate(config.body, ctx, '.body'),
    timeoutMs: (config.timeoutSeconds ?? 60) * 1000,
  }),
  execute: (p, run) => {
    const until = run.now + p.timeoutMs;
    const url = typeof p.url === 'string' ? p.url : p.url.render({ vars: run.vars, person: run.person, now: run.now }, encodeURIComponent);
    run.emit({ kind: 'http.request', url, method: p.method, body: bodyOf(p, run), deadline: until });
    return { wait: true, on: 'effect', until };
  },
  resume: (_p, _run, input) => {
    if (input.kind === 'effect.result') return NEXT;
    if (input.kind === 'effect.failed' || input.kind === 'timer') return FAILED;
    return undefined;
  },
});

function bodyOf(p: Prepared, run: RunContext): string {
  if (p.body) return p.body.render({ vars: run.vars, person: run.person, now: run.now }, inJsonString);
  const { id, flowId, personId } = run.participant;
  return JSON.stringify({ flowId, participantId: id, personId, vars: run.vars });
}

/** A value as it reads inside a JSON string: quotes, backslashes and control characters escaped. */
function inJsonString(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
