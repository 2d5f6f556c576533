/**
 * The model's side of the knowledge probe: each fact's sentence through the masked-LM forward,
 * many facts per pass (shorter ones padded, with attention mask 0 on the padding), and the rank
 * of the gold tail among the scored tokens of the MLM logits at its [MASK], with the best tokens.
 *
 * @example
 * ```ts
 * import { scoreFacts } from "./score.ts";
 * import { readProbeFacts } from "./facts.ts";
 * import { scoredTokens } from "./ranking.ts";
 * import { readProbeTemplates } from "./templates.ts";
 * import { cpuOps } from "../core/ops.ts";
 * import { loadBertDir } from "../core/checkpoint/bert_dir.ts";
 * import { BertTokenizer } from "../data/tokenizer.ts";
 * import { PROBE_FACTS, PROBE_TEMPLATES } from "../data/samples.ts";
 *
 * const dir = "out/runs/my-run/checkpoint";
 * const tokenizer = await BertTokenizer.load(`${dir}/vocab.txt`);
 * const scored = scoredTokens(tokenizer.vocab);
 * const templates = await readProbeTemplates(PROBE_TEMPLATES);
 * const { facts } = await readProbeFacts(PROBE_FACTS, { tokenizer, templates, scored, maxTokens: 128 });
 * const { shape, params } = await loadBertDir(dir, { head: "mlm" });
 * const scores = await scoreFacts(cpuOps(), shape, params, facts, { batch: 64, scored, pad: 0 });
 * console.log(facts[0]!.text, scores.ranks[0], scores.top[0]);
 * ```
 * @module
 */
import { BertMlm, type BertShape, IGNORE_LABEL } from "../core/bert/model.ts";
import type { Ops } from "../core/ops.ts";
import { Progress, type ProgressOptions } from "../util/progress.ts";
import type { ProbeFact } from "./facts.ts";
import { goldRank, softmaxProb, topScored } from "./ranking.ts";

/** The best tokens listed per fact. */
export const PROBE_TOP_TOKENS = 10;

/** How {@linkcode scoreFacts} runs. */
export interface ScoreFactsOptions {
  /** Facts per forward pass. */
  batch: number;
  /** Which ids are ranked (`scoredTokens`). */
  scored: Uint8Array;
  /** The [PAD] id. */
  pad: number;
  /** Progress over the facts (default: stderr). */
  progress?: ProgressOptions;
}

/** The model's answers. */
export interface FactScores {
  /** Rank of each fact's gold tail (1 = best), in the facts' order. */
  ranks: Int32Array;
  /** Each fact's {@linkcode PROBE_TOP_TOKENS} best ids, best first. */
  top: number[][];
  /** The gold tail's softmax probability over the whole vocabulary. */
  probs: Float64Array;
}

/**
 * Ranks every fact's gold tail under the model. One model of `batch` sequences of the longest
 * fact's length is built and reused; the last pass fills its empty rows with the first fact.
 *
 * @throws {RangeError} for no facts
 */
export async function scoreFacts<T>(
  ops: Ops<T>,
  shape: BertShape,
  params: Float32Array,
  facts: readonly ProbeFact[],
  options: ScoreFactsOptions,
): Promise<FactScores> {
  if (facts.length === 0) throw new RangeError("Cannot score no facts");
  const B = Math.min(options.batch, facts.length);
  const S = facts.reduce((m, f) => Math.max(m, f.ids.length), 0);
  const V = shape.vocab;
  const model = new BertMlm(ops, shape, { batch: B, seq: S, predictions: B });
  ops.write(model.params, params);
  const ranks = new Int32Array(facts.length);
  const top: number[][] = [];
  const probs = new Float64Array(facts.length);
  const progress = new Progress({ label: "probe", total: facts.length, unit: "facts", ...options.progress });
  for (let start = 0; start < facts.length; start += B) {
    const ids = new Int32Array(B * S).fill(options.pad);
    const attentionMask = new Int32Array(B * S);
    const positions = new Int32Array(B);
    const valid = Math.min(B, facts.length - start);
    for (let b = 0; b < B; b++) {
      const f = facts[b < valid ? start + b : 0]!;
      ids.set(f.ids, b * S);
      attentionMask.fill(1, b * S, b * S + f.ids.length);
      positions[b] = b * S + f.mask;
    }
    model.setBatch({
      ids,
      typeIds: new Int32Array(B * S),
      attentionMask,
      positions,
      labels: new Int32Array(B).fill(IGNORE_LABEL),
    });
    model.forward(0, false);
    const logits = await ops.read(model.logits());
    for (let b = 0; b < valid; b++) {
      const row = logits.subarray(b * V, (b + 1) * V);
      ranks[start + b] = goldRank(row, facts[start + b]!.gold, options.scored);
      top.push(topScored(row, PROBE_TOP_TOKENS, options.scored));
      probs[start + b] = softmaxProb(row, facts[start + b]!.gold);
    }
    progress.update(start + valid);
  }
  progress.stop();
  return { ranks, top, probs };
}
