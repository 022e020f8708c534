// Storage interfaces. Junction keeps its working state in memory; durable
// implementations (embedded file, Redis, Postgres) keep these same read APIs and
// journal every change with group commit, loading it back on start. That keeps the
// engine's reads synchronous and its step pure.
import type { Value } from '../values.js';
import type {
  AttributeDefinition,
  Channel,
  Company,
  DoNotContactEntry,
  Person,
  SegmentKind,
  StandardAttribute,
} from '../people/types.js';
import type { FlowDefinition } from '../flow/schema.js';
import type { ParticipantState } from '../runtime/types.js';

/** What a caller gives to create or merge a profile. Contacts are normalized on the way in. */
export interface PersonInput {
  id?: string;
  standard?: Partial<Record<StandardAttribute, Value>>;
  custom?: Record<string, Value>;
  phones?: string[];
  emails?: string[];
  tags?: string[];
  companies?: string[];
  lastContacted?: Partial<Record<Channel, string>>;
}

/** One change to a profile. `null` as a value empties the attribute. */
export type ProfileChange =
  | { op: 'set'; attribute: string; value: Value }
  | { op: 'addTag'; tag: string }
  | { op: 'removeTag'; tag: string }
  | { op: 'addPhone'; phone: string }
  | { op: 'addEmail'; email: string }
  | { op: 'contacted'; channel: Channel; at: string };

/** Tells listeners what changed about a person, after the change is applied. */
export interface PeopleChange {
  personId: string;
  kind: 'created' | 'updated' | 'tagAdded' | 'tagRemoved' | 'segmentJoined' | 'segmentLeft';
  tag?: string;
  segmentId?: string;
  /** For `updated`: names of the attributes that changed. */
  attributes?: string[];
}

/** A real-time segment's membership rule, compiled by the caller (see engine/conditions). */
export interface SegmentRule {
  test(person: Person, now: number): boolean;
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

export interface PeopleStore {
  get(id: string): Person | undefined;
  /** Finds a person by a phone (any format libphonenumber-js parses) or an email. */
  findByContact(contact: string): Person | undefined;
  /** Creates a person, or merges into the one with the same id or contact. Throws JunctionError on bad input. */
  upsert(input: PersonInput): Person;
  /** Applies changes atomically: all or none. Throws JunctionError (unknown person, wrong type). */
  update(id: string, changes: readonly ProfileChange[]): Person;
  all(): Iterable<Person>;
  size(): number;

  defineAttribute(def: AttributeDefinition): void;
  /** Custom attribute definitions by name. */
  attributes(): ReadonlyMap<string, AttributeDefinition>;

  withTag(tag: string): Iterable<string>;

  defineCompany(company: Company): void;
  company(id: string): Company | undefined;
  inCompany(companyId: string): Iterable<string>;

  defineSegment(segment: SegmentDefinition): void;
  segment(id: string): Readonly<SegmentDefinition> | undefined;
  segmentMembers(id: string): Iterable<string>;

  addDoNotContact(entry: DoNotContactEntry): void;
  removeDoNotContact(entry: DoNotContactEntry): void;
  /** Is this contact blocked on this channel for this sender? */
  isBlocked(channel: Channel, contact: string, sender?: string): boolean;
  doNotContact(): readonly DoNotContactEntry[];

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (change: PeopleChange) => void): () => void;
}

export type FlowStatus = 'draft' | 'scheduled' | 'active' | 'paused' | 'finishing' | 'finished' | 'canceled';

export interface FlowRecord {
  readonly id: string;
  readonly version: number;
  definition: FlowDefinition;
  status: FlowStatus;
  /** Epoch ms of the last status change. */
  statusAt: number;
}

export interface FlowStore {
  get(id: string, version?: number): FlowRecord | undefined;
  /** Every version of every flow. */
  all(): Iterable<FlowRecord>;
  put(record: FlowRecord): void;
}

export interface ParticipantStore {
  get(id: string): ParticipantState | undefined;
  put(state: ParticipantState): void;
  delete(id: string): void;
  /** Participants of a flow version, in no particular order. */
  ofFlow(flowId: string, version: number): Iterable<ParticipantState>;
  /** Active (not exited) participants of a person in any flow. */
  ofPerson(personId: string): Iterable<ParticipantState>;
  count(flowId: string, version: number): number;
}
