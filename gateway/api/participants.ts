// The Flow API's batch: POST up to 1,000 people to a flow's Flow API entry point (each entry
// point has its own URL; the flow's URL takes its only one), each identified by phone, email
// or external id, with profile attributes (the profile is created or updated) and variables,
// in a body of up to 4 MiB. A participant that does not fit the schema is rejected on its own
// (batch-items.ts); the others are added. A flow that is not active (scheduled, paused, or no
// version running) refuses the whole call: 409 JCT_FLOW_STATUS with its status in the details.
// The answer carries the operation id and the per-person outcome; the report stays available
// for 30 days. An Idempotency-Key header makes a retried call add nobody again: it answers the
// first call's report (with `Idempotent-Replayed: true`); the key sent with another request is
// refused (JCT_IDEMPOTENCY_KEY_REUSED). A key is the calling API key's own: another client's
// same key is another call.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Core } from '../../engine/core.js';
import { JunctionError } from '../../engine/errors.js';
import { MAX_BATCH, type OperationReport, type ParticipantOutcome, type ParticipantToAdd } from '../../engine/runtime/operations.js';
import { describedOnly, itemCheck } from './batch-items.js';
import { PersonSchema } from '../schemas.js';
import type { ApiRequest, ApiRoute } from './route.js';
import { requireSingleHeader } from '../single-header.js';

/** The largest batch body, in bytes: room for 1,000 people with their profiles and variables (POST /events takes as much). */
export const BATCH_BODY_LIMIT = 4 * 1024 * 1024;

const FlowParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const EntryParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), entryId: Type.String({ minLength: 1, maxLength: 64 }) });
const Participant = Type.Object(
  {
    person: PersonSchema,
    variables: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 200, description: 'Flow variables set on entry' })),
  },
  { additionalProperties: false, description: 'One that does not fit is rejected on its own in the report (JCT_CONTACT_INVALID, JCT_PARTICIPANT_INVALID)' },
);
const checkParticipant = itemCheck(Participant);
const Batch = Type.Object(
  {
    participants: Type.Array(describedOnly(Participant), { minItems: 1, maxItems: MAX_BATCH }),
    callbackData: Type.Optional(Type.String({ maxLength: 4000, description: 'Echoed in the report' })),
  },
  { additionalProperties: false },
);
const ReportQuery = Type.Object({ operationId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/** The Idempotency-Key header, if one was sent. */
function idempotencyKey(req: ApiRequest): string | undefined {
  requireSingleHeader(req.raw, 'Idempotency-Key', 'JCT_IDEMPOTENCY_KEY');
  const value = req.headers['idempotency-key'];
  const key = Array.isArray(value) ? value[0] : value;
  if (key !== undefined && (key.length === 0 || key.length > 200)) throw new JunctionError('JCT_IDEMPOTENCY_KEY', 'an Idempotency-Key has 1 to 200 characters');
  return key;
}

/** The Idempotency-Key header as the engine's options: a key is the calling API key's own (none sent: {}). */
export function idempotencyOf(req: ApiRequest): { idempotencyKey?: string; caller?: string } {
  const key = idempotencyKey(req);
  if (key === undefined) return {};
  return req.caller === undefined ? { idempotencyKey: key } : { idempotencyKey: key, caller: req.caller.id };
}

/** Marks a replayed answer and gives the report as the API shows it. */
export function answered(report: OperationReport & { repeated?: true }, reply: FastifyReply): OperationReport {
  if (report.repeated) void reply.header('idempotent-replayed', 'true');
  const { repeated: _, ...plain } = report;
  return plain;
}

/** A kept report of this flow; JCT_OPERATION_UNKNOWN otherwise. */
export async function reportOf(core: Core, flowId: string, operationId: string): Promise<OperationReport> {
  const report = await core.operation(operationId);
  if (!report || report.flowId !== flowId) throw new JunctionError('JCT_OPERATION_UNKNOWN', `no operation "${operationId}" on flow "${flowId}" (reports are kept 30 days)`);
  return report;
}

/** The report as the API shows it (the request's hash and the caller's key id stay inside). */
function summary({ requestHash: _, caller: _caller, ...report }: OperationReport) {
  const accepted = report.participants.filter((p) => p.status === 'accepted').length;
  return { ...report, at: new Date(report.at).toISOString(), participants: report.participants.map(outcome), accepted, rejected: report.participants.length - accepted };
}

/** One participant's outcome in this API's words: how another request shape named the person (ref) is that shape's to show. */
function outcome({ ref: _, ...p }: ParticipantOutcome): ParticipantOutcome {
  return p;
}

export function participantRoutes(core: Core): ApiRoute[] {
  const add = async (req: ApiRequest, reply: FastifyReply, entry: string | undefined) => {
    const body = req.body as Static<typeof Batch>;
    const people = body.participants.map((item, i): ParticipantToAdd => {
      const p = checkParticipant(item, i);
      if (!p.ok) return { person: {}, refused: p.refused };
      return { person: p.value.person, ...(p.value.variables ? { vars: p.value.variables } : {}) };
    });
    const report = await core.addParticipants(req.params['id']!, people, { entry, ...idempotencyOf(req), ...(body.callbackData === undefined ? {} : { callbackData: body.callbackData }) });
    return summary(answered(report, reply));
  };
  return [
    {
      method: 'POST', url: '/flows/:id/participants', scope: 'flow-api', bodyLimit: BATCH_BODY_LIMIT, summary: "Add up to 1,000 people through the flow's Flow API entry point", schema: { params: FlowParams, body: Batch },
      handle: (req, reply) => add(req, reply, undefined),
    },
    {
      method: 'POST', url: '/flows/:id/entry-points/:entryId/participants', scope: 'flow-api', bodyLimit: BATCH_BODY_LIMIT, summary: 'Add up to 1,000 people through this Flow API entry point', schema: { params: EntryParams, body: Batch },
      handle: (req, reply) => add(req, reply, req.params['entryId']),
    },
    {
      method: 'GET', url: '/flows/:id/participants/report', scope: 'flow-api', summary: 'The report of a Flow API call: each person accepted or rejected with the reason',
      schema: { params: FlowParams, querystring: ReportQuery },
      handle: async (req) => summary(await reportOf(core, req.params['id']!, (req.query as Static<typeof ReportQuery>).operationId)),
    },
  ];
}
