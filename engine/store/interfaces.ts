// The people store's interface: profiles, their indexes, segments and the do-not-contact
// list, read synchronously by the step. Writes come from the engine's transitions; the
// journal (store/journal.ts) makes them durable.
import type {
  AttributeDefinition,
  Channel,
  EventDefinition,
  Company,
  DoNotContactEntry,
  Person,
  SegmentKind,
} from '../person.js';
import type { PersonInput, ProfileChange } from '../vocabulary.js';
import type { Ordered } from '../ordered.js';

/** Tells listeners what changed about a person, after the change is applied. */
export interface PeopleChange {
  personId: string;
  kind: 'created' | 'updated' | 'tagAdded' | 'tagRemoved' | 'segmentJoined' | 'segmentLeft' | 'removed';
  tag?: string;
  segmentId?: string;
  /** For `updated`: names of the attributes that changed. */
  attributes?: string[];
  /** For `updated`: the profile as it was before the change. */
  before?: Person;
}

/** A real-time segment's membership rule, compiled by the caller (see engine/conditions). */
export interface SegmentRule {
  test(person: Person, now: number): boolean;
  /**
   * Set when time alone changes the result only at local midnight (e.g. "wasToday", or days
   * on a date attribute): the next one after `now`, when everyone is re-tested.
   */
  nextMidnight?(now: number): number;
  /**
   * Set when time alone changes the result at moments of each person's own (e.g. "wasMoreThan
   * 60 days" on a date-time): the earliest instant after `now` from which the result for the
   * person, unchanged, may differ (never later than it does); undefined: never again.
   */
  nextChange?(person: Person, now: number): number | undefined;
}

/** A pass re-testing people against the real-time segments that time alone may have changed (PeopleStore.segmentCheck). */
export interface SegmentCheck {
  /** Re-tests up to `count` more people at the clock's time, announcing who joins or leaves; false once all have been. */
  next(count: number): boolean;
}

export interface SegmentDefinition {
  id: string;
  name: string;
  kind: SegmentKind;
  /** Static: the snapshot of members. */
  members?: string[];
  /** Real-time: the rule re-evaluated whenever a profile changes. */
  rule?: SegmentRule;
}

/** A segment as lists show it: its definition and how many people it holds. */
export interface SegmentSummary {
  readonly definition: Readonly<SegmentDefinition>;
  readonly size: number;
}

export interface PeopleStore {
  get(id: string): Person | undefined;
  /** Finds a person by a phone (any format libphonenumber-js parses) or an email. */
  findByContact(contact: string): Person | undefined;
  /** Finds a person by the standard attribute externalId (the id in the caller's own system). */
  findByExternalId(externalId: string): Person | undefined;
  /** Puts a stored profile back as it was (recovery): indexed, no listener hears of it. */
  restore(person: Person): void;
  /** Creates a person, or merges into the one with the same id or contact. Throws JunctionError on bad input. */
  upsert(input: PersonInput): Person;
  /** Applies changes atomically: all or none. Throws JunctionError (unknown person, wrong type). */
  update(id: string, changes: readonly ProfileChange[]): Person;
  /**
   * Erases a profile and takes it out of every index (contacts, external id, tags, companies,
   * segments); listeners hear `removed`. Returns the profile as it was, or undefined when unknown.
   */
  remove(id: string): Person | undefined;
  all(): Iterable<Person>;
  size(): number;

  defineAttribute(def: AttributeDefinition): void;
  /** Custom attribute definitions by name. */
  attributes(): ReadonlyMap<string, AttributeDefinition>;

  /** Defines (or redefines) a custom event; throws JunctionError when the definition is not usable. */
  defineEvent(def: EventDefinition): void;
  /** Custom event definitions by name: a new map object after every change. */
  events(): ReadonlyMap<string, EventDefinition>;

  withTag(tag: string): Iterable<string>;

  defineCompany(company: Company): void;
  company(id: string): Company | undefined;
  inCompany(companyId: string): Iterable<string>;

  defineSegment(segment: SegmentDefinition): void;
  segment(id: string): Readonly<SegmentDefinition> | undefined;
  segmentMembers(id: string): Iterable<string>;
  /** Every segment with how many people it holds, by id. */
  segmentList(): Ordered<SegmentSummary>;
  /** When time alone may next change some real-time segment's membership; undefined when it never will. */
  nextSegmentCheck(): number | undefined;
  /** Starts a pass over the people whose membership time alone may have changed by now; undefined when there are none. */
  segmentCheck(): SegmentCheck | undefined;
  /**
   * Sets, silently, the membership of the segments that follow the clock as the stopped process
   * knew it: each person tested at `at` (recovery: the last check) or at their last profile change
   * after it, when that change announced their membership; everyone is re-tested at the next pass.
   */
  rewindSegments(at: number): void;

  addDoNotContact(entry: DoNotContactEntry): void;
  removeDoNotContact(entry: DoNotContactEntry): void;
  /** Is this contact blocked on this channel for this sender? */
  isBlocked(channel: Channel, contact: string, sender?: string): boolean;
  /** The do-not-contact entries by channel, then contact. */
  doNotContact(): Ordered<DoNotContactEntry>;
  /** The do-not-contact entry for this channel and contact, if any (as the journal keeps it). */
  blockOf(channel: Channel, contact: string): DoNotContactEntry | undefined;

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (change: PeopleChange) => void): () => void;
}
