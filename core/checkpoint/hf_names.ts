/**
 * HuggingFace's tensor names and shapes for a BERT, and the check of a checkpoint against them.
 *
 * Names are those of `BertForMaskedLM` / `BertForSequenceClassification`'s `state_dict()`, as
 * `save_pretrained` writes them. Linear weights are [out, in], as in PyTorch. The MLM decoder is
 * tied to the word embeddings and its bias is `cls.predictions.bias`; `save_pretrained` omits both
 * tied copies (`cls.predictions.decoder.weight` and `cls.predictions.decoder.bias`), so they are
 * not listed here, but reads accept them. The pooler is listed for the MLM head too: HuggingFace's
 * BertForMaskedLM has none and ignores it with an "unused weights" warning, and keeping it lets a
 * pre-trained checkpoint carry its pooler to fine-tuning.
 *
 * @example
 * ```ts
 * import { bertPreset } from "./core/bert/config.ts";
 * import { bertTensorNames } from "./core/checkpoint/hf_names.ts";
 *
 * const names = bertTensorNames(bertPreset("base"), { head: "mlm" });
 * // names.length === 204; names[0] is { name: "bert.embeddings.word_embeddings.weight", shape: [30522, 768] }
 * ```
 * @module
 */
import type { BertConfig } from "../bert/config.ts";
import type { SafetensorsTensor } from "./safetensors.ts";

/** The "__metadata__" `save_pretrained` writes; `from_pretrained` refuses safetensors files without it. */
export const HF_SAFETENSORS_METADATA: Readonly<Record<string, string>> = Object.freeze({ format: "pt" });

/** Which head sits on the encoder. */
export type BertHead = "mlm" | "classification";

/** The head, and for classification the number of outputs (default: the config's `num_labels`). */
export interface BertHeadOptions {
  /** Which head. */
  head: BertHead;
  /** Outputs of the classification head; default: the config's `num_labels`. */
  numLabels?: number;
}

/** One tensor's HuggingFace name and shape. */
export interface TensorName {
  /** HuggingFace's name, e.g. `bert.encoder.layer.0.attention.self.query.weight`. */
  name: string;
  /** Row-major shape; linear weights are [out, in]. */
  shape: number[];
}

/**
 * Every tensor of a BERT with `head`, in a fixed order: embeddings, the layers in turn, pooler,
 * then the head. A classification head needs `numLabels` or the config's `num_labels` (a
 * RangeError otherwise).
 */
export function bertTensorNames(config: BertConfig, options: BertHeadOptions): TensorName[] {
  const { vocab_size: V, hidden_size: H, intermediate_size: I } = config;
  const out: TensorName[] = [];
  const add = (name: string, ...shape: number[]) => out.push({ name, shape });
  const linear = (prefix: string, outputs: number, inputs: number) => {
    add(`${prefix}.weight`, outputs, inputs);
    add(`${prefix}.bias`, outputs);
  };
  const layerNorm = (prefix: string) => {
    add(`${prefix}.weight`, H);
    add(`${prefix}.bias`, H);
  };

  add("bert.embeddings.word_embeddings.weight", V, H);
  add("bert.embeddings.position_embeddings.weight", config.max_position_embeddings, H);
  add("bert.embeddings.token_type_embeddings.weight", config.type_vocab_size, H);
  layerNorm("bert.embeddings.LayerNorm");
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, H, H);
    linear(`${p}.attention.self.key`, H, H);
    linear(`${p}.attention.self.value`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    layerNorm(`${p}.output.LayerNorm`);
  }
  linear("bert.pooler.dense", H, H);

  if (options.head === "mlm") {
    linear("cls.predictions.transform.dense", H, H);
    layerNorm("cls.predictions.transform.LayerNorm");
    add("cls.predictions.bias", V);
  } else if (options.head === "classification") {
    const labels = options.numLabels ?? config.num_labels;
    if (labels === undefined || !Number.isSafeInteger(labels) || labels < 1) {
      throw new RangeError(
        `Cannot list the classification head's tensors: numLabels must be a positive integer, got ${labels}`,
      );
    }
    linear("classifier", labels, H);
  } else {
    throw new RangeError(`Unknown BERT head "${options.head}": expected "mlm" or "classification"`);
  }
  return out;
}

/**
 * Tensors a HuggingFace checkpoint may hold that are buffers, not parameters (the I64
 * `bert.embeddings.position_ids` of older saves); pass as `skip` to `readSafetensors`.
 */
export function isHfBuffer(name: string): boolean {
  return name.endsWith(".position_ids") || name.endsWith(".token_type_ids");
}

/**
 * The current HuggingFace name of a tensor saved under an older or shorter one: TF-converted
 * `LayerNorm.gamma` / `LayerNorm.beta` become `.weight` / `.bias`, and a bare BertModel's names
 * (no "bert." prefix) gain it. `cls.predictions.decoder.*`, the tied copies, are left as they are.
 */
export function canonicalTensorName(name: string): string {
  let n = name;
  if (n.endsWith("LayerNorm.gamma")) n = n.slice(0, -"gamma".length) + "weight";
  else if (n.endsWith("LayerNorm.beta")) n = n.slice(0, -"beta".length) + "bias";
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`;
  return n;
}

/** Options of {@linkcode validateCheckpoint}. */
export interface ValidateCheckpointOptions {
  /** The checkpoint's file, named in the error. */
  source?: string;
  /**
   * Tolerate missing pooler and head tensors (those outside bert.embeddings / bert.encoder): they
   * are listed in `missing` for the caller to initialise, as when fine-tuning a classifier from a
   * pre-trained checkpoint. With the MLM head a missing pooler is always tolerated, since
   * HuggingFace's BertForMaskedLM saves none.
   */
  allowMissingHead?: boolean;
}

/** What {@linkcode validateCheckpoint} found. */
export interface CheckpointCheck {
  /** The expected tensors found, under their current names, in {@linkcode bertTensorNames} order. */
  tensors: Map<string, SafetensorsTensor>;
  /** Expected tensors the checkpoint lacks (only tolerated ones; any other fails the check). */
  missing: string[];
  /** Tensors of the checkpoint that the model does not use (e.g. `cls.seq_relationship.*`): warn. */
  unexpected: string[];
  /** Old names read under their current ones: [name in the file, current name]. */
  renamed: [string, string][];
  /** Things that load but deserve a warning (an untied decoder that differs from the embeddings). */
  warnings: string[];
}

const TIED_DECODER_WEIGHT = "cls.predictions.decoder.weight";
const DECODER_BIAS_ALIAS = "cls.predictions.decoder.bias";
const WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight";
const MLM_BIAS = "cls.predictions.bias";

/**
 * Checks a checkpoint's tensors (as read, under any accepted name) against the tensors of
 * `config` with `head`. Throws one Error that names every missing, mis-shaped and duplicated
 * tensor; returns the tensors under their current names, and the unexpected ones to warn about.
 *
 * @example
 * ```ts
 * import { readBertConfig } from "./core/bert/config.ts";
 * import { isHfBuffer, validateCheckpoint } from "./core/checkpoint/hf_names.ts";
 * import { readSafetensors } from "./core/checkpoint/safetensors.ts";
 *
 * const config = await readBertConfig("model/config.json");
 * const raw = await readSafetensors("model/model.safetensors", { skip: isHfBuffer });
 * const { tensors, unexpected } = validateCheckpoint(raw, config, { head: "mlm" }, {
 *   source: "model/model.safetensors",
 * });
 * if (unexpected.length > 0) console.warn(`Unused tensors: ${unexpected.join(", ")}`);
 * ```
 */
export function validateCheckpoint(
  tensors: Map<string, SafetensorsTensor>,
  config: BertConfig,
  head: BertHeadOptions,
  options: ValidateCheckpointOptions = {},
): CheckpointCheck {
  const expected = bertTensorNames(config, head);
  const wanted = new Set(expected.map((t) => t.name));
  const byName = new Map<string, { from: string; tensor: SafetensorsTensor }>();
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  const renamed: [string, string][] = [];
  const warnings: string[] = [];
  const misShaped: string[] = [];

  for (const [from, tensor] of tensors) {
    const name = canonicalTensorName(from);
    const other = byName.get(name);
    if (other) {
      duplicated.push(`"${other.from}" and "${from}" are both ${name}`);
      continue;
    }
    byName.set(name, { from, tensor });
    if (name !== from) renamed.push([from, name]);
  }

  // The tied copies: the decoder bias is an alias of cls.predictions.bias, the decoder weight a
  // copy of the word embeddings (checked, then dropped).
  const alias = byName.get(DECODER_BIAS_ALIAS);
  if (alias && wanted.has(MLM_BIAS)) {
    byName.delete(DECODER_BIAS_ALIAS);
    const bias = byName.get(MLM_BIAS);
    if (!bias) {
      byName.set(MLM_BIAS, alias);
      renamed.push([alias.from, MLM_BIAS]);
    } else if (!sameValues(bias.tensor, alias.tensor)) {
      warnings.push(`${DECODER_BIAS_ALIAS} differs from ${MLM_BIAS}; the model uses ${MLM_BIAS}`);
    }
  }
  const decoder = byName.get(TIED_DECODER_WEIGHT);
  if (decoder && wanted.has(MLM_BIAS)) {
    byName.delete(TIED_DECODER_WEIGHT);
    const want = [config.vocab_size, config.hidden_size];
    if (!sameShape(decoder.tensor.shape, want)) {
      misShaped.push(`${decoder.from} is [${decoder.tensor.shape}], expected [${want}]`);
    } else {
      const embeddings = byName.get(WORD_EMBEDDINGS);
      if (embeddings && !sameValues(embeddings.tensor, decoder.tensor)) {
        warnings.push(
          `${TIED_DECODER_WEIGHT} differs from ${WORD_EMBEDDINGS}; the decoder is tied to the word embeddings, which are used`,
        );
      }
    }
  }

  const found = new Map<string, SafetensorsTensor>();
  const missing: string[] = [];
  const fatalMissing: string[] = [];
  for (const { name, shape } of expected) {
    const got = byName.get(name);
    if (!got) {
      missing.push(name);
      const isHead = !name.startsWith("bert.embeddings.") && !name.startsWith("bert.encoder.");
      const tolerated = (isHead && options.allowMissingHead) ||
        (head.head === "mlm" && name.startsWith("bert.pooler."));
      if (!tolerated) fatalMissing.push(name);
      continue;
    }
    if (!sameShape(got.tensor.shape, shape)) {
      misShaped.push(`${got.from} is [${got.tensor.shape}], expected [${shape}]`);
      continue;
    }
    found.set(name, got.tensor);
  }
  for (const [name, { from }] of byName) if (!wanted.has(name)) unexpected.push(from);

  if (fatalMissing.length > 0 || misShaped.length > 0 || duplicated.length > 0) {
    const parts: string[] = [];
    if (fatalMissing.length > 0) {
      parts.push(`${count(fatalMissing.length, "tensor")} missing: ${fatalMissing.join(", ")}`);
    }
    if (misShaped.length > 0) {
      parts.push(`${count(misShaped.length, "tensor")} mis-shaped: ${misShaped.join("; ")}`);
    }
    if (duplicated.length > 0) {
      parts.push(`${count(duplicated.length, "tensor")} given twice: ${duplicated.join("; ")}`);
    }
    const source = options.source ? ` "${options.source}"` : "";
    const shape = `L${config.num_hidden_layers}/H${config.hidden_size}/A${config.num_attention_heads}/` +
      `V${config.vocab_size}`;
    throw new Error(
      `Checkpoint${source} does not match the BERT config (${shape}, ${head.head} head): ${parts.join("; ")}`,
    );
  }
  return { tensors: found, missing, unexpected, renamed, warnings };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function sameValues(a: SafetensorsTensor, b: SafetensorsTensor): boolean {
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}
