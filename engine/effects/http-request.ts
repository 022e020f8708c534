// Performs `http.request` outbox entries (Call webhook): one HTTP request with the entry's
// idempotency key (externalKey: its outbox key and deadline) in the `Idempotency-Key` header, so a receiver can drop the duplicate a
// crash between sending and recording may cause. The entry's own `headers` go first (the
// flow's, e.g. Authorization; they are never logged); a body without a Content-Type of the
// flow's is sent as JSON. With a signing secret configured, the body
// is signed: `X-Junction-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
// (an entry without a body, a GET or DELETE, is sent without one and signed over "<t>.").
// Its address passes the address guard (address-guard.ts; loopback and private ones refused
// when `httpPrivateAddresses` says so): a refused one fails for good.
// 2xx is a result; 408, 429, 5xx, timeouts and network errors are retryable, after the
// answer's Retry-After when it gives one; other answers fail for good. A failure that was an
// answer carries its status (the element branches on 4xx and 5xx). A redirect is not followed
// (fetch would resend a POST as a GET without its
// body): it fails for good, naming where it points. A URL that is none once its placeholders are
// filled in, or that names a user or password, fails for good too (JCT_HTTP_URL_INVALID), unquoted. When the entry lists `answerPaths` (JSON
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
import { lazyRequire } from '../lazy-require.js';
import { checkUrlAddress, guardedAgent, refusedBehind } from './address-guard.js';

const undici = lazyRequire<typeof import('undici')>('undici');

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
    const response = await send(effect['url'] as string, { method: effect['method'] as string, headers, body }, settings);
    if (response.ok) return resultOf(response, effect['answerPaths'] as readonly string[] | undefined, effect['answerHeaders'] as readonly string[] | undefined);
    await response.body?.cancel();
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    const wait = retryable ? retryAfterMs(response.headers.get('retry-after'), ctx.now()) : undefined;
    throw new EffectFailure('JCT_HTTP_STATUS', `the webhook answered ${response.status}${redirectNote(response)}`, retryable, wait, response.status);
  },
};

/** A 2xx answer as the element reads it: its status, and the values and headers it asked for. */
async function resultOf(response: Response, paths: readonly string[] | undefined, names: readonly string[] | undefined): Promise<Record<string, unknown>> {
  const headers = names === undefined ? {} : { headers: names.map((name) => response.headers.get(name)) };
  if (paths !== undefined) return { status: response.status, values: valuesAt(await answerJson(response), paths), ...headers };
  await response.body?.cancel();
  return { status: response.status, ...headers };
}

/** The flow's headers, then ours: a body is JSON unless the flow named its type; ours cannot be overridden (the element refuses those names). */
function headersOf(own: Readonly<Record<string, string>>, body: string | undefined, key: string, settings: HttpRequestSettings, now: number): Record<string, string> {
  const headers: Record<string, string> = { ...own };
  if (body !== undefined && !Object.keys(own).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
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
async function answerJson(response: Response): Promise<unknown> {
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(r.value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
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
function redirectNote(response: Response): string {
  const location = response.headers.get('location');
  if (location === null || !URL.canParse(location, response.url)) return '';
  const { origin, pathname } = new URL(location, response.url);
  return ` (a redirect to ${origin}${pathname}, not followed: set the URL it points to)`;
}

/**
 * Why a URL can never be requested (fetch refuses one with a user or password), or undefined;
 * never quoting it: it may hold a secret, and the message is logged and kept.
 */
function urlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return 'is not a valid URL once its placeholders are filled in';
  const { username, password } = new URL(url);
  return username !== '' || password !== '' ? 'names a user or password: send credentials in an Authorization header' : undefined;
}

/** The request, through the address guard: an address it refuses fails for good (JCT_HTTP_ADDRESS_REFUSED). */
async function send(url: string, init: { method: string; headers: Record<string, string>; body: string | undefined }, settings: HttpRequestSettings): Promise<Response> {
  const allowPrivate = settings.httpPrivateAddresses !== 'refuse';
  const invalid = urlProblem(url);
  if (invalid !== undefined) throw new EffectFailure('JCT_HTTP_URL_INVALID', `the webhook's URL ${invalid}`, false);
  try {
    checkUrlAddress(url, allowPrivate);
    const dispatcher = guardedAgent(allowPrivate);
    return (await undici().fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(settings.httpTimeoutMs), dispatcher })) as unknown as Response;
  } catch (err) {
    const refused = refusedBehind(err);
    if (refused) throw new EffectFailure('JCT_HTTP_ADDRESS_REFUSED', `the webhook's address ${refused.message}`, false);
    throw new EffectFailure('JCT_HTTP_UNREACHABLE', `the webhook could not be reached: ${(err as Error).message}`, true);
  }
}
