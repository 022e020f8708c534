// Request ids: a random prefix drawn when the app is built, then a counter, so ids do not repeat
// across restarts or between processes (Fastify's own count from 1 at every start) and cost one
// increment a request. A request-id header sent by the client is not taken: the id is ours.
import { randomBytes } from 'node:crypto';

/** Ids such as `9f2c41d07a-1b`: ten hex digits drawn once (2^40 prefixes), then a counter in base 36. */
export function requestIds(): () => string {
  const prefix = randomBytes(5).toString('hex');
  let count = 0;
  return () => `${prefix}-${(++count).toString(36)}`;
}
