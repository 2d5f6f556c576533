/**
 * Statistics of what a strategy masks, summed over sequences: the share of eligible tokens
 * predicted, the split into [MASK] / random / kept, the share of predictions inside concept spans,
 * and span wholeness.
 * @module
 */
import { conceptSpans } from "./concept.ts";
import { countOnes, eligibleTokens } from "./corrupt.ts";
import type { MaskedSequence, MaskingVocab, TokenSpan } from "./types.ts";
import { isStopWord } from "../data/concept_hygiene.ts";

/** Counts over the sequences added, and the shares derived from them. */
export interface MaskingStats {
  /** Sequences added. */
  sequences: number;
  /** Tokens that may be predicted (not [CLS], [SEP], [PAD], [MASK]). */
  eligible: number;
  /** Predictions. */
  predicted: number;
  /** Predictions whose input became [MASK]. */
  masked: number;
  /** Predictions whose input became another id (a random id equal to the original counts as kept). */
  random: number;
  /** Predictions whose input kept its id. */
  kept: number;
  /** Eligible tokens inside concept spans (the longest non-overlapping matches). */
  spanTokens: number;
  /** Predictions inside concept spans. */
  predictedInSpans: number;
  /** Concept spans with at least one prediction. */
  touchedSpans: number;
  /** Concept spans with every token predicted. */
  wholeSpans: number;
  /** Eligible tokens that are stop words (see {@linkcode stopTokenMask}). */
  stopTokens: number;
  /** Predictions of stop-word tokens. */
  predictedStop: number;
  /** Sequences with no prediction. */
  emptySequences: number;
  /** Sequences where a cap dropped selected tokens. */
  cappedSequences: number;
  /** Selected tokens the caps dropped, summed. */
  overflow: number;
  /** predicted / eligible. */
  predictedShare: number;
  /** masked / predicted. */
  maskShare: number;
  /** random / predicted. */
  randomShare: number;
  /** kept / predicted. */
  keptShare: number;
  /** predictedInSpans / predicted. */
  inSpanShare: number;
  /** spanTokens / eligible: what a strategy blind to concepts would put inside spans. */
  spanTokenShare: number;
  /** wholeSpans / touchedSpans. */
  spanWholeness: number;
  /** predictedStop / predicted: how often the model is asked for a stop word. */
  stopwordShare: number;
  /** stopTokens / eligible: what a strategy blind to words would ask for. */
  stopTokenShare: number;
}

/**
 * 1 for each token that is a whole stop word (`isStopWord`: the stop list, single characters,
 * punctuation); `##` pieces never are. Predictions of a word's first piece count by that piece.
 */
export function stopTokenMask(tokens: readonly string[]): Uint8Array {
  const mask = new Uint8Array(tokens.length);
  tokens.forEach((token, id) => {
    if (!token.startsWith("##") && !/^\[.*\]$/.test(token) && isStopWord(token)) mask[id] = 1;
  });
  return mask;
}

/** Accumulates {@linkcode MaskingStats} one sequence at a time. */
export class MaskingTally {
  readonly #vocab: MaskingVocab;
  readonly #stop: Uint8Array | null;
  readonly #c = {
    sequences: 0,
    eligible: 0,
    predicted: 0,
    masked: 0,
    random: 0,
    kept: 0,
    spanTokens: 0,
    predictedInSpans: 0,
    touchedSpans: 0,
    wholeSpans: 0,
    stopTokens: 0,
    predictedStop: 0,
    emptySequences: 0,
    cappedSequences: 0,
    overflow: 0,
  };

  /** A tally for sequences of `vocab`; stop words are counted when `stopTokens` ({@linkcode stopTokenMask}) is given. */
  constructor(vocab: MaskingVocab, stopTokens: Uint8Array | null = null) {
    this.#vocab = vocab;
    this.#stop = stopTokens;
  }

  /** Adds one sequence: its original ids, the masking result, and its concept matches. */
  add(original: Int32Array, result: MaskedSequence, matches: readonly TokenSpan[] = []): void {
    const c = this.#c;
    const eligible = eligibleTokens(original, this.#vocab);
    const mask = this.#vocab.special.mask;
    c.sequences++;
    c.eligible += countOnes(eligible);
    const stop = this.#stop;
    if (stop) {
      for (let t = 0; t < original.length; t++) c.stopTokens += eligible[t]! & stop[original[t]!]!;
      for (const t of result.positions) c.predictedStop += stop[original[t]!]!;
    }
    c.predicted += result.positions.length;
    if (result.positions.length === 0) c.emptySequences++;
    if ((result.overflow ?? 0) > 0) c.cappedSequences++;
    c.overflow += result.overflow ?? 0;
    const predicted = new Uint8Array(original.length);
    for (const t of result.positions) {
      predicted[t] = 1;
      const now = result.ids[t]!;
      if (now === mask) c.masked++;
      else if (now === original[t]) c.kept++;
      else c.random++;
    }
    for (const s of conceptSpans(matches, eligible)) {
      let hit = 0;
      for (let t = s.start; t < s.end; t++) hit += predicted[t]!;
      c.spanTokens += s.end - s.start;
      c.predictedInSpans += hit;
      if (hit > 0) c.touchedSpans++;
      if (hit === s.end - s.start) c.wholeSpans++;
    }
  }

  /** The counts and shares so far (a share of nothing is 0). */
  stats(): MaskingStats {
    const c = this.#c;
    const share = (a: number, b: number) => (b > 0 ? a / b : 0);
    return {
      ...c,
      predictedShare: share(c.predicted, c.eligible),
      maskShare: share(c.masked, c.predicted),
      randomShare: share(c.random, c.predicted),
      keptShare: share(c.kept, c.predicted),
      inSpanShare: share(c.predictedInSpans, c.predicted),
      spanTokenShare: share(c.spanTokens, c.eligible),
      spanWholeness: share(c.wholeSpans, c.touchedSpans),
      stopwordShare: share(c.predictedStop, c.predicted),
      stopTokenShare: share(c.stopTokens, c.eligible),
    };
  }
}
