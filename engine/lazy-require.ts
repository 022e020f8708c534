// Dependencies loaded on first use. A `junction` command pays at start for every module it
// imports, and several dependencies serve only some configurations (PostgreSQL, Redis, email)
// or only the first send (the HTTP client): loaded lazily, they cost nothing where unused.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package's exports, loaded (synchronously) by the first call and kept. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
