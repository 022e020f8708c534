// Flow format migrations: one function per schema version step, applied in order so a flow
// written for an older `schemaVersion` loads as the current one. Version 1 is the first
// published format, so the table is empty; add `2: (doc) => …` when the format changes.
import { JunctionError } from '../../errors.js';
import { SCHEMA_VERSION } from '../../flow-schema.js';

type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/** MIGRATIONS[n] turns a version n-1 document into version n. */
const MIGRATIONS: Record<number, Migration> = {};

export function migrate(doc: Record<string, unknown>): Record<string, unknown> {
  const from = doc['schemaVersion'];
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) {
    const readable = SCHEMA_VERSION === 1 ? '1' : `a whole number from 1 to ${SCHEMA_VERSION}`;
    throw new JunctionError('JCT_SCHEMA_VERSION', `schemaVersion must be ${readable} (the flow format version)`);
  }
  if (from > SCHEMA_VERSION) {
    throw new JunctionError(
      'JCT_SCHEMA_VERSION',
      `this flow is written for schemaVersion ${from}, newer than this Junction understands (${SCHEMA_VERSION}); upgrade Junction`,
    );
  }
  let current = doc;
  for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v];
    if (step) current = { ...step(current), schemaVersion: v };
  }
  return current;
}
