/**
 * The BERT model configuration, with HuggingFace's `config.json` field names, so a config written
 * here loads with `transformers`' `BertConfig.from_pretrained` and a downloaded one loads here.
 *
 * Missing fields take HuggingFace's `BertConfig` defaults (those of bert-base-uncased), as
 * `from_pretrained` does; fields HuggingFace writes that do not change the model
 * (`transformers_version`, `use_cache`, ...) are ignored on read.
 *
 * @example
 * ```ts
 * import { bertPreset, readBertConfig, writeBertConfig } from "./core/bert/config.ts";
 *
 * const config = bertPreset("mini", { vocab_size: 8192 });
 * // config.hidden_size === 256, config.intermediate_size === 1024
 * await writeBertConfig("out/mini/config.json", config);
 * const back = await readBertConfig("out/mini/config.json");
 * ```
 * @module
 */
import { writeFileAtomic } from "../../util/atomic_write.ts";

/** HuggingFace's `problem_type` of a sequence-classification head. */
export type BertProblemType = "regression" | "single_label_classification" | "multi_label_classification";
const PROBLEM_TYPES: BertProblemType[] = [
  "regression",
  "single_label_classification",
  "multi_label_classification",
];

/** A BERT model's shape and training constants, with HuggingFace's `config.json` names. */
export interface BertConfig {
  /** V: rows of the word-embedding table (and columns of the tied MLM decoder). */
  vocab_size: number;
  /** H: width of every token's hidden state. */
  hidden_size: number;
  /** L: encoder layers. */
  num_hidden_layers: number;
  /** A: attention heads; H must be a multiple of A. */
  num_attention_heads: number;
  /** I: width of the feed-forward layer (4H in every released BERT). */
  intermediate_size: number;
  /** Only "gelu", the exact erf form, is implemented. */
  hidden_act: "gelu";
  /** P: rows of the position-embedding table, the longest sequence the model takes. */
  max_position_embeddings: number;
  /** T: rows of the token-type (segment) embedding table. */
  type_vocab_size: number;
  /** Epsilon inside every LayerNorm's square root. */
  layer_norm_eps: number;
  /** Dropout on embeddings, attention outputs and feed-forward outputs. */
  hidden_dropout_prob: number;
  /** Dropout on the attention probabilities. */
  attention_probs_dropout_prob: number;
  /** Standard deviation of the normal initialisation of weight matrices. */
  initializer_range: number;
  /** Id of [PAD]. */
  pad_token_id: number;
  /** Outputs of a sequence-classification head (1 for regression). */
  num_labels?: number;
  /** Names of the classification labels, keyed "0".."num_labels - 1". */
  id2label?: Record<string, string>;
  /** Loss of the classification head; absent: regression for 1 label, else single-label. */
  problem_type?: BertProblemType;
  /** Dropout before the classifier; null or absent: `hidden_dropout_prob`. */
  classifier_dropout?: number | null;
}

/** HuggingFace's `BertConfig()` defaults, which are bert-base-uncased's values. */
export const BERT_DEFAULTS: Readonly<BertConfig> = Object.freeze({
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  pad_token_id: 0,
});

/** The size presets: Google's BERT miniatures (tiny .. medium) and the two released sizes. */
export type BertPresetName = "tiny" | "mini" | "small" | "medium" | "base" | "large";

/** Layers (L), hidden size (H) and heads (A) of each preset; the feed-forward width is 4H. */
export const BERT_PRESETS: Readonly<Record<BertPresetName, { L: number; H: number; A: number }>> = Object
  .freeze({
    tiny: { L: 2, H: 128, A: 2 },
    mini: { L: 4, H: 256, A: 4 },
    small: { L: 4, H: 512, A: 8 },
    medium: { L: 8, H: 512, A: 8 },
    base: { L: 12, H: 768, A: 12 },
    large: { L: 24, H: 1024, A: 16 },
  });

/**
 * A preset by name, with `overrides` applied (e.g. the vocab size of the tokenizer in use). The
 * feed-forward width is 4 x the final hidden size unless `intermediate_size` is overridden.
 * Throws a RangeError for an unknown name or an override that makes the config invalid.
 *
 * @example
 * ```ts
 * import { bertPreset } from "./core/bert/config.ts";
 *
 * const tiny = bertPreset("tiny"); // L2 / H128 / A2, intermediate 512, vocab 30522
 * const odd = bertPreset("tiny", { hidden_size: 72, num_attention_heads: 3 }); // intermediate 288
 * ```
 */
export function bertPreset(name: BertPresetName, overrides: Partial<BertConfig> = {}): BertConfig {
  const preset = Object.hasOwn(BERT_PRESETS, name) ? BERT_PRESETS[name] : undefined;
  if (!preset) {
    throw new RangeError(
      `Unknown BERT preset "${name}": expected one of ${Object.keys(BERT_PRESETS).join(", ")}`,
    );
  }
  const hidden = overrides.hidden_size ?? preset.H;
  const merged: Record<string, unknown> = {
    ...BERT_DEFAULTS,
    num_hidden_layers: preset.L,
    hidden_size: preset.H,
    num_attention_heads: preset.A,
    intermediate_size: 4 * hidden,
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  return parseBertConfig(merged, `preset ${name}`);
}

/**
 * Checks a parsed `config.json` (or any object) and returns a complete BertConfig, missing fields
 * filled with HuggingFace's defaults. Every error names `source` and the field: a TypeError for a
 * value of the wrong type, a RangeError for one out of range or not supported here.
 *
 * @example
 * ```ts
 * import { parseBertConfig } from "./core/bert/config.ts";
 *
 * const config = parseBertConfig({ hidden_size: 256, num_attention_heads: 4 }, "inline");
 * // other fields are bert-base's: config.num_hidden_layers === 12
 * ```
 */
export function parseBertConfig(json: unknown, source: string): BertConfig {
  const fail = (Kind: typeof TypeError | typeof RangeError, what: string): never => {
    throw new Kind(`Invalid BERT config "${source}": ${what}`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail(TypeError, `expected a JSON object, got ${describe(json)}`);
  }
  const obj = json as Record<string, unknown>;
  const has = (key: string) => Object.hasOwn(obj, key) && obj[key] !== undefined;

  if (has("model_type") && obj.model_type !== "bert") {
    fail(RangeError, `field "model_type" is ${describe(obj.model_type)}, only "bert" is supported`);
  }
  if (has("position_embedding_type") && obj.position_embedding_type !== "absolute") {
    fail(
      RangeError,
      `field "position_embedding_type" is ${
        describe(obj.position_embedding_type)
      }, only "absolute" is supported`,
    );
  }

  const int = (key: keyof BertConfig, min: number): number => {
    const v = has(key) ? obj[key] : BERT_DEFAULTS[key];
    if (typeof v !== "number") {
      return fail(TypeError, `field "${key}" must be an integer, got ${describe(v)}`);
    }
    if (!Number.isSafeInteger(v) || v < min) {
      return fail(RangeError, `field "${key}" must be an integer >= ${min}, got ${describe(v)}`);
    }
    return v;
  };
  const real = (key: keyof BertConfig, ok: (v: number) => boolean, range: string): number => {
    const v = has(key) ? obj[key] : BERT_DEFAULTS[key];
    if (typeof v !== "number") return fail(TypeError, `field "${key}" must be a number, got ${describe(v)}`);
    if (!ok(v)) return fail(RangeError, `field "${key}" must be ${range}, got ${describe(v)}`);
    return v;
  };
  const probability = (v: number) => v >= 0 && v < 1;
  const positive = (v: number) => v > 0 && Number.isFinite(v);

  const vocab_size = int("vocab_size", 1);
  const hidden_size = int("hidden_size", 1);
  const num_hidden_layers = int("num_hidden_layers", 1);
  const num_attention_heads = int("num_attention_heads", 1);
  if (hidden_size % num_attention_heads !== 0) {
    fail(
      RangeError,
      `field "hidden_size" (${hidden_size}) must be a multiple of "num_attention_heads" (${num_attention_heads})`,
    );
  }
  const intermediate_size = int("intermediate_size", 1);
  const act = has("hidden_act") ? obj.hidden_act : BERT_DEFAULTS.hidden_act;
  if (act !== "gelu") {
    fail(
      RangeError,
      `field "hidden_act" is ${describe(act)}, only "gelu" (the exact erf form) is supported`,
    );
  }
  const config: BertConfig = {
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_attention_heads,
    intermediate_size,
    hidden_act: "gelu",
    max_position_embeddings: int("max_position_embeddings", 1),
    type_vocab_size: int("type_vocab_size", 1),
    layer_norm_eps: real("layer_norm_eps", positive, "a positive number"),
    hidden_dropout_prob: real("hidden_dropout_prob", probability, "a probability in [0, 1)"),
    attention_probs_dropout_prob: real(
      "attention_probs_dropout_prob",
      probability,
      "a probability in [0, 1)",
    ),
    initializer_range: real("initializer_range", positive, "a positive number"),
    pad_token_id: int("pad_token_id", 0),
  };
  if (config.pad_token_id >= vocab_size) {
    fail(
      RangeError,
      `field "pad_token_id" (${config.pad_token_id}) must be below "vocab_size" (${vocab_size})`,
    );
  }

  // Classification: HuggingFace stores the label count as the size of id2label ("num_labels" is
  // accepted on read, as HuggingFace does).
  if (has("id2label")) {
    const labels = obj.id2label;
    if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
      fail(TypeError, `field "id2label" must be an object of label names, got ${describe(labels)}`);
    }
    const entries = Object.entries(labels as Record<string, unknown>);
    if (entries.length === 0) fail(RangeError, `field "id2label" must name at least one label`);
    const id2label: Record<string, string> = {};
    for (let i = 0; i < entries.length; i++) {
      const name = (labels as Record<string, unknown>)[String(i)];
      if (typeof name !== "string") {
        fail(
          TypeError,
          `field "id2label" must map "0".."${entries.length - 1}" to strings, "${i}" is ${describe(name)}`,
        );
      }
      id2label[String(i)] = name as string;
    }
    config.id2label = id2label;
    config.num_labels = entries.length;
  }
  if (has("num_labels")) {
    const n = int("num_labels", 1);
    if (config.num_labels !== undefined && n !== config.num_labels) {
      fail(
        RangeError,
        `field "num_labels" (${n}) disagrees with the ${config.num_labels} labels of "id2label"`,
      );
    }
    config.num_labels = n;
  }
  if (has("problem_type") && obj.problem_type !== null) {
    if (!PROBLEM_TYPES.includes(obj.problem_type as BertProblemType)) {
      fail(
        RangeError,
        `field "problem_type" must be one of ${PROBLEM_TYPES.join(", ")}, got ${describe(obj.problem_type)}`,
      );
    }
    config.problem_type = obj.problem_type as BertProblemType;
  }
  if (has("classifier_dropout")) {
    config.classifier_dropout = obj.classifier_dropout === null
      ? null
      : real("classifier_dropout", probability, "null or a probability in [0, 1)");
  }
  return config;
}

/** Reads and checks a `config.json`; errors name the file and the field. */
export async function readBertConfig(path: string): Promise<BertConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read BERT config "${path}": ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Invalid BERT config "${path}": not valid JSON (${(error as Error).message})`);
  }
  return parseBertConfig(json, path);
}

/** Options of {@linkcode writeBertConfig}. */
export interface WriteBertConfigOptions {
  /**
   * HuggingFace's "architectures": the model class `from_pretrained` reports. Default:
   * BertForSequenceClassification when `num_labels` is set, else BertForMaskedLM.
   */
  architectures?: string[];
}

/**
 * The `config.json` text HuggingFace's `save_pretrained` would write for `config`: keys sorted,
 * two-space indent, a final newline, with "architectures", "model_type": "bert",
 * "position_embedding_type": "absolute", and the labels as "id2label" / "label2id".
 */
export function bertConfigJson(config: BertConfig, options: WriteBertConfigOptions = {}): string {
  const checked = parseBertConfig(config, "to write");
  const out: Record<string, unknown> = {
    ...checked,
    architectures: options.architectures ??
      [checked.num_labels === undefined ? "BertForMaskedLM" : "BertForSequenceClassification"],
    model_type: "bert",
    position_embedding_type: "absolute",
  };
  delete out.num_labels;
  if (checked.num_labels !== undefined) {
    const id2label: Record<string, string> = {};
    const label2id: Record<string, number> = {};
    for (let i = 0; i < checked.num_labels; i++) {
      const name = checked.id2label?.[String(i)] ?? `LABEL_${i}`;
      id2label[String(i)] = name;
      label2id[name] = i;
    }
    out.id2label = id2label;
    out.label2id = label2id;
  }
  const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
  return JSON.stringify(sorted, null, 2) + "\n";
}

/**
 * Writes `config.json` as HuggingFace does (see {@linkcode bertConfigJson}), to a temporary name
 * next to `path` that is renamed to `path` once complete.
 */
export async function writeBertConfig(
  path: string,
  config: BertConfig,
  options: WriteBertConfigOptions = {},
): Promise<void> {
  await writeFileAtomic(path, bertConfigJson(parseBertConfig(config, path), options));
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "nothing";
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : typeof v;
}
