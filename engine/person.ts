// The people model: what a person profile holds. Storage lives behind PeopleStore
// (engine/store/interfaces.ts); this file only declares shapes. It sits at the bottom of the engine:
// everything may import it, it imports only values.
import type { Value, ValueType } from './values.js';

/** Standard attributes every profile has, with their value types. */
export const STANDARD_ATTRIBUTES = {
  firstName: 'text',
  middleName: 'text',
  lastName: 'text',
  gender: 'text',
  birthDate: 'date',
  city: 'text',
  address: 'text',
  country: 'text',
  preferredLanguage: 'text',
  timeZone: 'text',
  externalId: 'text',
  profilePicture: 'text',
  createdAt: 'datetime',
  modifiedAt: 'datetime',
} as const satisfies Record<string, ValueType>;

export type StandardAttribute = keyof typeof STANDARD_ATTRIBUTES;

/** Contact-information attributes usable in conditions: phone and email, each a list. */
export const CONTACT_ATTRIBUTES = { phone: 'list', email: 'list' } as const satisfies Record<string, ValueType>;

/** Channels a person can be reached on; channel-specific attributes are `<channel>.lastContactedAt`. */
export const CHANNELS = ['sms', 'whatsapp', 'email', 'voice', 'viber', 'push', 'telegram', 'messenger'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * A profile. Profiles are immutable: a change makes a new person that shares the parts it
 * did not change, and empty parts are shared frozen values (see layout.ts).
 */
export interface Person {
  readonly id: string;
  /** Standard attributes; absent means empty. */
  readonly standard: Readonly<Partial<Record<StandardAttribute, Value>>>;
  /** Custom attributes, typed by their AttributeDefinition. */
  readonly custom: Readonly<Record<string, Value>>;
  /** Phones in E.164, emails lower-cased. */
  readonly phones: readonly string[];
  readonly emails: readonly string[];
  readonly tags: readonly string[];
  /** Ids of the companies the person belongs to. */
  readonly companies: readonly string[];
  /** Channel → ISO date-time the person was last contacted on it. */
  readonly lastContacted: Readonly<Partial<Record<Channel, string>>>;
}

export interface AttributeDefinition {
  name: string;
  type: ValueType;
  description?: string;
}

/** A property of a custom event, typed like an attribute. */
export interface EventProperty {
  readonly name: string;
  readonly type: ValueType;
}

/** A custom event apps send in (a purchase, a page view), with its properties; at most one is a list. */
export interface EventDefinition {
  readonly name: string;
  readonly description?: string;
  readonly properties: readonly EventProperty[];
}

export interface Company {
  id: string;
  name: string;
}

/** One entry on the do-not-contact list: a contact (phone/email) blocked on a channel, for all or some senders. */
export interface DoNotContactEntry {
  channel: Channel;
  contact: string;
  /** Empty: every sender on the channel. */
  senders: readonly string[];
}

export type SegmentKind = 'static' | 'realtime';
