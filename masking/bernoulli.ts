/**
 * `bernoulli`: HuggingFace's `DataCollatorForLanguageModeling`: each eligible token is chosen with
 * probability 0.15 on its own; a chosen token becomes [MASK] (0.8), a random id (0.1) or stays
 * (0.1). Random ids are drawn uniformly from the whole vocabulary (HuggingFace's
 * `randint(len(tokenizer))`).
 *
 * HuggingFace does not cap the count; the model's batch has a fixed number of prediction slots per
 * sequence, so when more than `maxPredictions` tokens are chosen, a uniformly random subset of
 * `maxPredictions` is kept and the rest are left as they were (`overflow` says how many). With 126
 * eligible tokens the count is Binomial(126, 0.15) (mean 18.9, sd 4.0), and a cap of 20 bites in
 * about a third of full sequences; pass a larger `maxPredictions` (e.g. 32) to follow HuggingFace.
 *
 * @example
 * ```ts
 * import { maskBernoulli } from "./masking/bernoulli.ts";
 * import { loadVocab } from "./data/vocab.ts";
 *
 * const vocab = await loadVocab();
 * const ids = Int32Array.of(101, 1045, 2066, 13137, 20968, 102, 0, 0);
 * const m = maskBernoulli(ids, { seed: 1, step: 0, sequence: 0 }, { vocab });
 * // m.positions: any subset of 1..4, each position with probability 0.15
 * ```
 * @module
 */
import { Corruption, eligibleTokens, resolveOptions } from "./corrupt.ts";
import { type SequenceKey, sequenceRng } from "./sequence_key.ts";
import type { MaskedSequence, Masker, MaskOptions } from "./types.ts";

/** Masks one sequence the HuggingFace way (capped at `maxPredictions`); the input is not modified. */
export function maskBernoulli(ids: Int32Array, key: SequenceKey, options: MaskOptions): MaskedSequence {
  return bernoulliMasker(options).mask(ids, key);
}

/** {@linkcode maskBernoulli} bound to its options (checked once). */
export function bernoulliMasker(options: MaskOptions): Masker {
  const o = resolveOptions(options);
  return {
    name: "bernoulli",
    vocab: o.vocab,
    maxPredictions: o.maxPredictions,
    mask(ids: Int32Array, key: SequenceKey): MaskedSequence {
      const rng = sequenceRng(key);
      const eligible = eligibleTokens(ids, o.vocab);
      const picked = new Int32Array(ids.length);
      let n = 0;
      // One draw per eligible token, whatever the outcome, so the stream does not depend on the cap.
      for (let t = 0; t < ids.length; t++) if (eligible[t] && rng.next() < o.rate) picked[n++] = t;
      const overflow = Math.max(0, n - o.maxPredictions);
      if (overflow > 0) {
        // A uniform subset: the first maxPredictions of a shuffle, back in position order.
        rng.shuffle(picked, 0, n);
        n = o.maxPredictions;
        picked.subarray(0, n).sort();
      }
      const c = new Corruption(ids, o);
      for (let k = 0; k < n; k++) c.predict(picked[k]!, c.action(rng), rng);
      return c.finish(overflow);
    },
  };
}
