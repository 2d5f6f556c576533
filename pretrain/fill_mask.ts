/**
 * Fill-mask: a masked-LM checkpoint's top-k tokens, with probabilities, for every [MASK] of a text,
 * as HuggingFace's `fill-mask` pipeline gives them. The model directory holds `config.json` and
 * `model.safetensors` (as this project or `save_pretrained` writes them) and `vocab.txt`, without
 * which it is refused (the model's ids index its own vocabulary). The text gets [CLS] and [SEP] and
 * is cut to min(512, max_position_embeddings) tokens.
 *
 * @example
 * ```ts
 * import { fillMask, formatFillMask } from "./fill_mask.ts";
 * const result = await fillMask({ model: "out/runs/my-run/checkpoint", text: "The cat sat on the [MASK]." });
 * console.log(formatFillMask(result)); // [MASK] 1 (position 6): mat 0.9731, rug 0.0042, ...
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import { z } from "zod";
import { UsageError } from "../config/errors.ts";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { bertDirVocabPath, loadBertDir } from "../core/checkpoint/bert_dir.ts";
import { namesInBrief } from "../core/checkpoint/hf_names.ts";
import { BertMlm, type BertShape } from "../core/bert/model.ts";
import { BACKEND_NAMES, type BackendName, Gpu } from "../core/device.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { requireDirectory } from "../util/files.ts";

/** The longest input BERT takes, whatever the config allows. */
export const MAX_TOKENS = 512;

/** What {@linkcode fillMask} fills; the keys are the flags with `_` for `-`. */
export interface FillMaskSettings {
  /** The model directory: `config.json`, `model.safetensors` and `vocab.txt`. */
  model: string;
  /** The text, with one or more `[MASK]`. */
  text: string;
  /** How many tokens to list per [MASK]. */
  top_k: number;
  /** `cpu` runs the CPU reference ops; the others open a WebGPU device. */
  backend: BackendName;
}

/** The settings of {@linkcode fillMask}. */
export const FILL_MASK_SETTINGS: SettingsSpec<FillMaskSettings> = defineSettings<FillMaskSettings>()(
  "fill-mask",
  z.object({
    model: z.string().min(1).describe("checkpoint directory: config.json, model.safetensors, vocab.txt"),
    text: z.string().describe("the text, with one or more [MASK]"),
    top_k: z.number().int().positive().default(5).describe("tokens listed per [MASK]"),
    backend: z.enum(BACKEND_NAMES).default("auto").describe(
      "auto, a WebGPU runtime (dawn, deno), or cpu (the CPU reference ops)",
    ),
  }).strict(),
);

/** How {@linkcode fillMask} runs, besides its settings. */
export interface FillMaskOptions {
  /** An open device to run on instead of opening one (left open); `backend` is then ignored. */
  gpu?: Gpu;
  /** Receives the progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** One candidate for a [MASK]. */
export interface FillMaskToken {
  /** The vocab's token, e.g. "mat" or "##s". */
  token: string;
  /** Its id. */
  id: number;
  /** Its softmax probability over the whole vocabulary. */
  prob: number;
}

/** The candidates for one [MASK], most probable first. */
export interface FillMaskPrediction {
  /** Index of the [MASK] among the encoded tokens, [CLS] = 0. */
  position: number;
  /** The top-k tokens, by probability (ties: lower id first). */
  top: FillMaskToken[];
}

/** What {@linkcode fillMask} finds (`deno task fill-mask --json` prints it). */
export interface FillMaskResult {
  /** One entry per [MASK], in text order. */
  masks: FillMaskPrediction[];
}

/**
 * Loads the model and runs the masked-LM forward on the text; returns the top-k per [MASK].
 *
 * @throws {UsageError} for bad settings or a text without [MASK]; {Error} for a model that cannot
 * be read
 */
export async function fillMask(
  settings: Partial<FillMaskSettings>,
  options: FillMaskOptions = {},
): Promise<FillMaskResult> {
  const config = FILL_MASK_SETTINGS.withDefaults(settings);
  const log = options.log ?? logToStderr;
  await requireDirectory(config.model, "Cannot load model");
  const tok = await loadTokenizer(config.model, log);
  const mask = tok.vocab.special.mask;
  const whole = tok.encode(config.text).ids;
  if (!whole.includes(mask)) {
    throw new UsageError("fill-mask: the text has no [MASK] token");
  }

  const { config: bert, shape, params, unused, warnings } = await loadBertDir(config.model, { head: "mlm" });
  if (unused.length > 0) log(`fill-mask: tensors the masked-LM does not use: ${namesInBrief(unused)}`);
  for (const w of warnings) log(`fill-mask: ${w}`);
  if (tok.vocab.size > shape.vocab) {
    throw new Error(
      `Cannot use vocab "${tok.vocab.source}" with model "${config.model}": ` +
        `${tok.vocab.size} tokens, the model has ${shape.vocab}`,
    );
  }
  const maxLength = Math.min(MAX_TOKENS, bert.max_position_embeddings);
  const encoding = tok.encode(config.text, { maxLength });
  const ids = Int32Array.from(encoding.ids);
  const positions = Int32Array.from(encoding.ids.flatMap((id, t) => (id === mask ? [t] : [])));
  if (positions.length === 0) {
    throw new UsageError(`fill-mask: every [MASK] lies past the first ${maxLength} tokens the model takes`);
  }
  if (whole.length > ids.length) {
    log(
      `fill-mask: the text is cut to ${maxLength} tokens (max_position_embeddings ${bert.max_position_embeddings})`,
    );
  }

  let gpu = options.gpu;
  const opened = !gpu && config.backend !== "cpu";
  try {
    if (opened) gpu = await Gpu.open({ backend: config.backend });
    if (gpu) log(`fill-mask: backend ${gpu.backend} (${gpu.info.adapter})`);
    else log("fill-mask: backend cpu (the CPU reference ops, no GPU)");
    const logits = gpu
      ? await maskedLogits(gpuOps(gpu), shape, params, ids, positions)
      : await maskedLogits(cpuOps(), shape, params, ids, positions);
    const V = shape.vocab;
    const token = (id: number) => tok.vocab.tokens[id] ?? `[id ${id}]`;
    const result: FillMaskResult = {
      masks: [...positions].map((position, k) => ({
        position,
        top: topK(logits.subarray(k * V, (k + 1) * V), config.top_k)
          .map(({ id, prob }) => ({ token: token(id), id, prob })),
      })),
    };
    return result;
  } finally {
    if (opened) gpu?.destroy();
  }
}

/** The MLM logits at `positions` of one sequence, [positions.length * vocab], read back to the host. */
async function maskedLogits<T>(
  ops: Ops<T>,
  shape: BertShape,
  params: Float32Array,
  ids: Int32Array,
  positions: Int32Array,
): Promise<Float32Array> {
  const seq = ids.length;
  const model = new BertMlm(ops, shape, { batch: 1, seq, predictions: positions.length });
  ops.write(model.params, params);
  model.setBatch({
    ids,
    typeIds: new Int32Array(seq),
    attentionMask: new Int32Array(seq).fill(1),
    positions,
    labels: new Int32Array(positions.length).fill(-100),
  });
  model.forward(0, false);
  return await ops.read(model.logits());
}

/**
 * The `k` most probable classes of one row of logits under a softmax over the whole row (computed
 * in float64), most probable first; ties go to the lower id. Pure, for tests.
 */
export function topK(logits: ArrayLike<number>, k: number): { id: number; prob: number }[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  // Insertion into a short sorted list: k is small, the row is a vocabulary.
  const best: number[] = [];
  const before = (a: number, b: number) => logits[a]! > logits[b]! || (logits[a] === logits[b] && a < b);
  for (let i = 0; i < logits.length; i++) {
    if (best.length === k && !before(i, best[k - 1]!)) continue;
    if (best.length < k) best.push(i);
    else best[k - 1] = i;
    for (let j = best.length - 1; j > 0 && before(best[j]!, best[j - 1]!); j--) {
      [best[j], best[j - 1]] = [best[j - 1]!, best[j]!];
    }
  }
  return best.map((id) => ({ id, prob: Math.exp(logits[id]! - max) / sum }));
}

/** The text output: one line per [MASK]. */
export function formatFillMask(result: FillMaskResult): string {
  return result.masks.map((m, k) =>
    `[MASK] ${k + 1} (position ${m.position}): ${
      m.top.map((t) => `${t.token} ${formatProb(t.prob)}`).join(", ")
    }\n`
  ).join("");
}

/** Four decimals, or three significant digits for what would print as 0.0000. */
function formatProb(p: number): string {
  return p >= 5e-5 ? p.toFixed(4) : p.toExponential(2);
}

/** The model directory's own `vocab.txt`; says which on the log. */
async function loadTokenizer(dir: string, log: (line: string) => void): Promise<BertTokenizer> {
  const path = await bertDirVocabPath(dir);
  log(`fill-mask: vocab ${path}`);
  return await BertTokenizer.load(path);
}
