/**
 * Masks a batch for the model's upload: `BertMlm.setBatch` (core/bert/model.ts) takes flat arrays,
 * ids/typeIds/attentionMask of `batch x seq`, and exactly `batch x maxPredictions` prediction
 * slots (google-research/bert's fixed `max_predictions_per_seq`).
 *
 * Slot layout: sequence b owns slots `[b x P, (b + 1) x P)`. Its real predictions come first, in
 * position order, as flat rows `b x seq + t` with the original id as label. The remaining slots
 * are padding: label -100 (ignored by the loss and the accuracy) at rows of the same sequence that
 * are not predicted, the lowest first, because the model requires distinct rows (its gather
 * backward has one writer per row). Token types are all 0 and the attention mask is `id != [PAD]`,
 * as data/packing.ts packs.
 *
 * @example
 * ```ts
 * const masker = bertMasker({ vocab, maxPredictions: 20 });
 * const batch = maskBatch(masker, sequences, { seed: 1, step });
 * model.setBatch(batch); // BertMlm built with { batch: B, seq: T, predictions: B * 20 }
 * ```
 * @module
 */
import { type HostBatch, IGNORE_LABEL } from "../core/bert/model.ts";
import type { MaskedSequence, Masker, TokenSpan } from "./types.ts";

/** A masked batch: what `BertMlm.setBatch` takes, plus its sizes and per-sequence results. */
export interface MaskedBatch extends HostBatch {
  /** Number of sequences B. */
  batch: number;
  /** Sequence length T. */
  seq: number;
  /** Prediction slots per sequence P (`positions.length === B * P`). */
  predictionsPerSequence: number;
  /** Real predictions in the batch (slots with a label >= 0). */
  predicted: number;
  /** Selected tokens dropped by the cap, summed (only `bernoulli` drops any). */
  overflow: number;
}

/** Options of {@linkcode maskBatch}. */
export interface MaskBatchOptions {
  /** The run's masking seed. */
  seed: number;
  /** The optimizer step the batch is for. */
  step: number;
  /** Key of the first sequence (default 0): sequence b is keyed `firstSequence + b`. */
  firstSequence?: number;
  /** Concept matches of each sequence (all of them, overlaps included), for concept strategies. */
  matches?: readonly (readonly TokenSpan[])[];
}

/**
 * Masks `sequences` (each of the same length) with `masker`, keyed (seed, step, firstSequence + b),
 * and lays the results out as the module doc says. RangeError for ragged or empty input.
 */
export function maskBatch(
  masker: Masker,
  sequences: readonly Int32Array[],
  options: MaskBatchOptions,
): MaskedBatch {
  const B = sequences.length;
  const T = sequences[0]?.length ?? 0;
  const P = masker.maxPredictions;
  if (B === 0) throw new RangeError(`Cannot mask a batch: no sequences`);
  if (P > T) {
    throw new RangeError(`Cannot mask a batch: ${P} predictions per sequence do not fit ${T} tokens`);
  }
  if (options.matches && options.matches.length !== B) {
    throw new RangeError(`Cannot mask a batch: ${options.matches.length} match lists for ${B} sequences`);
  }
  const first = options.firstSequence ?? 0;
  const pad = masker.vocab.special.pad;
  const out: MaskedBatch = {
    ids: new Int32Array(B * T),
    typeIds: new Int32Array(B * T),
    attentionMask: new Int32Array(B * T),
    positions: new Int32Array(B * P),
    labels: new Int32Array(B * P).fill(IGNORE_LABEL),
    batch: B,
    seq: T,
    predictionsPerSequence: P,
    predicted: 0,
    overflow: 0,
  };
  sequences.forEach((ids, b) => {
    if (ids.length !== T) {
      throw new RangeError(`Cannot mask a batch: sequence ${b} has ${ids.length} tokens, expected ${T}`);
    }
    const m = masker.mask(
      ids,
      { seed: options.seed, step: options.step, sequence: first + b },
      options.matches?.[b],
    );
    place(out, b, m);
    for (let t = 0; t < T; t++) out.attentionMask[b * T + t] = ids[t] === pad ? 0 : 1;
  });
  return out;
}

function place(out: MaskedBatch, b: number, m: MaskedSequence): void {
  const { seq: T, predictionsPerSequence: P } = out;
  const k = m.positions.length;
  if (k > P) throw new RangeError(`Cannot mask a batch: sequence ${b} has ${k} predictions, more than ${P}`);
  out.ids.set(m.ids, b * T);
  const base = b * P;
  for (let i = 0; i < k; i++) {
    out.positions[base + i] = b * T + m.positions[i]!;
    out.labels[base + i] = m.labels[i]!;
  }
  // Padding slots: the lowest unpredicted rows of this sequence (positions are ascending).
  let slot = k, next = 0, t = 0;
  while (slot < P) {
    if (next < k && m.positions[next] === t) next++;
    else out.positions[base + slot++] = b * T + t;
    t++;
  }
  out.predicted += k;
  out.overflow += m.overflow ?? 0;
}
