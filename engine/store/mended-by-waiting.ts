// Whether a server store's error may go away by itself, so that start (bin/store.ts) and a
// standby waiting for the lease (lease.ts) try again: a store out of reach may come back, but a
// PostgreSQL that answers that the database does not exist, or refuses the role or password,
// says the same at every try. Kept apart from postgres.ts so that it loads without pg.
import type { JunctionError } from '../errors.js';

/** PostgreSQL's answers (SQLSTATE) that no retry mends: no such database, a role or password refused. */
const FOR_GOOD = new Set(['3D000', '28000', '28P01']);

/** True for JCT_STORE_UNAVAILABLE unless the server's answer says that waiting cannot help. */
export function mendedByWaiting(err: JunctionError): boolean {
  return err.code === 'JCT_STORE_UNAVAILABLE' && !answeredForGood(err.details?.['cause']);
}

/** Whether PostgreSQL's answer (its SQLSTATE) says the URL names a database or role it refuses: no retry mends it. */
export function answeredForGood(cause: unknown): boolean {
  return FOR_GOOD.has(String(cause));
}
