/**
 * Types shared by the masking strategies: the vocabulary view they need, the token spans of
 * concept matches, the per-sequence result and the common options.
 * @module
 */
import type { TokenSpan } from "../data/concept_matcher.ts";
import type { SequenceKey } from "./sequence_key.ts";

/** A concept match over WordPiece tokens, [start, end) (the concept matcher's own type). */
export type { TokenSpan } from "../data/concept_matcher.ts";
export type { SequenceKey } from "./sequence_key.ts";

/** What masking needs of a vocabulary; data/vocab.ts's `Vocab` has it. */
export interface MaskingVocab {
  /** Special token ids: [CLS], [SEP], [PAD] are never masked, [MASK] is the replacement. */
  readonly special: {
    readonly cls: number;
    readonly sep: number;
    readonly pad: number;
    readonly mask: number;
  };
  /** Number of ids: random replacements are drawn uniformly from [0, size). */
  readonly size: number;
  /** Token strings by id (only read for whole-word masking, to find `##` pieces). */
  readonly tokens: readonly string[];
}

/** google-research/bert's `max_predictions_per_seq` for sequences of 128 tokens. */
export const DEFAULT_MAX_PREDICTIONS = 20;

/** One masked sequence. */
export interface MaskedSequence {
  /** The input ids after corruption, same length as the input. */
  ids: Int32Array;
  /** Token indices to predict, ascending, distinct, at most `maxPredictions`. */
  positions: Int32Array;
  /** The original id at each of `positions`. */
  labels: Int32Array;
  /** Tokens selected but dropped by a cap (only `bernoulli`, whose selection count is random). */
  overflow?: number;
}

/** How a chosen token (or a whole chosen span) is corrupted: probabilities of [MASK] and random. */
export interface CorruptionRates {
  /** Probability of [MASK] (default 0.8). */
  maskRate?: number;
  /** Probability of a uniformly random vocabulary id (default 0.1); the rest keep their id. */
  randomRate?: number;
}

/** Options every strategy takes. */
export interface MaskOptions extends CorruptionRates {
  /** The vocabulary: special ids, size, token strings. */
  vocab: MaskingVocab;
  /** Most predictions per sequence (default {@linkcode DEFAULT_MAX_PREDICTIONS}). */
  maxPredictions?: number;
  /** Share of the eligible tokens to predict (default 0.15). */
  rate?: number;
}

/**
 * A strategy bound to its options: masks one sequence, deterministically for its key. `matches`
 * are the concept matches of the sequence (all of them, overlaps included); strategies that do not
 * use concepts ignore them.
 */
export interface Masker {
  /** The strategy's name (`bert`, `bernoulli`, `concept`, `curriculum`). */
  readonly name: string;
  /** The vocabulary it masks with. */
  readonly vocab: MaskingVocab;
  /** Most predictions per sequence. */
  readonly maxPredictions: number;
  /** Masks one sequence; the input is not modified. */
  mask(ids: Int32Array, key: SequenceKey, matches?: readonly TokenSpan[]): MaskedSequence;
}
