// Performs `http.request` outbox entries (Call webhook): one HTTP request with the entry's
// idempotency key in the `Idempotency-Key` header, so a receiver can drop the duplicate a
// crash between sending and recording may cause. 2xx is a result; 408, 429, 5xx and network
// errors are retryable; other answers fail for good.
import type { EffectHandler } from '../module.js';
import { EffectFailure } from '../errors.js';

const REQUEST_TIMEOUT_MS = 10_000;

export const httpRequest: EffectHandler = {
  kind: 'http.request',
  async perform(effect) {
    const response = await send(effect['url'] as string, effect['method'] as string, effect['body'] as string, effect.key);
    await response.body?.cancel();
    if (response.ok) return { status: response.status };
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new EffectFailure('JCT_HTTP_STATUS', `the webhook answered ${response.status}`, retryable);
  },
};

async function send(url: string, method: string, body: string, key: string): Promise<Response> {
  try {
    return await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new EffectFailure('JCT_HTTP_UNREACHABLE', `the webhook could not be reached: ${(err as Error).message}`, true);
  }
}
