// Lists the API answers a page at a time: the `limit` and `after` query fields, the answer's
// `total` and `next`, and the cursors. A list is read in a fixed order of its own, and `after`
// names the last entry seen: the next page starts at the first entry past it, whether that entry
// is still there or not, so a page stays right while entries are added or removed between calls.
import { Type } from '@sinclair/typebox';
import { JunctionError } from '../../engine/errors.js';
import type { Ordered } from '../../engine/ordered.js';

/** Entries per page, by default and at most. */
export const PAGE = 1000;
export const MAX_PAGE = 10_000;

export interface PageQuery {
  readonly limit?: string | undefined;
  readonly after?: string | undefined;
}

/** The query fields of a paged list, to spread into its querystring schema. */
export function pageFields(what: string) {
  return {
    limit: Type.Optional(Type.String({ pattern: '^(10000|[1-9]\\d{0,3})$', description: `${what} per page, 1 to ${MAX_PAGE} (default ${PAGE})` })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: `the previous page's \`next\`: the ${what} after it` })),
  };
}

/** A list in its order: how many, the entries past a cursor, and the cursor of an entry. */
export interface Listing<T> {
  readonly total: number;
  /** The entries after the cursor (every one without it); throws badCursor() for a text that is none. */
  from(after: string | undefined): Iterable<T>;
  cursorOf(entry: T): string;
}

export interface Page<T> {
  readonly total: number;
  readonly page: T[];
  /** The cursor of the page's last entry, when more follow. */
  readonly next?: string;
}

/** The page the query asks for: `limit` entries (default PAGE) after `after`. */
export function pageOf<T>(list: Listing<T>, query: PageQuery): Page<T> {
  const limit = query.limit === undefined ? PAGE : Number(query.limit);
  const page: T[] = [];
  for (const entry of list.from(query.after)) {
    if (page.length === limit) return { total: list.total, page, next: list.cursorOf(page.at(-1)!) };
    page.push(entry);
  }
  return { total: list.total, page };
}

/** The answer with a page of a map kept in its keys' order: `total`, the entries shown through `view` under `field`, and `next`. */
export function orderedPage<T, U, K extends string>(list: Ordered<T>, query: PageQuery, field: K, view: (entry: T) => U): { total: number; next?: string } & Record<K, U[]> {
  const { total, page, next } = pageOf(keyed(list), query);
  return { total, [field]: page.map(([, entry]) => view(entry)), ...(next === undefined ? {} : { next }) } as { total: number; next?: string } & Record<K, U[]>;
}

function keyed<T>(list: Ordered<T>): Listing<readonly [string, T]> {
  return {
    total: list.size,
    from: (after) => list.after(after === undefined ? undefined : keyOfCursor(after)),
    cursorOf: ([key]) => Buffer.from(key, 'utf8').toString('base64url'),
  };
}

/** The key a cursor names: base64url of its UTF-8, written as keyed() writes it (so any text travels in a query string). */
function keyOfCursor(cursor: string): string {
  const bytes = Buffer.from(cursor, 'base64url');
  const key = bytes.toString('utf8');
  if (bytes.toString('base64url') !== cursor || Buffer.from(key, 'utf8').toString('base64url') !== cursor) throw badCursor();
  return key;
}

export function badCursor(): JunctionError {
  return new JunctionError('JCT_CURSOR_INVALID', 'after: give the `next` of the previous page');
}
