// Engaged persons per month: a person who enters any flow in a calendar month (UTC) counts once
// that month, with when and through which flow they first entered. Kept 13 months, journaled
// (table `engaged`, key `<YYYY-MM>\0<person>`), and read by the monthly engaged persons report.
// Costs one map lookup per entry; each month holds one small tuple per engaged person.

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

export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

export class Engagement {
  private readonly months = new Map<string, Map<string, Engaged>>();
  /** The month entries fall in now, and its bounds: the month's name is not rebuilt per entry. */
  private current = { month: '', from: 0, to: 0 };

  /**
   * Notes an entry; when it is the person's first this month, returns the journal key and row,
   * and whether it opened the month (the time to expire old months).
   */
  entered(personId: string, flowId: string, at: number): { key: string; row: Engaged; newMonth: boolean } | undefined {
    const month = this.monthAt(at);
    let people = this.months.get(month);
    const newMonth = !people;
    if (!people) this.months.set(month, (people = new Map()));
    if (people.has(personId)) return undefined;
    const row: Engaged = [at, flowId];
    people.set(personId, row);
    return { key: `${month}\u0000${personId}`, row, newMonth };
  }

  private monthAt(at: number): string {
    const c = this.current;
    if (at >= c.from && at < c.to) return c.month;
    const d = new Date(at);
    const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    this.current = { month: monthOf(at), from, to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    return this.current.month;
  }

  restore(key: string, row: Engaged): void {
    const [month, personId] = key.split('\u0000') as [string, string];
    let people = this.months.get(month);
    if (!people) this.months.set(month, (people = new Map()));
    people.set(personId, row);
  }

  /**
   * An erased person's months keep counting (the report is a billing figure) under an anonymous
   * id; returns the journal keys to delete and the rows to add.
   */
  anonymize(personId: string, anonymousId: string): { gone: string[]; added: Array<[key: string, row: Engaged]> } {
    const gone: string[] = [];
    const added: Array<[string, Engaged]> = [];
    for (const [month, people] of this.months) {
      const row = people.get(personId);
      if (!row) continue;
      people.delete(personId);
      people.set(anonymousId, row);
      gone.push(`${month}\u0000${personId}`);
      added.push([`${month}\u0000${anonymousId}`, row]);
    }
    return { gone, added };
  }

  /** Drops the months older than the kept ones (counted back from `now`); returns the journal keys to delete. */
  expire(now: number): string[] {
    const d = new Date(now);
    const oldest = monthOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (MONTHS_KEPT - 1), 1));
    const gone: string[] = [];
    for (const [month, people] of this.months) {
      if (month >= oldest) continue;
      for (const personId of people.keys()) gone.push(`${month}\u0000${personId}`);
      this.months.delete(month);
    }
    return gone;
  }

  report(month: string): EngagedReport {
    const people = [...(this.months.get(month) ?? new Map<string, Engaged>())].map(([personId, [engagedAt, flowId]]) => ({ personId, engagedAt, flowId }));
    people.sort((a, b) => a.engagedAt - b.engagedAt || (a.personId < b.personId ? -1 : 1));
    const perFlow = new Map<string, number>();
    for (const p of people) perFlow.set(p.flowId, (perFlow.get(p.flowId) ?? 0) + 1);
    const topFlows = [...perFlow].map(([flowId, n]) => ({ flowId, people: n })).sort((a, b) => b.people - a.people || (a.flowId < b.flowId ? -1 : 1)).slice(0, 10);
    return { month, total: people.length, topFlows, people };
  }
}
