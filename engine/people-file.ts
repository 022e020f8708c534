// Loads a people file (JSON: attributes, events, companies, people, segments, doNotContact) into a
// PeopleStore, in that order. The whole document's shape is checked first and every problem
// reported at once; after that, the first item the store refuses stops the load with its
// JSON path, and the items before it stay loaded. An event defined again adds its new properties
// to the ones it has (mergeEventDefinition).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { JunctionError, toJunctionError } from './errors.js';
import { schemaProblems } from './schema-problems.js';
import { compileSegmentRule } from './conditions/compile.js';
import type { AttributeCatalog } from './people/catalog.js';
import { mergeEventDefinition } from './people/events.js';
import { checkJsonAttributes } from './people/profile.js';
import { ValueTypeSchema } from './values.js';
import type { PeopleStore, SegmentRule } from './store/interfaces.js';
import type { PersonInput } from './vocabulary.js';
import { CHANNELS, STANDARD_ATTRIBUTES } from './person.js';

const CODE = 'JCT_PEOPLE_FILE_INVALID';

const NonEmpty = Type.String({ minLength: 1 });
const strict = { additionalProperties: false } as const;
const ChannelSchema = Type.Union(
  CHANNELS.map((c) => Type.Literal(c)),
  { description: CHANNELS.join(', ') },
);
/** Attribute values are type-checked against their definitions when each person loads. */
const fieldsOf = (names: readonly string[], schema: TSchema) =>
  Type.Partial(Type.Object(Object.fromEntries(names.map((name) => [name, schema])), strict));

export const AttributeSchema = Type.Object(
  { name: NonEmpty, type: ValueTypeSchema, description: Type.Optional(Type.String()) },
  strict,
);
export const EventSchema = Type.Object(
  {
    name: NonEmpty,
    description: Type.Optional(Type.String()),
    properties: Type.Optional(Type.Array(Type.Object({ name: NonEmpty, type: ValueTypeSchema }, strict), { maxItems: 100 })),
  },
  strict,
);
const CompanySchema = Type.Object({ id: NonEmpty, name: Type.String() }, strict);
const PersonSchema = Type.Object(
  {
    id: Type.Optional(NonEmpty),
    standard: Type.Optional(fieldsOf(Object.keys(STANDARD_ATTRIBUTES), Type.Unknown())),
    custom: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    phones: Type.Optional(Type.Array(Type.String())),
    emails: Type.Optional(Type.Array(Type.String())),
    tags: Type.Optional(Type.Array(Type.String())),
    companies: Type.Optional(Type.Array(Type.String())),
    lastContacted: Type.Optional(fieldsOf(CHANNELS, Type.String())),
  },
  strict,
);
export const SEGMENT_SCHEMAS = {
  static: Type.Object(
    { id: NonEmpty, name: Type.String(), kind: Type.Literal('static'), members: Type.Array(Type.String()) },
    strict,
  ),
  realtime: Type.Object({ id: NonEmpty, name: Type.String(), kind: Type.Literal('realtime'), rules: Type.Unknown() }, strict),
};
/** Only the kind here: each segment is then checked against the schema of its kind, for clear messages. */
const SegmentKindSchema = Type.Object({
  kind: Type.Union([Type.Literal('static'), Type.Literal('realtime')], { description: 'static or realtime' }),
});
const DoNotContactSchema = Type.Object(
  { channel: ChannelSchema, contact: NonEmpty, senders: Type.Array(Type.String()) },
  strict,
);
const PeopleFileSchema = Type.Object(
  {
    attributes: Type.Optional(Type.Array(AttributeSchema)),
    events: Type.Optional(Type.Array(EventSchema)),
    companies: Type.Optional(Type.Array(CompanySchema)),
    people: Type.Optional(Type.Array(PersonSchema)),
    segments: Type.Optional(Type.Array(SegmentKindSchema)),
    doNotContact: Type.Optional(Type.Array(DoNotContactSchema)),
  },
  strict,
);

type PeopleFile = Static<typeof PeopleFileSchema>;
type SegmentEntry = Static<(typeof SEGMENT_SCHEMAS)[keyof typeof SEGMENT_SCHEMAS]>;

export function loadPeopleFile(
  doc: unknown,
  store: PeopleStore & { catalog(): AttributeCatalog },
  compileRule: (rules: unknown, path: string) => SegmentRule,
): void {
  const file = checkedFile(doc);
  file.attributes?.forEach((def, i) => at(`$.attributes[${i}]`, () => store.defineAttribute(def)));
  file.events?.forEach((def, i) => at(`$.events[${i}]`, () => store.defineEvent(mergeEventDefinition(store.events().get(def.name), { ...def, properties: def.properties ?? [] }))));
  file.companies?.forEach((company, i) => at(`$.companies[${i}]`, () => store.defineCompany(company)));
  file.people?.forEach((person, i) => {
    // A value is as JSON typed it: a number for a text attribute is refused, where the field is.
    for (const [name, value] of Object.entries(person.custom ?? {})) at(`$.people[${i}].custom.${name}`, () => checkJsonAttributes([[name, value]], store.catalog()));
    at(`$.people[${i}]`, () => store.upsert(person as PersonInput));
  });
  (file.segments as SegmentEntry[] | undefined)?.forEach((segment, i) => {
    const path = `$.segments[${i}]`;
    const { id, name } = segment;
    if (segment.kind === 'static') {
      at(path, () => store.defineSegment({ id, name, kind: 'static', members: segment.members }));
    } else {
      const rule = compileRule(segment.rules, `${path}.rules`);
      at(path, () => store.defineSegment({ id, name, kind: 'realtime', rule }));
    }
  });
  file.doNotContact?.forEach((entry, i) => at(`$.doNotContact[${i}]`, () => store.addDoNotContact(entry)));
}

function checkedFile(doc: unknown): PeopleFile {
  const problems = schemaProblems(PeopleFileSchema, doc, '$', CODE);
  if (problems.length === 0) {
    (doc as PeopleFile).segments?.forEach((segment, i) => {
      problems.push(...schemaProblems(SEGMENT_SCHEMAS[segment.kind], segment, `$.segments[${i}]`, CODE));
    });
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new JunctionError(CODE, `the people file has ${problems.length} problem(s): ${list}`, {
      problems,
    });
  }
  return doc as PeopleFile;
}

/** Runs one item's load; an error it throws gets the item's JSON path. */
function at(path: string, load: () => unknown): void {
  try {
    load();
  } catch (err) {
    const cause = toJunctionError(err, 'JCT_PEOPLE_FILE_INVALID');
    throw new JunctionError(cause.code, `${path}: ${cause.message}`, { ...cause.details, path });
  }
}

/** Loads a people file whose real-time segment rules are conditions (engine/conditions), read in `timeZone`. */
export function loadPeople(doc: unknown, store: PeopleStore & { catalog(): AttributeCatalog }, timeZone = 'UTC'): void {
  loadPeopleFile(doc, store, (rules, path) => compileSegmentRule(rules, store.catalog(), timeZone, path));
}
