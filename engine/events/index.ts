// The events module: the entry points started by what people do or by their dates (People
// Real-Time Event, Change in People Profile, Date or Time), the waits for events, profile
// changes and dates, and the route apps send custom events to. POST /events takes one event or
// a batch of up to 1,000 ({ "events": [...] }; one event is answered 202, a batch 200 with each item's outcome); each names its person by id, phone or email. A batch refuses only its
// bad items, each with its code, and takes the rest. A phone or email that is not one is refused
// (JCT_CONTACT_INVALID), and so is a time that does not exist, such as 31 November or 24:00
// (JCT_EVENT_TIME), and an id given with a phone or email of someone else (JCT_PERSON_MISMATCH);
// an event for an unknown person is refused (JCT_PERSON_UNKNOWN, naming
// the id or contact given) unless the module setting `createPeople` is on: the profile is then
// created with the phone or email given. The engine types the properties against the event's
// definition and keeps the event in the person's history.
import { Type, type Static } from '@sinclair/typebox';
import type { Module, RouteAnswer, RouteContext, RouteDefinition, RouteRequest } from '../module.js';
import { JunctionError, toJunctionError } from '../errors.js';
import type { PersonInput } from '../vocabulary.js';
import { coerceValue } from '../values.js';
import { requireEmail, requirePhone } from '../people/contacts.js';
import realTimeEvent from './real-time-event.js';
import waitForEvent from './wait-for-event.js';
import changeInProfile from './change-in-profile.js';
import dateOrTime from './date-or-time.js';
import waitForProfileChange from './wait-for-profile-change.js';
import waitForDate from './wait-for-date.js';

export const MAX_BATCH = 1000;

// An event belongs to no flow, so its time carries its own offset: a bare wall time would be read in whatever zone the server runs in.
// Fractions of a second of up to 9 digits, as Python, Java and Go write them, are read to the millisecond.
const EventTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'an ISO 8601 date-time with Z or an offset, e.g. 2026-03-01T09:00:00Z (a fraction of a second is kept to the millisecond)',
});

const EventItem = Type.Object(
  {
    person: Type.Object(
      // bounded as a profile's are (gateway/schemas.ts): a longer one names nobody, and is not echoed back in an error
      {
        id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        phone: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
        email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
      },
      { additionalProperties: false, description: 'Who performed it: id, phone or email' },
    ),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    at: Type.Optional(EventTime),
  },
  { additionalProperties: false },
);
type EventItem = Static<typeof EventItem>;

const Body = Type.Union([EventItem, Type.Object({ events: Type.Array(EventItem, { minItems: 1, maxItems: MAX_BATCH }) }, { additionalProperties: false })]);

export const EventsSettings = Type.Object(
  { createPeople: Type.Boolean({ default: false, description: 'An event for an unknown phone or email creates the profile (default: refused)' }) },
  { additionalProperties: false },
);

/** One event: accepted (how many waiting participants took it) or refused with its code. */
type ItemResult = { accepted: true; personId: string; delivered: number } | { accepted: false; code: string; message: string };

async function ingest(item: EventItem, ctx: RouteContext): Promise<ItemResult> {
  const person = personOf(item);
  await requireOnePerson(item.person, ctx);
  const at = item.at === undefined ? ctx.now() : instantOf(item.at, item.name);
  const create = ctx.settings['createPeople'] === true && (person.phones ?? person.emails) !== undefined;
  const receipt = await ctx
    .submitFor(person, { kind: 'event', name: item.name, properties: item.properties ?? {}, at, ...(create ? { person } : {}) })
    .catch((err: unknown) => Promise.reject(namedByContact(err, item.person)));
  return { accepted: true, personId: receipt.personId, delivered: receipt.delivered ?? 0 };
}

/** The instant an event's `at` names; one that is no real date-time (31 November, 24:00, an offset of +25:00) is refused. */
function instantOf(text: string, name: string): number {
  const value = coerceValue('datetime', text);
  if (!value.ok) throw new JunctionError('JCT_EVENT_TIME', `event "${name}": ${value.message}`, { at: text });
  return Date.parse(value.value as string);
}

function personOf(item: EventItem): PersonInput {
  const { id, phone, email } = item.person;
  if (id === undefined && phone === undefined && email === undefined) throw new JunctionError('JCT_PERSON_EMPTY', 'an event needs its person: id, phone or email');
  if (phone !== undefined) requirePhone(phone);
  if (email !== undefined) requireEmail(email);
  return { ...(id === undefined ? {} : { id }), ...(phone === undefined ? {} : { phones: [phone] }), ...(email === undefined ? {} : { emails: [email] }) };
}

/** An event naming an id and a phone or email of someone else is refused: which of the two people it is about cannot be told. */
async function requireOnePerson({ id, phone, email }: EventItem['person'], ctx: RouteContext): Promise<void> {
  if (id === undefined) return;
  for (const contact of [phone, email]) {
    const owner = contact === undefined ? undefined : await ctx.owner(contact);
    if (owner !== undefined && owner !== id) {
      throw new JunctionError('JCT_PERSON_MISMATCH', `"${contact!}" belongs to person "${owner}", not to "${id}": name one person`, { personId: id, owner });
    }
  }
}

/** An unknown person the event named by phone or email is reported by those, not by the id made up for them. */
function namedByContact(err: unknown, person: EventItem['person']): unknown {
  if (person.id !== undefined || !(err instanceof JunctionError) || err.code !== 'JCT_PERSON_UNKNOWN') return err;
  const contacts = [person.phone === undefined ? '' : `phone "${person.phone}"`, person.email === undefined ? '' : `email "${person.email}"`].filter(Boolean).join(' or ');
  return new JunctionError(err.code, `no person with ${contacts} (an unknown phone or email creates the profile when the events module setting createPeople is on)`, {
    ...(person.phone === undefined ? {} : { phone: person.phone }),
    ...(person.email === undefined ? {} : { email: person.email }),
  });
}

/** A batch: every item tried; a refused one (but an unavailable store) is reported, not thrown. */
async function ingestBatch(items: readonly EventItem[], ctx: RouteContext): Promise<RouteAnswer> {
  const results = await Promise.all(
    items.map((item) =>
      ingest(item, ctx).catch((err: unknown): ItemResult => {
        const e = toJunctionError(err, 'JCT_INTERNAL');
        if (e.code === 'JCT_STORE_UNAVAILABLE' || e.code === 'JCT_INTERNAL') throw e;
        return { accepted: false, code: e.code, message: e.message };
      }),
    ),
  );
  const accepted = results.filter((r) => r.accepted).length;
  return { status: 200, body: { accepted, refused: results.length - accepted, results } };
}

const events: RouteDefinition = {
  method: 'POST',
  url: '/events',
  access: 'events',
  schema: { body: Body },
  bodyLimit: 4 * 1024 * 1024,
  json: true,
  statuses: [202, 200],
  handle: async (req: RouteRequest, ctx: RouteContext) => {
    const body = req.body as Static<typeof Body>;
    if ('events' in body) return ingestBatch(body.events, ctx);
    return { status: 202, body: await ingest(body, ctx) };
  },
};

export const eventsModule: Module = {
  name: 'events',
  elements: [realTimeEvent, changeInProfile, dateOrTime, waitForEvent, waitForProfileChange, waitForDate],
  routes: [events],
  config: { schema: EventsSettings, secrets: [] },
};

