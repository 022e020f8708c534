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

/** Rounds a figure to 3 significant digits for printing. */
export function round3(n: number): number {
  return Number(n.toPrecision(3));
}
