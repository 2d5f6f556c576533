/**
 * Ranks over a vocabulary, as the knowledge probe counts them: every token is a candidate except
 * the special ones ([PAD], [UNK], [CLS], [SEP], [MASK]) and the `[unusedN]` placeholders, which no
 * fact has as its answer. Rank 1 is the best; equal scores go to the lower id, as `topK` in
 * `pretrain/fill_mask.ts` orders them.
 *
 * @example
 * ```ts
 * import { goldRank, scoredTokens, topScored } from "./ranking.ts";
 * import { loadVocab } from "../data/vocab.ts";
 *
 * const scored = scoredTokens(await loadVocab());
 * const logits = new Float32Array(scored.length);
 * logits[2003] = 5; // "is"
 * goldRank(logits, 2003, scored); // 1
 * topScored(logits, 3, scored); // [2003, 999, 1000]: the rest tie at 0, lower ids first
 * ```
 * @module
 */
import type { Vocab } from "../data/vocab.ts";
import { topK } from "../pretrain/fill_mask.ts";

/** The `[unusedN]` placeholders of BERT vocabularies. */
const UNUSED = /^\[unused\d+\]$/;

/**
 * Which ids are candidates: 1 for every token of `vocab` but the five special tokens and the
 * `[unusedN]` placeholders, 0 for those.
 */
export function scoredTokens(vocab: Vocab): Uint8Array {
  const scored = new Uint8Array(vocab.size).fill(1);
  for (const id of Object.values(vocab.special)) scored[id] = 0;
  vocab.tokens.forEach((token, id) => {
    if (UNUSED.test(token)) scored[id] = 0;
  });
  return scored;
}

/**
 * The rank of `gold` among the scored ids of one row of logits: 1 + the scored ids with a higher
 * logit, or an equal one and a lower id.
 */
export function goldRank(logits: ArrayLike<number>, gold: number, scored: Uint8Array): number {
  const g = logits[gold]!;
  let rank = 1;
  for (let i = 0; i < scored.length; i++) {
    if (scored[i] === 0 || i === gold) continue;
    const l = logits[i]!;
    if (l > g || (l === g && i < gold)) rank++;
  }
  return rank;
}

/**
 * The softmax probability of `id` over the whole row (every id, the unscored ones included, as
 * fill-mask gives it), computed in float64.
 */
export function softmaxProb(logits: ArrayLike<number>, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return Math.exp(logits[id]! - max) / sum;
}

/** The `k` best scored ids of one row of logits, best first (ties: lower id first). */
export function topScored(logits: ArrayLike<number>, k: number, scored: Uint8Array): number[] {
  const masked = new Float64Array(scored.length);
  for (let i = 0; i < scored.length; i++) masked[i] = scored[i] === 1 ? logits[i]! : -Infinity;
  return topK(masked, Math.min(k, countScored(scored))).map((t) => t.id);
}

/** How many ids are candidates. */
export function countScored(scored: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < scored.length; i++) n += scored[i]!;
  return n;
}

/**
 * Ranks of every id under an ordering by `counts` (higher first); equal counts go by `tieRank`
 * (lower first) when given, else by the lower id. Unscored ids get rank 0; the scored ones get
 * 1..(scored count).
 */
export function frequencyRanks(
  counts: ArrayLike<number>,
  scored: Uint8Array,
  tieRank?: ArrayLike<number>,
): Int32Array {
  const ids: number[] = [];
  for (let i = 0; i < scored.length; i++) if (scored[i] === 1) ids.push(i);
  ids.sort((a, b) => (counts[b]! - counts[a]!) || (tieRank ? tieRank[a]! - tieRank[b]! : 0) || a - b);
  const ranks = new Int32Array(scored.length);
  ids.forEach((id, k) => (ranks[id] = k + 1));
  return ranks;
}
