// The Flow API: applications add a person (created or merged) to a flow over HTTP. The route
// checks the request's shape and answers; addParticipant() is the one place that talks to the
// engine, so how the engine takes the call can change there alone.
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/runtime/engine.js';
import { AddParticipantSchema, type AddParticipantBody } from './schemas.js';

export function registerFlowApi(app: FastifyInstance, engine: Engine): void {
  app.post<{ Params: { id: string }; Body: AddParticipantBody }>(
    '/flows/:id/participants',
    { schema: { body: AddParticipantSchema }, config: { scope: 'flow-api' } },
    async (req, reply) => {
      const receipt = await addParticipant(engine, req.params.id, req.body);
      return reply.status(receipt.entered ? 201 : 200).send(receipt);
    },
  );
}

/**
 * Creates or merges the person and enters them through one of the flow's Flow API entry
 * points, as one input: a refused one (no id, phone or email: JCT_PERSON_EMPTY; no Flow API
 * entry point: JCT_ENTRY_NONE; unknown flow or variable, …) writes nothing.
 */
export async function addParticipant(engine: Engine, flowId: string, body: AddParticipantBody): ReturnType<Engine['submit']> {
  const { person, entry, vars } = body;
  return engine.submit(engine.personKey(person), { kind: 'flow.enter', flowId, through: 'flowApi', entry, vars, person });
}
