// Which shard holds the person a profile, a contact or an external id names (decision 0018). A
// person id names its shard (shard-of.ts). A key (an external id, a contact) with a row in the
// directory is held in that row's shard; any other key is held, if by anyone, in its home shard
// (homeOfKey), since only keys held away from home have rows. A profile names the person of its
// first key held by anyone, in the order the engine reads them (external id, phones, emails);
// when nobody holds any, its first key's home shard makes the person. The home shards' engines
// are asked which keys they hold only when that decides something: a profile whose keys' homes
// differ and that no row settles (a new person given a phone and an email). A single key, or
// keys of one home, costs the directory's lookup alone.
import type { PersonInput } from '../vocabulary.js';
import { givenExternalId } from '../people/profile.js';
import type { Directory } from './directory.js';
import type { ShardRouter } from './shard-router.js';
import { byShard, contactKey, externalIdKey, homeOfKey, shardOfPersonId } from './shard-of.js';

export class ProfileShards {
  constructor(
    private readonly directory: Directory,
    private readonly router: ShardRouter,
  ) {}

  /** The shard of the person each profile names, or of the one it will make. */
  async of(people: readonly PersonInput[]): Promise<number[]> {
    const keys = people.map(directoryKeysOf);
    const rows = await this.directory.shardsOf([...new Set(keys.flat())]);
    const held = await this.heldAtHome([...new Set(keys.flatMap((k) => this.undecided(k, rows)))]);
    return people.map((person, i) => (person.id === undefined ? this.holderOf(keys[i]!, rows, held) : shardOfPersonId(person.id, this.router.shards)));
  }

  /** The shard where a person holding this key (a contact's normalised form, an external id's key) is, if anyone holds it. */
  async ofKey(key: string): Promise<number> {
    return (await this.directory.shardOf(key)) ?? this.home(key);
  }

  private home(key: string): number {
    return homeOfKey(key, this.router.shards);
  }

  /**
   * The keys of a profile whose home must be asked whether it holds them: those before its first
   * key with a row (all when none has one), unless every shard they and that row could give is one.
   */
  private undecided(keys: readonly string[], rows: ReadonlyMap<string, number>): string[] {
    const firstRow = keys.findIndex((key) => rows.has(key));
    const before = firstRow === -1 ? keys : keys.slice(0, firstRow);
    const shards = new Set(before.map((key) => this.home(key)));
    if (firstRow !== -1) shards.add(rows.get(keys[firstRow]!)!);
    return shards.size > 1 ? [...before] : [];
  }

  /** Of these keys (none with a row), those their home shard's people hold: one call per home shard. */
  private async heldAtHome(keys: readonly string[]): Promise<Set<string>> {
    const held = await Promise.all([...byShard(keys, (key) => this.home(key))].map(([shard, asked]) => this.router.run(shard, 'heldKeys', { keys: asked })));
    return new Set(held.flat());
  }

  /** The shard of a profile's first key held by anyone (a row's, or its home's when its home holds it); else its first key's home. */
  private holderOf(keys: readonly string[], rows: ReadonlyMap<string, number>, held: ReadonlySet<string>): number {
    for (const key of keys) {
      const row = rows.get(key);
      if (row !== undefined) return row;
      if (held.has(key)) return this.home(key);
    }
    return this.home(keys[0] ?? '');
  }
}

/** The directory keys a profile is looked up by, its external id's first (none for a profile naming a person id). */
function directoryKeysOf(person: PersonInput): string[] {
  return person.id === undefined ? profileKeys(person) : [];
}

/** The directory keys a profile gives its person, in the order a store matches them: its external id's, then its contacts'. */
export function profileKeys(person: PersonInput): string[] {
  const externalId = givenExternalId(person);
  const contacts = [...(person.phones ?? []), ...(person.emails ?? [])];
  return [...(externalId === undefined ? [] : [externalIdKey(externalId)]), ...contacts.map((c) => contactKey(c) ?? c)];
}
