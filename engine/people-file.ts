// Loads a people file (JSON: attributes, events, companies, people, segments, doNotContact) into a
// PeopleStore, in that order. The whole document's shape is checked first and every problem
// reported at once; after that, the first item the store refuses stops the load with its
// JSON path, and the items before it stay loaded. An event defined again adds its new properties
// to the ones it has (mergeEventDefinition). A store may load a part of the file (PeopleFilePart):
// some of its profiles, and of a static segment's members those it holds, the others left out
// (a store restored from its journal, a shard of a cluster).
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

export type PeopleFile = Static<typeof PeopleFileSchema>;
type SegmentEntry = Static<(typeof SEGMENT_SCHEMAS)[keyof typeof SEGMENT_SCHEMAS]>;

/** What of a people file a store loads besides its definitions; by default everything. */
export interface PeopleFilePart {
  /** Whether the file's profile at this index is made or updated here. */
  readonly profile: (index: number) => boolean;
  /** Whether a static segment's member this store does not hold is left out rather than refused (a person of another store, or one erased since). */
  readonly elsewhere: (personId: string) => boolean;
}

const WHOLE: PeopleFilePart = { profile: () => true, elsewhere: () => false };

/** Which of a people file's profiles (by index) and person ids are one store's (a shard's of a sharded cluster). */
export interface PeopleFileShare {
  profile(index: number): boolean;
  person(id: string): boolean;
}

/**
 * The part a store loads at start: the definitions always, the profiles only into a store that
 * restored nobody (the journal's are newer), each a member of its static segments when it holds
 * them. `mine` says which profiles (by index) and person ids are this store's: a shard's of a
 * sharded cluster; by default all.
 */
export function partAtStart(restored: boolean, mine?: PeopleFileShare): PeopleFilePart {
  return {
    profile: (i) => !restored && (mine?.profile(i) ?? true),
    elsewhere: (id) => restored || !(mine?.person(id) ?? true),
  };
}

export function loadPeopleFile(
  doc: unknown,
  store: PeopleStore & { catalog(): AttributeCatalog },
  compileRule: (rules: unknown, path: string) => SegmentRule,
  part: PeopleFilePart = WHOLE,
): PeopleFile {
  const file = checkedPeopleFile(doc);
  file.attributes?.forEach((def, i) => at(`$.attributes[${i}]`, () => store.defineAttribute(def)));
  file.events?.forEach((def, i) => at(`$.events[${i}]`, () => store.defineEvent(mergeEventDefinition(store.events().get(def.name), { ...def, properties: def.properties ?? [] }))));
  file.companies?.forEach((company, i) => at(`$.companies[${i}]`, () => store.defineCompany(company)));
  file.people?.forEach((person, i) => {
    if (!part.profile(i)) return;
    // A value is as JSON typed it: a number for a text attribute is refused, where the field is.
    for (const [name, value] of Object.entries(person.custom ?? {})) at(`$.people[${i}].custom.${name}`, () => checkJsonAttributes([[name, value]], store.catalog()));
    at(`$.people[${i}]`, () => store.upsert(person as PersonInput));
  });
  (file.segments as SegmentEntry[] | undefined)?.forEach((segment, i) => {
    const path = `$.segments[${i}]`;
    const { id, name } = segment;
    if (segment.kind === 'static') {
      const members = segment.members.filter((id) => store.get(id) !== undefined || !part.elsewhere(id));
      at(path, () => store.defineSegment({ id, name, kind: 'static', members }));
    } else {
      const rule = compileRule(segment.rules, `${path}.rules`);
      at(path, () => store.defineSegment({ id, name, kind: 'realtime', rule }));
    }
  });
  file.doNotContact?.forEach((entry, i) => at(`$.doNotContact[${i}]`, () => store.addDoNotContact(entry)));
  return file;
}

/** The document as a people file, once its whole shape is checked (every problem reported at once). */
export function checkedPeopleFile(doc: unknown): PeopleFile {
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

/** Loads a people file (or `part` of it) whose real-time segment rules are conditions (engine/conditions), read in `timeZone`; the file, its shape checked. */
export function loadPeople(doc: unknown, store: PeopleStore & { catalog(): AttributeCatalog }, timeZone = 'UTC', part?: PeopleFilePart): PeopleFile {
  return loadPeopleFile(doc, store, (rules, path) => compileSegmentRule(rules, store.catalog(), timeZone, path), part);
}
