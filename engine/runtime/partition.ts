// A partition: the share of the working state that belongs to the people whose id hashes to
// it. It owns their participants (compact, participant-table.ts), the index of what each
// waiting participant waits for (wait-index.ts), the wake-up heap, the entry history (frequency
// caps), the event history (event-history.ts) and its journal rows (event-rows.ts),
// per-version metrics, the sequence that makes participant ids unique, a queue of work run
// one task at a time, and the journal row groups of all of these (rows built per batch from
// memory). Inside, participants are known by their sequence number and people by a small
// number given on first need (personSlot, person-numbers.ts), so per-person state (entry
// history, metrics, waits, events) is an array entry, not a map entry; what routing an event
// reads of a person (their waits, their newest event log) is one record (person-records.ts).
// Partitions never look at each other; flow-level facts are summed across them by the engine.
import type { Clock } from '../clock.js';
import { hash32 } from '../hash.js';
import { KeyedRows, NumberedRows, type RowGroup } from '../store/journal.js';
import { isEffectKey, ParticipantStatus, WAIT_KEY_SEPARATOR, type ParticipantState } from '../vocabulary.js';
import type { EntryHistory } from './reentry.js';
import { MetricsRecorder, personAcrossVersions } from './metrics.js';
import { Wakeups } from './timers.js';
import { EventHistory } from './event-history.js';
import { EventRows } from './event-rows.js';
import { WaitIndex } from './wait-index.js';
import { PersonNumbers } from './person-numbers.js';
import { PersonRecords } from './person-records.js';
import { ParticipantTable, type ScratchState } from './participant-table.js';
import { historyKey, historyRow, metricsKey, participantKeyOf, participantRow, seenKey, versionKey } from './rows.js';

/** The wait keys that need no index entry: time alone, or an effect's result (found by its key). */
const unindexed = (key: string): boolean => key === '' || isEffectKey(key);
/** Whether a wait may name a key the index keeps (several keys, or one that is indexed). */
const indexed = (on: string): boolean => on.includes(WAIT_KEY_SEPARATOR) || !unindexed(on);

/** What a partition needs to know of a launched flow version. */
export interface VersionKey {
  readonly id: string;
  readonly version: number;
  readonly nodes: readonly { id: string; name: string; def: { type: string } }[];
}

/** A flow version's metrics in one partition and their journal rows. */
export interface VersionMetrics {
  readonly recorder: MetricsRecorder;
  /** The totals row (its one member is 0). */
  readonly totals: RowGroup<number>;
  /** The seen-nodes rows, by person number. */
  readonly seen: RowGroup<number>;
}

/**
 * The entry history of one flow in a partition, by person number, in the smallest form that
 * holds it: the entry time alone for the common case (entered once, still inside), which costs
 * no object; [entry time, exit time] for the next most common (entered once, out again: what
 * every exit leaves behind, 64 bytes instead of the history's 120); else the history. And its
 * journal rows.
 */
interface FlowHistory {
  readonly people: Array<StoredHistory | undefined>;
  readonly rows: RowGroup<number>;
}

type StoredHistory = EntryHistory | number | [enteredAt: number, exitedAt: number];

function stored(h: EntryHistory): StoredHistory {
  if (h.entries.length !== 1) return h;
  if (h.inside === 1 && h.lastExitAt === 0) return h.entries[0]!;
  return h.inside === 0 ? [h.entries[0]!, h.lastExitAt] : h;
}

function expanded(h: StoredHistory): EntryHistory {
  if (typeof h === 'number') return { entries: [h], inside: 1, lastExitAt: 0 };
  if (Array.isArray(h)) return { entries: [h[0]], inside: 0, lastExitAt: h[1] };
  return h;
}

/** A queued task: work to run, or the sequence of a participant whose wake-up is due. */
export type Task = (() => void) | number;

export function partitionOf(personId: string, count: number): number {
  return hash32(personId) % count;
}

export class Partition {
  /** Participants by id (every one inside a flow, waiting or between steps). */
  readonly participants: ParticipantTable;
  /** Entry history by flow id. */
  private readonly history = new Map<string, FlowHistory>();
  /** People by number (personSlot): numbers are given on first need and kept. */
  private readonly people = new PersonNumbers();
  /** Last participant sequence number handed out (journaled under seqKey). */
  seq = 0;
  readonly seqKey: string;
  /** The meta key the event history's sequence is journaled under. */
  readonly eventSeqKey: string;
  /** The participants' journal rows, by sequence. */
  readonly participantRows: RowGroup<number>;
  /** The event history of the partition's people (by person number). */
  readonly events: EventHistory;
  /** The events' journal rows, noted as they are recorded or dropped. */
  readonly eventRows = new EventRows();
  /** What waiting participants wait on, by person number. */
  private readonly waits: WaitIndex;
  /** By the version's own object (one per launched version): no key to build per step. */
  private readonly recorders = new Map<VersionKey, VersionMetrics>();
  private queue: Task[] = [];
  private head = 0;
  readonly wakeups: Wakeups;

  constructor(
    readonly index: number,
    clock: Clock,
    onDue: (seqs: number[], now: number) => void,
    /** What its participant ids start with before the partition's number (a shard's: EngineOptions.idPrefix). */
    idPrefix = '',
  ) {
    const prefix = `${idPrefix}${index.toString(36)}.`;
    const records = new PersonRecords(); // what routing reads of a person, in one place
    this.events = new EventHistory(records);
    this.waits = new WaitIndex(records);
    const table = (this.participants = new ParticipantTable(prefix));
    this.seqKey = `seq:${index}`;
    this.eventSeqKey = `events:${index}`;
    const read = {} as ScratchState; // rows are built one after another: one state read into
    this.participantRows = new KeyedRows<number>(
      'participant',
      (seq) => participantKeyOf(prefix, seq),
      (seq) => (table.load(seq, read) ? participantRow(read) : null),
    );
    this.wakeups = new Wakeups(clock, onDue);
  }

  /** Participants up to sequence `through` were moved in from a store one engine kept alone: they keep its ids (`<partition>.<sequence>`). */
  keepMovedIds(through: number): void {
    this.participants.keepMovedIds(`${this.index.toString(36)}.`, through);
  }

  /** A new participant id: `<partition>.<sequence>`, base 36. */
  nextId(): string {
    return this.participants.idOf(++this.seq);
  }

  // ── participants and what they wait for ─────────────────────────────────────

  /**
   * Stores participant `seq`'s new state (a new one, or over its last) and indexes what it waits
   * for; `person`: its person's number, given here only when the wait index needs it.
   */
  put(seq: number, state: ParticipantState, person?: number): void {
    this.unindex(seq, state.personId, person);
    this.participants.write(seq, state);
    if (state.status !== ParticipantStatus.Waiting) return;
    if (state.waitUntil > 0) this.wakeups.add(state.waitUntil, seq);
    if (!indexed(state.waitOn)) return;
    const slot = person ?? this.personSlot(state.personId);
    this.eachKey(state.waitOn, (key) => this.waits.add(slot, key, seq));
  }

  /** Takes participant `seq` out of the table and the wait index. */
  remove(seq: number, personId: string): void {
    this.unindex(seq, personId);
    this.participants.delete(seq);
  }

  /** Sequences of the participants of this person (by number) waiting `on` this key. */
  waitingOn(person: number, on: string): readonly number[] {
    return this.waits.of(person, on);
  }

  /** Participants inside a flow version in this partition. */
  inside(flowId: string, version: number): number {
    return this.participants.countOf(flowId, version);
  }

  *ofVersion(flowId: string, version: number): Iterable<ParticipantState> {
    if (this.inside(flowId, version) === 0) return;
    for (const p of this.participants.values()) if (p.flowId === flowId && p.version === version) yield p;
  }

  // ── people, entry history and metrics ────────────────────────────────────────

  /** The person's number in this partition, given on first need. */
  personSlot(personId: string): number {
    return this.people.numberOf(personId);
  }

  /** The person's number, if the partition has given one. */
  knownPersonSlot(personId: string): number | undefined {
    return this.people.find(personId);
  }

  /**
   * Forgets the person (erasure; their participants are taken out first): entry histories, seen
   * nodes and events, and their number. Returns the journal rows to mark, as [rows, person
   * number], and the sequences of the events dropped.
   */
  erase(personId: string): { rows: Array<[RowGroup<number>, number]>; events: readonly number[] } {
    const person = this.people.find(personId);
    if (person === undefined) return { rows: [], events: [] };
    const marks: Array<[RowGroup<number>, number]> = [];
    for (const flow of this.history.values()) {
      if (flow.people[person] === undefined) continue;
      flow.people[person] = undefined;
      marks.push([flow.rows, person]);
    }
    this.keepErasedShares(person, marks);
    for (const m of this.recorders.values()) if (m.recorder.forget(person)) marks.push([m.seen, person]);
    this.events.erase(person);
    this.people.forget(personId);
    return { rows: marks, events: this.events.dropped };
  }

  /**
   * Before an erased person's nodes are forgotten: their share of each flow's every-version
   * figures, kept with the totals of the newest version they were in (whose row is marked).
   */
  private keepErasedShares(person: number, marks: Array<[RowGroup<number>, number]>): void {
    const byFlow = new Map<string, VersionMetrics[]>();
    for (const [v, m] of this.recorders) if (m.recorder.hasEntered(person)) byFlow.set(v.id, [...(byFlow.get(v.id) ?? []), m]);
    for (const versions of byFlow.values()) {
      const share = personAcrossVersions(versions.map((m) => m.recorder), person)!;
      const newest = versions.reduce((a, b) => (b.recorder.metrics.version > a.recorder.metrics.version ? b : a));
      newest.recorder.keepErased(share);
      marks.push([newest.totals, 0]);
    }
  }

  /** The person's entry history in a flow; after changing it, give it back with setHistory (the common cases are kept compact). */
  historyOf(flowId: string, person: number): EntryHistory | undefined {
    const h = this.history.get(flowId)?.people[person];
    return h === undefined ? undefined : expanded(h);
  }

  /** Sets the person's entry history; returns the flow's history rows, for the journal's mark. */
  setHistory(flowId: string, person: number, h: EntryHistory): RowGroup<number> {
    const flow = this.history.get(flowId) ?? this.addHistory(flowId);
    flow.people[person] = stored(h);
    return flow.rows;
  }

  metrics(v: VersionKey): MetricsRecorder {
    return this.versionMetrics(v).recorder;
  }

  versionMetrics(v: VersionKey): VersionMetrics {
    return this.recorders.get(v) ?? this.addMetrics(v);
  }

  /** The version's metrics in this partition, if anyone has entered it here. */
  existingMetrics(v: VersionKey): MetricsRecorder | undefined {
    return this.recorders.get(v)?.recorder;
  }

  // ── work queue ───────────────────────────────────────────────────────────────

  push(task: Task): void {
    this.queue.push(task);
  }

  /** Takes the next queued task, if any. */
  take(): Task | undefined {
    if (this.head < this.queue.length) return this.queue[this.head++];
    if (this.head > 0) {
      this.queue = [];
      this.head = 0;
    }
    return undefined;
  }

  private addHistory(flowId: string): FlowHistory {
    const rows = new NumberedRows(
      'history',
      (person) => historyKey(flowId, this.people.idOf(person)),
      (person) => {
        const h = this.historyOf(flowId, person);
        return h ? historyRow(h) : null;
      },
    );
    const flow: FlowHistory = { people: [], rows };
    this.history.set(flowId, flow);
    return flow;
  }

  private addMetrics(v: VersionKey): VersionMetrics {
    const recorder = new MetricsRecorder(v.id, v.version, v.nodes);
    const version = versionKey(v.id, v.version);
    const totalsKey = metricsKey(this.index, version);
    const m: VersionMetrics = {
      recorder,
      totals: new NumberedRows('metrics', () => totalsKey, () => recorder.totals()),
      seen: new NumberedRows('seen', (person) => seenKey(version, this.people.idOf(person)), (person) => recorder.seenOf(person) ?? null),
    };
    this.recorders.set(v, m);
    return m;
  }

  /** Takes participant `seq` (as the table holds it, before a change) out of the wait index; `person`: its person's number, if known. */
  private unindex(seq: number, personId: string, person?: number): void {
    const on = this.participants.waitOf(seq);
    if (on === undefined || !indexed(on)) return;
    const slot = person ?? this.personSlot(personId);
    this.eachKey(on, (key) => this.waits.remove(slot, key, seq));
  }

  /** The indexed keys of a wait: it may name several, one per line (e.g. either of two events, or an effect's result and a call). */
  private eachKey(on: string, f: (key: string) => void): void {
    if (!on.includes(WAIT_KEY_SEPARATOR)) {
      if (!unindexed(on)) f(on);
    } else for (const key of on.split(WAIT_KEY_SEPARATOR)) if (!unindexed(key)) f(key);
  }
}
