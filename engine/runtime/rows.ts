// How participants and entry history are written to the journal and read back, as compact
// rows, and the journal keys the engine uses; the engine and recovery agree on one format here.
// (People are stored as people/layout.ts lays them out; flows as their records.)
import type { Input, ParticipantState } from '../vocabulary.js';
import type { Value } from '../values.js';
import type { EntryHistory } from './reentry.js';

type ParticipantRow = [flowId: string, version: number, personId: string, node: number, status: number, waitUntil: number, waitOn: string, vars: ParticipantState['vars'], enteredAt: number, steps: number, waitFrom?: number, replyAddress?: string];

export function participantRow(p: ParticipantState): ParticipantRow {
  const row: ParticipantRow = [p.flowId, p.version, p.personId, p.node, p.status, p.waitUntil, p.waitOn, p.vars, p.enteredAt, p.steps, p.waitFrom];
  if (p.replyAddress !== '') row.push(p.replyAddress); // most participants have none: their rows stay as they were
  return row;
}

/** `person` may swap the person id for an equal string already in memory (the people store's). */
export function readParticipant(id: string, row: unknown, person: (id: string) => string = (p) => p): ParticipantState {
  const [flowId, version, personId, node, status, waitUntil, waitOn, vars, enteredAt, steps, waitFrom = 0, replyAddress = ''] = row as ParticipantRow;
  return { id, flowId, version, personId: person(personId), node, status: status as ParticipantState['status'], waitUntil, waitOn, waitFrom, vars, replyAddress, enteredAt, steps, exitReason: undefined };
}

type HistoryRow = [entries: number[], inside: number, lastExitAt: number];

export function historyRow(h: EntryHistory): HistoryRow {
  return [h.entries, h.inside, h.lastExitAt];
}

export function readHistory(row: unknown): EntryHistory {
  const [entries, inside, lastExitAt] = row as HistoryRow;
  return { entries, inside, lastExitAt };
}

const SEQUENCE_DIGITS = 11;

/**
 * A participant's journal key: its id with the sequence zero-padded, so that a partition's
 * participants load back in sequence order (what its compact table needs) without sorting.
 */
export function participantKey(id: string): string {
  const dot = id.indexOf('.');
  return id.slice(0, dot + 1) + id.slice(dot + 1).padStart(SEQUENCE_DIGITS, '0');
}

/** participantKey of participant `seq` of the partition whose ids start with `prefix`. */
export function participantKeyOf(prefix: string, seq: number): string {
  return prefix + seq.toString(36).padStart(SEQUENCE_DIGITS, '0');
}

/** The sequence a participant's journal key holds (its id may be another: ParticipantTable.keepMovedIds). */
export function sequenceOfKey(key: string): number {
  return parseInt(key.slice(key.indexOf('.') + 1), 36);
}

export function historyKey(flowId: string, personId: string): string {
  return `${flowId}\u0000${personId}`;
}

/** A partition's metrics totals of a flow version. */
export function metricsKey(partition: number, versionKey: string): string {
  return `${partition}\u0000${versionKey}`;
}

/** The nodes a person has passed in a flow version. */
export function seenKey(versionKey: string, personId: string): string {
  return `${versionKey}\u0000${personId}`;
}

/** A person's event, by its partition sequence: a person's events load back in the order they were recorded. */
export function eventKey(personId: string, seq: number): string {
  return `${personId}\u0000${seq.toString(36).padStart(SEQUENCE_DIGITS, '0')}`;
}

/** An event row: its name, time and properties. */
export type EventRow = [name: string, at: number, properties: Readonly<Record<string, Value>>];

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

export function versionKey(flowId: string, version: number): string {
  return `${flowId}@${version}`;
}

/** An input held while its flow is paused (see Held in versions.ts): whose, where it waited, the input. */
export type HeldRow = [flowId: string, version: number, personId: string, participant: string, node: number, input: Input];

/** An entry held while its flow is paused (see HeldEntry in versions.ts): whose, through which entry node. */
export type HeldEntryRow = [flowId: string, version: number, personId: string, entry: number];

/** Held inputs and held entries share the table `held`; an entry's row is the shorter. */
export function isHeldEntryRow(row: HeldRow | HeldEntryRow): row is HeldEntryRow {
  return row.length === 4;
}

/** A held input's key: the order it was held in, zero-padded, so held inputs load back in that order. */
export function heldKey(seq: number): string {
  return seq.toString(36).padStart(SEQUENCE_DIGITS, '0');
}

export function heldSeqOf(key: string): number {
  return parseInt(key, 36);
}
