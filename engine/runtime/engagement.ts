// Engaged persons per month: a person who enters any flow in a calendar month (in the workspace's
// time zone) counts once that month, with when and through which flow they first entered. Kept
// 13 months, journaled (table `engaged`, key `<YYYY-MM>\0<person>`), and read by the monthly
// engaged persons report.
// Costs one map lookup per entry. Each month holds one number per engaged person: the first
// entry's offset into the month (ms) and the flow's number packed together, so a person costs a
// map entry and a heap number instead of a tuple (see docs/performance.md, `memory`).
import { utcFields, wallTime, wallToTime } from '../calendar.js';

/** [epoch ms of the first entry that month, flow id]. */
export type Engaged = readonly [at: number, flowId: string];

export const MONTHS_KEPT = 13;

export interface EngagedReport {
  readonly month: string;
  readonly total: number;
  /** The flows that engaged the most people first, at most 10. */
  readonly topFlows: ReadonlyArray<{ flowId: string; people: number }>;
  /** Every engaged person, by first entry time. */
  readonly people: ReadonlyArray<{ personId: string; engagedAt: number; flowId: string }>;
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
    const { people, from } = record ?? this.open(month);
    if (people.has(personId)) return undefined;
    const row: Engaged = [at, flowId];
    people.set(personId, this.pack(row, from));
    return { key: `${month}\u0000${personId}`, row, newMonth };
  }

  private open(month: string): Month {
    const [year, m] = month.split('-').map(Number) as [number, number];
    const record: Month = { from: this.firstOf(year, m), people: new Map() };
    this.months.set(month, record);
    return record;
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
    const flow = value % FLOW_SLOTS;
    return [from + (value - flow) / FLOW_SLOTS, this.flowIds[flow]!];
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
    const { people, from } = this.months.get(month) ?? this.open(month);
    people.set(personId, this.pack(row, from));
  }

  /**
   * An erased person's months keep counting (the report is a billing figure) under an anonymous
   * id; returns the journal keys to delete and the rows to add.
   */
  anonymize(personId: string, anonymousId: string): { gone: string[]; added: Array<[key: string, row: Engaged]> } {
    const gone: string[] = [];
    const added: Array<[string, Engaged]> = [];
    for (const [month, { people, from }] of this.months) {
      const value = people.get(personId);
      if (value === undefined) continue;
      people.delete(personId);
      people.set(anonymousId, value);
      gone.push(`${month}\u0000${personId}`);
      added.push([`${month}\u0000${anonymousId}`, this.unpack(value, from)]);
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

  report(month: string): EngagedReport {
    const record = this.months.get(month);
    const people = record ? [...record.people].map(([personId, value]) => this.entryOf(personId, value, record.from)) : [];
    people.sort((a, b) => a.engagedAt - b.engagedAt || (a.personId < b.personId ? -1 : 1));
    const perFlow = new Map<string, number>();
    for (const p of people) perFlow.set(p.flowId, (perFlow.get(p.flowId) ?? 0) + 1);
    const topFlows = [...perFlow].map(([flowId, n]) => ({ flowId, people: n })).sort((a, b) => b.people - a.people || (a.flowId < b.flowId ? -1 : 1)).slice(0, 10);
    return { month, total: people.length, topFlows, people };
  }

  private entryOf(personId: string, value: number | Engaged, from: number): { personId: string; engagedAt: number; flowId: string } {
    const [engagedAt, flowId] = this.unpack(value, from);
    return { personId, engagedAt, flowId };
  }
}
