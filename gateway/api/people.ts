// /api/v1 people: create or merge a profile, read it, look it up by phone or email, change it
// (attributes, tags, added phones and emails), see the person's journeys (the flows they are in, where, waiting for what,
// since when), the attribute, event and segment definitions (read and defined: durable; a segment
// is created once, then replaced by PUT, its kind kept while a launched flow reads it), and
// the do-not-contact list (an email on the email channel, a phone on the others).
// Changes go through the engine's inbox like every other input, so they are ordered with the
// person's flows and durable when answered.
import { Type, type Static } from '@sinclair/typebox';
import type { Engine } from '../../engine/runtime/engine.js';
import type { Core } from '../../engine/core.js';
import { JunctionError, type ErrorDetails } from '../../engine/errors.js';
import { requireContactOn, requireEmail, requirePhone } from '../../engine/people/contacts.js';
import { CHANNELS, type Person } from '../../engine/person.js';
import { ParticipantStatus, type ParticipantState, type ProfileChange } from '../../engine/vocabulary.js';
import { PersonSchema } from '../schemas.js';
import { AttributeSchema, EventSchema, SEGMENT_SCHEMAS } from '../../engine/people-file.js';
import type { DefinitionKind } from '../../engine/runtime/engine.js';
import { Answer, type ApiRoute } from './route.js';
import { orderedPage, pageFields, PAGE, type PageQuery } from './pages.js';

const Segment = Type.Union([SEGMENT_SCHEMAS.static, SEGMENT_SCHEMAS.realtime]);
const SegmentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const PersonParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const TagParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), tag: Type.String({ minLength: 1, maxLength: 200 }) });
export const Lookup = Type.Object(
  {
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the id in the caller's own system (standard attribute externalId)" })),
  },
  { additionalProperties: false },
);
const Scalar = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 })]);
const Changes = Type.Object(
  {
    set: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Scalar, { maxProperties: 1000, description: 'attribute → value (null empties it)' })),
    addTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
    removeTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
    addPhones: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100, description: 'phones the person is also reached at (any format; each belongs to one person)' })),
    addEmails: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { maxItems: 100, description: 'emails the person is also reached at (each belongs to one person)' })),
  },
  { additionalProperties: false },
);
const Tags = Type.Object({ tags: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
const DoNotContact = Type.Object(
  {
    channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
    contact: Type.String({ minLength: 1, maxLength: 320 }),
    senders: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { maxItems: 1000, description: 'Only these senders; none: every sender on the channel' })),
  },
  { additionalProperties: false },
);
const DoNotContactQuery = Type.Object(pageFields('entries'), { additionalProperties: false });
const SegmentsQuery = Type.Object(pageFields('segments'), { additionalProperties: false });
const DoNotContactParams = Type.Object({ channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))), contact: Type.String({ minLength: 1, maxLength: 320 }) });

function personView(p: Person) {
  return { id: p.id, standard: p.standard, custom: p.custom, phones: p.phones, emails: p.emails, tags: p.tags, companies: p.companies, lastContacted: p.lastContacted };
}

function journeyView(engine: Engine, s: ParticipantState) {
  const flow = engine.compiled(s.flowId, s.version);
  const waiting = s.status === ParticipantStatus.Waiting;
  return {
    participantId: s.id,
    flowId: s.flowId,
    version: s.version,
    element: flow?.nodes[s.node]?.id ?? null,
    enteredAt: new Date(s.enteredAt).toISOString(),
    waiting: waiting ? { on: s.waitOn === '' ? [] : s.waitOn.split('\n'), until: s.waitUntil > 0 ? new Date(s.waitUntil).toISOString() : null } : null,
  };
}

/** Defines the item; answers the definition kept (for an event, merged with its earlier one). */
function define<T extends { name?: string; id?: string }>(core: Core, kind: DefinitionKind, item: T): Promise<T> {
  return asBody(kind, async () => (await core.define(kind, item)) as T);
}

/** Runs a definition's load; its errors name the request body's paths ($), not a people file's. */
async function asBody<T>(kind: DefinitionKind, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw inBody(err, `$.${kind}[0]`);
  }
}

/** An error of the item loaded as a people file's only one (at `itemPath`), its paths made the request body's ($). */
function inBody(err: unknown, itemPath: string): unknown {
  if (!(err instanceof JunctionError)) return err;
  const rebase = (text: string) => text.replaceAll(itemPath, () => '$');
  const message = err.message.startsWith(`${itemPath}: `) ? err.message.slice(itemPath.length + 2) : err.message;
  return new JunctionError(err.code, rebase(message), err.details && (JSON.parse(rebase(JSON.stringify(err.details))) as ErrorDetails));
}

function changesOf(body: Static<typeof Changes>): ProfileChange[] {
  return [
    ...Object.entries(body.set ?? {}).map(([attribute, value]): ProfileChange => ({ op: 'set', attribute, value })),
    ...(body.addTags ?? []).map((tag): ProfileChange => ({ op: 'addTag', tag })),
    ...(body.removeTags ?? []).map((tag): ProfileChange => ({ op: 'removeTag', tag })),
    ...(body.addPhones ?? []).map((phone): ProfileChange => ({ op: 'addPhone', phone })),
    ...(body.addEmails ?? []).map((email): ProfileChange => ({ op: 'addEmail', email })),
  ];
}

/** `?phone=+385…` sent with its + unencoded arrives as " 385…" (a + in a query is a space): read as the + it was. */
function plusOf(phone: string | undefined): string | undefined {
  return phone !== undefined && /^ \d/.test(phone) ? `+${phone.slice(1)}` : phone;
}

/** The one person a ?phone=, ?email= or ?externalId= names; JCT_PERSON_UNKNOWN when nobody. */
export async function lookUp(core: Core, query: Static<typeof Lookup>): Promise<Person> {
  const { email, externalId } = query;
  const phone = plusOf(query.phone);
  const contact = phone ?? email;
  const given = [phone, email, externalId].filter((x) => x !== undefined).length;
  if (given === 0) throw new JunctionError('JCT_LOOKUP_EMPTY', 'give ?phone=, ?email= or ?externalId=');
  if (given > 1) throw new JunctionError('JCT_LOOKUP_AMBIGUOUS', 'give one of ?phone=, ?email= or ?externalId=: each may name a different person');
  if (phone !== undefined) requirePhone(phone); // a text that is no phone is the caller's mistake (400), not nobody's number
  if (email !== undefined) requireEmail(email);
  const person = contact === undefined ? await core.personByExternalId(externalId!) : await core.personByContact(contact);
  if (person) return person;
  const what = phone !== undefined ? 'phone' : email !== undefined ? 'email' : 'external id';
  throw new JunctionError('JCT_PERSON_UNKNOWN', `nobody has the ${what} "${contact ?? externalId}"`);
}

export function peopleRoutes(core: Core): ApiRoute[] {
  const known = async (id: string): Promise<Person> => {
    const person = await core.person(id);
    if (!person) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${id}"`);
    return person;
  };
  const change = async (id: string, changes: ProfileChange[]) => {
    await known(id);
    await core.submit(id, { kind: 'person.update', changes });
    return personView(await known(id));
  };
  const id = (req: { params: Record<string, string> }) => req.params['id']!;
  return [
    {
      method: 'POST', url: '/people', scope: 'people', summary: 'Create a profile (201), or merge into the one with the same id, external id, phone or email (200)', schema: { body: PersonSchema }, status: 201, alsoStatus: [200], writes: true,
      handle: async (req) => {
        const input = req.body as Static<typeof PersonSchema>;
        const key = await core.personKey(input);
        const existed = (await core.person(key)) !== undefined;
        const receipt = await core.submit(key, { kind: 'person.upsert', person: input });
        const view = personView(await known(receipt.personId));
        return existed ? new Answer(200, view) : view;
      },
    },
    {
      method: 'GET', url: '/people', scope: 'people', summary: 'Look a person up by phone (any format), email or external id', schema: { querystring: Lookup },
      handle: async (req) => personView(await lookUp(core, req.query as Static<typeof Lookup>)),
    },
    { method: 'GET', url: '/people/:id', scope: 'people', summary: 'A profile', schema: { params: PersonParams }, handle: async (req) => personView(await known(id(req))) },
    {
      method: 'DELETE', url: '/people/:id', scope: 'people', writes: true, schema: { params: PersonParams },
      summary: 'Erase a person: profile, participants (they leave every flow at once), entry and event history; engaged-month counts stay, anonymous',
      handle: async (req) => {
        const receipt = await core.submit((await known(id(req))).id, { kind: 'person.erase' });
        return { personId: receipt.personId, erased: receipt.erased };
      },
    },
    {
      method: 'PATCH', url: '/people/:id', scope: 'people', summary: 'Change attributes (null empties one), tags and contacts, all or nothing', schema: { params: PersonParams, body: Changes }, writes: true,
      handle: (req) => change(id(req), changesOf(req.body as Static<typeof Changes>)),
    },
    {
      method: 'POST', url: '/people/:id/tags', scope: 'people', summary: 'Add tags', schema: { params: PersonParams, body: Tags }, writes: true,
      handle: (req) => change(id(req), (req.body as Static<typeof Tags>).tags.map((tag): ProfileChange => ({ op: 'addTag', tag }))),
    },
    {
      method: 'DELETE', url: '/people/:id/tags/:tag', scope: 'people', summary: 'Remove a tag', schema: { params: TagParams }, writes: true,
      handle: (req) => change(id(req), [{ op: 'removeTag', tag: req.params['tag']! }]),
    },
    {
      method: 'GET', url: '/people/:id/journeys', scope: 'people', summary: "The person's participants in flows: flow, version, element, waiting for what and until when", schema: { params: PersonParams },
      handle: async (req) => ({ journeys: (await core.journeysOf((await known(id(req))).id)).map((s) => journeyView(core.front, s)) }),
    },
    { method: 'GET', url: '/attributes', scope: 'people', summary: 'Every attribute: standard, contact, channel and custom, with its type', handle: () => ({ attributes: core.front.people.catalog().all() }) },
    {
      method: 'POST', url: '/attributes', scope: 'people', summary: 'Define a custom attribute (a type never changes once defined)', schema: { body: AttributeSchema }, status: 201, writes: true,
      handle: (req) => define(core, 'attributes', req.body as Static<typeof AttributeSchema>),
    },
    { method: 'GET', url: '/event-definitions', scope: 'people', summary: 'Every event: built-in, channel and custom, with its properties', handle: () => ({ events: core.front.eventCatalog().all().map(({ byName: _, ...event }) => event) }) },
    {
      method: 'POST', url: '/event-definitions', scope: 'people', summary: "Define a custom event with typed properties (at most one a list), or add properties to one: a property's type never changes", schema: { body: EventSchema }, status: 201, writes: true,
      handle: (req) => define(core, 'events', req.body as Static<typeof EventSchema>),
    },
    {
      method: 'GET', url: '/segments', scope: 'people', summary: `The segments by id and how many people each holds, a page at a time (\`limit\`, default ${PAGE}; \`after\` = the previous \`next\`)`,
      schema: { querystring: SegmentsQuery },
      handle: async (req) => orderedPage(await core.segmentList(), req.query as PageQuery, 'segments', ({ definition: d, size }) => ({ id: d.id, name: d.name, kind: d.kind, size })),
    },
    {
      method: 'POST', url: '/segments', scope: 'people', summary: 'Define a new segment: static (listed people) or realtime (rules re-evaluated as profiles change); an id taken is refused (409)', status: 201, writes: true,
      schema: { body: Segment },
      handle: (req) => define(core, 'segments', req.body as { id: string }),
    },
    {
      method: 'PUT', url: '/segments/:id', scope: 'people', summary: 'Replace a segment (name, members or rule); its kind stays while a launched flow reads it (409)', writes: true,
      schema: { params: SegmentParams, body: Segment },
      handle: (req) => {
        const item = req.body as Static<typeof Segment>;
        if (item.id !== id(req)) throw new JunctionError('JCT_SEGMENT_ID_MISMATCH', `the segment's id "${item.id}" is not the URL's "${id(req)}"`);
        return asBody('segments', () => core.replaceSegment(item));
      },
    },
    {
      method: 'GET', url: '/do-not-contact', scope: 'people', summary: `The do-not-contact list by channel, then contact, a page at a time (\`limit\`, default ${PAGE}; \`after\` = the previous \`next\`)`,
      schema: { querystring: DoNotContactQuery },
      handle: (req) => orderedPage(core.front.people.doNotContact(), req.query as PageQuery, 'entries', (entry) => entry),
    },
    {
      method: 'POST', url: '/do-not-contact', scope: 'people', summary: 'Block a contact on a channel (for every sender, or some)', schema: { body: DoNotContact }, status: 201, writes: true,
      handle: async (req) => {
        const entry = req.body as Static<typeof DoNotContact>;
        requireContactOn(entry.channel, entry.contact); // a phone blocked on email (or an email on sms) would never block anything
        await core.submit(entry.contact, { kind: 'doNotContact', change: { op: 'add', entries: [{ ...entry, senders: entry.senders ?? [] }] } });
        return core.front.people.blockOf(entry.channel, entry.contact);
      },
    },
    {
      method: 'DELETE', url: '/do-not-contact/:channel/:contact', scope: 'people', summary: "Unblock a contact on a channel", schema: { params: DoNotContactParams }, status: 204, writes: true,
      handle: async (req) => {
        const entry = { channel: req.params['channel'] as Static<typeof DoNotContactParams>['channel'], contact: req.params['contact']!, senders: [] };
        requireContactOn(entry.channel, entry.contact);
        await core.submit(entry.contact, { kind: 'doNotContact', change: { op: 'remove', entries: [entry] } });
      },
    },
  ];
}
