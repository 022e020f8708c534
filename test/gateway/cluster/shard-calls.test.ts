// Calls between the processes of a sharded cluster, over real HTTP on 127.0.0.1: two apps
// (gateway/app.ts) each serving the shard-call route (gateway/cluster/shard-calls.ts) over
// engines of test worlds, and PeerCalls (engine/cluster/peer-calls.ts) calling from one to the
// other. Results and errors travel back as the process holding the shard made them; the calls of
// one turn travel together, each answered as it would have been alone.
import t, { type Test } from 'tap';
import { request } from 'undici';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../../gateway/app.js';
import { answerFor } from '../../../gateway/errors.js';
import { shardCallRoutes } from '../../../gateway/cluster/shard-calls.js';
import { SHARD_CALLS, type ShardCall } from '../../../engine/cluster/calls.js';
import { PeerCalls, PeerError } from '../../../engine/cluster/peer-calls.js';
import { JunctionError } from '../../../engine/errors.js';
import type { Engine } from '../../../engine/runtime/engine.js';
import { flow, pauseDays, world } from '../../engine/helpers.js';

const SECRET = 'shard-calls test secret';

interface Process {
  app: FastifyInstance;
  address: string;
  /** How many times each call was carried out here. */
  carried: Record<string, number>;
  /** The URLs of the requests it was sent. */
  requests: string[];
}

/** An app listening on 127.0.0.1 serving `shards` (each its own engine), with the calls `flows`, `launch`, `echo` and `boom`, and `more` besides. */
async function serving(t: Test, shards: number[], more: Record<string, ShardCall<unknown>> = {}, options: AppOptions = {}): Promise<Process> {
  const engines = new Map<number, Engine>(shards.map((s) => [s, world().engine]));
  for (const [s, engine] of engines) engine.save(flow(`flow-of-${s}`, [pauseDays('p', 1)]));
  const carried: Record<string, number> = {};
  const counted = (name: string, call: ShardCall<unknown>): ShardCall<unknown> => async (engine, args) => {
    carried[name] = (carried[name] ?? 0) + 1;
    return call(engine, args);
  };
  const calls: Record<string, ShardCall<unknown>> = {
    flows: async (engine) => engine.flowRecords().map((r) => r.id),
    launch: async (engine, args) => engine.launch(String(args)).status,
    echo: async (_engine, args) => args,
    boom: async () => {
      throw new Error('a secret of the process');
    },
    ...more,
  };
  const app = buildApp(world().engine, options);
  const requests: string[] = [];
  app.addHook('onRequest', async (req) => void requests.push(req.url));
  shardCallRoutes(app, { secret: SECRET, calls: Object.fromEntries(Object.entries(calls).map(([n, c]) => [n, counted(n, c)])), engineOf: (s) => engines.get(s) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { app, address: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, carried, requests };
}

function peers(t: Test, secret = SECRET): PeerCalls {
  const p = new PeerCalls(secret);
  t.teardown(() => p.close());
  return p;
}

/** The PeerError (or JunctionError) a call rejects with. */
async function refusal(call: Promise<unknown>): Promise<JunctionError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof JunctionError)) throw new Error(`expected a JunctionError, got ${String(err)}`);
  return err;
}

t.test("a call's result comes back from the shard's engine in the other process", async (t) => {
  const b = await serving(t, [1, 2]);
  const calls = peers(t);
  t.same(await calls.call(b.address, 1, 'flows', undefined), ['flow-of-1']);
  t.same(await calls.call(b.address, 2, 'flows', null), ['flow-of-2'], 'each shard its own engine');
  t.equal(await calls.call(b.address, 2, 'launch', 'flow-of-2'), 'active', 'a call that changes the engine');
  const args = { text: 'héllo ☎', list: [1, null, { deep: true }] };
  t.same(await calls.call(b.address, 1, 'echo', args), args, 'arguments arrive as sent');
  t.equal(await calls.call(b.address, 1, 'echo', undefined), undefined, 'no arguments, no result');
});

t.test('the calls of one turn for one process go in one request, each answered as it would have been alone', async (t) => {
  const b = await serving(t, [1, 2]);
  const calls = peers(t);
  const big = 'x'.repeat(70 * 1024);
  const settled = await Promise.allSettled([
    calls.call(b.address, 1, 'flows', undefined),
    calls.call(b.address, 2, 'echo', { n: 2 }),
    calls.call(b.address, 1, 'launch', 'nope'),
    calls.call(b.address, 7, 'flows', null),
    calls.call(b.address, 1, 'nothing such', null),
    calls.call(b.address, 2, 'boom', {}),
    calls.call(b.address, 2, 'echo', undefined),
    calls.call(b.address, 1, 'echo', big),
  ]);
  const [flows, echo, unknownFlow, notHere, unknownCall, boom, nothing, large] = settled;
  t.same(flows, { status: 'fulfilled', value: ['flow-of-1'] });
  t.same(echo, { status: 'fulfilled', value: { n: 2 } });
  t.match(unknownFlow, { status: 'rejected', reason: { code: 'JCT_FLOW_UNKNOWN', status: 404 } }, 'an error keeps its code and status');
  t.match(notHere, { status: 'rejected', reason: { code: 'JCT_SHARD_NOT_HERE', status: 503 } });
  t.match(unknownCall, { status: 'rejected', reason: { code: 'JCT_SHARD_CALL_UNKNOWN', status: 404 } });
  t.match(boom, { status: 'rejected', reason: { code: 'JCT_INTERNAL', message: 'internal error', status: 500 } });
  t.same(nothing, { status: 'fulfilled', value: undefined });
  t.same(large, { status: 'fulfilled', value: big });
  t.ok(settled.slice(2, 6).every((s) => s.status === 'rejected' && s.reason instanceof PeerError), 'as PeerErrors');
  t.same([...b.requests].sort(), ['/_junction/shards', '/_junction/shards/1/echo'], 'seven together, the large one alone');
  t.same(await calls.call(b.address, 2, 'echo', 'alone'), 'alone');
  t.same(b.requests.at(-1), '/_junction/shards/2/echo', 'a call alone in its turn goes by the route of its shard');
});

t.test('calls sent together to a process that is gone are each JCT_SHARD_UNREACHABLE', async (t) => {
  const b = await serving(t, [1]);
  await b.app.close();
  const calls = peers(t);
  const settled = await Promise.allSettled([calls.call(b.address, 1, 'echo', 1), calls.call(b.address, 1, 'echo', 2)]);
  t.match(settled, [
    { status: 'rejected', reason: { code: 'JCT_SHARD_UNREACHABLE' } },
    { status: 'rejected', reason: { code: 'JCT_SHARD_UNREACHABLE' } },
  ]);
});

t.test('calls made before close() and sent after it fail as unreachable, opening no connection', async (t) => {
  const b = await serving(t, [1]);
  const calls = new PeerCalls(SECRET);
  const made = Promise.allSettled([calls.call(b.address, 1, 'echo', 1), calls.call(b.address, 1, 'echo', 2)]);
  await calls.close();
  t.match(await made, [
    { status: 'rejected', reason: { code: 'JCT_SHARD_UNREACHABLE' } },
    { status: 'rejected', reason: { code: 'JCT_SHARD_UNREACHABLE' } },
  ]);
  t.same(b.requests, [], 'nothing sent');
});

t.test('calls together: more than the route takes, or not in its shape, are refused 400', async (t) => {
  const b = await serving(t, [1]);
  const post = (body: unknown) =>
    request(`${b.address}/_junction/shards`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-junction-cluster': SECRET }, body: JSON.stringify(body) });
  const tooMany = await post({ calls: Array.from({ length: 1001 }, () => ({ shard: 1, call: 'echo' })) });
  t.equal(tooMany.statusCode, 400);
  await tooMany.body.dump();
  const wrong = await post({ calls: [{ shard: -1, call: 'echo' }] });
  t.equal(wrong.statusCode, 400);
  await wrong.body.dump();
  const noSecret = await request(`${b.address}/_junction/shards`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"calls":[]}' });
  t.equal(noSecret.statusCode, 401);
  await noSecret.body.dump();
  t.same(b.carried, {}, 'nothing carried out');
});

t.test('an error thrown by the remote call arrives with its code, message, details and status', async (t) => {
  const b = await serving(t, [1]);
  const calls = peers(t);
  const err = await refusal(calls.call(b.address, 1, 'launch', 'nope'));
  t.ok(err instanceof PeerError);
  t.match(err, { code: 'JCT_FLOW_UNKNOWN', message: 'no flow with id "nope"', status: 404 });
  const internal = await refusal(calls.call(b.address, 1, 'boom', {}));
  t.match(internal, { code: 'JCT_INTERNAL', message: 'internal error', status: 500 }, 'anything else is 500 JCT_INTERNAL');
  t.notMatch(JSON.stringify(internal.details), /secret of the process/, 'its message not sent');
});

t.test('a gateway answers a peer error with the status the peer answered', async (t) => {
  const b = await serving(t, [1]);
  const calls = peers(t);
  // On A, a call carried out by asking B: what the facade will do for a shard held elsewhere.
  const a = await serving(t, [0], { relay: async (_engine, args) => calls.call(b.address, ...(args as [number, string, unknown])) });
  const relayed = await peers(t).call(a.address, 0, 'relay', [1, 'launch', 'nope']).catch((e: unknown) => e);
  t.match(relayed, { code: 'JCT_FLOW_UNKNOWN', status: 404 });
  const moving = await request(`${a.address}/_junction/shards/0/relay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-junction-cluster': SECRET },
    body: JSON.stringify({ args: [7, 'flows', null] }),
  });
  t.equal(moving.statusCode, 503, "B's shard not there: A answers 503 too");
  t.equal(moving.headers['retry-after'], '1');
  t.equal(((await moving.body.json()) as { error: { code: string } }).error.code, 'JCT_SHARD_NOT_HERE');
  t.equal(answerFor(new PeerError(413, 'JCT_BODY_TOO_LARGE', 'the request body is too large')).status, 413, 'a status its code alone would not give (400 here)');
});

t.test('a wrong or missing secret is refused 401 and never reaches the call', async (t) => {
  const b = await serving(t, [1]);
  const wrong = await refusal(peers(t, 'not the secret').call(b.address, 1, 'echo', 1));
  t.match(wrong, { code: 'JCT_CLUSTER_SECRET', status: 401 });
  for (const headers of [{}, { 'x-junction-cluster': '' }, { 'x-junction-cluster': 's' }, { 'x-junction-cluster': `${SECRET}x` }]) {
    const r = await request(`${b.address}/_junction/shards/1/echo`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"args":1}' });
    t.equal(r.statusCode, 401, JSON.stringify(headers));
    t.equal(((await r.body.json()) as { error: { code: string } }).error.code, 'JCT_CLUSTER_SECRET');
  }
  const r = await request(`${b.address}/_junction/shards/1/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'not json' });
  t.equal(r.statusCode, 401, 'refused before its body is read');
  await r.body.dump();
  t.same(b.carried, {}, 'no call carried out');
});

t.test('an unknown call is 404 JCT_SHARD_CALL_UNKNOWN; a shard not served there 503 JCT_SHARD_NOT_HERE', async (t) => {
  const b = await serving(t, [1]);
  const calls = peers(t);
  t.match(await refusal(calls.call(b.address, 1, 'nope', {})), { code: 'JCT_SHARD_CALL_UNKNOWN', status: 404 });
  t.match(await refusal(calls.call(b.address, 1, 'constructor', {})), { code: 'JCT_SHARD_CALL_UNKNOWN' }, "not an object's own property");
  t.match(await refusal(calls.call(b.address, 3, 'flows', {})), { code: 'JCT_SHARD_NOT_HERE', status: 503, details: { shard: 3 } });
  const r = await request(`${b.address}/_junction/shards/3/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-junction-cluster': SECRET }, body: '{}' });
  t.equal(r.statusCode, 503);
  t.equal(r.headers['retry-after'], '1', 'asked to try again in a second');
  await r.body.dump();
  t.same(b.carried, {});
});

t.test("the cluster's calls with arguments of the wrong JSON types are refused 400 naming the problem, and never run", async (t) => {
  const b = await serving(t, [1], SHARD_CALLS as unknown as Record<string, ShardCall<unknown>>);
  const calls = peers(t);
  const wrong: Array<[string, unknown, string]> = [
    ['heldKeys', { keys: 'not a list' }, '$.keys'],
    ['person', { id: 7 }, '$.id'],
    ['submit', { personKey: 'ana', input: 'flow.enter' }, '$.input'],
    ['submitFor', { person: { phones: [1] }, input: { kind: 'event' } }, '$.person.phones[0]'],
    ['metrics', { flowId: 'f', version: '1' }, '$.version'],
    ['addParticipants', { flowId: 'f', people: [{}], options: {} }, '$.people[0].person'],
    ['operationForKey', { flowId: 'f', idempotencyKey: 'k' }, '$.caller'],
    ['segmentSizes', null, '$'],
  ];
  for (const [name, args, path] of wrong) {
    const err = await refusal(calls.call(b.address, 1, name, args));
    t.match(err, { code: 'JCT_REQUEST_INVALID', status: 400, message: new RegExp(`^invalid arguments of the shard call ${name}`), details: { problems: [{ path }] } }, `${name}: ${path}`);
  }
  t.same(b.carried, {}, 'no call ran');
  t.same(await calls.call(b.address, 1, 'heldKeys', { keys: ['+385911234567'] }), [], 'the same call with its arguments right runs');
});

t.test('a process closed is JCT_SHARD_UNREACHABLE, answered 503', async (t) => {
  const b = await serving(t, [1]);
  const calls = peers(t);
  t.same(await calls.call(b.address, 1, 'flows', null), ['flow-of-1'], 'a connection kept alive');
  await b.app.close();
  const err = await refusal(calls.call(b.address, 1, 'flows', null));
  t.notOk(err instanceof PeerError);
  t.match(err, { code: 'JCT_SHARD_UNREACHABLE', details: { address: b.address, shard: 1, call: 'flows' } });
  t.equal(answerFor(err).status, 503);
  t.match(await refusal(calls.call('http://127.0.0.1:1', 0, 'flows', null)), { code: 'JCT_SHARD_UNREACHABLE', details: { reason: 'ECONNREFUSED' } }, 'nobody listening');
});

t.test('the route is not in the API document, needs no API key but the secret, and is not rate limited', async (t) => {
  const b = await serving(t, [1], {}, { rateLimitPerSecond: 2 });
  const doc = (await (await request(`${b.address}/openapi.json`)).body.json()) as { paths: Record<string, unknown> };
  t.ok(Object.keys(doc.paths).length > 10, 'the document lists the API');
  t.same(Object.keys(doc.paths).filter((p) => p.startsWith('/_junction')), []);
  const calls = peers(t);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => calls.call(b.address, 1, 'echo', i)));
  t.same(results, Array.from({ length: 10 }, (_, i) => i), 'ten at once, over a limit of 2 a second, without a key');
  const r = await request(`${b.address}/flows`);
  t.equal(r.statusCode, 401, 'the public routes still need a key');
  await r.body.dump();
});

t.test('an empty secret is refused when the route is registered', async (t) => {
  const app = buildApp(world().engine);
  t.teardown(() => app.close());
  t.throws(() => shardCallRoutes(app, { secret: '', calls: {}, engineOf: () => undefined }), { code: 'JCT_CLUSTER_SECRET_EMPTY' });
});
