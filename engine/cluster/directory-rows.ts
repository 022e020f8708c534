// A shard's part of the cluster's directory (contact or external id → shard and person), kept in
// step with its people by parts of the shard's commit statement (postgres.ts), however many
// people the batch holds. Only keys held away from their home shard have rows (shard-of.ts
// homeOfKey): a person's contact in its home shard, most people's only one, costs no row. It
// deletes this shard's rows of the batch's people that are no longer theirs and NOTIFYs the
// removed keys (directory.ts drops them from its caches), and inserts the new ones. A key another
// shard's person has a row for already is left to them and counted; a key its home shard's
// person holds has no row to find, so a person of another shard given it later gets its row and
// its inputs (shards cannot see each other's people: decision 0018).
// At a take the shard's rows, as read (`taken`), are held against its people (`recovered`): a
// person whose keys away differ from their rows, and rows of nobody the shard holds, go into the
// next statement, with that batch's people over them. Behind Redis that is the first statement
// after the recovery, before the shard serves: whatever an earlier holder left out of step (the
// rows are written after the batch is durable in Redis, and it may die between the two) is
// mended first. On PostgreSQL alone the rows are written with their batch and cannot be out of
// step, so they are read once the shard serves, and held against its people then (those changed
// since the read are written again: harmless; a statement under way as they arrive does not
// count as the mend). From then on every row of the shard is known here, so a person with no key
// away who had none before (a new person at home) costs no statement at all. (A person wanting
// a key another shard's row holds is found out of step at every take, and asks for it again:
// counted as a conflict again.)
// The statement is prepared: the delete is the cluster schema's function directory_drop, planned
// at each call with sequential scans off (a generic plan made while the directory was small
// scanned all of it at each commit once it had grown). A person whose
// keys are those this process last wrote for them (most rewrites of a profile: an attribute, a
// tag, when they were last contacted) costs no statement: a digest of each one's keys is kept.
import { escapeIdentifier } from 'pg';
import { JunctionError } from '../errors.js';
import type { Person } from '../person.js';
import { binaryOrder, storedKey } from '../store/stored-key.js';
import type { PeopleWriter, WriterParts } from '../store/postgres.js';
import { directoryKeys, homeOfKey } from './shard-of.js';
import { hash32 } from '../hash.js';

/** Where a shard's directory rows go: the cluster's schema (not the shard's own), the shard's number and how many shards the cluster has. */
export interface DirectoryPlace {
  schema: string;
  shard: number;
  shards: number;
}

/**
 * The longest NOTIFY payload sent as the list of keys removed (PostgreSQL refuses above 8000
 * bytes); a longer list is sent as DROP_ALL, and listeners drop their whole cache.
 */
const MAX_PAYLOAD = 7900;
export const DROP_ALL = '*';

/** The channel a cluster schema's directory changes are told on (a channel name is at most 63 bytes; schema names are ASCII). */
export function directoryChannel(schema: string): string {
  return `directory:${schema}`.slice(0, 63);
}

/** The batch's people: every person id it writes, and the keys each one's row gives them (none for a deleted row). */
interface Wanted {
  readonly people: string[];
  readonly keys: string[];
  readonly owners: string[];
  /** Keys two people of the batch both gave (restored data is not checked): the later one wins, the others count as conflicts. */
  readonly repeated: number;
}

export class DirectoryRows implements PeopleWriter {
  /** Keys another shard's person held already, left to them; a person of this shard wanted each. */
  conflicts = 0;
  private readonly table: string;
  private readonly drop: string;
  private readonly channel: string;

  /** The cluster's schema, where the directory is. */
  readonly schema: string;

  /** Person id → a digest of the keys away last written for them, once committed (digestOf); none for a person without any. */
  private readonly written = new Map<string, number>();
  /** Whether `written` knows every row of the shard (since the take's rows were read): a person it has no digest for has no row. */
  private complete = false;
  /** People whose rows the recovery found out of step, with their keys away: written by the next statement. */
  private mend = new Map<string, readonly string[]>();
  /** The mend the write under way carries: once it commits, the mend is done unless `recovered` made another meanwhile. */
  private mending: ReadonlyMap<string, readonly string[]> | undefined;
  /** The digests of the write under way (undefined: no key away), noted once its statement commits. */
  private writing = new Map<string, number | undefined>();
  /** Keys the write under way gives, and those of them two of its people both gave; undefined when it gives none. */
  private wanted: { readonly keys: number; readonly repeated: number } | undefined;

  constructor(private readonly place: DirectoryPlace) {
    this.schema = place.schema;
    this.table = `${escapeIdentifier(place.schema)}.directory`;
    this.drop = `${escapeIdentifier(place.schema)}.directory_drop`;
    this.channel = directoryChannel(place.schema);
  }

  /** The shard's rows as read at its take, by person, their keys in binary order one a line (Directory.rowsOfShard), before anything is written. */
  taken(rows: ReadonlyMap<string, string>): void {
    this.written.clear();
    rows.forEach((keys, id) => this.written.set(id, hash32(keys)));
    this.complete = true;
  }

  /** The shard's people as recovered, held against the rows read at the take: those out of step (and rows of people it does not hold) are mended by the next statement. */
  recovered(people: Iterable<Person>): void {
    const mend = new Map(this.mend);
    const unseen = new Set(this.written.keys());
    for (const person of people) {
      unseen.delete(person.id);
      const keys = this.awayKeys(person);
      if (this.written.get(person.id) !== (keys.length === 0 ? undefined : digestOf(keys))) mend.set(person.id, keys);
    }
    for (const id of unseen) mend.set(id, []);
    this.mend = mend;
  }

  /** The parts making the directory rows of the batch's people (the person table's texts: JSON, null when deleted), and of those the take found out of step, match their rows. */
  parts(people: ReadonlyMap<string, string | null>, first: number, held: string): WriterParts | undefined {
    const changed = this.changedOf(people);
    if (changed.size === 0) return undefined;
    const wanted = wantedOf(changed);
    this.wanted = { keys: wanted.keys.length, repeated: wanted.repeated };
    const [shard, ids, keys, owners, channel] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`) as [string, string, string, string, string];
    const table = this.table;
    // The first part deletes the shard's rows of the batch's people whose key none of the batch's
    // people wants any more, found person by person through the (shard, person) index (the
    // function directory_drop, migration 9); the keys it removed are NOTIFYed. The second
    // inserts every key wanted, or updates it when this shard holds it already (a key passed to
    // another person of the shard keeps its row); a key another shard holds is left alone, and
    // the keys neither inserted nor updated are those conflicts. The two never touch one row: a
    // key is deleted only when nobody in the batch wants it.
    const queries = [
      `directory_gone AS (SELECT key FROM ${this.drop}(${shard}::int, ${ids}::text[], ${keys}::text[], ${held}) AS key)`,
      `directory_put AS (
  INSERT INTO ${table} AS d (key, shard, person) SELECT key, ${shard}::int, person FROM unnest(${keys}::text[], ${owners}::text[]) AS w(key, person) WHERE ${held}
  ON CONFLICT (key) DO UPDATE SET person = EXCLUDED.person WHERE d.shard = EXCLUDED.shard
  RETURNING 1)`,
      `directory_said AS (SELECT json_agg(key)::text AS keys FROM directory_gone)`,
    ];
    const answers = [
      `(SELECT count(*) FROM directory_put)::int AS directory_put`,
      `(SELECT pg_notify(${channel}, CASE WHEN octet_length(keys) <= ${MAX_PAYLOAD} THEN keys ELSE '${DROP_ALL}' END) FROM directory_said WHERE keys IS NOT NULL) IS NOT NULL AS directory_told`,
    ];
    return { queries, answers, values: [this.place.shard, wanted.people, wanted.keys, wanted.owners, this.channel] };
  }

  settled(answer: Readonly<Record<string, unknown>> | undefined): void {
    if (answer !== undefined && this.wanted !== undefined) {
      this.conflicts += this.wanted.repeated + this.wanted.keys - Number(answer['directory_put']);
      for (const [id, digest] of this.writing) {
        if (digest === undefined) this.written.delete(id);
        else this.written.set(id, digest);
      }
      if (this.mend === this.mending) this.mend = new Map();
    }
    this.writing = new Map();
    this.mending = undefined;
    this.wanted = undefined;
  }

  /** A person's keys whose home is another shard: those that need a row. */
  private awayKeys(person: Person): string[] {
    return directoryKeys(person).filter((key) => homeOfKey(key, this.place.shards) !== this.place.shard);
  }

  /**
   * The batch's people whose keys away are not those last written for them, with those keys
   * (their digests noted in `writing`), and the people the take found out of step that the batch
   * does not hold. Once `complete`, a person with no key away and no digest (a new person at
   * home) is left out: they have no row.
   */
  private changedOf(people: ReadonlyMap<string, string | null>): Map<string, readonly string[]> {
    const changed = new Map<string, readonly string[]>();
    this.writing = new Map();
    const note = (id: string, keys: readonly string[]) => {
      this.writing.set(id, keys.length === 0 ? undefined : digestOf(keys));
      changed.set(id, keys);
    };
    people.forEach((text, id) => {
      const keys = text === null ? [] : this.awayKeys(personRow(id, text));
      const digest = keys.length === 0 ? undefined : digestOf(keys);
      if (this.written.get(id) !== digest || (digest === undefined && !this.complete)) note(id, keys);
    });
    this.mend.forEach((keys, id) => people.has(id) || note(id, keys));
    this.mending = this.mend;
    return changed;
  }
}

/** A digest of a person's keys, whatever their order: of their binary order, one a line, as the rows are read back at a take. */
function digestOf(keys: readonly string[]): number {
  return hash32((keys.length === 1 ? keys : [...keys].sort(binaryOrder)).join('\n'));
}

function wantedOf(people: ReadonlyMap<string, readonly string[]>): Wanted {
  const owner = new Map<string, string>();
  let repeated = 0;
  people.forEach((keys, key) => {
    const id = storedKey(key);
    for (const contact of keys) {
      const before = owner.get(contact);
      if (before !== undefined && before !== id) repeated++;
      owner.set(contact, id);
    }
  });
  return { people: [...people.keys()].map(storedKey), keys: [...owner.keys()], owners: [...owner.values()], repeated };
}

function personRow(id: string, text: string): Person {
  try {
    return JSON.parse(text) as Person;
  } catch (err) {
    throw new JunctionError('JCT_STORE_VALUE', `cannot store person row '${id}': ${(err as Error).message}`, { table: 'person', key: id });
  }
}
