// The event history of one partition's people: per person (by partition number) and event
// name, the events' times (kept sorted), their partition sequence numbers (the order they were
// recorded in) and their properties. Conditions count "happened N times within a window"
// by binary search on the times: only the events inside the window are looked at, and only
// when a property filter or a "recorded after" bound asks for it. Old events are dropped when
// the same person and name record a new one (retention) and at recovery; at most
// MAX_PER_NAME are kept per person and name, the oldest going first.
import type { EventProperties, EventRange, EventView } from '../vocabulary.js';

/** Most events kept per person and event name. */
export const MAX_PER_NAME = 10_000;

/** A person's events of one name, oldest first. */
interface Log {
  readonly at: number[];
  readonly seq: number[];
  readonly props: EventProperties[];
}

export class EventHistory {
  /** Last event sequence number handed out in this partition (journaled with the events). */
  seq = 0;
  private readonly people: Array<Map<string, Log> | undefined> = [];

  /** Records an event; returns its sequence number and the sequences of the events it pushed out. */
  add(person: number, name: string, at: number, props: EventProperties, keepFrom: number): { seq: number; dropped: number[] } {
    const seq = ++this.seq;
    const log = this.logOf(person, name);
    const i = insertionPoint(log.at, at);
    log.at.splice(i, 0, at);
    log.seq.splice(i, 0, seq);
    log.props.splice(i, 0, props);
    return { seq, dropped: this.trim(log, keepFrom) };
  }

  /** Puts a journaled event back (recovery): false when it is older than `keepFrom`. */
  restore(person: number, name: string, at: number, seq: number, props: EventProperties, keepFrom: number): boolean {
    this.seq = Math.max(this.seq, seq);
    if (at < keepFrom) return false;
    const log = this.logOf(person, name);
    const i = insertionPoint(log.at, at);
    log.at.splice(i, 0, at);
    log.seq.splice(i, 0, seq);
    log.props.splice(i, 0, props);
    return true;
  }

  /**
   * The person's history as conditions read it (a small object per call: made per step).
   * Events before `keepFrom` (retention) are not counted, even while not yet trimmed.
   */
  view(person: number, keepFrom = 0): EventView {
    return new PersonEvents(this.people[person], this.seq, keepFrom);
  }

  /** Drops the events before `keepFrom` and beyond the cap; returns their sequences. */
  private trim(log: Log, keepFrom: number): number[] {
    let n = 0;
    while (n < log.at.length && log.at[n]! < keepFrom) n++;
    n = Math.max(n, log.at.length - MAX_PER_NAME);
    if (n === 0) return NONE;
    log.at.splice(0, n);
    log.props.splice(0, n);
    return log.seq.splice(0, n);
  }

  private logOf(person: number, name: string): Log {
    let logs = this.people[person];
    if (!logs) this.people[person] = logs = new Map();
    let log = logs.get(name);
    if (!log) logs.set(name, (log = { at: [], seq: [], props: [] }));
    return log;
  }
}

const NONE: number[] = [];

class PersonEvents implements EventView {
  constructor(
    private readonly logs: Map<string, Log> | undefined,
    readonly position: number,
    private readonly keepFrom: number,
  ) {}

  count(name: string, range: EventRange): number {
    return count(this.logs?.get(name), this.kept(range));
  }

  latest(name: string, range: EventRange): EventProperties | undefined {
    return latest(this.logs?.get(name), this.kept(range));
  }

  private kept(range: EventRange): EventRange {
    return range.from >= this.keepFrom ? range : { ...range, from: this.keepFrom };
  }
}

/** The first index whose time is above `at` (events of equal time stay in recording order). */
function insertionPoint(times: readonly number[], at: number): number {
  let lo = 0;
  let hi = times.length;
  if (hi === 0 || times[hi - 1]! <= at) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose time is at least `from`. */
function lowerBound(times: readonly number[], from: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function bounds(log: Log, range: EventRange): [number, number] {
  return [lowerBound(log.at, range.from), lowerBound(log.at, range.to + 1)];
}

function matches(log: Log, i: number, range: EventRange): boolean {
  return log.seq[i]! > range.after && (range.filter === undefined || range.filter(log.props[i]!));
}

function count(log: Log | undefined, range: EventRange): number {
  if (!log) return 0;
  const [lo, hi] = bounds(log, range);
  if (range.after === 0 && range.filter === undefined) return hi - lo;
  let n = 0;
  for (let i = lo; i < hi; i++) if (matches(log, i, range)) n++;
  return n;
}

function latest(log: Log | undefined, range: EventRange): EventProperties | undefined {
  if (!log) return undefined;
  const [lo, hi] = bounds(log, range);
  let best = -1;
  for (let i = lo; i < hi; i++) if (matches(log, i, range) && (best === -1 || log.seq[i]! > log.seq[best]!)) best = i;
  return best === -1 ? undefined : log.props[best];
}
