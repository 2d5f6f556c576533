/**
 * `bert`: google-research/bert's masking (`create_masked_lm_predictions`): a fixed number of
 * predictions, `min(maxPredictions, max(1, round(0.15 x eligible)))`, taken from the shuffled
 * candidates; each predicted token becomes [MASK] (0.8), a random id (0.1) or stays (0.1).
 *
 * Differences from Google's script, by choice: the count is over the eligible tokens (Google counts
 * [CLS] and [SEP] too, and its instances have no padding); [MASK] tokens already in the input are
 * not candidates. Random ids are drawn uniformly from the whole vocabulary, as Google's
 * `vocab_words[randint(0, len - 1)]` and HuggingFace's `randint(len(tokenizer))` do.
 *
 * @example
 * ```ts
 * import { maskBert } from "./masking/bert.ts";
 * import { loadVocab } from "./data/vocab.ts";
 *
 * const vocab = await loadVocab();
 * const ids = Int32Array.of(101, 1045, 2066, 13137, 20968, 102, 0, 0);
 * const m = maskBert(ids, { seed: 1, step: 0, sequence: 0 }, { vocab, wholeWord: true });
 * // m.positions: one position (round(0.15 x 4) = 1), "straw ##berries" never split
 * ```
 * @module
 */
import {
  candidateUnits,
  chooseUnits,
  continuationIds,
  Corruption,
  eligibleTokens,
  predictionBudget,
} from "./corrupt.ts";
import { resolveOptions } from "./corrupt.ts";
import { type SequenceKey, sequenceRng } from "./sequence_key.ts";
import type { MaskedSequence, Masker, MaskOptions } from "./types.ts";

/** Options of {@linkcode maskBert}. */
export interface BertMaskOptions extends MaskOptions {
  /** Whole-word masking: `##` pieces join the word before, words are chosen whole (default false). */
  wholeWord?: boolean;
}

/** Masks one sequence the google-research/bert way; the input is not modified. */
export function maskBert(ids: Int32Array, key: SequenceKey, options: BertMaskOptions): MaskedSequence {
  return bertMasker(options).mask(ids, key);
}

/** {@linkcode maskBert} bound to its options (checked once). */
export function bertMasker(options: BertMaskOptions): Masker {
  const o = resolveOptions(options);
  const continuation = options.wholeWord ? continuationIds(o.vocab) : null;
  return {
    name: "bert",
    vocab: o.vocab,
    maxPredictions: o.maxPredictions,
    mask(ids: Int32Array, key: SequenceKey): MaskedSequence {
      const rng = sequenceRng(key);
      const eligible = eligibleTokens(ids, o.vocab);
      const units = candidateUnits(ids, eligible, continuation);
      let n = 0;
      for (let t = 0; t < eligible.length; t++) n += eligible[t]!;
      const c = new Corruption(ids, o);
      chooseUnits(units, predictionBudget(n, o.maxPredictions, o.rate), c, rng);
      return c.finish();
    },
  };
}
