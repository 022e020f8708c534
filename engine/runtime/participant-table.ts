// Participants of one partition in compact form: one slot per participant, its fixed-size fields
// (sequence, flow version, node, status, wait time, wait key, wait start, entry time, step
// counter) side by side in one record of one buffer (RECORD), plus plain arrays for the person
// id (the people store's own string) and the variables, and a map by sequence of the reply
// addresses (only a conversation's participants have one); flow versions and wait keys are
// interned once per partition. Slots are appended in sequence order, so a participant is found
// by searching the sequences (find), with no map; a removed one leaves a hole until the table
// compacts (when holes outnumber the living). A waiting participant costs a few dozen bytes
// instead of an object graph. Readers get a fresh ParticipantState, or have one reused (load:
// the step's scratch state); writers pass one back. The interned flow versions' use counts are
// the number of participants inside each version.
import { ParticipantStatus, type ParticipantState } from '../vocabulary.js';
import type { Value } from '../values.js';

/** A participant state whose every field may be written: a scratch state, reused step after step. */
export type ScratchState = { -readonly [K in keyof ParticipantState]: ParticipantState[K] };

const EMPTY_VARS: Record<string, Value> = Object.freeze({}) as Record<string, Value>;
/** The status of a hole left by a removed participant. */
const HOLE = 255;
/**
 * A slot's record: its fields side by side (a participant read or written is one or two cache
 * lines, not one per column), at the same bytes in every record. By view, the entries per
 * record and each field's entry: sequence, wait time, wait start and entry time as float64,
 * flow version, wait key and step counter as uint32, node as uint16, status as a byte.
 */
const RECORD = 48;
const F64 = RECORD / 8;
const SEQ = 0;
const WAIT_UNTIL = 1;
const WAIT_FROM = 2;
const ENTERED_AT = 3;
const U32 = RECORD / 4;
const VERSION = 8;
const WAIT_ON = 9;
const STEPS = 10;
const U16 = RECORD / 2;
const NODE = 22;
const U8 = RECORD;
const STATUS = 46;
/** Probes of find() that guess by the sequences' spread before it bisects. */
const GUESSES = 2;

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
  /** The slots' records (see RECORD), one buffer read through a view per field width. */
  private f64 = new Float64Array(0);
  private u32 = new Uint32Array(0);
  private u16 = new Uint16Array(0);
  private u8 = new Uint8Array(0);
  private personIds: string[] = [];
  private vars: Array<Record<string, Value> | undefined> = [];
  /** Reply addresses by sequence: few participants have one, and a sequence survives compaction. */
  private readonly replyAddresses = new Map<number, string>();
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

  /**
   * Participants moved in from a store one engine kept alone (engine/cluster/move-store.ts)
   * keep their ids, which carry no shard: sequences up to `through` are known by that store's
   * prefix (the partition's number and a dot), later ones by this table's.
   */
  private moved = { prefix: '', through: 0 };

  constructor(private readonly prefix: string) {}

  /** Sequences up to `through` are of participants moved in, whose ids start with `prefix`. */
  keepMovedIds(prefix: string, through: number): void {
    this.moved = { prefix, through };
  }

  get size(): number {
    return this.live;
  }

  /** The sequence number inside an id of this partition, or undefined for another's id. */
  seqOf(id: string): number | undefined {
    const { prefix, through } = this.moved;
    if (id.startsWith(this.prefix)) {
      const seq = parseInt(id.slice(this.prefix.length), 36);
      return seq > through ? seq : undefined; // NaN is not
    }
    if (through === 0 || !id.startsWith(prefix)) return undefined;
    const seq = parseInt(id.slice(prefix.length), 36);
    return seq <= through ? seq : undefined;
  }

  idOf(seq: number): string {
    return (seq > this.moved.through ? this.prefix : this.moved.prefix) + seq.toString(36);
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
    return slot >= 0 && this.u8[U8 * slot + STATUS] === ParticipantStatus.Waiting ? this.waitKeys.get(this.u32[U32 * slot + WAIT_ON]!) : undefined;
  }

  /** When a waiting participant wakes up; 0 when it waits for no time or does not wait. */
  waitUntilOf(seq: number): number {
    const slot = this.find(seq);
    return slot >= 0 && this.u8[U8 * slot + STATUS] === ParticipantStatus.Waiting ? this.f64[F64 * slot + WAIT_UNTIL]! : 0;
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
      if (this.u8[U8 * slot + STATUS] === HOLE) continue;
      const key = this.u32[U32 * slot + VERSION]! * 65_536 + this.u16[U16 * slot + NODE]!;
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
    this.u16[U16 * slot + NODE] = state.node;
    this.u8[U8 * slot + STATUS] = state.status;
    this.f64[F64 * slot + WAIT_UNTIL] = state.waitUntil;
    this.u32[U32 * slot + WAIT_ON] = this.waitKeys.acquire(state.waitOn);
    this.f64[F64 * slot + WAIT_FROM] = state.waitFrom;
    this.u32[U32 * slot + STEPS] = state.steps;
    this.vars[slot] = hasKeys(state.vars) ? state.vars : undefined;
    if (state.replyAddress !== '') this.replyAddresses.set(seq, state.replyAddress);
    else this.replyAddresses.delete(seq);
  }

  delete(seq: number): boolean {
    const slot = this.find(seq);
    if (slot < 0) return false;
    this.flowVersions.release(this.u32[U32 * slot + VERSION]!);
    this.personIds[slot] = '';
    this.releaseWaitKey(slot);
    this.vars[slot] = undefined;
    this.replyAddresses.delete(seq);
    this.u8[U8 * slot + STATUS] = HOLE;
    this.live--;
    if (this.used > 1024 && this.live < this.used / 2) this.compact();
    return true;
  }

  /** Every participant, as of the call (later changes are not seen). */
  values(): ParticipantState[] {
    const out: ParticipantState[] = [];
    for (let slot = 0; slot < this.used; slot++) {
      if (this.u8[U8 * slot + STATUS] === HOLE) continue;
      const state = {} as ScratchState;
      this.read(slot, state);
      out.push(state);
    }
    return out;
  }

  /**
   * The slot holding this sequence number, or -1; the last one found is tried first (a step
   * reads and writes its participant in turn). Sequences are nearly evenly spread over the
   * slots, so the first probes guess where it lies (one read finds most), then it bisects.
   */
  private find(seq: number): number {
    const last = this.lastFound;
    if (last < this.used && this.f64[F64 * last + SEQ] === seq) return this.u8[U8 * last + STATUS] === HOLE ? -1 : last;
    let lo = 0;
    let hi = this.used - 1;
    for (let probe = 0; lo <= hi; probe++) {
      const mid = probe < GUESSES ? this.guess(seq, lo, hi) : (lo + hi) >>> 1;
      const at = this.f64[F64 * mid + SEQ]!;
      if (at < seq) lo = mid + 1;
      else if (at > seq) hi = mid - 1;
      else {
        this.lastFound = mid;
        return this.u8[U8 * mid + STATUS] === HOLE ? -1 : mid;
      }
    }
    return -1;
  }

  /** Where between slots lo and hi sequence `seq` would be if the sequences there were evenly spread. */
  private guess(seq: number, lo: number, hi: number): number {
    const first = this.f64[F64 * lo + SEQ]!;
    const span = this.f64[F64 * hi + SEQ]! - first;
    if (seq <= first || span <= 0) return lo;
    return Math.min(hi, lo + Math.floor(((seq - first) / span) * (hi - lo)));
  }

  /** Fills every field, in one order: fresh states and scratch states share one shape. */
  private read(slot: number, into: ScratchState): void {
    const version = this.u32[U32 * slot + VERSION]!;
    const seq = this.f64[F64 * slot + SEQ]!;
    into.id = this.idOf(seq);
    into.flowId = this.versionFlowIds[version]!;
    into.version = this.versionNumbers[version]!;
    into.personId = this.personIds[slot]!;
    into.node = this.u16[U16 * slot + NODE]!;
    into.status = this.u8[U8 * slot + STATUS]! as ParticipantState['status'];
    into.waitUntil = this.f64[F64 * slot + WAIT_UNTIL]!;
    into.waitOn = this.waitKeys.get(this.u32[U32 * slot + WAIT_ON]!);
    into.waitFrom = this.f64[F64 * slot + WAIT_FROM]!;
    into.vars = this.vars[slot] ?? EMPTY_VARS;
    into.replyAddress = this.replyAddresses.size === 0 ? '' : (this.replyAddresses.get(seq) ?? '');
    into.enteredAt = this.f64[F64 * slot + ENTERED_AT]!;
    into.steps = this.u32[U32 * slot + STEPS]!;
    into.exitReason = undefined;
  }

  private append(seq: number, state: ParticipantState): number {
    if (this.used > 0 && seq <= this.f64[F64 * (this.used - 1) + SEQ]!) throw new RangeError(`participant ${state.id} is older than the newest one; add participants in sequence order`);
    if (this.used === this.capacity) this.grow();
    const slot = this.used++;
    this.live++;
    this.f64[F64 * slot + SEQ] = seq;
    const version = this.flowVersions.acquire(`${state.flowId}@${state.version}`);
    this.u32[U32 * slot + VERSION] = version;
    this.versionFlowIds[version] = state.flowId;
    this.versionNumbers[version] = state.version;
    this.personIds[slot] = state.personId;
    this.f64[F64 * slot + ENTERED_AT] = state.enteredAt;
    return slot;
  }

  private releaseWaitKey(slot: number): void {
    this.waitKeys.release(this.u32[U32 * slot + WAIT_ON]!);
  }

  /** Moves the living down over the holes, keeping sequence order. */
  private compact(): void {
    let to = 0;
    for (let from = 0; from < this.used; from++) {
      if (this.u8[U8 * from + STATUS] === HOLE) continue;
      if (from !== to) this.move(from, to);
      to++;
    }
    this.vars.length = to;
    this.personIds.length = to;
    this.used = to;
  }

  private move(from: number, to: number): void {
    this.u8.copyWithin(RECORD * to, RECORD * from, RECORD * (from + 1));
    this.personIds[to] = this.personIds[from]!;
    this.vars[to] = this.vars[from];
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const buffer = new ArrayBuffer(RECORD * capacity);
    new Uint8Array(buffer).set(this.u8);
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.capacity = capacity;
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
