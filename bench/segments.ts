// `segments`: keeping a real-time segment whose rule follows the clock ("last purchase more than
// 60 days ago", on a date-time) current while time passes, beside re-testing everyone every
// minute, in the same run. People: 200,000 (50,000 with --quick), last purchases spread over the
// last 120 days. Ours: the people store's due index, checked on every minute as the engine's
// segment clock does (a check pops only the people whose moment came); the first check after
// the definition computes everyone's moment and is timed apart. Baseline: every minute, the same
// compiled rule tested on everyone, membership compared. Both run through the same 6 hours of
// virtual time and must find the same joins. Figure: CPU ms per hour of time passing; ratio:
// baseline ÷ ours (how many times less work), target ≥ 10.
import { VirtualClock } from '../engine/clock.js';
import { MemoryPeopleStore } from '../engine/store/memory-people.js';
import { loadPeople } from '../engine/people-file.js';
import { compileSegmentRule } from '../engine/conditions/compile.js';
import type { Person } from '../engine/person.js';
import { round3, type BenchResult, type Scenario } from './harness.js';

const MINUTE = 60_000;
const HOURS = 6;
const START = Date.parse('2026-03-01T00:00:00Z');
const RULE = { all: [{ attribute: 'lastPurchaseAt', operator: 'wasMoreThan', value: { amount: 60, unit: 'days' } }] };

function profiles(count: number): Person[] {
  const out: Person[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(START - Math.floor(Math.random() * 120 * 86_400_000)).toISOString();
    out.push({ id: `p${i}`, standard: {}, custom: { lastPurchaseAt: at }, phones: [], emails: [], tags: [], companies: [], lastContacted: {} });
  }
  return out;
}

/** Ours: the store's due index, a check each minute; returns the first check's ms, the rest's ms and the joins. */
function ours(people: readonly Person[]): { firstMs: number; ms: number; joins: number } {
  const clock = new VirtualClock(START);
  const store = new MemoryPeopleStore(clock);
  loadPeople({ attributes: [{ name: 'lastPurchaseAt', type: 'datetime' }] }, store);
  for (const p of people) store.restore(p);
  loadPeople({ segments: [{ id: 'lapsed', name: 'Lapsed', kind: 'realtime', rules: RULE }] }, store);
  let joins = 0;
  store.onChange((c) => c.kind === 'segmentJoined' && joins++);
  const check = (): void => {
    const due = store.nextSegmentCheck();
    if (due === undefined || due > clock.now()) return;
    const pass = store.segmentCheck();
    while (pass?.next(2_000));
  };
  let started = performance.now();
  check();
  const firstMs = performance.now() - started;
  started = performance.now();
  for (let m = 1; m <= HOURS * 60; m++) {
    clock.advance(MINUTE);
    check();
  }
  return { firstMs, ms: performance.now() - started, joins };
}

/** Baseline: everyone re-tested every minute with the same compiled rule; returns the ms and the joins. */
function everyoneEachMinute(people: readonly Person[]): { ms: number; joins: number } {
  const store = new MemoryPeopleStore(new VirtualClock(START));
  loadPeople({ attributes: [{ name: 'lastPurchaseAt', type: 'datetime' }] }, store);
  const rule = compileSegmentRule(RULE, store.catalog());
  const member = people.map((p) => rule.test(p, START));
  let joins = 0;
  const started = performance.now();
  for (let m = 1; m <= HOURS * 60; m++) {
    const now = START + m * MINUTE;
    for (let i = 0; i < people.length; i++) {
      const inside = rule.test(people[i]!, now);
      if (inside && !member[i]) joins++;
      member[i] = inside;
    }
  }
  return { ms: performance.now() - started, joins };
}

type SegmentsResult = BenchResult & { people: number; joins: number; firstCheckMs: number };

const scenario: Scenario = {
  name: 'segments',
  run({ quick, log }): SegmentsResult {
    const count = quick ? 50_000 : 200_000;
    const people = profiles(count);
    const a = ours(people);
    const b = everyoneEachMinute(people);
    log(`${count} people, ${HOURS} h of virtual time: ours ${Math.round(a.ms)} ms (first check, everyone's moment: ${Math.round(a.firstMs)} ms, ${round3((a.firstMs * 1000) / count)} µs a person), every minute for everyone ${Math.round(b.ms)} ms; joins ${a.joins} and ${b.joins}`);
    if (a.joins !== b.joins) throw new Error(`the two found different joins: ${a.joins} against ${b.joins}`);
    const value = round3(a.ms / HOURS);
    const baselineValue = round3(b.ms / HOURS);
    const ratio = round3(b.ms / a.ms);
    return {
      bench: 'segments',
      metric: 'CPU ms per hour of time passing to keep a clock-following real-time segment current (lower is better; ratio: baseline ÷ ours)',
      unit: 'ms/h',
      value,
      baseline: 're-testing everyone every minute with the same rule',
      baselineValue,
      ratio,
      target: 10,
      pass: ratio >= 10,
      people: count,
      joins: a.joins,
      firstCheckMs: Math.round(a.firstMs),
    };
  },
};

export default scenario;
