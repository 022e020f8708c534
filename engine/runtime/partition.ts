// A partition: the share of the working state that belongs to the people whose id hashes to
// it. It owns their participants (compact, participant-table.ts), the index of what each
// waiting participant waits for, the wake-up heap, the entry history (frequency caps),
// per-version metrics, the sequence that makes participant ids unique, and a queue of work run
// one task at a time. Inside, participants are known by their sequence number. Partitions
// never look at each other; flow-level facts are summed across them by the engine.
import type { Clock } from '../clock.js';
import { hash32 } from '../hash.js';
import { ParticipantStatus, type ParticipantState } from '../vocabulary.js';
import type { EntryHistory } from './reentry.js';
import { MetricsRecorder } from './metrics.js';
import { Wakeups } from './timers.js';
import { ParticipantTable } from './participant-table.js';

/** The waits that need no index entry: time alone, or an effect's result (found by its key). */
const UNINDEXED = new Set(['', 'effect']);

/** What a partition needs to know of a launched flow version. */
export interface VersionKey {
  readonly id: string;
  readonly version: number;
  readonly nodes: readonly { id: string; name: string; def: { type: string } }[];
}

export function partitionOf(personId: string, count: number): number {
  return hash32(personId) % count;
}

export class Partition {
  /** Participants by id (every one inside a flow, waiting or between steps). */
  readonly participants: ParticipantTable;
  /**
   * Entry history: flow id → person id → history, or just the entry time in the common case
   * (entered once, still inside), which costs no object.
   */
  private readonly history = new Map<string, Map<string, EntryHistory | number>>();
  /** Last participant sequence number handed out (journaled). */
  seq = 0;
  /** What waiting participants wait on: key → person id → participant sequence(s). */
  private readonly waits = new Map<string, Map<string, number | Set<number>>>();
  private readonly counts = new Map<string, number>();
  private readonly recorders = new Map<string, MetricsRecorder>();
  private queue: Array<() => void> = [];
  private head = 0;
  readonly wakeups: Wakeups;

  constructor(
    readonly index: number,
    clock: Clock,
    onDue: (ids: string[], now: number) => void,
  ) {
    this.participants = new ParticipantTable(`${index.toString(36)}.`);
    this.wakeups = new Wakeups(clock, (seqs, now) => onDue(seqs.map((s) => this.participants.idOf(s)), now));
  }

  /** A new participant id: `<partition>.<sequence>`, base 36. */
  nextId(): string {
    return this.participants.idOf(++this.seq);
  }

  // ── participants and what they wait for ─────────────────────────────────────

  /** Stores a participant's new state and indexes what it waits for. */
  put(state: ParticipantState, before: ParticipantState | undefined): void {
    const seq = this.participants.seqOf(state.id)!;
    if (before) this.unindex(before, seq);
    else this.count(state.flowId, state.version, 1);
    this.participants.set(state);
    if (state.status !== ParticipantStatus.Waiting) return;
    if (state.waitUntil > 0) this.wakeups.add(state.waitUntil, seq);
    if (!UNINDEXED.has(state.waitOn)) this.addWait(state.waitOn, state.personId, seq);
  }

  remove(state: ParticipantState): void {
    if (!this.participants.delete(state.id)) return;
    const seq = this.participants.seqOf(state.id)!;
    this.unindex(state, seq);
    this.count(state.flowId, state.version, -1);
  }

  /** Ids of this person's participants waiting `on` this key. */
  waitingOn(personId: string, on: string): string[] {
    const seqs = this.waits.get(on)?.get(personId);
    if (seqs === undefined) return [];
    return typeof seqs === 'number' ? [this.participants.idOf(seqs)] : [...seqs].map((s) => this.participants.idOf(s));
  }

  /** Participants inside a flow version in this partition. */
  inside(flowId: string, version: number): number {
    return this.counts.get(`${flowId}@${version}`) ?? 0;
  }

  *ofVersion(flowId: string, version: number): Iterable<ParticipantState> {
    if (this.inside(flowId, version) === 0) return;
    for (const p of this.participants.values()) if (p.flowId === flowId && p.version === version) yield p;
  }

  // ── entry history and metrics ────────────────────────────────────────────────

  /** The person's entry history in a flow; after changing it, give it back with setHistory (the common case is kept as a number). */
  historyOf(flowId: string, personId: string): EntryHistory | undefined {
    const h = this.history.get(flowId)?.get(personId);
    return typeof h === 'number' ? { entries: [h], inside: 1, lastExitAt: 0 } : h;
  }

  setHistory(flowId: string, personId: string, h: EntryHistory): void {
    let m = this.history.get(flowId);
    if (!m) this.history.set(flowId, (m = new Map()));
    const simple = h.entries.length === 1 && h.inside === 1 && h.lastExitAt === 0;
    m.set(personId, simple ? h.entries[0]! : h);
  }

  metrics(v: VersionKey): MetricsRecorder {
    const key = `${v.id}@${v.version}`;
    let r = this.recorders.get(key);
    if (!r) this.recorders.set(key, (r = new MetricsRecorder(v.id, v.version, v.nodes)));
    return r;
  }

  existingMetrics(flowId: string, version: number): MetricsRecorder | undefined {
    return this.recorders.get(`${flowId}@${version}`);
  }

  // ── work queue ───────────────────────────────────────────────────────────────

  push(task: () => void): void {
    this.queue.push(task);
  }

  /** Takes the next queued task, if any. */
  take(): (() => void) | undefined {
    if (this.head < this.queue.length) return this.queue[this.head++];
    if (this.head > 0) {
      this.queue = [];
      this.head = 0;
    }
    return undefined;
  }

  private unindex(state: ParticipantState, seq: number): void {
    if (state.status === ParticipantStatus.Waiting && !UNINDEXED.has(state.waitOn)) this.removeWait(state.waitOn, state.personId, seq);
  }

  private addWait(on: string, personId: string, seq: number): void {
    let byPerson = this.waits.get(on);
    if (!byPerson) this.waits.set(on, (byPerson = new Map()));
    const seqs = byPerson.get(personId);
    if (seqs === undefined) byPerson.set(personId, seq);
    else if (typeof seqs === 'number') byPerson.set(personId, new Set([seqs, seq]));
    else seqs.add(seq);
  }

  private removeWait(on: string, personId: string, seq: number): void {
    const byPerson = this.waits.get(on);
    const seqs = byPerson?.get(personId);
    if (seqs === seq) byPerson!.delete(personId);
    else if (typeof seqs === 'object') {
      seqs.delete(seq);
      if (seqs.size === 0) byPerson!.delete(personId);
    }
    if (byPerson?.size === 0) this.waits.delete(on);
  }

  private count(flowId: string, version: number, delta: number): void {
    const key = `${flowId}@${version}`;
    const n = (this.counts.get(key) ?? 0) + delta;
    if (n === 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}
