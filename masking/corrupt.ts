/**
 * The machinery every strategy shares: which tokens may be masked, the prediction budget, the
 * grouping of `##` pieces into words, and the 80/10/10 corruption that records the predictions.
 * @module
 */
import type { Rng } from "../util/rng.ts";
import {
  type CorruptionRates,
  DEFAULT_MAX_PREDICTIONS,
  type MaskedSequence,
  type MaskingVocab,
  type MaskOptions,
} from "./types.ts";

/** Options with every default filled in and checked. */
export interface ResolvedOptions {
  /** The vocabulary: special ids, size, token strings. */
  vocab: MaskingVocab;
  /** Most predictions per sequence, >= 1. */
  maxPredictions: number;
  /** Share of the eligible tokens to predict, in (0, 1]. */
  rate: number;
  /** Probability that a chosen token becomes [MASK]. */
  maskRate: number;
  /** Probability that a chosen token becomes a uniformly random id; the rest keep their id. */
  randomRate: number;
}

/** Fills the defaults and checks the ranges; RangeError naming the bad option. */
export function resolveOptions(options: MaskOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    vocab: options.vocab,
    maxPredictions: options.maxPredictions ?? DEFAULT_MAX_PREDICTIONS,
    rate: options.rate ?? 0.15,
    ...resolveRates(options),
  };
  if (!Number.isInteger(r.maxPredictions) || r.maxPredictions < 1) {
    throw new RangeError(`Cannot mask: maxPredictions must be an integer >= 1, got ${r.maxPredictions}`);
  }
  if (!(r.rate > 0 && r.rate <= 1)) {
    throw new RangeError(`Cannot mask: rate must be in (0, 1], got ${r.rate}`);
  }
  if (!(options.vocab.size > 0)) throw new RangeError(`Cannot mask: the vocab has no ids`);
  return r;
}

/** The corruption rates with defaults 0.8 / 0.1; RangeError unless both are in [0, 1] and sum to <= 1. */
export function resolveRates(rates: CorruptionRates): { maskRate: number; randomRate: number } {
  const maskRate = rates.maskRate ?? 0.8;
  const randomRate = rates.randomRate ?? 0.1;
  if (!(maskRate >= 0 && randomRate >= 0 && maskRate + randomRate <= 1 + 1e-12)) {
    throw new RangeError(
      `Cannot mask: maskRate and randomRate must be >= 0 with a sum <= 1, got ${maskRate} and ${randomRate}`,
    );
  }
  return { maskRate, randomRate };
}

/**
 * 1 where a token may be predicted: anything but [CLS], [SEP], [PAD], and [MASK] (a [MASK] already
 * in the input has no original id to predict).
 */
export function eligibleTokens(ids: ArrayLike<number>, vocab: MaskingVocab): Uint8Array {
  const { cls, sep, pad, mask } = vocab.special;
  const out = new Uint8Array(ids.length);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    out[t] = id === cls || id === sep || id === pad || id === mask ? 0 : 1;
  }
  return out;
}

/** Python 3's `round`: halves go to the even neighbour, as google-research/bert's `int(round(x))`. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * google-research/bert's number to predict, over the eligible tokens:
 * `min(maxPredictions, max(1, round(rate * eligible)))`, and 0 when nothing is eligible.
 */
export function predictionBudget(eligible: number, maxPredictions: number, rate = 0.15): number {
  if (eligible === 0) return 0;
  return Math.min(maxPredictions, Math.max(1, roundHalfEven(rate * eligible)));
}

const continuationCache = new WeakMap<MaskingVocab, Uint8Array>();

/** 1 for each `##` continuation id of the vocab (computed once per vocab). */
export function continuationIds(vocab: MaskingVocab): Uint8Array {
  let flags = continuationCache.get(vocab);
  if (!flags) {
    flags = new Uint8Array(vocab.size);
    vocab.tokens.forEach((token, id) => {
      if (token.startsWith("##") && token.length > 2) flags![id] = 1;
    });
    continuationCache.set(vocab, flags);
  }
  return flags;
}

/**
 * Candidate units as [start, end) pairs, flat (`out[2k]`, `out[2k + 1]`): each token where
 * `allowed`, or with `continuation` whole words, a `##` piece joining the unit of the token before
 * it when that token is an allowed one (google-research/bert's `cand_indexes`).
 */
export function candidateUnits(
  ids: ArrayLike<number>,
  allowed: Uint8Array,
  continuation: Uint8Array | null,
): Int32Array {
  const out = new Int32Array(2 * ids.length);
  let n = 0;
  for (let t = 0; t < ids.length; t++) {
    if (!allowed[t]) continue;
    if (continuation && n > 0 && continuation[ids[t]!] && out[2 * n - 1] === t) out[2 * n - 1] = t + 1;
    else {
      out[2 * n] = t;
      out[2 * n + 1] = t + 1;
      n++;
    }
  }
  return out.subarray(0, 2 * n);
}

/** How a chosen unit is corrupted: replaced by [MASK], by a random id, or kept. */
export type Action = "mask" | "random" | "keep";

/** Collects the predictions of one sequence and corrupts its copy of the ids. */
export class Corruption {
  /** The corrupted ids. */
  readonly ids: Int32Array;
  /** 1 where a prediction was recorded. */
  readonly chosen: Uint8Array;
  /** Predictions so far. */
  count = 0;
  readonly #original: Int32Array;
  readonly #options: ResolvedOptions;

  /** Starts from a copy of `ids`. */
  constructor(ids: Int32Array, options: ResolvedOptions) {
    this.#original = ids;
    this.ids = ids.slice();
    this.chosen = new Uint8Array(ids.length);
    this.#options = options;
  }

  /** Draws [MASK] / random / keep with the configured rates (one draw). */
  action(rng: Rng): Action {
    const u = rng.next();
    const { maskRate, randomRate } = this.#options;
    return u < maskRate ? "mask" : u < maskRate + randomRate ? "random" : "keep";
  }

  /** Records a prediction at `t` and applies `action`; a random id is drawn uniformly from the whole vocab. */
  predict(t: number, action: Action, rng: Rng): void {
    this.chosen[t] = 1;
    this.count++;
    if (action === "mask") this.ids[t] = this.#options.vocab.special.mask;
    else if (action === "random") this.ids[t] = rng.below(this.#options.vocab.size);
  }

  /** The result: positions ascending with their original ids. */
  finish(overflow?: number): MaskedSequence {
    const positions = new Int32Array(this.count);
    const labels = new Int32Array(this.count);
    let k = 0;
    for (let t = 0; t < this.chosen.length; t++) {
      if (!this.chosen[t]) continue;
      positions[k] = t;
      labels[k++] = this.#original[t]!;
    }
    return overflow === undefined ? { ids: this.ids, positions, labels } : {
      ids: this.ids,
      positions,
      labels,
      overflow,
    };
  }
}

/**
 * google-research/bert's selection over candidate units: shuffle them, take each in turn while the
 * budget is not reached, skipping a unit that would exceed it or that overlaps a chosen token; each
 * token of a taken unit gets its own 80/10/10 draw.
 */
export function chooseUnits(units: Int32Array, budget: number, c: Corruption, rng: Rng): void {
  const n = units.length / 2;
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  rng.shuffle(order);
  for (let k = 0; k < n && c.count < budget; k++) {
    const u = order[k]!;
    const start = units[2 * u]!, end = units[2 * u + 1]!;
    if (c.count + end - start > budget) continue;
    if (anyChosen(c.chosen, start, end)) continue;
    for (let t = start; t < end; t++) c.predict(t, c.action(rng), rng);
  }
}

/** Whether any token in [start, end) is already chosen. */
export function anyChosen(chosen: Uint8Array, start: number, end: number): boolean {
  for (let t = start; t < end; t++) if (chosen[t]) return true;
  return false;
}

/** Number of ones. */
export function countOnes(flags: Uint8Array): number {
  let n = 0;
  for (let t = 0; t < flags.length; t++) n += flags[t]!;
  return n;
}
