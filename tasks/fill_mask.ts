/**
 * `deno task fill-mask --model DIR [--top-k 5] [--json] [--backend auto|dawn|deno|cpu] "text with [MASK]"`:
 * the masked-LM's top-k tokens, with probabilities, for every [MASK] of the text, as HuggingFace's
 * `fill-mask` pipeline gives them. DIR holds `config.json` and `model.safetensors` (as this project
 * or `save_pretrained` writes them) and `vocab.txt`; without one, the shipped bert-base-uncased
 * vocab is used, and stderr says which. The text gets [CLS] and [SEP] and is cut to
 * min(512, max_position_embeddings) tokens.
 *
 * Text output, one line per [MASK]: `[MASK] 1 (position 6): mat 0.9731, rug 0.0042, ...`, the
 * position counting tokens from [CLS] = 0. `--json` prints one line,
 * `{"masks":[{"position":6,"top":[{"token":"mat","id":13523,"prob":0.9731},...]}]}`.
 * @module
 */
import { loadBertDir } from "../core/checkpoint/bert_dir.ts";
import { BertMlm, type BertShape } from "../core/bert/model.ts";
import { type BackendName, Gpu } from "../core/device.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/vocab.ts";
import { backendFlag, main, parseFlags, UsageError } from "./_cli.ts";

/** The longest input BERT takes, whatever the config allows. */
export const MAX_TOKENS = 512;

/** Options of {@linkcode run}. */
export interface FillMaskConfig {
  /** The model directory: `config.json`, `model.safetensors`, and usually `vocab.txt`. */
  model: string;
  /** The text, with one or more `[MASK]`. */
  text: string;
  /** How many tokens to list per [MASK]. */
  topK: number;
  /** Print one JSON line instead of one text line per [MASK]. */
  json: boolean;
  /** `cpu` runs the CPU reference ops; the others open a WebGPU device. */
  backend: BackendName;
  /** An open device to run on instead of opening one (left open); `backend` is then ignored. */
  gpu?: Gpu;
  /** Receives the output (default: stdout). */
  write?: (text: string) => Promise<void>;
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

/** What {@linkcode run} prints with `--json`. */
export interface FillMaskResult {
  /** One entry per [MASK], in text order. */
  masks: FillMaskPrediction[];
}

/** Loads the model, runs the masked-LM forward on `config.text` and prints the top-k per [MASK]. */
export async function run(config: FillMaskConfig): Promise<FillMaskResult> {
  const log = config.log ?? ((line: string) => console.error(line));
  if (!Number.isInteger(config.topK) || config.topK < 1) {
    throw new RangeError(`Cannot fill masks: topK must be a positive integer, got ${config.topK}`);
  }
  await assertDirectory(config.model);
  const tok = await loadTokenizer(config.model, log);
  const mask = tok.vocab.special.mask;
  const whole = tok.encode(config.text).ids;
  if (!whole.includes(mask)) {
    throw new UsageError("fill-mask: the text has no [MASK] token");
  }

  const { config: bert, shape, params, unused, warnings } = await loadBertDir(config.model, { head: "mlm" });
  if (unused.length > 0) log(`fill-mask: tensors the masked-LM does not use: ${unused.join(", ")}`);
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

  let gpu = config.gpu;
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
        top: topK(logits.subarray(k * V, (k + 1) * V), config.topK)
          .map(({ id, prob }) => ({ token: token(id), id, prob })),
      })),
    };
    const write = config.write ?? writeStdout;
    await write(config.json ? JSON.stringify(result) + "\n" : formatText(result));
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
export function formatText(result: FillMaskResult): string {
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

async function assertDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such directory" : (error as Error).message;
    throw new Error(`Cannot load model "${dir}": ${reason}`);
  }
  if (!info.isDirectory) throw new Error(`Cannot load model "${dir}": not a directory`);
}

/** The model directory's `vocab.txt`, or the shipped one; says which on the log. */
async function loadTokenizer(dir: string, log: (line: string) => void): Promise<BertTokenizer> {
  const own = `${dir}/vocab.txt`;
  try {
    await Deno.stat(own);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    log(`fill-mask: "${dir}" has no vocab.txt; using the shipped bert-base-uncased vocab ${DEFAULT_VOCAB}`);
    return await BertTokenizer.load(DEFAULT_VOCAB);
  }
  log(`fill-mask: vocab ${own}`);
  return await BertTokenizer.load(own);
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
}

if (import.meta.main) {
  await main(async () => {
    const { values, positionals } = parseFlags("fill-mask", Deno.args, {
      model: { type: "string" },
      "top-k": { type: "string" },
      json: { type: "boolean" },
      backend: { type: "string" },
    });
    if (values.model === undefined) throw new UsageError("fill-mask: --model DIR is required");
    if (positionals.length !== 1) {
      throw new UsageError(`fill-mask: expected one text with [MASK], got ${positionals.length} arguments`);
    }
    const rawK = (values["top-k"] as string | undefined) ?? "5";
    const topK = Number(rawK);
    if (!Number.isInteger(topK) || topK < 1) {
      throw new UsageError(`fill-mask: --top-k must be a positive integer, got "${rawK}"`);
    }
    await run({
      model: values.model as string,
      text: positionals[0]!,
      topK,
      json: Boolean(values.json),
      backend: backendFlag("fill-mask", values.backend),
    });
  });
}
