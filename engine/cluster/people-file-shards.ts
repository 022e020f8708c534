// Which shard of a sharded cluster makes each profile of the people file (decision 0018). Every
// process works it out alike from the file alone, and each shard loads its own profiles when its
// store is new (people-file.ts partAtStart). A profile naming a person id is that id's shard's.
// One without is read as one store would read the file, in order: it updates the person an
// earlier profile gave its external id or one of its contacts (so it is that profile's shard's),
// else it makes a person in its first key's home shard.
import type { PeopleFile, PeopleFileShare } from '../people-file.js';
import type { PersonInput } from '../vocabulary.js';
import { profileKeys } from './profile-shards.js';
import { homeOfKey, shardOfPersonId } from './shard-of.js';

/** The shard of each of the file's profiles, by index. */
export function peopleFileShards(file: PeopleFile, shards: number): number[] {
  const givenIn = new Map<string, number>(); // a directory key → the shard of the first profile giving it
  return (file.people ?? []).map((profile) => {
    const person = profile as PersonInput;
    const keys = profileKeys(person);
    const earlier = keys.map((key) => givenIn.get(key)).find((shard) => shard !== undefined);
    const shard = person.id !== undefined ? shardOfPersonId(person.id, shards) : (earlier ?? homeOfKey(keys[0] ?? '', shards));
    for (const key of keys) if (!givenIn.has(key)) givenIn.set(key, shard);
    return shard;
  });
}

/** The file with each shard's share of it, worked out once. */
export function sharedPeopleFile(file: PeopleFile, shards: number): { readonly file: PeopleFile; shareOf(shard: number): PeopleFileShare } {
  const profileShards = peopleFileShards(file, shards);
  return {
    file,
    shareOf: (shard) => ({ profile: (i) => profileShards[i] === shard, person: (id) => shardOfPersonId(id, shards) === shard }),
  };
}
