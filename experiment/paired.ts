/**
 * Paired differences between two arms with a bootstrap interval: both arms are measured on the
 * same units (probe facts, held-out batches, GLUE dev examples), so one resample of the units
 * serves both, and the difference's interval leaves out what the units share. A measure is a
 * ratio of sums over units (a mean: numerator per unit, denominator 1; a loss per prediction:
 * summed loss over predictions), taken per seed and averaged over the seeds both arms ran.
 * @module
 */
import { percentileInterval } from "../probe/metrics.ts";
import { keyedRng } from "../util/rng.ts";

/** One seed's measure, unit by unit: the measure is sum(num) / sum(den). */
export interface Units {
  /** Numerator of each unit. */
  num: ArrayLike<number>;
  /** Denominator of each unit (1 for a plain mean). */
  den: ArrayLike<number>;
}

/** A difference a - b with its bootstrap interval. */
export interface PairedDifference {
  /** Mean over seeds of measure(a) - measure(b). */
  difference: number;
  /** Lower end of the percentile interval. */
  low: number;
  /** Upper end. */
  high: number;
  /** Each seed's difference. */
  per_seed: number[];
  /** Units resampled. */
  units: number;
  /** Whether the interval leaves out 0. */
  distinguishable: boolean;
}

/** How the interval is made. */
export interface PairedOptions {
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Seed of the resamples (default 1). */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/**
 * The paired difference of two arms over the seeds both ran (`a[k]` and `b[k]` are one seed);
 * every seed's units must be the same units in the same order.
 *
 * @example
 * ```ts
 * const ones = (xs: number[]) => ({ num: xs, den: xs.map(() => 1) });
 * const d = pairedDifference([ones([1, 1, 0, 1])], [ones([0, 1, 0, 0])]);
 * console.log(d.difference); // 0.5
 * ```
 * @throws {RangeError} when there is no seed, or the units differ in number
 */
export function pairedDifference(
  a: readonly Units[],
  b: readonly Units[],
  options: PairedOptions = {},
): PairedDifference {
  const seeds = Math.min(a.length, b.length);
  if (seeds === 0) throw new RangeError("Cannot compare arms: no seed ran in both");
  const n = a[0]!.num.length;
  for (const u of [...a.slice(0, seeds), ...b.slice(0, seeds)]) {
    if (u.num.length !== n || u.den.length !== n) {
      throw new RangeError(`Cannot compare arms: measured on ${u.num.length} and ${n} units`);
    }
  }
  if (n === 0) throw new RangeError("Cannot compare arms: no units");
  const measure = (u: Units, pick: (i: number) => number) => {
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) {
      const j = pick(i);
      num += u.num[j]!;
      den += u.den[j]!;
    }
    return den === 0 ? 0 : num / den;
  };
  const differenceOf = (pick: (i: number) => number) => {
    let sum = 0;
    for (let k = 0; k < seeds; k++) sum += measure(a[k]!, pick) - measure(b[k]!, pick);
    return sum / seeds;
  };
  const identity = (i: number) => i;
  const per_seed = Array.from(
    { length: seeds },
    (_, k) => measure(a[k]!, identity) - measure(b[k]!, identity),
  );
  const resamples = options.resamples ?? 1000;
  const rng = keyedRng([0xd1ff, options.seed ?? 1]);
  const picks = new Int32Array(n);
  const samples = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) picks[i] = rng.below(n);
    samples[r] = differenceOf((i) => picks[i]!);
  }
  const [low, high] = percentileInterval(samples, options.level ?? 0.95);
  return {
    difference: differenceOf(identity),
    low,
    high,
    per_seed,
    units: n,
    distinguishable: low > 0 || high < 0,
  };
}

/** A plain mean's units: each value over 1. */
export function meanUnits(values: ArrayLike<number>): Units {
  return { num: values, den: new Float64Array(values.length).fill(1) };
}

/** The mean over seeds of one arm's measure, with the same bootstrap interval over units. */
export function seedMean(
  a: readonly Units[],
  options: PairedOptions = {},
): { value: number; low: number; high: number } {
  const zero = a.map((u) => ({
    num: new Float64Array(u.num.length),
    den: new Float64Array(u.num.length).fill(1),
  }));
  const d = pairedDifference(a, zero, options);
  return { value: d.difference, low: d.low, high: d.high };
}
