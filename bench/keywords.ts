// `keywords`: inbound messages matched against 10,000 Inbound Message rules across 100 numbers
// (70 % exact texts, 15 % contains, 10 % regular expressions, 5 % Anything), beside a linear
// scan of the same rules in the same run: every rule in priority order, the first of the
// message's number whose condition holds wins (texts folded once per message, patterns
// compiled once). Target: ≥ 1,000,000 matches/s and ≥ 50× the scan.
import { KeywordIndex, type KeywordCondition, type KeywordRule } from '../engine/messaging/keywords.js';
import { LinearScan } from './lib/keyword-scan.js';
import { median, round3, type Scenario } from './harness.js';

const NUMBERS = 100;
const RULES_PER_NUMBER = 100;

interface Message {
  channel: 'sms';
  to: string;
  text: string;
}

function numberOf(n: number): string {
  return `+3858001${String(n).padStart(4, '0')}`;
}

function conditionOf(i: number, n: number): KeywordCondition {
  if (i < 70) return { operator: 'matchesText', values: [`KW${n}X${i}`] };
  if (i < 85) return { operator: 'containsText', values: [`help${n}x${i}`] };
  if (i < 95) return { operator: 'matchesRegex', pattern: `^promo${n}x${i}\\s+(\\d+)$` };
  return { operator: 'anything' };
}

function rules(): KeywordRule<number>[] {
  const list: KeywordRule<number>[] = [];
  for (let n = 0; n < NUMBERS; n++) {
    for (let i = 0; i < RULES_PER_NUMBER; i++) list.push({ channel: 'sms', number: numberOf(n), condition: conditionOf(i, n), order: n * RULES_PER_NUMBER + i, target: list.length });
  }
  return list;
}

/** Messages: 60 % exact keywords, 15 % containing a needle, 10 % matching a pattern, 15 % anything else. */
function messages(count: number): Message[] {
  const out: Message[] = [];
  let seed = 42;
  const next = (m: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % m;
  for (let k = 0; k < count; k++) {
    const n = next(NUMBERS);
    const kind = next(100);
    const text =
      kind < 60 ? ` kw${n}x${next(70)} ` : kind < 75 ? `please help${n}x${70 + next(15)} me` : kind < 85 ? `promo${n}x${85 + next(10)} ${next(99999)}` : `hello there ${next(1000)}`;
    out.push({ channel: 'sms', to: numberOf(n), text });
  }
  return out;
}

function timeIt(msgs: readonly Message[], match: (m: Message) => number | undefined): { perSecond: number; checksum: number } {
  let checksum = 0;
  const started = process.hrtime.bigint();
  for (const m of msgs) checksum += match(m) ?? -1;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: msgs.length / seconds, checksum };
}

const scenario: Scenario = {
  name: 'keywords',
  run({ quick, log }) {
    const list = rules();
    const index = new KeywordIndex(list);
    const scan = new LinearScan(list);
    const msgs = messages(quick ? 20_000 : 100_000);
    const scanMsgs = msgs.slice(0, quick ? 2_000 : 10_000);
    for (const m of scanMsgs) if (index.match(m, undefined)?.target !== scan.match(m)) throw new Error(`the index and the scan disagree on ${JSON.stringify(m)}`);
    timeIt(msgs, (m) => index.match(m, undefined)?.target); // warm-up
    const ours: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < (quick ? 3 : 5); round++) {
      ours.push(timeIt(msgs, (m) => index.match(m, undefined)?.target).perSecond);
      base.push(timeIt(scanMsgs, (m) => scan.match(m)).perSecond);
      log(`round ${round + 1}: index ${Math.round(ours.at(-1)!)}/s, linear scan ${Math.round(base.at(-1)!)}/s`);
    }
    const value = median(ours);
    const baselineValue = median(base);
    const ratio = value / baselineValue;
    return {
      bench: 'keywords',
      metric: `matches/s, ${msgs.length} messages against ${list.length} rules on ${NUMBERS} numbers`,
      unit: 'matches/s',
      value: Math.round(value),
      baseline: 'linear scan of the same rules in priority order',
      baselineValue: Math.round(baselineValue),
      ratio: round3(ratio),
      target: 1_000_000,
      pass: value >= 1_000_000 && ratio >= 50,
    };
  },
};

export default scenario;
