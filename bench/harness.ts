// Benchmark harness: every scenario measures our figure and its baseline in the same run
// and ends with one JSON line (bench, metric, unit, value, baseline, baselineValue, ratio,
// target, pass). Figures are medians of several rounds, alternating ours and the baseline.

export interface BenchResult {
  bench: string;
  metric: string;
  unit: string;
  value: number;
  baseline: string;
  baselineValue: number;
  ratio: number;
  target: number;
  pass: boolean;
}

export interface Scenario {
  readonly name: string;
  run(options: { quick: boolean; log: (line: string) => void }): Promise<BenchResult> | BenchResult;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `rounds` rounds of ours then the baseline, each round's two runs handed to `report` (rounds
 * counted from 1); the medians of the figures `figure` reads off ours and off the baseline's.
 */
export async function alternate<T>(
  rounds: number,
  ours: () => Promise<T>,
  baseline: () => Promise<T>,
  figure: (run: T) => number,
  report: (round: number, ours: T, baseline: T) => void,
): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const o = await ours();
    const x = await baseline();
    a.push(figure(o));
    b.push(figure(x));
    report(r, o, x);
  }
  return [median(a), median(b)];
}

/** Rounds a figure to 3 significant digits for printing. */
export function round3(n: number): number {
  return Number(n.toPrecision(3));
}
