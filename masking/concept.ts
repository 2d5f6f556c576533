/**
 * `concept`: the concentrated masking of METHOD.md section 4: whole concept spans first, then
 * ordinary tokens up to the `bert` budget.
 *
 * 1. Spans: the longest non-overlapping matches ({@linkcode longestSpans}) among those that cover
 *    only eligible tokens (never [CLS], [SEP], [PAD], [MASK]).
 * 2. Budget: `bert`'s `min(maxPredictions, max(1, round(0.15 x eligible)))`.
 * 3. The spans are shuffled and each is chosen with probability
 *    `p_d = min(1, floor(0.18 x eligible) / tokens inside the spans)`; a chosen span that would
 *    exceed the budget is skipped; a chosen span becomes wholly [MASK] (0.8), wholly random ids
 *    (0.1, one random id per token) or is wholly kept (0.1), and all its tokens are predicted.
 * 4. Fill (on by default): the rest of the budget goes to ordinary tokens, those outside every
 *    span, chosen as `bert` chooses (optionally whole words), so no concept is ever partly masked.
 *
 * @example
 * ```ts
 * import { maskConcept } from "./masking/concept.ts";
 * import { loadVocab } from "./data/vocab.ts";
 *
 * const vocab = await loadVocab();
 * const ids = Int32Array.of(101, 1045, 2066, 13137, 20968, 102, 0, 0); // i like strawberries
 * const spans = [{ concept: 7, start: 3, end: 5 }]; // "strawberries"
 * const m = maskConcept(ids, { seed: 1, step: 0, sequence: 0 }, spans, { vocab });
 * // budget 1: the 2-token span never fits, so one ordinary token (1 or 2) is predicted
 * ```
 * @module
 */
import { longestSpans } from "../data/concept_matcher.ts";
import type { BertMaskOptions } from "./bert.ts";
import {
  candidateUnits,
  chooseUnits,
  continuationIds,
  Corruption,
  countOnes,
  eligibleTokens,
  predictionBudget,
  type ResolvedOptions,
  resolveOptions,
} from "./corrupt.ts";
import type { Rng } from "../util/rng.ts";
import { type SequenceKey, sequenceRng } from "./sequence_key.ts";
import type { MaskedSequence, Masker, TokenSpan } from "./types.ts";

/** Options of {@linkcode maskConcept}. */
export interface ConceptMaskOptions extends BertMaskOptions {
  /** The 0.18 of `p_d` (default 0.18, as CCM's code). */
  conceptRate?: number;
  /** Fill the budget with ordinary tokens after the spans (default true). */
  fill?: boolean;
}

/**
 * The spans concept masking works with: the longest non-overlapping ones among the matches that
 * lie inside the sequence and cover eligible tokens only; sorted by start.
 */
export function conceptSpans(
  matches: readonly TokenSpan[],
  eligible: Uint8Array,
): TokenSpan[] {
  const inside = matches.filter((m) => {
    if (!(m.start >= 0 && m.end <= eligible.length && m.start < m.end)) return false;
    for (let t = m.start; t < m.end; t++) if (!eligible[t]) return false;
    return true;
  });
  return longestSpans(inside);
}

/** Masks one sequence with concept spans first; `matches` are all its matches (overlaps included). */
export function maskConcept(
  ids: Int32Array,
  key: SequenceKey,
  matches: readonly TokenSpan[],
  options: ConceptMaskOptions,
): MaskedSequence {
  return conceptMasker(options).mask(ids, key, matches);
}

/** {@linkcode maskConcept} bound to its options (checked once). */
export function conceptMasker(options: ConceptMaskOptions): Masker {
  const span = resolveSpanOptions(options);
  return {
    name: "concept",
    vocab: span.options.vocab,
    maxPredictions: span.options.maxPredictions,
    mask: (ids, key, matches = []) => maskSpans(ids, sequenceRng(key), matches, span),
  };
}

/** Concept masking's options, resolved (shared with the curriculum). */
export interface SpanOptions {
  /** The common options, resolved. */
  options: ResolvedOptions;
  /** 1 for each `##` id of the vocab, with whole-word fill; null fills token by token. */
  continuation: Uint8Array | null;
  /** The 0.18 of `p_d`, in (0, 1]. */
  conceptRate: number;
  /** Whether ordinary tokens fill the budget left after the spans. */
  fill: boolean;
}

/** Fills the defaults of {@linkcode ConceptMaskOptions}; RangeError for a bad `conceptRate`. */
export function resolveSpanOptions(options: ConceptMaskOptions): SpanOptions {
  const o = resolveOptions(options);
  const conceptRate = options.conceptRate ?? 0.18;
  if (!(conceptRate > 0 && conceptRate <= 1)) {
    throw new RangeError(`Cannot mask: conceptRate must be in (0, 1], got ${conceptRate}`);
  }
  return {
    options: o,
    continuation: options.wholeWord ? continuationIds(o.vocab) : null,
    conceptRate,
    fill: options.fill ?? true,
  };
}

/** The span-first masking of the module doc, over the given matches. */
export function maskSpans(
  ids: Int32Array,
  rng: Rng,
  matches: readonly TokenSpan[],
  s: SpanOptions,
): MaskedSequence {
  const o = s.options;
  const eligible = eligibleTokens(ids, o.vocab);
  const n = countOnes(eligible);
  const budget = predictionBudget(n, o.maxPredictions, o.rate);
  const spans = conceptSpans(matches, eligible);
  let spanTokens = 0;
  for (const m of spans) spanTokens += m.end - m.start;
  const pd = spanTokens > 0 ? Math.min(1, Math.floor(s.conceptRate * n) / spanTokens) : 0;
  const order = new Int32Array(spans.length);
  for (let k = 0; k < order.length; k++) order[k] = k;
  rng.shuffle(order);
  const c = new Corruption(ids, o);
  for (let k = 0; k < order.length && c.count < budget; k++) {
    const m = spans[order[k]!]!;
    if (rng.next() >= pd) continue;
    if (c.count + m.end - m.start > budget) continue;
    const action = c.action(rng);
    for (let t = m.start; t < m.end; t++) c.predict(t, action, rng);
  }
  if (s.fill && c.count < budget) {
    const ordinary = eligible.slice();
    for (const m of spans) ordinary.fill(0, m.start, m.end);
    chooseUnits(candidateUnits(ids, ordinary, s.continuation), budget, c, rng);
  }
  return c.finish();
}
