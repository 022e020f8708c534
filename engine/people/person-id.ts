// What a new person's id may be: any text of up to 200 characters, but no control characters
// (a NUL, a tab or a line break would be dropped or mangled by a store, a log line or a CSV
// export) and no lone UTF-16 surrogate (not a character: a store writes it as U+FFFD, and no
// URL can name it, so the person could never be read or erased through the API).
import { JunctionError } from '../errors.js';

const NOT_IN_AN_ID = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Refuses (JCT_PERSON_ID_INVALID) an id a new person may not have. */
export function requireNewPersonId(id: string): void {
  if (NOT_IN_AN_ID.test(id)) {
    throw new JunctionError('JCT_PERSON_ID_INVALID', `${JSON.stringify(id)} is not a valid person id: no control characters (tabs, line breaks) or broken characters`, { id });
  }
}
