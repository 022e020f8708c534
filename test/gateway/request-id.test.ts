import t from 'tap';
import { buildApp } from '../../gateway/app.js';
import { world } from '../engine/helpers.js';

const ADMIN_KEY = 'request-id-test-admin-key-0123456789';

/** The request id of a 500 answered by a fresh app (a fresh start). */
async function failingApp() {
  const app = buildApp(world().engine, { adminKey: ADMIN_KEY });
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  return async (headers: Record<string, string> = {}) => (await app.inject({ method: 'GET', url: '/boom', headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } })).json().error.details.requestId as string;
}

t.test('request ids: a random prefix per start, then a counter', async (t) => {
  const first = await failingApp();
  const second = await failingApp();
  const [a1, a2, b1] = [await first(), await first(), await second()];
  t.match(a1, /^[0-9a-f]{10}-1$/);
  t.equal(a2, `${a1.slice(0, 10)}-2`, 'the same start counts on');
  t.not(b1, a1, 'another start (or process) does not repeat the ids of the first');
  t.match(b1, /^[0-9a-f]{10}-1$/);
});

t.test('a request-id header sent by the client is not taken', async (t) => {
  const ask = await failingApp();
  t.match(await ask({ 'request-id': 'mine', 'x-request-id': 'mine' }), /^[0-9a-f]{10}-1$/);
});
