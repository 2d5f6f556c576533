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
 * RangeError otherwise). The list has 16 tensors per layer; {@linkcode validateCheckpoint} checks
 * a checkpoint without building it, so a config claiming a million layers costs nothing.
 */
export function bertTensorNames(config: BertConfig, options: BertHeadOptions): TensorName[] {
  const expected = expectedTensors(config, options);
  return Array.from({ length: expected.count }, (_, i) => expected.at(i));
}

/**
 * The tensors of a config and head as three groups (embeddings, one layer's, pooler and head), so
 * that the i-th name, a name's place and its shape are computed instead of looked up in a list as
 * long as the config claims.
 */
interface ExpectedTensors {
  /** How many tensors the model has. */
  count: number;
  /** The i-th tensor, 0 <= i < count. */
  at(i: number): TensorName;
  /** The place of a (current) name in the order, or undefined when the model has no such tensor. */
  indexOf(name: string): number | undefined;
  /** Whether the i-th tensor is outside the embeddings and the encoder (pooler or head). */
  isHead(i: number): boolean;
}

const LAYER_PREFIX = /^bert\.encoder\.layer\.(0|[1-9][0-9]*)\./;

function expectedTensors(config: BertConfig, options: BertHeadOptions): ExpectedTensors {
  const { vocab_size: V, hidden_size: H, intermediate_size: I, num_hidden_layers: L } = config;
  const group = () => {
    const list: TensorName[] = [];
    const add = (name: string, ...shape: number[]) => list.push({ name, shape });
    const linear = (prefix: string, outputs: number, inputs: number) => {
      add(`${prefix}.weight`, outputs, inputs);
      add(`${prefix}.bias`, outputs);
    };
    const layerNorm = (prefix: string) => {
      add(`${prefix}.weight`, H);
      add(`${prefix}.bias`, H);
    };
    return { list, add, linear, layerNorm };
  };

  const embeddings = group();
  embeddings.add("bert.embeddings.word_embeddings.weight", V, H);
  embeddings.add("bert.embeddings.position_embeddings.weight", config.max_position_embeddings, H);
  embeddings.add("bert.embeddings.token_type_embeddings.weight", config.type_vocab_size, H);
  embeddings.layerNorm("bert.embeddings.LayerNorm");

  // One layer's names, relative to "bert.encoder.layer.<l>.".
  const layer = group();
  layer.linear("attention.self.query", H, H);
  layer.linear("attention.self.key", H, H);
  layer.linear("attention.self.value", H, H);
  layer.linear("attention.output.dense", H, H);
  layer.layerNorm("attention.output.LayerNorm");
  layer.linear("intermediate.dense", I, H);
  layer.linear("output.dense", H, I);
  layer.layerNorm("output.LayerNorm");

  const head = group();
  head.linear("bert.pooler.dense", H, H);
  if (options.head === "mlm") {
    head.linear("cls.predictions.transform.dense", H, H);
    head.layerNorm("cls.predictions.transform.LayerNorm");
    head.add("cls.predictions.bias", V);
  } else if (options.head === "classification") {
    const labels = options.numLabels ?? config.num_labels;
    if (labels === undefined || !Number.isSafeInteger(labels) || labels < 1) {
      throw new RangeError(
        `Cannot list the classification head's tensors: numLabels must be a positive integer, got ${labels}`,
      );
    }
    head.linear("classifier", labels, H);
  } else {
    throw new RangeError(`Unknown BERT head "${options.head}": expected "mlm" or "classification"`);
  }

  const before = embeddings.list;
  const perLayer = layer.list;
  const after = head.list;
  const layersEnd = before.length + L * perLayer.length;
  const place = (list: TensorName[], offset: number) => new Map(list.map((t, i) => [t.name, offset + i]));
  const fixed = new Map([...place(before, 0), ...place(after, layersEnd)]);
  const inLayer = place(perLayer, 0);
  return {
    count: layersEnd + after.length,
    at(i) {
      if (i < before.length) return before[i]!;
      if (i >= layersEnd) return after[i - layersEnd]!;
      const j = i - before.length;
      const t = perLayer[j % perLayer.length]!;
      return { name: `bert.encoder.layer.${Math.floor(j / perLayer.length)}.${t.name}`, shape: t.shape };
    },
    indexOf(name) {
      const m = LAYER_PREFIX.exec(name);
      if (!m) return fixed.get(name);
      const l = Number(m[1]);
      const j = inLayer.get(name.slice(m[0].length));
      return l < L && j !== undefined ? before.length + l * perLayer.length + j : undefined;
    },
    isHead: (i) => i >= layersEnd,
  };
}

/**
 * `names` for a message: all of them when there are few, else the first few and how many more
 * (`total` when only the first of a longer list were collected).
 *
 * @example
 * ```ts
 * import { namesInBrief } from "./core/checkpoint/hf_names.ts";
 *
 * namesInBrief(["a", "b", "c", "d", "e", "f", "g"]); // "a, b, c, d, e and 2 more"
 * ```
 */
export function namesInBrief(names: readonly string[], total = names.length, separator = ", "): string {
  const shown = total <= BRIEF + 1 ? names.slice(0, total) : names.slice(0, BRIEF);
  const rest = total - shown.length;
  return shown.join(separator) + (rest > 0 ? ` and ${rest} more` : "");
}

/** How many names a message lists before "and N more". */
const BRIEF = 5;

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

/**
 * A tensor as {@linkcode validateCheckpoint} sees it: a shape, and the values when they have been
 * read (a safetensors header gives the shapes alone, enough to check a config before reading).
 */
export interface CheckpointTensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** The values, when read; the tied copies are compared only when both have them. */
  data?: Float32Array;
}

/** What {@linkcode validateCheckpoint} found. */
export interface CheckpointCheck<T extends CheckpointTensor = SafetensorsTensor> {
  /** The expected tensors found, under their current names, in {@linkcode bertTensorNames} order. */
  tensors: Map<string, T>;
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
 * Checks a checkpoint's tensors (as read, under any accepted name; or only their shapes, as a
 * safetensors header gives them) against the tensors of `config` with `head`. Throws one Error
 * that counts the missing, mis-shaped and duplicated tensors and names the first few of each;
 * returns the tensors under their current names, and the unexpected ones to warn about. The work
 * is bounded by the checkpoint, not by the config: a config claiming a million layers against a
 * two-layer checkpoint fails at once.
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
export function validateCheckpoint<T extends CheckpointTensor>(
  tensors: Map<string, T>,
  config: BertConfig,
  head: BertHeadOptions,
  options: ValidateCheckpointOptions = {},
): CheckpointCheck<T> {
  const expected = expectedTensors(config, head);
  const wants = (name: string) => expected.indexOf(name) !== undefined;
  const byName = new Map<string, { from: string; tensor: T }>();
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  const renamed: [string, string][] = [];
  const warnings: string[] = [];
  // Each with its place in the expected order, so the message lists them in that order.
  const misShaped: { at: number; what: string }[] = [];

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
  if (alias && wants(MLM_BIAS)) {
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
  if (decoder && wants(MLM_BIAS)) {
    byName.delete(TIED_DECODER_WEIGHT);
    const want = [config.vocab_size, config.hidden_size];
    if (!sameShape(decoder.tensor.shape, want)) {
      misShaped.push({ at: -1, what: `${decoder.from} is [${decoder.tensor.shape}], expected [${want}]` });
    } else {
      const embeddings = byName.get(WORD_EMBEDDINGS);
      if (embeddings && !sameValues(embeddings.tensor, decoder.tensor)) {
        warnings.push(
          `${TIED_DECODER_WEIGHT} differs from ${WORD_EMBEDDINGS}; the decoder is tied to the word embeddings, which are used`,
        );
      }
    }
  }

  const tolerated = (i: number) =>
    expected.isHead(i) &&
    (options.allowMissingHead || (head.head === "mlm" && expected.at(i).name.startsWith("bert.pooler.")));
  // Walked from the checkpoint's side: the expected list may be as long as a hostile config says.
  const present = new Set<number>();
  const found: { at: number; name: string; tensor: T }[] = [];
  for (const [name, { from, tensor }] of byName) {
    const at = expected.indexOf(name);
    if (at === undefined) {
      unexpected.push(from);
      continue;
    }
    present.add(at);
    const { shape } = expected.at(at);
    if (sameShape(tensor.shape, shape)) found.push({ at, name, tensor });
    else misShaped.push({ at, what: `${from} is [${tensor.shape}], expected [${shape}]` });
  }
  let toleratedCount = 0;
  for (let i = expected.count - 1; i >= 0 && expected.isHead(i); i--) if (tolerated(i)) toleratedCount++;
  let presentRequired = 0;
  for (const i of present) if (!tolerated(i)) presentRequired++;
  const fatalCount = expected.count - toleratedCount - presentRequired;

  // The missing ones in order, up to what a message shows: each step is either a tensor of the
  // checkpoint or a missing one, so the walk is as short as the checkpoint plus the message.
  const missing: string[] = [];
  const fatalMissing: string[] = [];
  for (let i = 0; i < expected.count && fatalMissing.length <= BRIEF; i++) {
    if (present.has(i)) continue;
    if (tolerated(i)) missing.push(expected.at(i).name);
    else fatalMissing.push(expected.at(i).name);
  }

  if (fatalCount > 0 || misShaped.length > 0 || duplicated.length > 0) {
    const parts: string[] = [];
    if (fatalCount > 0) {
      parts.push(`${count(fatalCount, "tensor")} missing: ${namesInBrief(fatalMissing, fatalCount)}`);
    }
    if (misShaped.length > 0) {
      misShaped.sort((a, b) => a.at - b.at);
      parts.push(
        `${count(misShaped.length, "tensor")} mis-shaped: ${
          namesInBrief(misShaped.map((m) => m.what), misShaped.length, "; ")
        }`,
      );
    }
    if (duplicated.length > 0) {
      parts.push(
        `${count(duplicated.length, "tensor")} given twice: ${
          namesInBrief(duplicated, duplicated.length, "; ")
        }`,
      );
    }
    const source = options.source ? ` "${options.source}"` : "";
    const shape = `L${config.num_hidden_layers}/H${config.hidden_size}/A${config.num_attention_heads}/` +
      `V${config.vocab_size}`;
    throw new Error(
      `Checkpoint${source} does not match the BERT config (${shape}, ${head.head} head): ${parts.join("; ")}`,
    );
  }
  found.sort((a, b) => a.at - b.at);
  return {
    tensors: new Map(found.map((f) => [f.name, f.tensor])),
    missing,
    unexpected,
    renamed,
    warnings,
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Whether two tensors hold the same values; true when either has not been read. */
function sameValues(a: CheckpointTensor, b: CheckpointTensor): boolean {
  if (a.data === undefined || b.data === undefined) return true;
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}
