// The live feed: a WebSocket at /api/v1/feed (key with scope `flows`, sent as the upgrade
// request's Authorization header) that streams flow activity as JSON text messages, one per
// step: who entered, the elements passed, where the participant waits (for what, until when)
// or why it left, failures, and the effects (sends, webhooks) the step asked for. `?flow=<id>`
// (repeatable) keeps only those flows; one that does not exist is refused (404 JCT_FLOW_UNKNOWN). A client that reads too slowly is not allowed to grow
// the server's memory: past 1 MiB unsent, messages are dropped and counted, and the next one
// sent says how many were lost (`dropped`). When the app closes, the socket is closed as going away (websockets.ts).
// A feed lasts no longer than its key: once the key is revoked (noticed within the key store's
// refresh), the socket is closed with 1008 and the reason `the API key was revoked`.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { StepEvent } from '../engine/runtime/engine.js';
import type { Core } from '../engine/core.js';
import { ParticipantStatus } from '../engine/vocabulary.js';
import { JunctionError } from '../engine/errors.js';
import { API_PREFIX } from './api/route.js';
import { WEBSOCKET_OPTIONS, closeRefusedUpgrade, upgradeRequired } from './websockets.js';
import { handshakeErrorAnswer } from './errors.js';
import { stillAllowed } from './auth/guard.js';
import { REFRESH_MS } from './auth/keys.js';

const MAX_BUFFERED = 1024 * 1024;
/** How often an idle feed checks that its key still works (a step checks it too). */
const KEY_CHECK_MS = REFRESH_MS;
export const KEY_REVOKED = { code: 1008, reason: 'the API key was revoked' } as const;

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

export function registerFeed(app: FastifyInstance, core: Core): void {
  void app.register(websocket, WEBSOCKET_OPTIONS);
  app.addHook('onReady', async () => void app.websocketServer.on('wsClientError', handshakeErrorAnswer(app.errorCounts)));
  void app.register(async (scope) => {
    scope.addHook('onResponse', closeRefusedUpgrade);
    scope.route({
      method: 'GET',
      url: `${API_PREFIX}/feed`,
      schema: { querystring: Query, hide: true }, // a WebSocket: OpenAPI cannot describe it (docs/api.md does)
      config: { scope: 'flows' },
      preHandler: async (req) => knownFlows(core, flowsOf((req.query as Static<typeof Query>).flow)),
      handler: upgradeRequired,
      wsHandler: (socket, req) => {
        const caller = req.caller!; // the route needs a key: the guard set it
        follow(socket, core, flowsOf((req.query as Static<typeof Query>).flow), () => stillAllowed(app.keys, caller));
      },
    });
  });
}

/** Refuses a filter naming a flow that does not exist (a typo would otherwise show nothing, forever): 404 JCT_FLOW_UNKNOWN. */
function knownFlows(core: Core, wanted: ReadonlySet<string> | undefined): void {
  const unknown = [...(wanted ?? [])].filter((id) => core.front.flowVersions(id).length === 0);
  if (unknown.length > 0) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id ${unknown.map((id) => `"${id}"`).join(', ')} to follow`, { flows: unknown });
}

function flowsOf(flow: string | string[] | undefined): ReadonlySet<string> | undefined {
  return flow === undefined ? undefined : new Set(Array.isArray(flow) ? flow : [flow]);
}

function follow(socket: WebSocket, core: Core, wanted: ReadonlySet<string> | undefined, allowed: () => boolean): void {
  let dropped = 0;
  /** Closes the socket once its key no longer works; true when it does not. */
  const revoked = (): boolean => {
    if (allowed()) return false;
    if (socket.readyState === socket.OPEN) socket.close(KEY_REVOKED.code, KEY_REVOKED.reason);
    return true;
  };
  const check = setInterval(revoked, KEY_CHECK_MS);
  const unwatch = core.watchSteps((e) => {
    if (wanted && !wanted.has(e.flow.id)) return;
    if (revoked()) return;
    if (socket.bufferedAmount > MAX_BUFFERED) {
      dropped++;
      return;
    }
    const message = feedMessage(e);
    socket.send(JSON.stringify(dropped > 0 ? { ...message, dropped } : message));
    dropped = 0;
  });
  const stop = () => {
    clearInterval(check);
    unwatch();
  };
  socket.on('close', stop);
  socket.on('error', stop);
}
