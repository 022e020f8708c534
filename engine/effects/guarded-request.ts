// One HTTP request to a URL that a flow or an API caller wrote (Call webhook, a Flow API
// report's notifyUrl), on undici's request(): through the address guard (address-guard.ts), a
// redirect not followed (a 3xx is the answer), and at most `timeoutMs` from the start until the
// answer is read: the caller's `read` runs within that time, and must read or dump the body.
import type { Dispatcher } from 'undici';
import { lazyRequire } from '../lazy-require.js';
import { checkUrlAddress, guardedAgent, refusedBehind } from './address-guard.js';

const undici = lazyRequire<typeof import('undici')>('undici');

export interface GuardedRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Whether loopback and private addresses may be called. */
  readonly allowPrivate: boolean;
  readonly timeoutMs: number;
  /** Abandons the request too when aborted (the app closing). */
  readonly signal?: AbortSignal;
}

/** An answer as undici gives it. */
export type Answer = Dispatcher.ResponseData;

/**
 * The request's answer as `read` makes it. Throws AddressRefused when the guard refuses the
 * address, a TimeoutError when the time ran out, else the error undici gave.
 */
export async function guardedRequest<T>(url: URL, request: GuardedRequest, read: (answer: Answer) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${request.timeoutMs} ms`, 'TimeoutError')), request.timeoutMs);
  const follow = (): void => abort.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', follow);
  let answer: Answer | undefined;
  try {
    if (request.signal?.aborted) follow();
    checkUrlAddress(url, request.allowPrivate);
    const { method, headers, body, allowPrivate } = request;
    answer = await undici().request(url, { method: method as Dispatcher.HttpMethod, headers, body, signal: abort.signal, dispatcher: guardedAgent(allowPrivate) });
    return await read(answer);
  } catch (err) {
    answer?.body.destroy();
    throw refusedBehind(err) ?? err;
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', follow);
  }
}
