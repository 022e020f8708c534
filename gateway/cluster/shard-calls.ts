// The internal route by which another process of the cluster has the engine of a shard held here
// carry out a call (decision 0018, piece 5): `POST /_junction/shards/:shard/:call` with
// `{ "args": ... }`, answered `{ "result": ... }`. Its caller is engine/cluster/peer-calls.ts.
// Only a request carrying the cluster secret (header x-junction-cluster, compared in constant
// time before the body is read) gets in: 401 JCT_CLUSTER_SECRET otherwise. It needs no API key
// and is not rate limited (`open: 'cluster'`, auth/guard.ts), and the API document leaves it out.
// The calls are named by whoever registers the route (the cluster facade); an unknown name is
// 404 JCT_SHARD_CALL_UNKNOWN, arguments of the wrong shape 400 JCT_REQUEST_INVALID
// (shard-call-args.ts), a shard not served here 503 JCT_SHARD_NOT_HERE (Retry-After: 1: it
// may be moving). What a call throws is answered as any route's error (errors.ts). The body limit
// is twice a Flow API batch's: a shard's part of a batch may be all of it, with its places and options.
// The calls a peer made in one turn of its event loop come together: `POST /_junction/shards`
// with `{ "calls": [{ "shard", "call", "args" }] }`, answered 200 `{ "answers": [...] }` in the
// same order, each `{ "result" }` or `{ "status", "error" }` as that call alone would have been
// answered (the calls are started in order, and carried out as the engines' partitions run them).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine/runtime/engine.js';
import { JunctionError } from '../../engine/errors.js';
import { CLUSTER_SECRET_HEADER, MAX_CALLS_TOGETHER, SHARD_CALLS_PATH } from '../../engine/cluster/peer-calls.js';
import type { ShardCall } from '../../engine/cluster/calls.js';
import { hashOf, sameHash } from '../auth/keys.js';
import { BATCH_BODY_LIMIT } from '../api/participants.js';
import { answerFor } from '../errors.js';
import { invalidRequest } from '../validation.js';
import { SHARD_CALL_CHECKS } from './shard-call-args.js';

export interface ShardCallOptions {
  /** The cluster secret every process of the cluster shares. */
  readonly secret: string;
  /** The calls, by name. */
  readonly calls: Readonly<Record<string, ShardCall<never>>>;
  /** The engine of a shard this process serves; undefined for any other. */
  readonly engineOf: (shard: number) => Engine | undefined;
}

const Params = Type.Object({ shard: Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' }), call: Type.String() });
const Body = Type.Object({ args: Type.Optional(Type.Unknown()) }, { additionalProperties: false });
const Calls = Type.Object(
  { calls: Type.Array(Type.Object({ shard: Type.Integer({ minimum: 0, maximum: 999_999_999 }), call: Type.String(), args: Type.Optional(Type.Unknown()) }, { additionalProperties: false }), { maxItems: MAX_CALLS_TOGETHER }) },
  { additionalProperties: false },
);

/** One call's answer among others: its result, or its error with the status it alone would have been answered with. */
type CallAnswer = { readonly result: unknown } | { readonly status: number; readonly error: { code: string; message: string; details?: unknown } };

/** Registers the route on an app made by buildApp (gateway/app.ts), whose error answers and guard it relies on. */
export function shardCallRoutes(app: FastifyInstance, { secret, calls, engineOf }: ShardCallOptions): void {
  if (secret === '') throw new JunctionError('JCT_CLUSTER_SECRET_EMPTY', 'the cluster secret is empty: the processes of a cluster need a secret to call each other');
  const secretHash = hashOf(secret);
  const run = (shard: number, name: string, args: unknown): Promise<unknown> => {
    const call = Object.hasOwn(calls, name) ? calls[name] : undefined;
    if (!call) throw new JunctionError('JCT_SHARD_CALL_UNKNOWN', `no shard call named "${name}"`, { call: name });
    const checked = SHARD_CALL_CHECKS.get(name);
    if (checked && !checked.check.Check(args)) throw invalidRequest(checked.schema, args, `arguments of the shard call ${name}`);
    const engine = engineOf(shard);
    if (!engine) throw new JunctionError('JCT_SHARD_NOT_HERE', `shard ${shard} is not served by this process (it may be moving to another): try again`, { shard });
    return call(engine, args as never);
  };
  app.post<{ Body: Static<typeof Calls> }>(
    SHARD_CALLS_PATH,
    {
      config: { open: 'cluster' },
      bodyLimit: 2 * BATCH_BODY_LIMIT,
      schema: { body: Calls, hide: true },
      onRequest: async (req) => checkSecret(req, secretHash),
    },
    async (req) => ({
      answers: await Promise.all(
        req.body.calls.map(({ shard, call, args }) =>
          Promise.resolve()
            .then(() => run(shard, call, args))
            .then(
              (result): CallAnswer => ({ result }),
              (err: unknown): CallAnswer => {
                const { status, ...error } = answerFor(err);
                if (status >= 500) req.log.error({ err, shard, call }, 'shard call failed');
                return { status, error };
              },
            ),
        ),
      ),
    }),
  );
  app.post<{ Params: Static<typeof Params>; Body: Static<typeof Body> }>(
    `${SHARD_CALLS_PATH}/:shard/:call`,
    {
      config: { open: 'cluster' },
      bodyLimit: 2 * BATCH_BODY_LIMIT,
      schema: { params: Params, body: Body, hide: true },
      onRequest: async (req) => checkSecret(req, secretHash),
    },
    async (req) => ({ result: await run(Number(req.params.shard), req.params.call, req.body.args) }),
  );
}

/** Throws 401 unless the request carries the secret whose hash is `secretHash` (equal-length hashes compared in constant time). */
function checkSecret(req: FastifyRequest, secretHash: string): void {
  const sent = req.headers[CLUSTER_SECRET_HEADER];
  if (typeof sent !== 'string' || !sameHash(hashOf(sent), secretHash)) {
    throw new JunctionError('JCT_CLUSTER_SECRET', `this route is for the processes of the cluster: send the cluster secret in ${CLUSTER_SECRET_HEADER}`);
  }
}
