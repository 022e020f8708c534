// The Flow API: applications add a person (created or merged) to a flow over HTTP. The route
// checks the request's shape and answers; addParticipant() is the one place that talks to the
// engine, so how the engine takes the call can change there alone. With an Idempotency-Key the
// call is a batch of one (api/participants.ts): a retry adds nobody again and answers the first
// call's receipt with `Idempotent-Replayed: true`.
import type { FastifyInstance } from 'fastify';
import type { OperationOptions } from '../engine/runtime/engine.js';
import type { Core } from '../engine/core.js';
import { JunctionError } from '../engine/errors.js';
import type { Receipt } from '../engine/vocabulary.js';
import { AddParticipantSchema, type AddParticipantBody } from './schemas.js';
import { answered, idempotencyOf } from './api/participants.js';
import type { ApiRequest } from './api/route.js';

export function registerFlowApi(app: FastifyInstance, core: Core): void {
  app.post<{ Params: { id: string }; Body: AddParticipantBody }>(
    '/flows/:id/participants',
    { schema: { body: AddParticipantSchema }, config: { scope: 'flow-api' } },
    async (req, reply) => {
      const idempotency = idempotencyOf(req as unknown as ApiRequest);
      const receipt = idempotency.idempotencyKey === undefined ? await addParticipant(core, req.params.id, req.body) : receiptOf(answered(await addOnce(core, req.params.id, req.body, idempotency), reply));
      return reply.status(receipt.entered ? 201 : 200).send(receipt);
    },
  );
}

/**
 * Creates or merges the person and enters them through one of the flow's Flow API entry
 * points, as one input: a refused one (no id, phone or email: JCT_PERSON_EMPTY; no Flow API
 * entry point: JCT_ENTRY_NONE; unknown flow or variable, …) writes nothing.
 */
export async function addParticipant(core: Core, flowId: string, body: AddParticipantBody): ReturnType<Core['submit']> {
  const { person, entry, vars } = body;
  return core.submitFor(person, { kind: 'flow.enter', flowId, through: 'flowApi', entry, vars, person });
}

/** The call as a batch of one under its caller's Idempotency-Key: a retry gets the first call's report. */
function addOnce(core: Core, flowId: string, body: AddParticipantBody, idempotency: OperationOptions): ReturnType<Core['addParticipants']> {
  const { person, entry, vars } = body;
  return core.addParticipants(flowId, [{ person, ...(vars ? { vars } : {}) }], { ...(entry === undefined ? {} : { entry }), ...idempotency });
}

/** The one participant's outcome as the route answers it: entered, refused by the flow (with the person), or the error. */
function receiptOf(report: Awaited<ReturnType<Core['addParticipants']>>): Receipt {
  const [p] = report.participants;
  if (p?.status === 'accepted') return { personId: p.personId, entered: true, participantId: p.participantId };
  if (p?.personId !== undefined) return { personId: p.personId, entered: false, reason: p.reason };
  throw new JunctionError(p?.reason ?? 'JCT_INTERNAL', p?.message ?? 'the person was not added');
}
