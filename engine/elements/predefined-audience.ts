// Predefined Audience entry point: people with given tags, in given segments, listed by id,
// or in given companies enter at launch. "Update audience after launch":
//   never    — the audience is fixed at launch (a real-time segment is read as a snapshot);
//              the flow takes no later entries and finishes when everyone has left;
//   realtime — people who later get a listed tag or join a listed real-time segment (also when
//              its rule is replaced and now matches them) enter too, and the audience may be
//              edited while the flow runs: added criteria bring their people in at once (the
//              frequency cap applies); removed ones leave people inside alone.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type EntryHost } from '../element.js';
import { JunctionError } from '../errors.js';
import type { PeopleChange, PeopleStore } from '../store/interfaces.js';

const Ids = (description: string) => Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true, description }));
const Config = Type.Object(
  {
    audience: Type.Object(
      {
        tags: Ids('people with any of these tags'),
        segments: Ids('people in any of these segments (ids)'),
        people: Ids('these people (ids)'),
        companies: Ids('people in any of these companies (ids)'),
      },
      { additionalProperties: false, description: 'who enters: tags, segments, people and companies, combined (each person once)' },
    ),
    updateAfterLaunch: Type.Union([Type.Literal('never'), Type.Literal('realtime')], {
      default: 'never',
      description: 'never: the audience is fixed at launch; realtime: people who later match enter too, and the audience may be edited',
    }),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Audience {
  readonly tags: ReadonlySet<string>;
  readonly segments: ReadonlySet<string>;
  readonly people: ReadonlySet<string>;
  readonly companies: ReadonlySet<string>;
}
interface Prepared {
  readonly realtime: boolean;
  readonly audience: Audience;
}

export default defineElement<Config, Prepared>({
  type: 'predefinedAudience',
  role: 'entry',
  title: 'Predefined audience',
  description: 'People with tags, in segments, listed, or in companies enter at launch (and later, in real time).',
  config: Config,
  example: { audience: { tags: ['newsletter'], segments: ['lapsed-customers'] }, updateAfterLaunch: 'realtime' },
  maxPerFlow: 1,
  branches: () => ['next'],
  compile: (config, ctx) => {
    const a = config.audience;
    if (![a.tags, a.segments, a.people, a.companies].some((list) => list && list.length > 0)) {
      ctx.problem('JCT_AUDIENCE_EMPTY', 'choose at least one tag, segment, person or company', '.audience');
    }
    checkSegments(a.segments ?? [], ctx);
    return {
      realtime: config.updateAfterLaunch === 'realtime',
      audience: { tags: new Set(a.tags), segments: new Set(a.segments), people: new Set(a.people), companies: new Set(a.companies) },
    };
  },
  acceptsLaterEntries: (p) => p.realtime,
  segmentsRead: (p) => p.audience.segments,
  activate: (p, host, reason) => {
    if (reason === 'launch') enterAll(members(p.audience, host.people), host);
    return p.realtime ? host.onPeopleChange((change) => onChange(p.audience, change, host)) : undefined;
  },
  reconfigure: (before, after, host) => {
    if (!before.realtime) {
      throw new JunctionError('JCT_AUDIENCE_STATIC', 'this flow’s audience was fixed at launch (update after launch: never); duplicate the flow instead');
    }
    if (!after.realtime) throw new JunctionError('JCT_AUDIENCE_MODE', 'update after launch cannot change while the flow runs');
    enterAll(members(added(before.audience, after.audience), host.people), host);
  },
});

/** Each segment named must exist, when the segments are known (a launch would be refused: JCT_SEGMENT_UNKNOWN). */
function checkSegments(ids: readonly string[], ctx: CompileContext): void {
  const exists = ctx.segmentExists;
  if (!exists) return;
  ids.forEach((id, i) => {
    if (!exists(id)) ctx.problem('JCT_SEGMENT_UNKNOWN', `no segment with id "${id}"`, `.audience.segments[${i}]`);
  });
}

/** Everyone the audience covers now, each once; throws on an unknown person, segment or company. */
function members(a: Audience, people: PeopleStore): string[] {
  const ids = new Set<string>();
  for (const id of a.people) {
    if (!people.get(id)) throw new JunctionError('JCT_PERSON_UNKNOWN', `audience lists person "${id}", who does not exist`);
    ids.add(id);
  }
  for (const tag of a.tags) for (const id of people.withTag(tag)) ids.add(id);
  for (const seg of a.segments) for (const id of people.segmentMembers(seg)) ids.add(id);
  for (const company of a.companies) {
    if (!people.company(company)) throw new JunctionError('JCT_COMPANY_UNKNOWN', `audience lists company "${company}", which does not exist`);
    for (const id of people.inCompany(company)) ids.add(id);
  }
  return [...ids];
}

function enterAll(ids: readonly string[], host: EntryHost): void {
  for (const id of ids) host.enter(id);
}

/** A person who gets a listed tag, or joins a listed real-time segment (its rule now matches them, or was replaced), enters. */
function onChange(a: Audience, change: PeopleChange, host: EntryHost): void {
  const joins =
    (change.kind === 'tagAdded' && a.tags.has(change.tag!)) ||
    (change.kind === 'segmentJoined' && a.segments.has(change.segmentId!) && host.people.segment(change.segmentId!)?.kind === 'realtime');
  if (joins) host.enter(change.personId);
}

function added(before: Audience, after: Audience): Audience {
  const minus = (x: ReadonlySet<string>, y: ReadonlySet<string>): Set<string> => new Set([...x].filter((v) => !y.has(v)));
  return {
    tags: minus(after.tags, before.tags),
    segments: minus(after.segments, before.segments),
    people: minus(after.people, before.people),
    companies: minus(after.companies, before.companies),
  };
}
