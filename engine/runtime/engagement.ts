// Engaged persons per month: a person who enters any flow in a calendar month (in the workspace's
// time zone) counts once that month, with when and through which flow they first entered. Kept
// 13 months, journaled (table `engaged`, key `<YYYY-MM>\0<person>`), and read by the monthly
// engaged persons report.
// Costs one map lookup per entry. Each month holds one number per engaged person: the first
// entry's offset into the month (ms) and the flow's number packed together, so a person costs a
// map entry and a heap number instead of a tuple (see docs/performance.md, `memory`).
// The report reads a month in its own order (first entry time, then person id): the month keeps
// its people per flow as they come, and, from its first read on, its people's ids in that order,
// each new one put in place by halving (at the end, as entries come in time order), so a page
// costs a search and the page, not a sort of the month. A month nobody reads keeps no order.
import { utcFields, wallTime, wallToTime } from '../calendar.js';

/** [epoch ms of the first entry that month, flow id]. */
export type Engaged = readonly [at: number, flowId: string];

export const MONTHS_KEPT = 13;

export interface EngagedPerson {
  readonly personId: string;
  readonly engagedAt: number;
  readonly flowId: string;
}

export interface EngagedReport {
  readonly month: string;
  readonly total: number;
  /** The flows that engaged the most people first, at most 10. */
  readonly topFlows: ReadonlyArray<{ flowId: string; people: number }>;
  /** The engaged people asked for (all, or a page), by first entry time, then person id. */
  readonly people: readonly EngagedPerson[];
  /** Whether more people follow the page. */
  readonly more: boolean;
}

/** The flows that engaged the most people first (at most 10), from each flow's count: most first, then by id. */
export function topFlows(perFlow: Iterable<readonly [string, number]>): EngagedReport['topFlows'] {
  return [...perFlow].map(([flowId, n]) => ({ flowId, people: n })).sort((a, b) => b.people - a.people || (a.flowId < b.flowId ? -1 : 1)).slice(0, 10);
}

/** A place in the report's order: the people after it are those engaged later, or at `at` with a greater id. */
export interface EngagedCursor {
  readonly at: number;
  readonly personId: string;
}

/** "YYYY-MM" of a month, by year and month (1–12; 0 and 13 roll over). */
function monthName(year: number, month: number): string {
  const d = new Date(utcFields({ year, month, day: 1, hour: 0, minute: 0 }));
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Flow numbers per packed value: offset × FLOW_SLOTS + flow number stays an exact double (a month is under 2^32 ms). */
const FLOW_SLOTS = 2 ** 20;
const MONTH_MS_LIMIT = 2 ** 32;

/** A month's engaged people: each person's first entry packed (see pack) or, when it cannot be, the row itself. */
interface Month {
  readonly from: number;
  readonly people: Map<string, number | Engaged>;
  /** How many people each flow engaged first. */
  readonly perFlow: Map<string, number>;
  /** The people's ids in the report's order, once the month has been read (see sorted()). */
  order?: string[];
}

export class Engagement {
  private readonly months = new Map<string, Month>();
  /** Flow ids by number, and their numbers (ids are few and kept). */
  private readonly flowIds: string[] = [];
  private readonly flowNumbers = new Map<string, number>();
  /** The month entries fall in now, and its bounds: the month's name is not rebuilt per entry. */
  private current = { month: '', from: 0, to: 0 };

  /** `timeZone`: where months begin and end (the workspace's; canonical). */
  constructor(private readonly timeZone = 'UTC') {}

  /**
   * Notes an entry; when it is the person's first this month, returns the journal key and row,
   * and whether it opened the month (the time to expire old months).
   */
  entered(personId: string, flowId: string, at: number): { key: string; row: Engaged; newMonth: boolean } | undefined {
    const month = this.monthAt(at);
    const record = this.months.get(month);
    const newMonth = !record;
    const m = record ?? this.open(month);
    if (m.people.has(personId)) return undefined;
    const row: Engaged = [at, flowId];
    this.add(m, personId, row);
    return { key: `${month}\u0000${personId}`, row, newMonth };
  }

  private open(month: string): Month {
    const [year, m] = month.split('-').map(Number) as [number, number];
    const record: Month = { from: this.firstOf(year, m), people: new Map(), perFlow: new Map() };
    this.months.set(month, record);
    return record;
  }

  /** Counts a person the month did not have, in its place in the order if the month keeps one. */
  private add(m: Month, personId: string, row: Engaged): void {
    m.people.set(personId, this.pack(row, m.from));
    m.perFlow.set(row[1], (m.perFlow.get(row[1]) ?? 0) + 1);
    if (m.order) this.place(m, personId, row[0]);
  }

  /** Puts an id in the month's order: at the end when it comes last (entries come in time order), else where halving finds. */
  private place(m: Month, personId: string, at: number): void {
    const order = m.order!;
    const last = order[order.length - 1];
    if (last === undefined || this.notAfter(m, last, at, personId)) order.push(personId);
    else order.splice(this.after(m, at, personId), 0, personId);
  }

  /** Whether person `id` of the month comes before (at, personId) in the report's order, or is it. */
  private notAfter(m: Month, id: string, at: number, personId: string): boolean {
    const t = this.timeOf(m.people.get(id)!, m.from);
    return t < at || (t === at && id <= personId);
  }

  /** The index in the month's order of the first person after (at, personId). */
  private after(m: Month, at: number, personId: string): number {
    const order = m.order!;
    let low = 0;
    let high = order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.notAfter(m, order[mid]!, at, personId)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The month's ids in the report's order: sorted once at the first read, then kept in order as people come and go. */
  private sorted(m: Month): string[] {
    if (m.order) return m.order;
    const times = new Map([...m.people].map(([id, value]) => [id, this.timeOf(value, m.from)]));
    m.order = [...m.people.keys()].sort((a, b) => times.get(a)! - times.get(b)! || (a < b ? -1 : 1));
    return m.order;
  }

  /** The row as one number when its time is a whole ms inside the month and the flow's number fits; else the row. */
  private pack(row: Engaged, from: number): number | Engaged {
    const offset = row[0] - from;
    const flow = this.flowNumberOf(row[1]);
    if (!Number.isInteger(offset) || offset < 0 || offset >= MONTH_MS_LIMIT || flow >= FLOW_SLOTS) return row;
    return offset * FLOW_SLOTS + flow;
  }

  private unpack(value: number | Engaged, from: number): Engaged {
    if (typeof value !== 'number') return value;
    return [this.timeOf(value, from), this.flowIds[value % FLOW_SLOTS]!];
  }

  /** The first entry's time alone (without making the row). */
  private timeOf(value: number | Engaged, from: number): number {
    return typeof value === 'number' ? from + (value - (value % FLOW_SLOTS)) / FLOW_SLOTS : value[0];
  }

  private flowNumberOf(flowId: string): number {
    let n = this.flowNumbers.get(flowId);
    if (n === undefined) this.flowNumbers.set(flowId, (n = this.flowIds.push(flowId) - 1));
    return n;
  }

  private monthAt(at: number): string {
    const c = this.current;
    if (at >= c.from && at < c.to) return c.month;
    const { year, month } = wallTime(at, this.timeZone);
    this.current = { month: monthName(year, month), from: this.firstOf(year, month), to: this.firstOf(year, month + 1) };
    return this.current.month;
  }

  /** The first instant of a month (1–12; 13 is January of the next year) in the time zone. */
  private firstOf(year: number, month: number): number {
    return wallToTime({ year, month, day: 1, hour: 0, minute: 0 }, this.timeZone);
  }

  restore(key: string, row: Engaged): void {
    const [month, personId] = key.split('\u0000') as [string, string];
    const m = this.months.get(month) ?? this.open(month);
    if (m.people.has(personId)) this.remove(m, personId);
    this.add(m, personId, row);
  }

  /** Takes a person out of the month (counts and order). */
  private remove(m: Month, personId: string): void {
    const value = m.people.get(personId)!;
    if (m.order) m.order.splice(this.after(m, this.timeOf(value, m.from), personId) - 1, 1);
    const [, flowId] = this.unpack(value, m.from);
    const left = m.perFlow.get(flowId)! - 1;
    if (left === 0) m.perFlow.delete(flowId);
    else m.perFlow.set(flowId, left);
    m.people.delete(personId);
  }

  /**
   * An erased person's months keep counting (the report is a billing figure) under an anonymous
   * id; returns the journal keys to delete and the rows to add.
   */
  anonymize(personId: string, anonymousId: string): { gone: string[]; added: Array<[key: string, row: Engaged]> } {
    const gone: string[] = [];
    const added: Array<[string, Engaged]> = [];
    for (const [month, m] of this.months) {
      const value = m.people.get(personId);
      if (value === undefined) continue;
      const row = this.unpack(value, m.from);
      this.remove(m, personId);
      this.add(m, anonymousId, row);
      gone.push(`${month}\u0000${personId}`);
      added.push([`${month}\u0000${anonymousId}`, row]);
    }
    return { gone, added };
  }

  /** Drops the months older than the kept ones (counted back from `now`); returns the journal keys to delete. */
  expire(now: number): string[] {
    const { year, month } = wallTime(now, this.timeZone);
    const oldest = monthName(year, month - (MONTHS_KEPT - 1));
    const gone: string[] = [];
    for (const [month, { people }] of this.months) {
      if (month >= oldest) continue;
      for (const personId of people.keys()) gone.push(`${month}\u0000${personId}`);
      this.months.delete(month);
    }
    return gone;
  }

  /**
   * A month's report: the total, the top flows, and its people in order: all of them, or the
   * `limit` after `after` (a search and the page: no sort of the month per call).
   */
  report(month: string, page: { after?: EngagedCursor; limit?: number } = {}): EngagedReport {
    const m = this.months.get(month);
    if (!m) return { month, total: 0, topFlows: [], people: [], more: false };
    const order = this.sorted(m);
    const from = page.after === undefined ? 0 : this.after(m, page.after.at, page.after.personId);
    const to = page.limit === undefined ? order.length : Math.min(order.length, from + page.limit);
    const people = order.slice(from, to).map((personId) => this.entryOf(personId, m.people.get(personId)!, m.from));
    return { month, total: m.people.size, topFlows: topFlows(m.perFlow), people, more: to < order.length };
  }

  /** How many people each flow engaged first in a month, every flow (the report shows the top ones). */
  perFlow(month: string): Record<string, number> {
    return Object.fromEntries(this.months.get(month)?.perFlow ?? []);
  }

  private entryOf(personId: string, value: number | Engaged, from: number): EngagedPerson {
    const [engagedAt, flowId] = this.unpack(value, from);
    return { personId, engagedAt, flowId };
  }
}
