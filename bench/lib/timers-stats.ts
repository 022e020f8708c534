// The `timers` benchmark's shared arithmetic (bench/timers.ts and its BullMQ worker process,
// bench/lib/bullmq-worker.ts): the due times, drawn the same way from a seed on both sides, and
// the summary of a run (lateness percentiles and timers fired per second), computed by one
// function for ours and for the baseline.

/** Offsets (whole ms) of `n` due times drawn uniformly in [0, windowMs), reproducible from `seed` (mulberry32). */
export function dueOffsets(n: number, windowMs: number, seed: number): Float64Array {
  const offsets = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    offsets[i] = Math.floor(r * windowMs);
  }
  return offsets;
}

export interface TimerSummary {
  /** Timers that fired by the end of the run. */
  readonly fired: number;
  /** Timers that had not fired when the run gave up (their lateness counts as at least end − due). */
  readonly unfired: number;
  /** Lateness (fire time − due time, ms) percentiles over every timer, nearest rank. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Earliest due time and latest fire time (epoch ms). */
  readonly firstDue: number;
  readonly lastFire: number;
  /** fired / (lastFire − firstDue), in timers per second. */
  readonly perSecond: number;
}

/**
 * The summary of a run: `fired[i]` is when timer i fired (epoch ms), NaN when it never did, in
 * which case its lateness is taken as `end` − its due time (a lower bound).
 */
export function summarise(dues: Float64Array, fired: Float64Array, end: number): TimerSummary {
  const n = dues.length;
  const lateness = new Float64Array(n);
  let count = 0;
  let firstDue = Infinity;
  let lastFire = -Infinity;
  for (let i = 0; i < n; i++) {
    const due = dues[i]!;
    const at = fired[i]!;
    if (due < firstDue) firstDue = due;
    if (Number.isNaN(at)) {
      lateness[i] = end - due;
      continue;
    }
    count++;
    if (at > lastFire) lastFire = at;
    lateness[i] = at - due;
  }
  lateness.sort();
  const rank = (q: number): number => lateness[Math.max(0, Math.ceil(q * n) - 1)]!;
  const span = (lastFire - firstDue) / 1000;
  return {
    fired: count,
    unfired: n - count,
    p50: rank(0.5),
    p99: rank(0.99),
    max: n > 0 ? lateness[n - 1]! : 0,
    firstDue,
    lastFire,
    perSecond: count > 0 && span > 0 ? count / span : 0,
  };
}
