/**
 * Bounded-memory histograms behind the budget cut (docs METHOD.md section 3):
 * - {@linkcode ScoreHistogram}: units and bytes per integer selection score, and the budget cut
 *   `alpha` = the largest score s such that the units scoring s or more hold more than the budget;
 * - {@linkcode KeyHistogram}: bytes per random-key bucket, and the bucket at which the
 *   lowest-keyed units first hold more than a target.
 *
 * Both have a running form ({@linkcode RunningScoreCut}, {@linkcode RunningKeyCut}) used while a
 * corpus streams by: the cut computed on the units seen so far only ever rises (scores) or falls
 * (keys), so a unit already beyond it can never be selected and need not be kept.
 *
 * @example
 * ```ts
 * import { ScoreHistogram } from "./histogram.ts";
 *
 * const h = new ScoreHistogram();
 * h.add(3, 100); h.add(1, 100); h.add(1, 100);
 * h.cut(150); // { alpha: 1, above: 100 }: everything above 1 fits, the ties at 1 fill the rest
 * ```
 * @module
 */
import { KEY_BUCKETS } from "./random_key.ts";

/** Largest selection score a histogram holds (scores are small integers; see `scale`). */
export const MAX_SCORE = 2 ** 26;

/** One bin of a score histogram. */
export interface ScoreBin {
  /** Integer selection score of the bin. */
  score: number;
  /** Units with that score. */
  units: number;
  /** Their bytes, newlines included. */
  bytes: number;
}

/** Units and bytes per integer score, dense over 0..max. */
export class ScoreHistogram {
  #units = new Float64Array(64);
  #bytes = new Float64Array(64);
  #max = -1;
  #min = Infinity;
  /** Units added. */
  totalUnits = 0;
  /** Bytes added. */
  totalBytes = 0;

  /** Counts one unit (or `units` units) of `bytes` bytes with score `score`, an integer in [0, MAX_SCORE]. */
  add(score: number, bytes: number, units = 1): void {
    if (!Number.isInteger(score) || score < 0 || score > MAX_SCORE) {
      throw new RangeError(`Cannot count score ${score}: expected an integer in [0, ${MAX_SCORE}]`);
    }
    if (score >= this.#units.length) this.#grow(score);
    this.#units[score]! += units;
    this.#bytes[score]! += bytes;
    if (score > this.#max) this.#max = score;
    if (score < this.#min) this.#min = score;
    this.totalUnits += units;
    this.totalBytes += bytes;
  }

  /** Bytes of the units scoring exactly `score`. */
  bytesAt(score: number): number {
    return score >= 0 && score < this.#bytes.length ? this.#bytes[score]! : 0;
  }

  /** Units scoring exactly `score`. */
  unitsAt(score: number): number {
    return score >= 0 && score < this.#units.length ? this.#units[score]! : 0;
  }

  /** Lowest score counted (Infinity when empty). */
  get min(): number {
    return this.#min;
  }

  /** Highest score counted (-1 when empty). */
  get max(): number {
    return this.#max;
  }

  /** The next score above `score` that has units, or -1. */
  next(score: number): number {
    for (let s = Math.max(score + 1, 0); s <= this.#max; s++) if (this.#units[s]! > 0) return s;
    return -1;
  }

  /** Bytes of the units scoring more than `score`. */
  bytesAbove(score: number): number {
    let sum = 0;
    for (let s = this.#max; s > score; s--) sum += this.#bytes[s]!;
    return sum;
  }

  /**
   * The budget cut: `alpha` is the largest score s whose units scoring >= s hold more than `budget`
   * bytes, `above` the bytes scoring > alpha (at most the budget). Null when everything fits.
   */
  cut(budget: number): { alpha: number; above: number } | null {
    let above = 0;
    for (let s = this.#max; s >= 0; s--) {
      const b = this.#bytes[s]!;
      if (above + b > budget) return { alpha: s, above };
      above += b;
    }
    return null;
  }

  /** The non-empty bins in increasing score order. */
  bins(): ScoreBin[] {
    const out: ScoreBin[] = [];
    for (let s = 0; s <= this.#max; s++) {
      if (this.#units[s]! > 0) out.push({ score: s, units: this.#units[s]!, bytes: this.#bytes[s]! });
    }
    return out;
  }

  #grow(score: number): void {
    let size = this.#units.length;
    while (size <= score) size *= 2;
    const units = new Float64Array(size), bytes = new Float64Array(size);
    units.set(this.#units);
    bytes.set(this.#bytes);
    this.#units = units;
    this.#bytes = bytes;
  }
}

/**
 * A score histogram with the budget cut kept up to date as units stream by. A unit scoring at or
 * below the running cut can never be selected: the final cut is at least as high, and if it is the
 * same, the ties seen so far (this one last, in corpus order) already overflow the budget.
 */
export class RunningScoreCut {
  /** Every unit added. */
  readonly histogram: ScoreHistogram = new ScoreHistogram();
  readonly #budget: number;
  #alpha = -1; // -1: no cut yet, everything seen fits
  #atOrAbove = 0; // bytes scoring >= alpha while there is a cut

  /** A running cut for a budget in bytes. */
  constructor(budget: number) {
    this.#budget = budget;
  }

  /** The running cut, or -1 while everything seen fits the budget. */
  get alpha(): number {
    return this.#alpha;
  }

  /** Counts a unit; true when it may still be selected (it scores above the running cut). */
  add(score: number, bytes: number): boolean {
    const h = this.histogram;
    h.add(score, bytes);
    if (this.#alpha < 0) {
      if (h.totalBytes <= this.#budget) return true;
      this.#alpha = h.min;
      this.#atOrAbove = h.totalBytes;
    } else if (score >= this.#alpha) this.#atOrAbove += bytes;
    // Raise the cut while the units strictly above it still overflow the budget.
    while (this.#atOrAbove - h.bytesAt(this.#alpha) > this.#budget) {
      this.#atOrAbove -= h.bytesAt(this.#alpha);
      this.#alpha = h.next(this.#alpha);
    }
    return score > this.#alpha;
  }
}

/** Bytes per random-key bucket. */
export class KeyHistogram {
  /** Bytes of each bucket. */
  readonly bytes: Float64Array;

  /** An empty histogram, or one over given bucket bytes. */
  constructor(bytes?: Float64Array) {
    this.bytes = bytes ?? new Float64Array(KEY_BUCKETS);
    if (this.bytes.length !== KEY_BUCKETS) {
      throw new RangeError(
        `Cannot make key histogram: expected ${KEY_BUCKETS} buckets, got ${this.bytes.length}`,
      );
    }
  }

  /** Adds another histogram's bytes. */
  addAll(other: ArrayLike<number>): void {
    for (let b = 0; b < KEY_BUCKETS; b++) this.bytes[b]! += other[b]!;
  }

  /**
   * The first bucket at which the lowest-keyed units hold more than `target` bytes, and the bytes
   * below it (at most the target). Null when everything fits.
   */
  cut(target: number): { bucket: number; below: number } | null {
    let below = 0;
    for (let b = 0; b < KEY_BUCKETS; b++) {
      const x = this.bytes[b]!;
      if (below + x > target) return { bucket: b, below };
      below += x;
    }
    return null;
  }

  /** The non-empty buckets as `[bucket, bytes]` pairs (compact for partial files). */
  sparse(): [number, number][] {
    const out: [number, number][] = [];
    for (let b = 0; b < KEY_BUCKETS; b++) if (this.bytes[b]! > 0) out.push([b, this.bytes[b]!]);
    return out;
  }

  /** The histogram of `[bucket, bytes]` pairs. */
  static fromSparse(pairs: readonly (readonly [number, number])[]): KeyHistogram {
    const h = new KeyHistogram();
    for (const [b, x] of pairs) h.bytes[b]! += x;
    return h;
  }
}

/** A key histogram with the cut kept up to date as units stream by; the cut only ever falls. */
export class RunningKeyCut {
  /** Every unit added. */
  readonly histogram: KeyHistogram = new KeyHistogram();
  readonly #target: number;
  #cut = KEY_BUCKETS; // KEY_BUCKETS: no cut yet, everything seen fits
  #atOrBelow = 0; // bytes in buckets <= cut (all bytes while there is no cut)

  /** A running cut for a target in bytes. */
  constructor(target: number) {
    this.#target = target;
  }

  /** Counts a unit; true when it may still be selected (its bucket is at or below the cut). */
  add(bucket: number, bytes: number): boolean {
    const h = this.histogram.bytes;
    h[bucket]! += bytes;
    if (bucket <= this.#cut) this.#atOrBelow += bytes;
    if (this.#cut === KEY_BUCKETS) {
      if (this.#atOrBelow <= this.#target) return true;
      this.#cut = KEY_BUCKETS - 1;
    }
    // Lower the cut while the buckets strictly below it still overflow the target.
    while (this.#atOrBelow - h[this.#cut]! > this.#target) {
      this.#atOrBelow -= h[this.#cut]!;
      this.#cut--;
    }
    return bucket <= this.#cut;
  }
}
