// The people file `junction start` loads (setting `people`, engine/people-file.ts): read as each
// store recovers, one engine loading its part of it (partAtStart). In a sharded cluster it is read
// once, at start, and checked whole by loading it into a scratch store, so that a problem stops
// the process at once, as it does one engine, rather than each shard as it is taken. A problem,
// reading the file too, names the file and its setting.
import type { SettingNamer } from '../config/index.js';
import type { Clock } from '../engine/clock.js';
import { JunctionError, toJunctionError } from '../engine/errors.js';
import { loadPeople, type PeopleFile, type PeopleFilePart } from '../engine/people-file.js';
import type { Engine } from '../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { readJson } from './files.js';

/** Loads `part` of the people file into the engine (segment rules in the workspace's time zone). */
export function loadPeopleAtStart(file: string, engine: Engine, part: PeopleFilePart, named: SettingNamer): void {
  aboutFile(file, named, () => void loadPeople(readJson(file), engine.people, engine.timeZone, part));
}

/** The people file, read and checked whole (loaded into a store of its own, whose problems are the file's). */
export function checkedPeopleFileAtStart(file: string, clock: Clock, timeZone: string, named: SettingNamer): PeopleFile {
  return aboutFile(file, named, () => loadPeople(readJson(file), new MemoryPeopleStore(clock), timeZone));
}

/** Runs `load`; what it throws names the file and its setting. */
function aboutFile<T>(file: string, named: SettingNamer, load: () => T): T {
  try {
    return load();
  } catch (err) {
    const e = toJunctionError(err, 'JCT_PEOPLE_FILE_INVALID');
    throw new JunctionError(e.code, `the people file ${file} (${named('people')}): ${e.message}`, e.details);
  }
}
