// Performs `http.request` outbox entries (Call webhook): one HTTP request with the entry's
// idempotency key (externalKey: its outbox key and deadline) in the `Idempotency-Key` header, so a receiver can drop the duplicate a
// crash between sending and recording may cause. The entry's own `headers` go first (the
// flow's, e.g. Authorization; they are never logged); a body without a Content-Type of the
// flow's is sent as JSON, a request without its User-Agent as `junction`. With a signing secret configured, the body
// is signed: `X-Junction-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
// (an entry without a body, a GET or DELETE, is sent without one and signed over "<t>.").
// Its address passes the address guard (address-guard.ts; loopback and private ones refused
// when `httpPrivateAddresses` says so): a refused one fails for good.
// 2xx is a result; 408, 429, 5xx, timeouts and network errors are retryable, after the
// answer's Retry-After when it gives one; other answers fail for good. A failure that was an
// answer carries its status (the element branches on 4xx and 5xx). The timeout
// (`httpTimeoutMs`) covers the whole exchange, the answer's body read included. A redirect is
// not followed (a POST would be resent as a GET without its body, by the usual rules): it
// fails for good, naming where it points. A URL that is none once its placeholders are filled
// in, or that names a user or password, fails for good too (JCT_HTTP_URL_INVALID), unquoted. When the entry lists `answerPaths` (JSON
// paths such as $.customer.points), a 2xx answer's JSON body (up to 1 MiB) is read and the
// result holds the value at each path: a text, number or boolean, else null (an object, a list,
// nothing there, or a body that is not JSON or is larger). `answerHeaders` (lower-case names)
// are read into the result's `headers`, each the header's value or null.
import { createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { EffectHandler } from '../module.js';
import { EffectFailure, retryAfterMs } from '../errors.js';
import { jsonTooDeep } from '../json-text.js';
import { externalKey } from '../vocabulary.js';
import { AddressRefused } from './address-guard.js';
import { guardedRequest, type Answer } from './guarded-request.js';

/** The core module's settings for outgoing requests (configuration `modules.core`). */
export const HttpRequestSettings = Type.Object(
  {
    httpTimeoutMs: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000, description: 'longest one webhook request may take (ms)' }),
    httpPrivateAddresses: Type.Union([Type.Literal('allow'), Type.Literal('refuse')], {
      default: 'allow',
      description: 'whether webhooks may call loopback and private addresses (a CRM inside the network); link-local ones (cloud metadata) are never called',
    }),
    httpSigningSecret: Type.Optional(
      Type.String({ minLength: 16, maxLength: 512, description: 'signs every webhook body (X-Junction-Signature header); unset: unsigned' }),
    ),
  },
  { additionalProperties: false },
);
type HttpRequestSettings = Static<typeof HttpRequestSettings>;

export const httpRequest: EffectHandler = {
  kind: 'http.request',
  async perform(effect, ctx) {
    const settings = ctx.settings as HttpRequestSettings;
    const body = effect['body'] as string | undefined;
    const own = (effect['headers'] as Record<string, string> | undefined) ?? {};
    const headers = headersOf(own, body, externalKey(effect), settings, ctx.now());
    const asked: Asked = { paths: effect['answerPaths'] as readonly string[] | undefined, names: effect['answerHeaders'] as readonly string[] | undefined };
    const outcome = await send(effect['url'] as string, { method: effect['method'] as string, headers, body }, settings, (url, answer) => outcomeOf(url, answer, asked, ctx.now()));
    if (outcome instanceof EffectFailure) throw outcome;
    return outcome;
  },
};

/** What the entry reads of a successful answer: values at JSON paths, headers (lower-case names). */
interface Asked {
  readonly paths: readonly string[] | undefined;
  readonly names: readonly string[] | undefined;
}

/** A 2xx answer's result, else the failure it is (thrown by the caller, once the exchange is over). */
async function outcomeOf(url: URL, answer: Answer, asked: Asked, now: number): Promise<Record<string, unknown> | EffectFailure> {
  const { statusCode: status } = answer;
  if (status >= 200 && status < 300) return resultOf(answer, asked);
  await answer.body.dump();
  const retryable = status === 408 || status === 429 || status >= 500;
  const wait = retryable ? retryAfterMs(headerOf(answer, 'retry-after'), now) : undefined;
  return new EffectFailure('JCT_HTTP_STATUS', `the webhook answered ${status}${redirectNote(url, answer)}`, retryable, wait, status);
}

/** A 2xx answer as the element reads it: its status, and the values and headers it asked for. */
async function resultOf(answer: Answer, { paths, names }: Asked): Promise<Record<string, unknown>> {
  const headers = names === undefined ? {} : { headers: names.map((name) => headerOf(answer, name)) };
  if (paths !== undefined) return { status: answer.statusCode, values: valuesAt(await answerJson(answer), paths), ...headers };
  await answer.body.dump();
  return { status: answer.statusCode, ...headers };
}

/** An answer's header (a lower-case name): its value, several joined by commas; null when absent. */
function headerOf(answer: Answer, name: string): string | null {
  const value = answer.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The User-Agent of a request whose flow names none. */
const USER_AGENT = 'junction';

/**
 * The flow's headers, then ours: a body is JSON and the User-Agent Junction's unless the flow
 * named them; ours cannot be overridden (the element refuses those names).
 */
function headersOf(own: Readonly<Record<string, string>>, body: string | undefined, key: string, settings: HttpRequestSettings, now: number): Record<string, string> {
  const headers: Record<string, string> = { ...own };
  const named = (wanted: string): boolean => Object.keys(own).some((name) => name.toLowerCase() === wanted);
  if (body !== undefined && !named('content-type')) headers['content-type'] = 'application/json';
  if (!named('user-agent')) headers['user-agent'] = USER_AGENT;
  headers['idempotency-key'] = key;
  if (settings.httpSigningSecret !== undefined) headers['x-junction-signature'] = signature(settings.httpSigningSecret, body ?? '', now);
  return headers;
}

/** The signature header's value for a body sent at `now` (ms). */
export function signature(secret: string, body: string, now: number): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** The longest answer body read for its values (bytes). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** JSON path syntax: $ then .name or [index] steps. */
export const JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/;

/** The answer body as JSON; undefined when it is not JSON or is larger than MAX_ANSWER_BYTES. */
async function answerJson(answer: Answer): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      answer.body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (jsonTooDeep(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The text, number or boolean at each path of `json`; null for anything else. */
export function valuesAt(json: unknown, paths: readonly string[]): Array<string | number | boolean | null> {
  return paths.map((path) => {
    let at: unknown = json;
    for (const [, name, index] of path.matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
      const key = name ?? Number(index);
      at = at !== null && typeof at === 'object' && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
    }
    return typeof at === 'string' || typeof at === 'number' || typeof at === 'boolean' ? at : null;
  });
}

/**
 * For a redirect: that it is not followed and where it points (origin and path only: a query
 * may hold a token), so the flow's URL can be corrected.
 */
function redirectNote(url: URL, answer: Answer): string {
  const location = headerOf(answer, 'location');
  if (location === null || !URL.canParse(location, url.href)) return '';
  const { origin, pathname } = new URL(location, url);
  return ` (a redirect to ${origin}${pathname}, not followed: set the URL it points to)`;
}

/**
 * Why a URL can never be requested (a user or password in it would be sent as neither), or
 * undefined; never quoting it: it may hold a secret, and the message is logged and kept.
 */
function urlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return 'is not a valid URL once its placeholders are filled in';
  const { username, password } = new URL(url);
  return username !== '' || password !== '' ? 'names a user or password: send credentials in an Authorization header' : undefined;
}

/**
 * The request, through the address guard, its answer made into an outcome by `read` within the
 * time allowed: an address the guard refuses fails for good (JCT_HTTP_ADDRESS_REFUSED); no
 * answer in time, or a network error before it was read, may be retried (JCT_HTTP_UNREACHABLE).
 */
async function send<T>(
  address: string,
  init: { method: string; headers: Record<string, string>; body: string | undefined },
  settings: HttpRequestSettings,
  read: (url: URL, answer: Answer) => Promise<T>,
): Promise<T> {
  const allowPrivate = settings.httpPrivateAddresses !== 'refuse';
  const invalid = urlProblem(address);
  if (invalid !== undefined) throw new EffectFailure('JCT_HTTP_URL_INVALID', `the webhook's URL ${invalid}`, false);
  try {
    const url = new URL(address);
    return await guardedRequest(url, { ...init, allowPrivate, timeoutMs: settings.httpTimeoutMs }, (answer) => read(url, answer));
  } catch (err) {
    if (err instanceof AddressRefused) throw new EffectFailure('JCT_HTTP_ADDRESS_REFUSED', `the webhook's address ${err.message}`, false);
    throw new EffectFailure('JCT_HTTP_UNREACHABLE', `the webhook could not be reached: ${(err as Error).message}`, true);
  }
}
