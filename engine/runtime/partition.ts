// A partition: the share of the working state that belongs to the people whose id hashes to
// it. It owns their participants, the index of what each waiting participant waits for, the
// wake-up heap, the entry history (frequency caps), per-version metrics, the sequence that
// makes participant ids unique, and a queue of work run one task at a time. Partitions never
// look at each other; flow-level facts are summed across them by the engine.
import type { Clock } from '../clock.js';
import { hash32 } from '../hash.js';
import { ParticipantStatus, type ParticipantState } from '../vocabulary.js';
import type { EntryHistory } from './reentry.js';
import { MetricsRecorder } from './metrics.js';
import { Wakeups } from './timers.js';

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
  readonly participants = new Map<string, ParticipantState>();
  /** Entry history: flow id → person id → history. */
  readonly history = new Map<string, Map<string, EntryHistory>>();
  /** Last participant sequence number handed out (journaled). */
  seq = 0;
  private readonly byPerson = new Map<string, string | string[]>();
  private readonly waits = new Map<string, string | Set<string>>();
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
    this.wakeups = new Wakeups(clock, onDue);
  }

  /** A new participant id: `<partition>.<sequence>`, base 36. */
  nextId(): string {
    return `${this.index.toString(36)}.${(++this.seq).toString(36)}`;
  }

  // ── participants and what they wait for ─────────────────────────────────────

  /** Stores a participant's new state and indexes what it waits for. */
  put(state: ParticipantState, before: ParticipantState | undefined): void {
    if (before) this.unindex(before);
    else {
      this.addToPerson(state.personId, state.id);
      this.count(state.flowId, state.version, 1);
    }
    this.participants.set(state.id, state);
    if (state.status !== ParticipantStatus.Waiting) return;
    if (state.waitUntil > 0) this.wakeups.add(state.waitUntil, state.id);
    if (!UNINDEXED.has(state.waitOn)) this.addWait(waitKey(state.personId, state.waitOn), state.id);
  }

  remove(state: ParticipantState): void {
    if (!this.participants.delete(state.id)) return;
    this.unindex(state);
    this.removeFromPerson(state.personId, state.id);
    this.count(state.flowId, state.version, -1);
  }

  /** Participants of this person waiting `on` this key. */
  waitingOn(personId: string, on: string): string[] {
    const ids = this.waits.get(waitKey(personId, on));
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
  }

  ofPerson(personId: string): string[] {
    const ids = this.byPerson.get(personId);
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
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

  historyOf(flowId: string, personId: string): EntryHistory | undefined {
    return this.history.get(flowId)?.get(personId);
  }

  setHistory(flowId: string, personId: string, h: EntryHistory): void {
    let m = this.history.get(flowId);
    if (!m) this.history.set(flowId, (m = new Map()));
    m.set(personId, h);
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

  private unindex(state: ParticipantState): void {
    if (state.status === ParticipantStatus.Waiting && !UNINDEXED.has(state.waitOn)) this.removeWait(waitKey(state.personId, state.waitOn), state.id);
  }

  private addWait(key: string, id: string): void {
    const ids = this.waits.get(key);
    if (ids === undefined) this.waits.set(key, id);
    else if (typeof ids === 'string') this.waits.set(key, new Set([ids, id]));
    else ids.add(id);
  }

  private removeWait(key: string, id: string): void {
    const ids = this.waits.get(key);
    if (ids === id) this.waits.delete(key);
    else if (typeof ids === 'object') {
      ids.delete(id);
      if (ids.size === 0) this.waits.delete(key);
    }
  }

  private addToPerson(personId: string, id: string): void {
    const ids = this.byPerson.get(personId);
    if (ids === undefined) this.byPerson.set(personId, id);
    else if (typeof ids === 'string') this.byPerson.set(personId, [ids, id]);
    else ids.push(id);
  }

  private removeFromPerson(personId: string, id: string): void {
    const ids = this.byPerson.get(personId);
    if (ids === id) this.byPerson.delete(personId);
    else if (typeof ids === 'object') {
      const rest = ids.filter((x) => x !== id);
      this.byPerson.set(personId, rest.length === 1 ? rest[0]! : rest);
    }
  }

  private count(flowId: string, version: number, delta: number): void {
    const key = `${flowId}@${version}`;
    const n = (this.counts.get(key) ?? 0) + delta;
    if (n === 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}

function waitKey(personId: string, on: string): string {
  return `${personId}\u0000${on}`;
}
