// Pure profile operations: building a person from input, applying changes, reading an
// attribute by its catalog name. Nothing here touches a store or reads a clock.
// `createdAt` and `modifiedAt` are kept by Junction: changes cannot set them; input may
// carry `createdAt` for a new profile (an import keeping its history), never `modifiedAt`.
import { isDeepStrictEqual } from 'node:util';
import { JunctionError } from '../errors.js';
import { coerceValue, type Value, type ValueType } from '../values.js';
import type { PersonInput, ProfileChange } from '../store/interfaces.js';
import type { AttributeCatalog, AttributeKind } from './catalog.js';
import { requireEmail, requirePhone } from './contacts.js';
import { CHANNELS, STANDARD_ATTRIBUTES, type Channel, type Person, type StandardAttribute } from './types.js';

export interface ProfileUpdate {
  /** The new person, or the given one itself when nothing changed. */
  person: Person;
  /** Attribute names whose value changed (`modifiedAt` is not listed). */
  changed: string[];
  tagsAdded: string[];
  tagsRemoved: string[];
}

const SYSTEM_ATTRIBUTES: ReadonlySet<string> = new Set(['createdAt', 'modifiedAt']);
const LAST_CONTACTED = '.lastContactedAt';

/** Mutable copy of a person, used while one batch of changes is applied. */
interface Draft {
  standard: Partial<Record<StandardAttribute, Value>>;
  custom: Record<string, Value>;
  phones: string[];
  emails: string[];
  tags: string[];
  lastContacted: Partial<Record<Channel, string>>;
}

/**
 * The last result per changes list: a step applies a change list to its view of the person,
 * then the store applies the same list (carried by the effect) to the same person object.
 * Asking twice with the same person, list, catalog and time returns the first answer.
 */
const recent = new WeakMap<readonly ProfileChange[], { person: Person; catalog: AttributeCatalog; now: number; result: ProfileUpdate }>();

/** Applies `changes` in order to a copy of `person`; throws JunctionError on the first bad one. */
export function applyChanges(
  person: Person,
  changes: readonly ProfileChange[],
  catalog: AttributeCatalog,
  now: number,
): ProfileUpdate {
  const known = recent.get(changes);
  if (known && known.person === person && known.catalog === catalog && known.now === now) return known.result;
  const result = computeChanges(person, changes, catalog, now);
  recent.set(changes, { person, catalog, now, result });
  return result;
}

function computeChanges(person: Person, changes: readonly ProfileChange[], catalog: AttributeCatalog, now: number): ProfileUpdate {
  const draft = draftFor(person, changes);
  const touched = new Set<string>();
  for (const change of changes) {
    const name = applyChange(draft, change, catalog);
    if (name !== undefined) touched.add(name);
  }
  const next: Person = { ...person, ...draft };
  const changed = [...touched].filter(
    (name) => !isDeepStrictEqual(attributeValue(person, name), attributeValue(next, name)),
  );
  const tagsAdded = draft.tags.filter((tag) => !person.tags.includes(tag));
  const tagsRemoved = person.tags.filter((tag) => !draft.tags.includes(tag));
  if (changed.length === 0 && tagsAdded.length === 0 && tagsRemoved.length === 0) {
    return { person, changed, tagsAdded, tagsRemoved };
  }
  return { person: touch(next, now), changed, tagsAdded, tagsRemoved };
}

/** A copy of the parts of `person` that `changes` write; the other parts are shared, never written. */
function draftFor(person: Person, changes: readonly ProfileChange[]): Draft {
  const writes = new Set(changes.map((c) => c.op));
  const sets = writes.has('set');
  return {
    standard: sets ? { ...person.standard } : (person.standard as Draft['standard']),
    custom: sets ? { ...person.custom } : (person.custom as Draft['custom']),
    phones: writes.has('addPhone') ? [...person.phones] : (person.phones as string[]),
    emails: writes.has('addEmail') ? [...person.emails] : (person.emails as string[]),
    tags: writes.has('addTag') || writes.has('removeTag') ? [...person.tags] : (person.tags as string[]),
    lastContacted: writes.has('contacted') ? { ...person.lastContacted } : (person.lastContacted as Draft['lastContacted']),
  };
}

/** A new profile from input: contacts normalized, attributes type-checked, timestamps set. */
export function createPerson(id: string, input: PersonInput, catalog: AttributeCatalog, now: number): Person {
  const stamp = new Date(now).toISOString();
  const blank: Person = {
    id,
    standard: { createdAt: checkedValue('createdAt', 'datetime', input.standard?.createdAt ?? stamp), modifiedAt: stamp },
    custom: {},
    phones: [],
    emails: [],
    tags: [],
    companies: [],
    lastContacted: {},
  };
  const person = applyChanges(blank, inputChanges(input), catalog, now).person;
  return joinCompanies(person, input.companies ?? [], now);
}

/** The changes that merge `input` into an existing profile (companies aside: see joinCompanies). */
export function inputChanges(input: PersonInput): ProfileChange[] {
  const set = ([attribute, value]: [string, Value | undefined]): ProfileChange => ({
    op: 'set',
    attribute,
    value: value ?? null,
  });
  return [
    ...Object.entries(input.standard ?? {})
      .filter(([name]) => !SYSTEM_ATTRIBUTES.has(name))
      .map(set),
    ...Object.entries(input.custom ?? {}).map(set),
    ...(input.phones ?? []).map((phone): ProfileChange => ({ op: 'addPhone', phone })),
    ...(input.emails ?? []).map((email): ProfileChange => ({ op: 'addEmail', email })),
    ...(input.tags ?? []).map((tag): ProfileChange => ({ op: 'addTag', tag })),
    ...Object.entries(input.lastContacted ?? {}).map(
      ([channel, at]): ProfileChange => ({ op: 'contacted', channel: channel as Channel, at: at ?? '' }),
    ),
  ];
}

/** The person with these company ids added; the same person if it already had them all. */
export function joinCompanies(person: Person, companyIds: readonly string[], now: number): Person {
  const added = [...new Set(companyIds)].filter((id) => !person.companies.includes(id));
  return added.length === 0 ? person : touch({ ...person, companies: [...person.companies, ...added] }, now);
}

/**
 * The value of a catalog attribute: standard, custom, `phone`/`email` (the lists) or
 * `<channel>.lastContactedAt`. Tags and companies are not attributes. Empty is null.
 */
export function attributeValue(person: Person, name: string): Value {
  if (name === 'phone') return person.phones;
  if (name === 'email') return person.emails;
  if (isStandard(name)) return person.standard[name] ?? null;
  const channel = channelOf(name);
  if (channel) return person.lastContacted[channel] ?? null;
  return Object.hasOwn(person.custom, name) ? (person.custom[name] ?? null) : null;
}

/** Applies one change to the draft; returns the attribute it may have changed, if any. */
function applyChange(draft: Draft, change: ProfileChange, catalog: AttributeCatalog): string | undefined {
  switch (change.op) {
    case 'set':
      return setAttribute(draft, change.attribute, change.value, catalog);
    case 'addTag':
      addUnique(draft.tags, checkedTag(change.tag));
      return undefined;
    case 'removeTag':
      draft.tags = draft.tags.filter((tag) => tag !== change.tag);
      return undefined;
    case 'addPhone':
      addUnique(draft.phones, requirePhone(change.phone));
      return 'phone';
    case 'addEmail':
      addUnique(draft.emails, requireEmail(change.email));
      return 'email';
    case 'contacted': {
      const channel = checkedChannel(change.channel);
      const name = `${channel}${LAST_CONTACTED}`;
      draft.lastContacted[channel] = checkedValue(name, 'datetime', change.at ?? '') as string;
      return name;
    }
  }
}

function setAttribute(draft: Draft, name: string, raw: Value, catalog: AttributeCatalog): string {
  const info = catalog.get(name);
  if (!info) {
    throw new JunctionError('JCT_ATTRIBUTE_UNKNOWN', `unknown attribute "${name}": define it as a custom attribute first`, {
      attribute: name,
    });
  }
  const readonly = readonlyReason(name, info.kind);
  if (readonly) {
    throw new JunctionError('JCT_ATTRIBUTE_READONLY', `attribute "${name}" cannot be set: ${readonly}`, { attribute: name });
  }
  const value = checkedValue(name, info.type, raw);
  const target: Record<string, Value> = info.kind === 'standard' ? draft.standard : draft.custom;
  if (value === null) delete target[name];
  else target[name] = value;
  return name;
}

/** Why a flow or an API cannot set this attribute, or undefined when it can. */
export function readonlyReason(name: string, kind: AttributeKind): string | undefined {
  if (kind === 'contact') return 'add phones and emails with the addPhone and addEmail changes';
  if (kind === 'channel') return 'the contacted change updates it';
  if (SYSTEM_ATTRIBUTES.has(name)) return 'Junction keeps it up to date';
  return undefined;
}

function checkedValue(name: string, type: ValueType, raw: unknown): Value {
  const coerced = coerceValue(type, raw);
  if (!coerced.ok) {
    throw new JunctionError('JCT_ATTRIBUTE_TYPE', `attribute "${name}": ${coerced.message}`, { attribute: name, type });
  }
  return coerced.value;
}

function checkedTag(tag: string): string {
  if (typeof tag === 'string' && tag.trim() !== '') return tag;
  throw new JunctionError('JCT_TAG_INVALID', `${JSON.stringify(tag)} is not a valid tag: a tag is non-empty text`);
}

function checkedChannel(channel: string): Channel {
  const known = CHANNELS.find((c) => c === channel);
  if (known) return known;
  throw new JunctionError('JCT_ATTRIBUTE_UNKNOWN', `unknown channel "${channel}": use one of ${CHANNELS.join(', ')}`, {
    channel,
  });
}

function isStandard(name: string): name is StandardAttribute {
  return Object.hasOwn(STANDARD_ATTRIBUTES, name);
}

function channelOf(name: string): Channel | undefined {
  if (!name.endsWith(LAST_CONTACTED)) return undefined;
  const channel = name.slice(0, -LAST_CONTACTED.length);
  return CHANNELS.find((c) => c === channel);
}

function addUnique(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

function touch(person: Person, now: number): Person {
  return { ...person, standard: { ...person.standard, modifiedAt: isoAt(now) } };
}

let lastStamp = { at: NaN, iso: '' };

/** ISO text of an instant, remembered for the last one: a batch of updates shares its `now`. */
function isoAt(now: number): string {
  if (lastStamp.at !== now) lastStamp = { at: now, iso: new Date(now).toISOString() };
  return lastStamp.iso;
}
