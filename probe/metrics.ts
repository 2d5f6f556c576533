/**
 * The knowledge probe's metrics over ranks (1 = best): precision at 1 and at 10 (the share of facts
 * ranked at or above it) and the mean reciprocal rank, each with a bootstrap percentile interval.
 * The bootstrap resamples the facts with replacement, the same resamples for every system ranked
 * (the model and the baselines), so the difference of two systems on each resample gives a
 * paired interval for their difference.
 *
 * @example
 * ```ts
 * import { bootstrapRankMetrics, percentileInterval, rankMetrics } from "./metrics.ts";
 *
 * const model = [1, 3, 12, 1];
 * rankMetrics(model); // { precisionAt1: 0.5, precisionAt10: 0.75, mrr: 0.6041... }
 * const samples = bootstrapRankMetrics({ model, baseline: [4, 4, 4, 4] }, { resamples: 1000, seed: 1 });
 * percentileInterval(samples.model!.mrr, 0.95); // [low, high]
 * ```
 * @module
 */
import { keyedRng } from "../util/rng.ts";

/** The three metrics of one set of ranks. */
export interface RankMetrics {
  /** Share of ranks equal to 1. */
  precisionAt1: number;
  /** Share of ranks at most 10. */
  precisionAt10: number;
  /** Mean of 1 / rank. */
  mrr: number;
}

/** The names of {@linkcode RankMetrics}, in report order. */
export const RANK_METRICS: readonly (keyof RankMetrics)[] = ["precisionAt1", "precisionAt10", "mrr"];

/** Each metric's value on every bootstrap resample. */
export type RankMetricSamples = Record<keyof RankMetrics, Float64Array>;

/** How to resample. */
export interface BootstrapOptions {
  /** Resamples drawn (1000 for the probe). */
  resamples: number;
  /** Seed of the draws. */
  seed: number;
  /**
   * More keys of the random stream besides the seed (a group's id), so each group draws its own
   * resamples.
   */
  stream?: readonly number[];
}

/** A point estimate and its interval. */
export interface BootstrapInterval {
  /** The value on all the facts. */
  value: number;
  /** The interval's lower end. */
  low: number;
  /** The interval's upper end. */
  high: number;
}

/**
 * P@1, P@10 and MRR of `ranks` (every rank an integer >= 1).
 *
 * @throws {RangeError} for no ranks or a rank below 1
 */
export function rankMetrics(ranks: ArrayLike<number>): RankMetrics {
  if (ranks.length === 0) throw new RangeError("Cannot score no ranks");
  let p1 = 0, p10 = 0, rr = 0;
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (!(r >= 1)) throw new RangeError(`Cannot score rank ${r} (element ${i}): ranks start at 1`);
    if (r === 1) p1++;
    if (r <= 10) p10++;
    rr += 1 / r;
  }
  const n = ranks.length;
  return { precisionAt1: p1 / n, precisionAt10: p10 / n, mrr: rr / n };
}

/**
 * The metrics of each system on `resamples` bootstrap resamples of the facts: resample `r` draws
 * n fact indices uniformly with replacement (n = the facts) from the stream keyed by
 * `[seed, ...stream, r]`, the same indices for every system. Every system ranks the same facts in
 * the same order.
 *
 * @throws {RangeError} for systems of different lengths or no facts
 */
export function bootstrapRankMetrics(
  systems: Readonly<Record<string, ArrayLike<number>>>,
  options: BootstrapOptions,
): Record<string, RankMetricSamples> {
  const names = Object.keys(systems);
  const n = names.length === 0 ? 0 : systems[names[0]!]!.length;
  if (n === 0) throw new RangeError("Cannot bootstrap no facts");
  for (const name of names) {
    if (systems[name]!.length !== n) {
      throw new RangeError(`Cannot bootstrap: ${name} has ${systems[name]!.length} ranks, expected ${n}`);
    }
  }
  // Per fact, the three contributions of each system, so a resample only sums.
  const parts = names.map((name) => {
    const ranks = systems[name]!;
    const hit1 = new Float64Array(n), hit10 = new Float64Array(n), rr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = ranks[i]!;
      hit1[i] = r === 1 ? 1 : 0;
      hit10[i] = r <= 10 ? 1 : 0;
      rr[i] = 1 / r;
    }
    return { hit1, hit10, rr };
  });
  const B = options.resamples;
  const out = names.map(() => ({
    precisionAt1: new Float64Array(B),
    precisionAt10: new Float64Array(B),
    mrr: new Float64Array(B),
  }));
  const draw = new Int32Array(n);
  for (let r = 0; r < B; r++) {
    const rng = keyedRng([options.seed, ...(options.stream ?? []), r]);
    for (let i = 0; i < n; i++) draw[i] = rng.below(n);
    parts.forEach((p, s) => {
      let a = 0, b = 0, c = 0;
      for (let i = 0; i < n; i++) {
        const k = draw[i]!;
        a += p.hit1[k]!;
        b += p.hit10[k]!;
        c += p.rr[k]!;
      }
      out[s]!.precisionAt1[r] = a / n;
      out[s]!.precisionAt10[r] = b / n;
      out[s]!.mrr[r] = c / n;
    });
  }
  return Object.fromEntries(names.map((name, s) => [name, out[s]!]));
}

/**
 * The central `level` percentile interval of `samples`: the (1 - level) / 2 and (1 + level) / 2
 * quantiles, linearly interpolated between order statistics (numpy's default `percentile`).
 */
export function percentileInterval(samples: ArrayLike<number>, level: number): [number, number] {
  if (samples.length === 0) throw new RangeError("Cannot take percentiles of no samples");
  if (!(level > 0 && level < 1)) throw new RangeError(`Cannot use interval level ${level}: not in (0, 1)`);
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => {
    const h = (sorted.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}

/** A value with the percentile interval of its bootstrap samples. */
export function withInterval(value: number, samples: ArrayLike<number>, level: number): BootstrapInterval {
  const [low, high] = percentileInterval(samples, level);
  return { value, low, high };
}

/** `a - b` element by element: the paired samples of a difference. */
export function subtractSamples(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new RangeError(`Cannot subtract ${b.length} samples from ${a.length}`);
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
}

/**
 * A stream key for a name (a relation), so its resamples do not depend on which other groups
 * there are: FNV-1a of its UTF-16 units.
 */
export function streamKeyOfName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}
