// The in-memory PeopleStore: profiles with their indexes (contact, tag, company),
// custom attribute definitions, companies, segments and the do-not-contact list.
// Every write is checked in full before any state changes, then listeners hear about it.
// A write costs time linear in the size of what it changes: indexes move by the differences.
//
// Rules worth knowing:
// - A phone or email belongs to at most one person (JCT_CONTACT_TAKEN otherwise), and so does
//   an external id (JCT_EXTERNAL_ID_TAKEN). People restored from the store are not checked, so a
//   restore never fails on old data: of those sharing a contact or external id, the one restored
//   later is indexed, and a write checks against it.
// - Real-time segment membership is re-evaluated for a person whenever that person is
//   created or changes; defining a segment evaluates everyone but emits no events, since
//   nobody joined anything: the segment just started to exist. A rule with relative date
//   conditions also changes as time passes: segmentCheck re-tests the people it may have
//   changed for (everyone at local midnight, or each person at their own moment, indexed by
//   every write) and announces who joined or left; the engine runs it (runtime/segment-clock.ts).
// - Do-not-contact: an entry without senders blocks every sender on its channel. Such a
//   block cannot be partially lifted: removing some senders from it leaves it in place;
//   remove it with empty senders, then add the sender-specific entries wanted.
import type { Clock } from '../clock.js';
import { JunctionError, toJunctionError } from '../errors.js';
import { AttributeCatalog } from '../people/catalog.js';
import { normalizeContact, ourAddress, requireContact } from '../people/contacts.js';
import { EMPTY_LIST, compactPerson } from '../people/layout.js';
import {
  applyChanges,
  createPerson,
  givenExternalId,
  inputChanges,
  joinCompanies,
  mergeTarget,
  without,
  type ProfileUpdate,
} from '../people/profile.js';
import type { AttributeDefinition, Channel, Company, DoNotContactEntry, EventDefinition, Person } from '../person.js';
import { checkEventDefinition } from '../people/events.js';
import type { PeopleChange, PeopleStore, SegmentCheck, SegmentDefinition, SegmentRule, SegmentSummary } from './interfaces.js';
import { OrderedMap, orderedView, type Ordered } from '../ordered.js';
import { DueByKey } from '../due-queue.js';
import { ContactIndex } from './contact-index.js';
import type { PersonInput, ProfileChange } from '../vocabulary.js';

type Listener = (change: PeopleChange) => void;

interface Segment {
  /** A static segment's members leave it when the person is removed. */
  definition: SegmentDefinition;
  readonly members: Set<string>;
  /** A rule time alone changes: when everyone is re-tested next (its next midnight, or at once after a definition or a restart). */
  everyoneAt?: number;
  /** A rule whose result each person's own moment changes (SegmentRule.nextChange): those moments. */
  due?: DueByKey;
}

/** A real-time segment a write makes the person join or leave. */
interface Move {
  readonly segment: Segment;
  readonly joined: boolean;
}

/** What a write did to one person, for indexing and events. */
interface Outcome extends ProfileUpdate {
  before: Person | undefined;
}

const NO_MOVES: readonly Move[] = Object.freeze([]);
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export class MemoryPeopleStore implements PeopleStore {
  /** Listeners that threw, counted; a throwing listener never breaks a write. */
  listenerErrors = 0;

  private readonly people = new Map<string, Person>();
  private readonly contacts = new ContactIndex();
  private readonly byExternalId = new Map<string, string>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly byCompany = new Map<string, Set<string>>();
  private readonly definitions = new Map<string, AttributeDefinition>();
  private cachedCatalog = new AttributeCatalog();
  private eventDefinitions: ReadonlyMap<string, EventDefinition> = new Map();
  private readonly companies = new Map<string, Company>();
  private readonly segments = new OrderedMap<Segment>();
  /** The real-time segments whose rules time alone changes. */
  private timed: Segment[] = [];
  /** Keyed by channel and normalized contact; an empty sender set blocks every sender. */
  private readonly blocked = new OrderedMap<{ entry: DoNotContactEntry; senders: Set<string> }>();
  private readonly listeners = new Set<Listener>();
  private lastId = 0;

  /** `idPrefix`: what the ids it makes for profiles without one start with (a shard's, in a sharded cluster). */
  constructor(
    private readonly clock: Clock,
    private readonly idPrefix = '',
  ) {}

  get(id: string): Person | undefined {
    return this.people.get(id);
  }

  /** Indexes the contacts of restored people a slice at a time (each lookup before it ends finishes it at once); resolves with how many there were. */
  indexContactsInBackground(): Promise<number> {
    return this.contacts.indexInBackground();
  }

  findByContact(contact: string): Person | undefined {
    const normalized = normalizeContact(contact);
    const id = normalized && this.contacts.map.get(normalized.value);
    return id === undefined ? undefined : this.people.get(id);
  }

  findByExternalId(externalId: string): Person | undefined {
    const id = this.byExternalId.get(externalId);
    return id === undefined ? undefined : this.people.get(id);
  }

  /**
   * Replaces any profile with the same id; segment memberships follow, silently like the rest.
   * Indexed from the profile itself, not by differences (recovery restores each person once);
   * its contacts are indexed later (ContactIndex), by the first lookup at the latest.
   */
  restore(person: Person): void {
    const stored = compactPerson(person);
    const moves = this.segmentMoves(stored);
    const before = this.people.get(stored.id);
    if (before) this.unindex(before);
    this.people.set(stored.id, stored);
    this.contacts.defer(stored);
    this.indexExternalId(stored, undefined);
    moveInIndex(this.byTag, stored.id, EMPTY_LIST, stored.tags);
    moveInIndex(this.byCompany, stored.id, EMPTY_LIST, stored.companies);
    moveSegments(stored.id, moves);
  }

  upsert(input: PersonInput): Person {
    this.requireCompanies(input.companies ?? []);
    const existing = this.match(input);
    const now = this.clock.now();
    if (existing) {
      const update = applyChanges(existing, inputChanges(input), this.catalog(), now);
      const person = joinCompanies(update.person, input.companies ?? [], now);
      return this.commit({ ...update, person, before: existing });
    }
    const person = createPerson(input.id ?? this.newId(), input, this.catalog(), now);
    return this.commit({ person, changed: [], tagsAdded: [...person.tags], tagsRemoved: [], before: undefined });
  }

  update(id: string, changes: readonly ProfileChange[]): Person {
    const before = this.people.get(id);
    if (!before) throw new JunctionError('JCT_PERSON_UNKNOWN', `no person with id "${id}"`, { personId: id });
    return this.commit({ ...applyChanges(before, changes, this.catalog(), this.clock.now()), before });
  }

  remove(id: string): Person | undefined {
    const person = this.people.get(id);
    if (!person) return undefined;
    this.people.delete(id);
    this.unindex(person);
    for (const segment of this.segments.values()) {
      segment.members.delete(id);
      if (segment.definition.members?.includes(id)) segment.definition = { ...segment.definition, members: segment.definition.members.filter((m) => m !== id) };
    }
    for (const segment of this.timed) segment.due?.set(id, undefined);
    this.emit({ personId: id, kind: 'removed' });
    return person;
  }

  all(): Iterable<Person> {
    return this.people.values();
  }

  size(): number {
    return this.people.size;
  }

  defineAttribute(def: AttributeDefinition): void {
    if (!ATTRIBUTE_NAME.test(def.name)) {
      throw new JunctionError(
        'JCT_ATTRIBUTE_NAME_INVALID',
        `"${def.name}" is not a valid attribute name: use letters, digits and _, starting with a letter`,
        { attribute: def.name },
      );
    }
    const current = this.definitions.get(def.name);
    if (current && current.type !== def.type) {
      throw new JunctionError(
        'JCT_ATTRIBUTE_CONFLICT',
        `attribute "${def.name}" is already defined as ${current.type}; it cannot become ${def.type}`,
        { attribute: def.name },
      );
    }
    const definitions = new Map(this.definitions).set(def.name, { ...def });
    try {
      this.cachedCatalog = new AttributeCatalog(definitions.values());
    } catch {
      throw new JunctionError('JCT_ATTRIBUTE_CONFLICT', `"${def.name}" is a built-in attribute; choose another name`, {
        attribute: def.name,
      });
    }
    this.definitions.set(def.name, { ...def });
  }

  attributes(): ReadonlyMap<string, AttributeDefinition> {
    return this.definitions;
  }

  /** Standard, contact, channel and custom attributes; rebuilt only when definitions change. */
  catalog(): AttributeCatalog {
    return this.cachedCatalog;
  }

  defineEvent(def: EventDefinition): void {
    checkEventDefinition(def);
    this.eventDefinitions = new Map(this.eventDefinitions).set(def.name, { ...def, properties: def.properties.map((p) => ({ ...p })) });
  }

  events(): ReadonlyMap<string, EventDefinition> {
    return this.eventDefinitions;
  }

  withTag(tag: string): Iterable<string> {
    return this.byTag.get(tag)?.values() ?? [];
  }

  defineCompany(company: Company): void {
    this.companies.set(company.id, { ...company });
  }

  company(id: string): Company | undefined {
    return this.companies.get(id);
  }

  inCompany(companyId: string): Iterable<string> {
    return this.byCompany.get(companyId)?.values() ?? [];
  }

  /** Defines or replaces a segment; a replacement announces who joined and who left it (a new rule or member list). */
  defineSegment(segment: SegmentDefinition): void {
    const now = this.clock.now();
    const members = segment.kind === 'static' ? this.staticMembers(segment) : this.realtimeMembers(segment, now);
    const definition = { ...segment, members: segment.members && [...segment.members] };
    const before = this.segments.get(segment.id)?.members;
    this.segments.set(segment.id, { definition, members, ...timing(segment.rule, now) });
    this.timed = [...this.segments.values()].filter((s) => s.everyoneAt !== undefined || s.due !== undefined);
    if (before) this.emitMembershipChange(segment.id, before, members);
  }

  /** segmentLeft for those in `before` only, then segmentJoined for those in `after` only. */
  private emitMembershipChange(segmentId: string, before: ReadonlySet<string>, after: ReadonlySet<string>): void {
    for (const personId of before) if (!after.has(personId)) this.emit({ personId, kind: 'segmentLeft', segmentId });
    for (const personId of after) if (!before.has(personId)) this.emit({ personId, kind: 'segmentJoined', segmentId });
  }

  nextSegmentCheck(): number | undefined {
    let next: number | undefined;
    for (const segment of this.timed) {
      for (const at of [segment.everyoneAt, segment.due?.peek()]) if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  segmentCheck(): SegmentCheck | undefined {
    const now = this.clock.now();
    const everyone: Segment[] = [];
    const some: Array<{ segment: Segment; ids: string[] }> = [];
    for (const segment of this.timed) {
      if (segment.everyoneAt !== undefined && segment.everyoneAt <= now) {
        everyone.push(segment);
        segment.everyoneAt = segment.definition.rule!.nextMidnight?.(now);
      } else if (segment.due) {
        const ids: string[] = [];
        for (let id = segment.due.popDue(now); id !== undefined; id = segment.due.popDue(now)) ids.push(id);
        if (ids.length > 0) some.push({ segment, ids });
      }
    }
    if (everyone.length === 0 && some.length === 0) return undefined;
    const work = this.segmentWork(everyone, some);
    return {
      next: (count) => {
        const at = this.clock.now();
        for (let i = 0; i < count; i++) {
          const item = work.next();
          if (item.done) return false;
          const person = this.people.get(item.value[0]);
          if (person) this.recheck(person, item.value[1], at);
        }
        return true;
      },
    };
  }

  rewindSegments(at: number): void {
    for (const segment of this.timed) {
      segment.members.clear();
      for (const person of this.people.values()) if (testRule(segment.definition, person, lastTested(person, at))) segment.members.add(person.id);
      Object.assign(segment, timing(segment.definition.rule, at), { everyoneAt: at });
    }
  }

  segment(id: string): Readonly<SegmentDefinition> | undefined {
    return this.segments.get(id)?.definition;
  }

  segmentList(): Ordered<SegmentSummary> {
    return orderedView(this.segments, (s) => ({ definition: s.definition, size: s.members.size }));
  }

  segmentMembers(id: string): Iterable<string> {
    const segment = this.segments.get(id);
    if (!segment) throw new JunctionError('JCT_SEGMENT_UNKNOWN', `no segment with id "${id}"`, { segmentId: id });
    return segment.members.values();
  }

  addDoNotContact(entry: DoNotContactEntry): void {
    const contact = requireContact(entry.contact).value;
    const key = blockKey(entry.channel, contact);
    const current = this.blocked.get(key);
    const allSenders = entry.senders.length === 0 || current?.senders.size === 0;
    const senders = allSenders ? new Set<string>() : new Set([...(current?.senders ?? []), ...entry.senders.map(ourAddress)]);
    this.blocked.set(key, { entry: { channel: entry.channel, contact, senders: [...senders] }, senders });
  }

  removeDoNotContact(entry: DoNotContactEntry): void {
    const key = blockKey(entry.channel, requireContact(entry.contact).value);
    const current = this.blocked.get(key);
    if (!current) return;
    if (entry.senders.length === 0) {
      this.blocked.delete(key);
      return;
    }
    if (current.senders.size === 0) return; // an all-senders block is not partially lifted
    const senders = new Set(current.senders);
    for (const sender of entry.senders) senders.delete(ourAddress(sender));
    if (senders.size === 0) this.blocked.delete(key);
    else this.blocked.set(key, { entry: { ...current.entry, senders: [...senders] }, senders });
  }

  isBlocked(channel: Channel, contact: string, sender?: string): boolean {
    const normalized = normalizeContact(contact);
    const block = normalized && this.blocked.get(blockKey(channel, normalized.value));
    if (!block) return false;
    return block.senders.size === 0 || (sender !== undefined && block.senders.has(sender));
  }

  doNotContact(): Ordered<DoNotContactEntry> {
    return orderedView(this.blocked, (block) => block.entry);
  }

  blockOf(channel: Channel, contact: string): DoNotContactEntry | undefined {
    const normalized = normalizeContact(contact);
    return normalized && this.blocked.get(blockKey(channel, normalized.value))?.entry;
  }

  onChange(listener: Listener): () => void {
    // Wrapped so that subscribing one function twice gives two independent subscriptions.
    const subscription = (change: PeopleChange): void => listener(change);
    this.listeners.add(subscription);
    return () => this.listeners.delete(subscription);
  }

  /** The person the input merges into: the one with its id, or without an id, the one with its external id or any of its contacts (mergeTarget). */
  private match(input: PersonInput): Person | undefined {
    if (input.id !== undefined) return this.people.get(input.id);
    const externalId = givenExternalId(input);
    const owner = externalId === undefined ? undefined : this.byExternalId.get(externalId);
    if (owner !== undefined) return this.people.get(owner);
    const contacts = [...(input.phones ?? []), ...(input.emails ?? [])];
    for (const contact of contacts) {
      const id = this.contacts.map.get(requireContact(contact).value);
      const person = id === undefined ? undefined : this.people.get(id);
      if (person) return mergeTarget(person, contact, externalId);
    }
    return undefined;
  }

  /** The first free `<idPrefix>p_<n>` past the last one handed out; a failed creation uses none up. */
  private newId(): string {
    while (this.people.has(`${this.idPrefix}p_${this.lastId + 1}`)) this.lastId += 1;
    return `${this.idPrefix}p_${this.lastId + 1}`;
  }

  private requireCompanies(ids: readonly string[]): void {
    const unknown = ids.filter((id) => !this.companies.has(id));
    if (unknown.length > 0) {
      throw new JunctionError(
        'JCT_COMPANY_UNKNOWN',
        `unknown company ${unknown.join(', ')}: define each company before adding people to it`,
        { companies: unknown },
      );
    }
  }

  /** Checks, stores and indexes the outcome of a write, then tells listeners. */
  private commit(outcome: Outcome): Person {
    const { person, before } = outcome;
    if (person === before) return person;
    const contacts = contactsNotIn(person, before);
    this.requireContactsFree(person.id, contacts);
    this.requireExternalIdFree(person.id, externalIdNotIn(person, before));
    const moves = this.segmentMoves(person);
    this.save(outcome, contacts, moves);
    this.indexMoments(person, this.clock.now());
    this.emitAll(outcome, moves);
    return person;
  }

  /** Saves a checked outcome: the person, its new contacts, its tag and company moves, its segment moves. */
  private save({ person, before, tagsAdded, tagsRemoved }: Outcome, contacts: readonly string[], moves: readonly Move[]): void {
    this.people.set(person.id, person);
    for (const contact of contacts) this.contacts.map.set(contact, person.id);
    this.indexExternalId(person, before);
    moveInIndex(this.byTag, person.id, tagsRemoved, tagsAdded);
    const companies = before?.companies ?? EMPTY_LIST;
    moveInIndex(this.byCompany, person.id, without(companies, person.companies), without(person.companies, companies));
    moveSegments(person.id, moves);
  }

  /** Takes the person out of the contact, external id, tag and company indexes (not out of segments). */
  private unindex(person: Person): void {
    const id = person.id;
    for (const contact of contactsNotIn(person, undefined)) if (this.contacts.map.get(contact) === id) this.contacts.map.delete(contact);
    const externalId = person.standard.externalId;
    if (typeof externalId === 'string' && this.byExternalId.get(externalId) === id) this.byExternalId.delete(externalId);
    moveInIndex(this.byTag, id, person.tags, EMPTY_LIST);
    moveInIndex(this.byCompany, id, person.companies, EMPTY_LIST);
  }

  /** Moves the person in the external id index when their external id changes (a restored person is indexed: the later one wins). */
  private indexExternalId(person: Person, before: Person | undefined): void {
    const was = before?.standard.externalId;
    if (typeof was === 'string' && was !== person.standard.externalId && this.byExternalId.get(was) === person.id) this.byExternalId.delete(was);
    const id = externalIdNotIn(person, before);
    if (id !== undefined) this.byExternalId.set(id, person.id);
  }

  private requireContactsFree(personId: string, contacts: readonly string[]): void {
    for (const contact of contacts) {
      const owner = this.contacts.map.get(contact);
      if (owner !== undefined && owner !== personId) {
        throw new JunctionError(
          'JCT_CONTACT_TAKEN',
          `${contact} already belongs to person "${owner}"; a phone or email belongs to one person only`,
          { contact, personId: owner },
        );
      }
    }
  }

  private requireExternalIdFree(personId: string, externalId: string | undefined): void {
    const owner = externalId === undefined ? undefined : this.byExternalId.get(externalId);
    if (owner !== undefined && owner !== personId) {
      throw new JunctionError(
        'JCT_EXTERNAL_ID_TAKEN',
        `external id "${externalId}" already belongs to person "${owner}"; an external id belongs to one person only`,
        { externalId, personId: owner },
      );
    }
  }

  /** The people a segment check re-tests, each with the segments to test them against. */
  private *segmentWork(everyone: readonly Segment[], some: ReadonlyArray<{ segment: Segment; ids: string[] }>): Generator<[string, readonly Segment[]]> {
    for (const { segment, ids } of some) for (const id of ids) yield [id, [segment]];
    if (everyone.length > 0) for (const id of this.people.keys()) yield [id, everyone];
  }

  /** Moves the person into or out of `segments` as time alone changed them, announcing it, and indexes their next moment. */
  private recheck(person: Person, segments: readonly Segment[], at: number): void {
    for (const segment of segments) {
      const joined = testRule(segment.definition, person, at);
      indexMoment(segment, person, at);
      if (joined === segment.members.has(person.id)) continue;
      moveSegments(person.id, [{ segment, joined }]);
      this.emit({ personId: person.id, kind: joined ? 'segmentJoined' : 'segmentLeft', segmentId: segment.definition.id });
    }
  }

  /** Indexes the next moment at which time alone may change the person's membership, for the segments that track each person's. */
  private indexMoments(person: Person, now: number): void {
    for (const segment of this.timed) indexMoment(segment, person, now);
  }

  /** Real-time segments whose membership this version of the person changes. */
  private segmentMoves(person: Person): readonly Move[] {
    if (this.segments.size === 0) return NO_MOVES;
    const now = this.clock.now();
    const moves: Move[] = [];
    for (const segment of this.segments.values()) {
      if (segment.definition.kind !== 'realtime') continue;
      const joined = testRule(segment.definition, person, now);
      if (joined !== segment.members.has(person.id)) moves.push({ segment, joined });
    }
    return moves;
  }

  private staticMembers(segment: SegmentDefinition): Set<string> {
    if (segment.rule || !segment.members) {
      throw invalidSegment(segment, 'a static segment lists its members and has no rule');
    }
    const unknown = segment.members.filter((id) => !this.people.has(id));
    if (unknown.length > 0) {
      throw new JunctionError(
        'JCT_PERSON_UNKNOWN',
        `segment "${segment.id}" lists unknown people: ${unknown.join(', ')}`,
        { segmentId: segment.id, people: unknown },
      );
    }
    return new Set(segment.members);
  }

  private realtimeMembers(segment: SegmentDefinition, now: number): Set<string> {
    if (!segment.rule || segment.members) {
      throw invalidSegment(segment, 'a real-time segment has a rule and no member list');
    }
    const members = new Set<string>();
    for (const person of this.people.values()) if (testRule(segment, person, now)) members.add(person.id);
    return members;
  }

  private emitAll(outcome: Outcome, moves: readonly Move[]): void {
    const personId = outcome.person.id;
    if (!outcome.before) this.emit({ personId, kind: 'created' });
    else if (outcome.changed.length > 0) this.emit({ personId, kind: 'updated', attributes: outcome.changed, before: outcome.before });
    for (const tag of outcome.tagsAdded) this.emit({ personId, kind: 'tagAdded', tag });
    for (const tag of outcome.tagsRemoved) this.emit({ personId, kind: 'tagRemoved', tag });
    for (const { segment, joined } of moves) {
      this.emit({ personId, kind: joined ? 'segmentJoined' : 'segmentLeft', segmentId: segment.definition.id });
    }
  }

  private emit(change: PeopleChange): void {
    if (this.listeners.size === 0) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        this.listenerErrors += 1;
      }
    }
  }
}

/**
 * When the running process last tested the person: at the last check (`checkedAt`), or at
 * their last profile change after it, whose result it announced then.
 */
function lastTested(person: Person, checkedAt: number): number {
  const modified = Date.parse(String(person.standard.modifiedAt));
  return Number.isNaN(modified) ? checkedAt : Math.max(checkedAt, modified);
}

/** Keeps, for a segment that tracks each person's moment, the person's next one after `now`. */
function indexMoment(segment: Segment, person: Person, now: number): void {
  segment.due?.set(person.id, segment.definition.rule!.nextChange!(person, now));
}

/** How a real-time rule follows the clock from `now`: everyone at its next midnight, or each person at their own moment (everyone first). */
function timing(rule: SegmentRule | undefined, now: number): Pick<Segment, 'everyoneAt' | 'due'> {
  if (rule?.nextMidnight) return { everyoneAt: rule.nextMidnight(now), due: undefined };
  if (rule?.nextChange) return { everyoneAt: now, due: new DueByKey() };
  return {};
}

function blockKey(channel: Channel, contact: string): string {
  return `${channel} ${contact}`;
}

function testRule(segment: SegmentDefinition, person: Person, now: number): boolean {
  try {
    return segment.rule?.test(person, now) === true;
  } catch (err) {
    const cause = toJunctionError(err, 'JCT_SEGMENT_RULE_FAILED');
    throw new JunctionError(
      'JCT_SEGMENT_RULE_FAILED',
      `the rule of segment "${segment.id}" failed for person "${person.id}": ${cause.message}`,
      { segmentId: segment.id, personId: person.id },
    );
  }
}

function invalidSegment(segment: SegmentDefinition, why: string): JunctionError {
  return new JunctionError('JCT_SEGMENT_INVALID', `segment "${segment.id}": ${why}`, { segmentId: segment.id });
}

/** The phones and emails of `person` that `other` lacks: after a write, the ones to check and index. */
function contactsNotIn(person: Person, other: Person | undefined): string[] {
  return [...without(person.phones, other?.phones ?? EMPTY_LIST), ...without(person.emails, other?.emails ?? EMPTY_LIST)];
}

/**
 * The external id of `person` when `other` lacks it: after a write, the one to check and index.
 * A blank one (stored before a blank one meant none) names nobody: never indexed, never taken.
 */
function externalIdNotIn(person: Person, other: Person | undefined): string | undefined {
  const id = person.standard.externalId;
  return typeof id === 'string' && id.trim() !== '' && id !== other?.standard.externalId ? id : undefined;
}

/** Puts the person into the segments they join and out of those they leave. */
function moveSegments(id: string, moves: readonly Move[]): void {
  for (const { segment, joined } of moves) {
    if (joined) segment.members.add(id);
    else segment.members.delete(id);
  }
}

/** Takes `id` out of the index sets of the `removed` keys and puts it in those of the `added` ones. */
function moveInIndex(index: Map<string, Set<string>>, id: string, removed: readonly string[], added: readonly string[]): void {
  for (const key of removed) {
    const ids = index.get(key);
    ids?.delete(id);
    if (ids?.size === 0) index.delete(key);
  }
  for (const key of added) {
    const ids = index.get(key);
    if (ids) ids.add(id);
    else index.set(key, new Set([id]));
  }
}
