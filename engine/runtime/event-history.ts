// The event history of one partition's people, in columns: per person (by partition number)
// and event name a log of the events' times (kept sorted), their partition sequence numbers
// (the order they were recorded in) and their properties. A person's logs are chained from
// their newest (kept in their record, person-records.ts, beside their waits); a log holding one
// event (the common case) keeps it in the columns themselves, and only a second event of the
// same person and name gives the log arrays of its own (Many): no object per person or per
// event besides its properties. Conditions count "happened N times within a window" by binary
// search on the times: only the events inside the window are looked at, and only when a
// property filter or a "recorded after" bound asks for it. Old events are dropped when the same
// person and name record a new one (retention) and at recovery; at most MAX_PER_NAME are kept
// per person and name, the oldest going first.
import type { EventProperties, EventRange, EventView } from '../vocabulary.js';
import { NEWEST_LOG, PersonRecords } from './person-records.js';

/** Most events kept per person and event name. */
export const MAX_PER_NAME = 10_000;

/** The events of a log that has held more than one, oldest first. */
class Many {
  readonly at: number[] = [];
  readonly seq: number[] = [];
  readonly props: EventProperties[] = [];
}

/** No log: the end of a person's chain. */
const NONE = -1;
const INITIAL_SIZE = 1024;

export class EventHistory {
  /** Last event sequence number handed out in this partition (journaled with the events). */
  seq = 0;
  /** The sequences of the events the last add() pushed out (retention, the cap); refilled by the next one. */
  readonly dropped: number[] = [];
  /** Event names by number, given on first use. */
  private readonly names = new Map<string, number>();
  private logs = 0;
  // Per log: at 2·log and 2·log + 1 of `links` its name's number and the person's next older
  // log, of `times` its one event's time and sequence (side by side: one memory read each);
  // and that event's properties, or a Many in their place once the log held several events.
  private links = new Int32Array(2 * INITIAL_SIZE);
  private times = new Float64Array(2 * INITIAL_SIZE);
  private readonly props: Array<EventProperties | Many> = [];

  /** `records`: per person number their newest log (unset: none), beside what else routing reads of them. */
  constructor(private readonly records = new PersonRecords()) {}

  /** Records an event; returns its sequence number (what it pushed out is in `dropped`). */
  add(person: number, name: string, at: number, props: EventProperties, keepFrom: number): number {
    const seq = ++this.seq;
    this.dropped.length = 0;
    this.trim(this.insert(person, name, at, seq, props), keepFrom);
    return seq;
  }

  /** Puts a journaled event back (recovery): false when it is older than `keepFrom`. */
  restore(person: number, name: string, at: number, seq: number, props: EventProperties, keepFrom: number): boolean {
    this.seq = Math.max(this.seq, seq);
    if (at < keepFrom) return false;
    this.insert(person, name, at, seq, props);
    return true;
  }

  /** Forgets every event of the person (erasure), their sequences into `dropped`. */
  erase(person: number): void {
    this.dropped.length = 0;
    for (let log = this.newestOf(person); log !== NONE; log = this.links[2 * log + 1]!) {
      const held = this.props[log];
      if (held instanceof Many) this.dropped.push(...held.seq);
      else this.dropped.push(this.times[2 * log + 1]!);
      this.props[log] = new Many(); // the log's slot stays, empty, out of every chain
    }
    this.records.set(person, NEWEST_LOG, undefined);
  }

  /**
   * The person's history as conditions read it (a small object per call: made per step).
   * Events before `keepFrom` (retention) are not counted, even while not yet trimmed.
   */
  view(person: number, keepFrom = 0): EventView {
    return new PersonEvents(this, person, this.seq, keepFrom);
  }

  /** How many of the person's events of this name are in the range (from `keepFrom` on). */
  count(person: number, name: string, range: EventRange, keepFrom: number): number {
    const log = this.find(person, this.names.get(name));
    if (log === NONE) return 0;
    const from = Math.max(range.from, keepFrom);
    const many = this.props[log];
    if (many instanceof Many) return countMany(many, from, range);
    return this.single(log, from, range) ? 1 : 0;
  }

  /** The properties of the person's latest recorded event of this name in the range (from `keepFrom` on). */
  latest(person: number, name: string, range: EventRange, keepFrom: number): EventProperties | undefined {
    const log = this.find(person, this.names.get(name));
    if (log === NONE) return undefined;
    const from = Math.max(range.from, keepFrom);
    const many = this.props[log];
    if (many instanceof Many) return latestOfMany(many, from, range);
    return this.single(log, from, range) ? many : undefined;
  }

  /** Whether a log's one event is in the range. */
  private single(log: number, from: number, range: EventRange): boolean {
    const at = this.times[2 * log]!;
    return at >= from && at < range.to + 1 && this.times[2 * log + 1]! > range.after && (range.filter === undefined || range.filter(this.props[log] as EventProperties));
  }

  /** Puts an event into its person and name's log (a new one, or a Many from the second event on); returns the log. */
  private insert(person: number, name: string, at: number, seq: number, props: EventProperties): number {
    const id = this.nameId(name);
    const log = this.find(person, id);
    if (log === NONE) return this.newLog(person, id, at, seq, props);
    const many = this.many(log);
    const i = insertionPoint(many.at, at);
    many.at.splice(i, 0, at);
    many.seq.splice(i, 0, seq);
    many.props.splice(i, 0, props);
    return log;
  }

  /** Drops the log's events before `keepFrom` and beyond the cap, into `dropped`. */
  private trim(log: number, keepFrom: number): void {
    const many = this.props[log];
    if (!(many instanceof Many)) {
      if (this.times[2 * log]! >= keepFrom) return;
      this.dropped.push(this.times[2 * log + 1]!);
      this.props[log] = new Many(); // empty, as a trimmed Many can be
      return;
    }
    let n = 0;
    while (n < many.at.length && many.at[n]! < keepFrom) n++;
    n = Math.max(n, many.at.length - MAX_PER_NAME);
    if (n === 0) return;
    many.at.splice(0, n);
    many.props.splice(0, n);
    for (const seq of many.seq.splice(0, n)) this.dropped.push(seq);
  }

  /** The log's events as a Many, moving its one event there first. */
  private many(log: number): Many {
    const held = this.props[log]!;
    if (held instanceof Many) return held;
    const many = new Many();
    many.at.push(this.times[2 * log]!);
    many.seq.push(this.times[2 * log + 1]!);
    many.props.push(held);
    this.props[log] = many;
    return many;
  }

  /** The person's log of the name numbered `name`, or NONE. */
  private find(person: number, name: number | undefined): number {
    if (name === undefined) return NONE;
    let log = this.newestOf(person);
    while (log !== NONE && this.links[2 * log] !== name) log = this.links[2 * log + 1]!;
    return log;
  }

  private newLog(person: number, name: number, at: number, seq: number, props: EventProperties): number {
    if (2 * this.logs === this.links.length) this.growLogs();
    const log = this.logs++;
    this.links[2 * log] = name;
    this.links[2 * log + 1] = this.newestOf(person);
    this.records.set(person, NEWEST_LOG, log);
    this.times[2 * log] = at;
    this.times[2 * log + 1] = seq;
    this.props[log] = props;
    return log;
  }

  private newestOf(person: number): number {
    return (this.records.get(person, NEWEST_LOG) as number | undefined) ?? NONE;
  }

  private growLogs(): void {
    const size = 2 * (this.logs + 1);
    this.links = grown(this.links, size);
    this.times = grown(this.times, size);
  }

  private nameId(name: string): number {
    let id = this.names.get(name);
    if (id === undefined) this.names.set(name, (id = this.names.size));
    return id;
  }
}

/** A copy of `column` at least `size` long (doubling). */
function grown<C extends Int32Array | Float64Array>(column: C, size: number): C {
  const next = new (column.constructor as new (length: number) => C)(Math.max(size, 2 * column.length));
  next.set(column);
  return next;
}

class PersonEvents implements EventView {
  constructor(
    private readonly history: EventHistory,
    private readonly person: number,
    readonly position: number,
    private readonly keepFrom: number,
  ) {}

  count(name: string, range: EventRange): number {
    return this.history.count(this.person, name, range, this.keepFrom);
  }

  latest(name: string, range: EventRange): EventProperties | undefined {
    return this.history.latest(this.person, name, range, this.keepFrom);
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

function matches(many: Many, i: number, range: EventRange): boolean {
  return many.seq[i]! > range.after && (range.filter === undefined || range.filter(many.props[i]!));
}

/** The events of `many` from `from` to the range's end. */
function countMany(many: Many, from: number, range: EventRange): number {
  const lo = lowerBound(many.at, from);
  const hi = lowerBound(many.at, range.to + 1);
  if (range.after === 0 && range.filter === undefined) return Math.max(0, hi - lo);
  let n = 0;
  for (let i = lo; i < hi; i++) if (matches(many, i, range)) n++;
  return n;
}

function latestOfMany(many: Many, from: number, range: EventRange): EventProperties | undefined {
  const lo = lowerBound(many.at, from);
  const hi = lowerBound(many.at, range.to + 1);
  let best = -1;
  for (let i = lo; i < hi; i++) if (matches(many, i, range) && (best === -1 || many.seq[i]! > many.seq[best]!)) best = i;
  return best === -1 ? undefined : many.props[best];
}
