// Which shard of a sharded cluster a person belongs to (decision 0018), from what names them: a
// person id Junction made carries its shard (`<shard>-…`, id-prefix.ts); any other id goes to the shard its
// hash gives, and so does a contact or an external id (its home shard) unless the directory
// says a person of another shard holds it. Also the directory's keys: a
// contact as the people store normalises it, an external id under a prefix of its own; and the
// schema a shard keeps its state in.
import { JunctionError } from '../errors.js';
import { hash32 } from '../hash.js';
import { shardNamed } from '../id-prefix.js';
import { normalizeContact } from '../people/contacts.js';
import type { Person } from '../person.js';
import { engineKey, storedKey } from '../store/stored-key.js';

/**
 * What an external id's directory key starts with. A normalised contact never holds a space (a
 * phone is E.164, an email has no whitespace), so no external id's key is ever a contact's.
 */
const EXTERNAL_ID = 'x ';

/** `items` grouped by their shard (`shardOf` of each, with its index), each group in the items' order. */
export function byShard<T>(items: readonly T[], shardOf: (item: T, index: number) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  items.forEach((item, i) => {
    const shard = shardOf(item, i);
    const group = groups.get(shard);
    if (group === undefined) groups.set(shard, [item]);
    else group.push(item);
  });
  return groups;
}

/** The PostgreSQL schema shard `shard` of the cluster on `schema` keeps its state in. */
export function shardSchema(schema: string, shard: number): string {
  return `${schema}_s${shard}`;
}

/** The shard of a person id: the one it names when Junction made it (and it is in range), else its hash's. */
export function shardOfPersonId(id: string, shards: number): number {
  requireShards(shards);
  return shardNamed(id, shards) ?? hash32(id) % shards;
}

/**
 * A directory key's home shard: where a person holding it is unless the directory says otherwise
 * (only keys held outside their home have rows), and where a key nobody has goes.
 */
export function homeOfKey(key: string, shards: number): number {
  requireShards(shards);
  return hash32(key) % shards;
}

/** The home shard of a contact: its normalised form's (one that does not parse: its own text's). */
export function shardOfContact(contact: string, shards: number): number {
  return homeOfKey(contactKey(contact) ?? contact, shards);
}

/** The home shard of an external id. */
export function shardOfExternalId(externalId: string, shards: number): number {
  return homeOfKey(externalIdKey(externalId), shards);
}

/** A contact's directory key: its normalised form (E.164, a lower-cased email), or undefined unless it is a phone or an email. */
export function contactKey(contact: string): string | undefined {
  return normalizeContact(contact)?.value;
}

/** An external id's directory key (a U+0000 in it escaped, as Postgres text cannot hold one). */
export function externalIdKey(externalId: string): string {
  return EXTERNAL_ID + storedKey(externalId);
}

/** The external id a directory key is of; undefined for a contact's. */
export function externalIdOfKey(key: string): string | undefined {
  return key.startsWith(EXTERNAL_ID) ? engineKey(key.slice(EXTERNAL_ID.length)) : undefined;
}

/** Every directory key of a person: their phones and emails (stored normalised) and their external id. */
export function directoryKeys(person: Pick<Person, 'phones' | 'emails' | 'standard'>): string[] {
  const keys = [...(person.phones ?? []), ...(person.emails ?? [])];
  const externalId = person.standard?.externalId;
  if (typeof externalId === 'string' && externalId.trim() !== '') keys.push(externalIdKey(externalId));
  return keys;
}

function requireShards(shards: number): void {
  if (!Number.isInteger(shards) || shards < 1) throw new JunctionError('JCT_CONFIG_INVALID', `shards must be a whole number ≥ 1, not ${String(shards)}`);
}
