// The modules this build of Junction is made of. Adding a provider, dialect or importer is one
// line here; every command builds its one Registry from this list.
import { coreModule } from '../engine/elements/index.js';
import { Registry, type Module } from '../engine/module.js';

export const MODULES: readonly Module[] = [coreModule];

export function assembleRegistry(): Registry {
  return new Registry(MODULES);
}
