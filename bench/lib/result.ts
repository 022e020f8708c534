// The JSON line a scenario ends with (BenchResult in bench/harness.ts), in the harness's field
// order: what is measured, our figure and the baseline's in whole units, their ratio to three
// significant digits, the target and whether the run met it.
import { round3, type BenchResult } from '../harness.js';

/** What a scenario measures, against what, and the ratio it aims at. */
export type Measured = Pick<BenchResult, 'bench' | 'metric' | 'unit' | 'baseline' | 'target'>;

/** The result of a run: `met` says whether the targets were met, given the unrounded ratio. */
export function benchResult(what: Measured, value: number, baselineValue: number, met: (ratio: number) => boolean): BenchResult {
  const { bench, metric, unit, baseline, target } = what;
  const ratio = value / baselineValue;
  return { bench, metric, unit, value: Math.round(value), baseline, baselineValue: Math.round(baselineValue), ratio: round3(ratio), target, pass: met(ratio) };
}
