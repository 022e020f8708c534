// Shared by the elements that change a person (update profile, add/remove tag): applies the
// changes to the person seen by the rest of the step and emits the `profile.update` effect,
// whose handler (registered here) applies them to the people store.
import type { RunContext } from '../registry.js';
import { defineEffect } from '../registry.js';
import { applyChanges } from '../people/profile.js';
import type { AttributeCatalog } from '../people/catalog.js';
import type { ProfileChange } from '../store/interfaces.js';
import { toJunctionError } from '../errors.js';

/** Returns false (after recording the failure) when the changes cannot be applied. */
export function changeProfile(run: RunContext, changes: ProfileChange[], catalog: AttributeCatalog): boolean {
  try {
    const update = applyChanges(run.person, changes, catalog, run.now);
    if (update.changed.length === 0 && update.tagsAdded.length === 0 && update.tagsRemoved.length === 0) return true;
    run.setPerson(update.person);
    run.emit({ kind: 'profile.update', changes });
    return true;
  } catch (err) {
    const e = toJunctionError(err, 'JCT_PROFILE_UPDATE');
    run.fail(e.code, e.message);
    return false;
  }
}

defineEffect('profile.update', (effect, ctx) => {
  ctx.people.update(effect.personId, effect['changes'] as ProfileChange[]);
});
