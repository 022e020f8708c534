// The commercial product's "add participants to flow" endpoint, so integrations written for it
// can point at Junction unchanged: POST /moments/1/flows/{flow}/participants with
// `participants: [{ identifyBy: { identifier, type }, variables, person }]`, `callbackData`
// and `notifyUrl`, answered with `{ operationId }`; GET …/participants/report?operationId=
// gives each participant's ACCEPTED or REJECTED with the product's errorReason, and that same
// report is POSTed to the notifyUrl (http or https) once final (notify.ts; not again for a replay:
// an Idempotency-Key sent again with another notifyUrl is another request, refused). Authorization: App <key>, scope
// flow-api. The flow is Junction's flow id, or a number (the product's ids are numbers) that a
// Flow API entry point declares as its `campaignId`: that entry point is the one people enter. Only PHONE and EMAIL identify people here; the
// other identifier types (chat apps) are rejected as REJECTED_INVALID_CONTACT, and so is a
// participant whose identifier or contacts do not fit the schema (an empty one, …); one that
// does not fit elsewhere is REJECTED_ATTRIBUTE_MISSED (batch-items.ts). `person.type` is
// checked (CUSTOMER or LEAD) and not kept: Junction profiles have no person type.
// DELETE /communication/1/flows/{flow}/participants?phone=|email=|externalId= takes that person
// out of the flow (every version): each of their participants leaves as `removed`.
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../../engine/core.js';
import { JunctionError } from '../../engine/errors.js';
import { MAX_BATCH, type OperationReport, type ParticipantOutcome, type ParticipantToAdd } from '../../engine/runtime/operations.js';
import type { PersonInput } from '../../engine/vocabulary.js';
import { answered, BATCH_BODY_LIMIT, idempotencyOf, reportOf } from './participants.js';
import { notifyTarget } from './notify.js';
import { describedOnly, itemCheck } from './batch-items.js';
import { lookUp, Lookup } from './people.js';
import type { ApiRoute } from './route.js';

export const MOMENTS_PREFIX = '/moments/1';
export const COMMUNICATION_PREFIX = '/communication/1';

const Text = (max: number) => Type.String({ maxLength: max });
const IdentifyBy = Type.Object(
  { identifier: Type.String({ minLength: 1, maxLength: 320 }), type: Type.String({ minLength: 1, maxLength: 40 }), sender: Type.Optional(Text(320)) },
  { additionalProperties: false },
);
const ProfileFields = ['externalId', 'firstName', 'lastName', 'middleName', 'gender', 'birthDate', 'address', 'city', 'country', 'preferredLanguage', 'profilePicture'] as const;
const Person = Type.Object(
  {
    ...Object.fromEntries(ProfileFields.map((f) => [f, Type.Optional(Text(1000))])),
    type: Type.Optional(Type.Union([Type.Literal('CUSTOMER'), Type.Literal('LEAD')], { description: 'Checked, then ignored: Junction profiles have no person type' })),
    contactInformation: Type.Optional(
      Type.Object(
        {
          phone: Type.Optional(Type.Array(Type.Object({ number: Type.String({ minLength: 1, maxLength: 50 }) }), { maxItems: 100 })),
          email: Type.Optional(Type.Array(Type.Object({ address: Type.String({ minLength: 1, maxLength: 320 }) }), { maxItems: 100 })),
        },
        { additionalProperties: true },
      ),
    ),
    customAttributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 1000 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
  },
  { additionalProperties: true },
);
const ParticipantSchema = Type.Object(
  { identifyBy: IdentifyBy, variables: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 200 })), person: Type.Optional(Person) },
  { additionalProperties: false, description: 'One that does not fit is rejected on its own in the report' },
);
const checkParticipant = itemCheck(ParticipantSchema);
const Body = Type.Object(
  {
    participants: Type.Array(describedOnly(ParticipantSchema), { minItems: 1, maxItems: MAX_BATCH }),
    notifyUrl: Type.Optional(Text(2000)),
    callbackData: Type.Optional(Text(4000)),
  },
  { additionalProperties: false },
);
type Participant = Static<typeof ParticipantSchema>;
const Params = Type.Object({ campaignId: Type.String({ minLength: 1, maxLength: 64 }) });
const ReportQuery = Type.Object({ operationId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/**
 * A phone given without its +: the product writes international numbers as digits only. Digits
 * that start with 0 are not given a + ("00…" is read as the international call prefix, and
 * anything else is refused as it was sent).
 */
const international = (n: string): string => (/^[1-9]\d*$/.test(n) ? `+${n}` : n);

function personOf(p: Participant): PersonInput | undefined {
  const { type, identifier } = p.identifyBy;
  if (type !== 'PHONE' && type !== 'EMAIL') return undefined;
  const profile = (p.person ?? {}) as Static<typeof Person> & Record<string, unknown>;
  const standard = Object.fromEntries(ProfileFields.filter((f) => typeof profile[f] === 'string').map((f) => [f, profile[f] as string]));
  const phones = [...(type === 'PHONE' ? [identifier] : []), ...(profile.contactInformation?.phone ?? []).map((x) => x.number)].map(international);
  const emails = [...(type === 'EMAIL' ? [identifier] : []), ...(profile.contactInformation?.email ?? []).map((x) => x.address)];
  return {
    ...(Object.keys(standard).length > 0 ? { standard } : {}),
    ...(profile.customAttributes ? { custom: profile.customAttributes as PersonInput['custom'] } : {}),
    ...(profile.tags ? { tags: profile.tags } : {}),
    ...(phones.length > 0 ? { phones } : {}),
    ...(emails.length > 0 ? { emails } : {}),
  };
}

/** One participant to add, or refused when it does not fit the schema (echoing its identifyBy as sent). */
function participantOf(item: unknown, index: number): ParticipantToAdd {
  const p = checkParticipant(item, index);
  if (!p.ok) return { person: {}, ref: (item as { identifyBy?: unknown } | null)?.identifyBy ?? null, refused: p.refused };
  return { person: personOf(p.value) ?? {}, ref: p.value.identifyBy, ...(p.value.variables ? { vars: p.value.variables } : {}) };
}

/** The product's errorReason for a refusal code. */
function errorReason(code: string): string {
  if (code === 'JCT_PERSON_IN_FLOW') return 'REJECTED_PERSON_IN_FLOW';
  if (code === 'JCT_REENTRY_DISABLED' || code === 'JCT_REENTRY_DELAY' || code === 'JCT_ENTRY_LIMIT') return 'REJECTED_PERSON_NOT_ALLOWED_TO_REENTER';
  if (code === 'JCT_CONTACT_INVALID' || code === 'JCT_CONTACT_TAKEN' || code === 'JCT_PERSON_EMPTY') return 'REJECTED_INVALID_CONTACT';
  if (code.startsWith('JCT_ATTRIBUTE_') || code.startsWith('JCT_VARIABLE_') || code === 'JCT_PARTICIPANT_INVALID') return 'REJECTED_ATTRIBUTE_MISSED';
  return 'REJECTED_FLOW_ERROR_UNKNOWN';
}

/** The flow (and Flow API entry point) a campaignId names: a flow id, or a number an entry point declares. */
function campaignOf(core: Core, campaignId: string): { flowId: string; entry?: string } {
  if (!/^[0-9]+$/.test(campaignId)) return { flowId: campaignId };
  const found = core.front.campaign(campaignId);
  if (!found) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow has a Flow API entry point with the campaign id ${campaignId} (its config.campaignId)`, { campaignId });
  return found;
}

/** The campaignId as the caller wrote it: a number stays a number when it reads back the same (exact, no leading zero), as the product writes it. */
function campaignIdOut(campaignId: string): string | number {
  const n = Number(campaignId);
  return /^[0-9]+$/.test(campaignId) && Number.isSafeInteger(n) && String(n) === campaignId ? n : campaignId;
}

function momentsReport(report: OperationReport, campaignId: string) {
  return {
    operationId: report.operationId,
    campaignId: campaignIdOut(campaignId),
    ...(report.callbackData === undefined ? {} : { callbackData: report.callbackData }),
    participants: report.participants.map((p: ParticipantOutcome) =>
      p.status === 'accepted' ? { identifyBy: p.ref, status: 'ACCEPTED' } : { identifyBy: p.ref, status: 'REJECTED', errorReason: errorReason(p.reason) },
    ),
  };
}

/** The people lookup, with a phone written the product's way (digits only) read as international. */
function removalLookup(query: Static<typeof Lookup>): Static<typeof Lookup> {
  return query.phone === undefined ? query : { ...query, phone: international(query.phone) };
}

/** The route that takes a person out of a flow (it lives under COMMUNICATION_PREFIX). */
export function removalRoutes(core: Core): ApiRoute[] {
  return [
    {
      method: 'DELETE', url: '/flows/:campaignId/participants', scope: 'flow-api', summary: 'Take a person out of a flow (the commercial product\'s shape): each of their participants leaves as removed', schema: { params: Params, querystring: Lookup },
      handle: async (req) => {
        const campaignId = req.params['campaignId']!;
        const { flowId } = campaignOf(core, campaignId);
        const person = await lookUp(core, removalLookup(req.query as Static<typeof Lookup>));
        const receipt = await core.submit(person.id, { kind: 'flow.remove', flowId });
        return { campaignId: campaignIdOut(campaignId), personId: receipt.personId, removed: receipt.removed ?? 0 };
      },
    },
  ];
}

export function momentsRoutes(core: Core): ApiRoute[] {
  return [
    {
      method: 'POST', url: '/flows/:campaignId/participants', scope: 'flow-api', bodyLimit: BATCH_BODY_LIMIT, summary: 'Add participants to a flow (the commercial product\'s request shape)', schema: { params: Params, body: Body },
      handle: async (req, reply) => {
        const body = req.body as Static<typeof Body>;
        const notify = body.notifyUrl === undefined ? undefined : notifyTarget(body.notifyUrl);
        const people = body.participants.map((item, i) => participantOf(item, i));
        const campaignId = req.params['campaignId']!;
        const { flowId, entry } = campaignOf(core, campaignId);
        const { callbackData, notifyUrl } = body;
        const extras = { ...(callbackData === undefined ? {} : { callbackData }), ...(notifyUrl === undefined ? {} : { notifyUrl }) };
        const report = await core.addParticipants(flowId, people, { entry, ...idempotencyOf(req), ...extras });
        const plain = answered(report, reply);
        if (notify && !report.repeated) void reply.server.notifier.send(notify, momentsReport(plain, campaignId));
        return { operationId: plain.operationId };
      },
    },
    {
      method: 'GET', url: '/flows/:campaignId/participants/report', scope: 'flow-api', summary: 'The report of an add-participants call (the commercial product\'s shape)', schema: { params: Params, querystring: ReportQuery },
      handle: async (req) => {
        const campaignId = req.params['campaignId']!;
        return momentsReport(await reportOf(core, campaignOf(core, campaignId).flowId, (req.query as Static<typeof ReportQuery>).operationId), campaignId);
      },
    },
  ];
}
