// How a person is laid out in memory. A store holds millions of immutable profiles, so each
// part is as small as it can be while every person stays a plain object of plain parts:
// - an empty list or record is one shared frozen value;
// - a record keeps its keys in one canonical order (standard attributes and channels as
//   declared, custom attributes by name), so people with the same keys share a hidden class,
//   and its properties live inside the object;
// - a list is exactly as long as its items;
// - the text of an instant is one string, shared by the profiles stamped one after another
//   at that instant (a batch, an import).
import { CHANNELS, STANDARD_ATTRIBUTES, type Person } from '../person.js';

export const EMPTY_LIST: readonly string[] = Object.freeze([]);
export const EMPTY_RECORD: Readonly<Record<string, never>> = Object.freeze({});

export const STANDARD_ORDER: readonly string[] = Object.keys(STANDARD_ATTRIBUTES);
export const CHANNEL_ORDER: readonly string[] = CHANNELS;

/** The person with its fields in the one order every person has, so all share a hidden class. */
export function personOf(p: Person): Person {
  return {
    id: p.id,
    standard: p.standard,
    custom: p.custom,
    phones: p.phones,
    emails: p.emails,
    tags: p.tags,
    companies: p.companies,
    lastContacted: p.lastContacted,
  };
}

/**
 * The same person laid out compactly, e.g. one read back from storage. A part already laid out
 * so (what the store wrote: JSON.parse gives exact-size lists and records with their properties
 * inside) is kept as it is; only the others are rebuilt.
 */
export function compactPerson(p: Person): Person {
  return personOf({
    id: p.id,
    standard: compactRecord(p.standard, STANDARD_ORDER),
    custom: compactRecord(p.custom),
    phones: compactList(p.phones),
    emails: compactList(p.emails),
    tags: compactList(p.tags),
    companies: compactList(p.companies),
    lastContacted: compactRecord(p.lastContacted, CHANNEL_ORDER),
  });
}

/** The list without repeats: itself when it has none, the shared empty one when empty. */
function compactList(items: readonly string[]): readonly string[] {
  if (items.length === 0) return EMPTY_LIST;
  if (items.length === 1) return items;
  const distinct = new Set(items);
  return distinct.size === items.length ? items : [...distinct];
}

/** The record with its keys in `order` (by name without one): itself when they are so already, the shared empty one when it has none. */
function compactRecord<V>(record: Readonly<Record<string, V>>, order?: readonly string[]): Readonly<Record<string, V>> {
  for (const _ in record) return inOrder(Object.keys(record), order) ? record : recordOf(entriesOf(record), order);
  return EMPTY_RECORD;
}

/** Whether the keys come in `order` (each of them in it), or by name without one. */
function inOrder(keys: readonly string[], order?: readonly string[]): boolean {
  if (!order) return keys.every((key, i) => i === 0 || keys[i - 1]! < key);
  let last = -1;
  for (const key of keys) {
    const at = order.indexOf(key);
    if (at <= last) return false;
    last = at;
  }
  return true;
}

/** The items as an exact-size list, or the shared empty one. */
export function listOf(items: ReadonlySet<string>): readonly string[] {
  return items.size === 0 ? EMPTY_LIST : [...items];
}

/** The entries as a record with its keys in `order` (by name without one), or the shared empty one. */
export function recordOf<V>(entries: ReadonlyMap<string, V>, order?: readonly string[]): Readonly<Record<string, V>> {
  if (entries.size === 0) return EMPTY_RECORD;
  const keys = order ? order.filter((key) => entries.has(key)) : [...entries.keys()].sort();
  const record = blankRecord(keys) as Record<string, V>;
  for (const key of keys) record[key] = entries.get(key)!;
  return record;
}

/** A record's entries, to edit before building the next record with recordOf. */
export function entriesOf<V>(record: Readonly<Partial<Record<string, V>>>): Map<string, V> {
  return new Map(Object.entries(record) as [string, V][]);
}

/** Blank records by their JSON text, each parsed once; bounded, since input decides which key sets come. */
const blanks = new Map<string, Readonly<Record<string, null>>>();
const MAX_BLANKS = 10_000;

/**
 * A record with these keys, each null. JSON.parse lays the properties out inside the object,
 * and a spread copy keeps that layout; an object filled by assignment keeps four there, moves
 * the rest to a separate array, and keeps room for four even when it has one.
 */
function blankRecord(keys: readonly string[]): Record<string, unknown> {
  const text = `{${keys.map((key) => `${JSON.stringify(key)}:null`).join(',')}}`;
  let blank = blanks.get(text);
  if (!blank) {
    blank = JSON.parse(text) as Record<string, null>;
    if (blanks.size < MAX_BLANKS) blanks.set(text, blank);
  }
  return { ...blank };
}

let lastStamp = { at: NaN, iso: '' };

/** ISO text of an instant, the same string for the same instant as the last call: a batch shares its `now`. */
export function isoAt(now: number): string {
  if (lastStamp.at !== now) lastStamp = { at: now, iso: new Date(now).toISOString() };
  return lastStamp.iso;
}
