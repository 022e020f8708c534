// The live feed: a WebSocket at /api/v1/feed (key with scope `flows`, sent as the upgrade
// request's Authorization header) that streams flow activity as JSON text messages, one per
// step: who entered, the elements passed, where the participant waits (for what, until when)
// or why it left, failures, and the effects (sends, webhooks) the step asked for. `?flow=<id>`
// (repeatable) keeps only those flows. A client that reads too slowly is not allowed to grow
// the server's memory: past 1 MiB unsent, messages are dropped and counted, and the next one
// sent says how many were lost (`dropped`). When the app closes, the socket is closed as going away (websockets.ts).
// A key revoked while its socket is open gets no further message: the socket is closed (1008).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { Engine, StepEvent } from '../engine/runtime/engine.js';
import { ParticipantStatus } from '../engine/vocabulary.js';
import { API_PREFIX } from './api/route.js';
import { WEBSOCKET_OPTIONS, closeRefusedUpgrade, upgradeRequired } from './websockets.js';
import { handshakeErrorAnswer } from './errors.js';
import { CONFIGURED_ADMIN } from './auth/guard.js';
import type { Caller } from './auth/keys.js';

const MAX_BUFFERED = 1024 * 1024;

/** The close code and reason of a feed whose key was revoked (policy violation). */
const KEY_REVOKED = { code: 1008, reason: 'the API key was revoked' } as const;

const Query = Type.Object(
  { flow: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })])) },
  { additionalProperties: false },
);

/** One step as the feed shows it. */
export function feedMessage(e: StepEvent): Record<string, unknown> {
  const { participant: p, flow, result } = e;
  const id = (node: number) => flow.nodes[node]?.id ?? null;
  const waiting = p.status === ParticipantStatus.Waiting;
  return {
    at: new Date(e.at).toISOString(),
    flowId: flow.id,
    version: flow.version,
    participantId: p.id,
    personId: p.personId,
    ...(p.steps === 1 ? { entered: true } : {}),
    path: result.visited.map(id),
    ...(waiting ? { waiting: { element: id(p.node), on: p.waitOn === '' ? [] : p.waitOn.split('\n'), until: p.waitUntil > 0 ? new Date(p.waitUntil).toISOString() : null } } : {}),
    ...(p.status === ParticipantStatus.Exited ? { exited: { reason: p.exitReason ?? 'exited' } } : {}),
    ...(result.failures.length > 0 ? { failures: result.failures.map((f) => ({ element: id(f.node), code: f.code, message: f.message })) } : {}),
    ...(result.effects.length > 0 ? { effects: result.effects.map((x) => ({ kind: x.kind, key: x.key })) } : {}),
  };
}

export function registerFeed(app: FastifyInstance, engine: Engine): void {
  void app.register(websocket, WEBSOCKET_OPTIONS);
  app.addHook('onReady', async () => void app.websocketServer.on('wsClientError', handshakeErrorAnswer(app.errorCounts)));
  void app.register(async (scope) => {
    scope.addHook('onResponse', closeRefusedUpgrade);
    scope.route({
      method: 'GET',
      url: `${API_PREFIX}/feed`,
      schema: { querystring: Query, hide: true }, // a WebSocket: OpenAPI cannot describe it (docs/api.md does)
      config: { scope: 'flows' },
      handler: upgradeRequired,
      wsHandler: (socket, req) => follow(socket, engine, flowsOf((req.query as Static<typeof Query>).flow), revocation(app, req.caller!)),
    });
  });
}

function flowsOf(flow: string | string[] | undefined): ReadonlySet<string> | undefined {
  return flow === undefined ? undefined : new Set(Array.isArray(flow) ? flow : [flow]);
}

/** Whether the caller's key has been revoked since; the configured admin key is not a stored one and never is (no lookup per message). */
function revocation(app: FastifyInstance, caller: Caller): () => boolean {
  return caller.id === CONFIGURED_ADMIN ? () => false : () => app.keys.revoked(caller.id);
}

/** Sends the steps of the wanted flows; `revoked` says whether the key of the upgrade has been revoked since. */
function follow(socket: WebSocket, engine: Engine, wanted: ReadonlySet<string> | undefined, revoked: () => boolean): void {
  let dropped = 0;
  const stop = engine.watchSteps((e) => {
    if (wanted && !wanted.has(e.flow.id)) return;
    if (revoked()) {
      stop();
      socket.close(KEY_REVOKED.code, KEY_REVOKED.reason);
      return;
    }
    if (socket.bufferedAmount > MAX_BUFFERED) {
      dropped++;
      return;
    }
    const message = feedMessage(e);
    socket.send(JSON.stringify(dropped > 0 ? { ...message, dropped } : message));
    dropped = 0;
  });
  socket.on('close', stop);
  socket.on('error', stop);
}
