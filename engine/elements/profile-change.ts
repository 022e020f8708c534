// Shared by the elements that change a person (update profile, add/remove tag): applies the
// changes to the person seen by the rest of the step; they commit with the step's transition.
import type { RunContext } from '../element.js';
import { applyChanges } from '../people/profile.js';
import type { AttributeCatalog } from '../people/catalog.js';
import type { ProfileChange } from '../vocabulary.js';
import { toJunctionError } from '../errors.js';

/** Returns false (after recording the failure) when the changes cannot be applied. */
export function changeProfile(run: RunContext, changes: ProfileChange[], catalog: AttributeCatalog): boolean {
  try {
    const update = applyChanges(run.person, changes, catalog, run.now);
    if (update.changed.length === 0 && update.tagsAdded.length === 0 && update.tagsRemoved.length === 0) return true;
    run.updatePerson(update.person, changes);
    return true;
  } catch (err) {
    const e = toJunctionError(err, 'JCT_PROFILE_UPDATE');
    run.fail(e.code, e.message);
    return false;
  }
}
