// Participants of one partition in compact form: one slot per participant in typed-array columns
// (sequence, flow version, node, status, wait time, wait key, wait start, entry time, step counter) plus
// plain arrays for the person id (the people store's own string) and the variables; flow
// versions and wait keys are interned once per partition. Slots are appended in sequence order, so a participant is found by binary search
// on the sequence column, with no map; a removed one leaves a hole until the table compacts
// (when holes outnumber the living). A waiting participant costs a few dozen bytes instead of
// an object graph. Readers get a fresh ParticipantState, or have one reused (load: the step's
// scratch state); writers pass one back. The interned flow versions' use counts are the
// number of participants inside each version.
import { ParticipantStatus, type ParticipantState } from '../vocabulary.js';
import type { Value } from '../values.js';

/** A participant state whose every field may be written: a scratch state, reused step after step. */
export type ScratchState = { -readonly [K in keyof ParticipantState]: ParticipantState[K] };

const EMPTY_VARS: Record<string, Value> = Object.freeze({}) as Record<string, Value>;
/** The status of a hole left by a removed participant. */
const HOLE = 255;

/** Strings kept once, by number; released when no slot uses them any more. */
class Interned {
  private readonly values: Array<string | undefined> = [];
  private readonly uses: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly free: number[] = [];

  /** The number of a value, if it is in use. */
  find(value: string): number | undefined {
    return this.index.get(value);
  }

  acquire(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.free.pop() ?? this.values.length;
      this.values[i] = value;
      this.uses[i] = 0;
      this.index.set(value, i);
    }
    this.uses[i]!++;
    return i;
  }

  release(i: number): void {
    if (--this.uses[i]! > 0) return;
    this.index.delete(this.values[i]!);
    this.values[i] = undefined;
    this.free.push(i);
  }

  get(i: number): string {
    return this.values[i]!;
  }

  usesOf(i: number): number {
    return this.uses[i]!;
  }
}

export class ParticipantTable {
  private capacity = 0;
  private seqs = new Float64Array(0);
  private versions = new Uint32Array(0);
  private nodes = new Uint16Array(0);
  private statuses = new Uint8Array(0);
  private waitUntils = new Float64Array(0);
  private waitOns = new Uint32Array(0);
  private waitFroms = new Float64Array(0);
  private enteredAts = new Float64Array(0);
  private stepCounts = new Uint32Array(0);
  private personIds: string[] = [];
  private vars: Array<Record<string, Value> | undefined> = [];
  /** Slots in use, holes included; `live` of them hold a participant. */
  private used = 0;
  private live = 0;
  /** The slot find() found last (checked against its sequence before use). */
  private lastFound = 0;
  /** Flow versions as `flowId@version`, with the two parts kept by the same number. */
  private readonly flowVersions = new Interned();
  private readonly versionFlowIds: string[] = [];
  private readonly versionNumbers: number[] = [];
  private readonly waitKeys = new Interned();

  constructor(private readonly prefix: string) {}

  get size(): number {
    return this.live;
  }

  /** The sequence number inside an id of this partition, or undefined for another's id. */
  seqOf(id: string): number | undefined {
    if (!id.startsWith(this.prefix)) return undefined;
    const seq = parseInt(id.slice(this.prefix.length), 36);
    return Number.isNaN(seq) ? undefined : seq;
  }

  idOf(seq: number): string {
    return this.prefix + seq.toString(36);
  }

  get(id: string): ParticipantState | undefined {
    const seq = this.seqOf(id);
    return seq === undefined ? undefined : this.at(seq);
  }

  /** A fresh state of participant `seq`, if it is here. */
  at(seq: number): ParticipantState | undefined {
    const slot = this.find(seq);
    if (slot < 0) return undefined;
    const state = {} as ScratchState;
    this.read(slot, state);
    return state;
  }

  /** Reads a participant into `into` (reused by the caller); false when there is none. */
  load(seq: number, into: ScratchState): boolean {
    const slot = this.find(seq);
    if (slot < 0) return false;
    this.read(slot, into);
    return true;
  }

  /** What a waiting participant waits on ('' for time alone), or undefined when it does not wait. */
  waitOf(seq: number): string | undefined {
    const slot = this.find(seq);
    return slot >= 0 && this.statuses[slot] === ParticipantStatus.Waiting ? this.waitKeys.get(this.waitOns[slot]!) : undefined;
  }

  /** When a waiting participant wakes up; 0 when it waits for no time or does not wait. */
  waitUntilOf(seq: number): number {
    const slot = this.find(seq);
    return slot >= 0 && this.statuses[slot] === ParticipantStatus.Waiting ? this.waitUntils[slot]! : 0;
  }

  /** Participants inside a flow version. */
  countOf(flowId: string, version: number): number {
    const i = this.flowVersions.find(`${flowId}@${version}`);
    return i === undefined ? 0 : this.flowVersions.usesOf(i);
  }

  /** Tells `count` how many participants are at each node of each flow version (for metrics; one pass over the columns). */
  countAtNodes(count: (flowId: string, version: number, node: number, participants: number) => void): void {
    const tally = new Map<number, number>(); // flow version number × 65,536 + node → participants
    for (let slot = 0; slot < this.used; slot++) {
      if (this.statuses[slot] === HOLE) continue;
      const key = this.versions[slot]! * 65_536 + this.nodes[slot]!;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    for (const [key, n] of tally) {
      const version = Math.floor(key / 65_536);
      count(this.versionFlowIds[version]!, this.versionNumbers[version]!, key % 65_536, n);
    }
  }

  /** Stores participant `seq`; a new one must have a higher sequence than any before it. */
  write(seq: number, state: ParticipantState): void {
    let slot = this.find(seq);
    if (slot < 0) slot = this.append(seq, state);
    else this.releaseWaitKey(slot);
    this.nodes[slot] = state.node;
    this.statuses[slot] = state.status;
    this.waitUntils[slot] = state.waitUntil;
    this.waitOns[slot] = this.waitKeys.acquire(state.waitOn);
    this.waitFroms[slot] = state.waitFrom;
    this.stepCounts[slot] = state.steps;
    this.vars[slot] = hasKeys(state.vars) ? state.vars : undefined;
  }

  delete(seq: number): boolean {
    const slot = this.find(seq);
    if (slot < 0) return false;
    this.flowVersions.release(this.versions[slot]!);
    this.personIds[slot] = '';
    this.releaseWaitKey(slot);
    this.vars[slot] = undefined;
    this.statuses[slot] = HOLE;
    this.live--;
    if (this.used > 1024 && this.live < this.used / 2) this.compact();
    return true;
  }

  /** Every participant, as of the call (later changes are not seen). */
  values(): ParticipantState[] {
    const out: ParticipantState[] = [];
    for (let slot = 0; slot < this.used; slot++) {
      if (this.statuses[slot] === HOLE) continue;
      const state = {} as ScratchState;
      this.read(slot, state);
      out.push(state);
    }
    return out;
  }

  /** The slot holding this sequence number, or -1; the last one found is tried first (a step reads and writes its participant in turn). */
  private find(seq: number): number {
    const last = this.lastFound;
    if (last < this.used && this.seqs[last] === seq) return this.statuses[last] === HOLE ? -1 : last;
    let lo = 0;
    let hi = this.used - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.seqs[mid]!;
      if (at < seq) lo = mid + 1;
      else if (at > seq) hi = mid - 1;
      else {
        this.lastFound = mid;
        return this.statuses[mid] === HOLE ? -1 : mid;
      }
    }
    return -1;
  }

  /** Fills every field, in one order: fresh states and scratch states share one shape. */
  private read(slot: number, into: ScratchState): void {
    const version = this.versions[slot]!;
    into.id = this.idOf(this.seqs[slot]!);
    into.flowId = this.versionFlowIds[version]!;
    into.version = this.versionNumbers[version]!;
    into.personId = this.personIds[slot]!;
    into.node = this.nodes[slot]!;
    into.status = this.statuses[slot]! as ParticipantState['status'];
    into.waitUntil = this.waitUntils[slot]!;
    into.waitOn = this.waitKeys.get(this.waitOns[slot]!);
    into.waitFrom = this.waitFroms[slot]!;
    into.vars = this.vars[slot] ?? EMPTY_VARS;
    into.enteredAt = this.enteredAts[slot]!;
    into.steps = this.stepCounts[slot]!;
    into.exitReason = undefined;
  }

  private append(seq: number, state: ParticipantState): number {
    if (this.used > 0 && seq <= this.seqs[this.used - 1]!) throw new RangeError(`participant ${state.id} is older than the newest one; add participants in sequence order`);
    if (this.used === this.capacity) this.grow();
    const slot = this.used++;
    this.live++;
    this.seqs[slot] = seq;
    const version = this.flowVersions.acquire(`${state.flowId}@${state.version}`);
    this.versions[slot] = version;
    this.versionFlowIds[version] = state.flowId;
    this.versionNumbers[version] = state.version;
    this.personIds[slot] = state.personId;
    this.enteredAts[slot] = state.enteredAt;
    return slot;
  }

  private releaseWaitKey(slot: number): void {
    this.waitKeys.release(this.waitOns[slot]!);
  }

  /** Moves the living down over the holes, keeping sequence order. */
  private compact(): void {
    let to = 0;
    for (let from = 0; from < this.used; from++) {
      if (this.statuses[from] === HOLE) continue;
      if (from !== to) this.move(from, to);
      to++;
    }
    this.vars.length = to;
    this.personIds.length = to;
    this.used = to;
  }

  private move(from: number, to: number): void {
    this.seqs[to] = this.seqs[from]!;
    this.versions[to] = this.versions[from]!;
    this.personIds[to] = this.personIds[from]!;
    this.nodes[to] = this.nodes[from]!;
    this.statuses[to] = this.statuses[from]!;
    this.waitUntils[to] = this.waitUntils[from]!;
    this.waitOns[to] = this.waitOns[from]!;
    this.waitFroms[to] = this.waitFroms[from]!;
    this.enteredAts[to] = this.enteredAts[from]!;
    this.stepCounts[to] = this.stepCounts[from]!;
    this.vars[to] = this.vars[from];
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    this.seqs = grown(this.seqs, new Float64Array(capacity));
    this.versions = grown(this.versions, new Uint32Array(capacity));
    this.nodes = grown(this.nodes, new Uint16Array(capacity));
    this.statuses = grown(this.statuses, new Uint8Array(capacity));
    this.waitUntils = grown(this.waitUntils, new Float64Array(capacity));
    this.waitOns = grown(this.waitOns, new Uint32Array(capacity));
    this.waitFroms = grown(this.waitFroms, new Float64Array(capacity));
    this.enteredAts = grown(this.enteredAts, new Float64Array(capacity));
    this.stepCounts = grown(this.stepCounts, new Uint32Array(capacity));
    this.capacity = capacity;
  }
}

function grown<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
