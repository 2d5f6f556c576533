/**
 * GLUE examples as model inputs: each example tokenized once (`[CLS] A [SEP] (B [SEP])`, cut
 * longest-first to the maximum length), stored ragged, and assembled into fixed-size batches.
 *
 * Fixed shapes keep one device graph per task: every batch has `batch` rows of `seq` tokens. `seq`
 * is the task's longest encoded example (train, dev and test) rounded up to a multiple of 8, at
 * most `--max-length` ({@linkcode sequenceLength}): padding every batch to 128 would make short
 * tasks (SST-2, CoLA) pay for attention over padding, and per-batch lengths would need one graph
 * per length. An evaluation batch past the end of a set is filled with padding rows (`[CLS] [SEP]`,
 * label ignored), whose outputs are dropped ({@linkcode evaluationBatch}).
 *
 * @example
 * ```ts
 * import { BertTokenizer } from "../data/tokenizer.ts";
 * import { readGlue } from "./read.ts";
 * import { encodeExamples, evaluationBatch, sequenceLength } from "./encode.ts";
 *
 * const tok = await BertTokenizer.load();
 * const dev = encodeExamples(tok, "RTE", (await readGlue("data/glue", "RTE", "dev")).examples, 128);
 * const seq = sequenceLength([dev], 128);
 * const { batch, valid } = evaluationBatch(dev, 0, 32, seq, 2);
 * ```
 * @module
 */
import type { ClassifierBatch } from "../core/bert/classifier.ts";
import { IGNORE_LABEL } from "../core/bert/model.ts";
import type { GlueExample } from "./read.ts";
import { GLUE_TASKS, type GlueTaskName } from "./tasks.ts";
import type { BertTokenizer } from "../data/tokenizer.ts";

/** Tokenized examples, stored ragged: example `i` is `ids[offsets[i] .. offsets[i + 1])`. */
export interface EncodedSet {
  /** Examples. */
  readonly n: number;
  /** Start of each example's tokens, [n + 1]. */
  readonly offsets: Int32Array;
  /** Token ids, [CLS] and [SEP] included. */
  readonly ids: Int32Array;
  /** Token types (0 for A, 1 for B). */
  readonly typeIds: Uint8Array;
  /** Class ids (classification), or null where the set has none (test files, regression). */
  readonly labels: Int32Array | null;
  /** Scores (regression), or null. */
  readonly targets: Float32Array | null;
  /** Each example's index column (test files), else its 0-based row in the file. */
  readonly index: string[];
  /** The longest example, in tokens. */
  readonly longest: number;
  /** Examples cut to the maximum length. */
  readonly truncated: number;
  /** Token id of [PAD] and [CLS]/[SEP] (padding rows are `[CLS] [SEP]`). */
  readonly special: { readonly pad: number; readonly cls: number; readonly sep: number };
}

/**
 * Tokenizes `examples` of `task` with at most `maxLength` tokens each (special tokens included,
 * longest-first truncation as HuggingFace's `truncation=True`).
 */
export function encodeExamples(
  tok: BertTokenizer,
  task: GlueTaskName,
  examples: readonly GlueExample[],
  maxLength: number,
): EncodedSet {
  const output = GLUE_TASKS[task].output;
  const n = examples.length;
  const offsets = new Int32Array(n + 1);
  const ids: number[] = [];
  const types: number[] = [];
  const labelled = examples.length > 0 &&
    examples.every((e) => e.label !== undefined || e.score !== undefined);
  const labels = labelled && output.type === "classification" ? new Int32Array(n) : null;
  const targets = labelled && output.type === "regression" ? new Float32Array(n) : null;
  let longest = 0, truncated = 0;
  examples.forEach((e, i) => {
    const whole = tok.encode(e.textA, e.textB === undefined ? {} : { pair: e.textB });
    const enc = whole.ids.length > maxLength
      ? tok.encode(e.textA, { ...(e.textB === undefined ? {} : { pair: e.textB }), maxLength })
      : whole;
    if (whole.ids.length > maxLength) truncated++;
    for (let t = 0; t < enc.ids.length; t++) {
      ids.push(enc.ids[t]!);
      types.push(enc.tokenTypeIds[t]!);
    }
    offsets[i + 1] = ids.length;
    longest = Math.max(longest, enc.ids.length);
    if (labels) labels[i] = e.label!;
    if (targets) targets[i] = e.score!;
  });
  const { pad, cls, sep } = tok.vocab.special;
  return {
    n,
    offsets,
    ids: Int32Array.from(ids),
    typeIds: Uint8Array.from(types),
    labels,
    targets,
    index: examples.map((e, i) => e.index ?? String(i)),
    longest,
    truncated,
    special: { pad, cls, sep },
  };
}

/**
 * The padded length of a task's batches: the longest example over `sets`, rounded up to a
 * multiple of 8, at most `maxLength`.
 *
 * @example
 * ```ts
 * import { sequenceLength } from "./encode.ts";
 * sequenceLength([{ longest: 37 }, { longest: 20 }], 128); // 40
 * ```
 */
export function sequenceLength(sets: readonly { readonly longest: number }[], maxLength: number): number {
  const longest = Math.max(2, ...sets.map((s) => s.longest));
  return Math.min(maxLength, Math.ceil(longest / 8) * 8);
}

/**
 * The batch of the example rows `rows` (training: every row real), each padded to `seq` tokens;
 * classification labels or regression targets from the set.
 */
export function trainingBatch(set: EncodedSet, rows: ArrayLike<number>, seq: number): ClassifierBatch {
  return assemble(set, rows, rows.length, seq, set.targets !== null);
}

/**
 * The evaluation batch starting at example `start`: `batch` rows, of which the first `valid` are
 * examples `start .. start + valid - 1` and the rest padding rows. Labels are the set's (ignored
 * for padding rows and for unlabelled sets); `numLabels` 1 gives regression targets.
 */
export function evaluationBatch(
  set: EncodedSet,
  start: number,
  batch: number,
  seq: number,
  numLabels: number,
): { batch: ClassifierBatch; valid: number } {
  const valid = Math.max(0, Math.min(batch, set.n - start));
  const rows = Int32Array.from({ length: valid }, (_, i) => start + i);
  return { batch: assemble(set, rows, batch, seq, numLabels === 1), valid };
}

function assemble(
  set: EncodedSet,
  rows: ArrayLike<number>,
  batch: number,
  seq: number,
  regression: boolean,
): ClassifierBatch {
  const ids = new Int32Array(batch * seq).fill(set.special.pad);
  const typeIds = new Int32Array(batch * seq);
  const attentionMask = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const base = b * seq;
    if (b >= rows.length) {
      // A padding row: a well-formed empty sequence, so no row has every position masked.
      ids[base] = set.special.cls;
      ids[base + 1] = set.special.sep;
      attentionMask[base] = attentionMask[base + 1] = 1;
      continue;
    }
    const r = rows[b]!;
    const from = set.offsets[r]!, length = set.offsets[r + 1]! - from;
    if (length > seq) throw new RangeError(`Example ${r} has ${length} tokens, more than the batch's ${seq}`);
    ids.set(set.ids.subarray(from, from + length), base);
    for (let t = 0; t < length; t++) {
      typeIds[base + t] = set.typeIds[from + t]!;
      attentionMask[base + t] = 1;
    }
  }
  const inputs = { ids, typeIds, attentionMask };
  if (regression) {
    const targets = new Float32Array(batch);
    for (let b = 0; b < rows.length; b++) targets[b] = set.targets?.[rows[b]!] ?? 0;
    return { ...inputs, targets };
  }
  const labels = new Int32Array(batch).fill(IGNORE_LABEL);
  for (let b = 0; b < rows.length; b++) labels[b] = set.labels?.[rows[b]!] ?? IGNORE_LABEL;
  return { ...inputs, labels };
}
