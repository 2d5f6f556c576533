/**
 * A BERT checkpoint directory, laid out as HuggingFace's `save_pretrained` writes one, so it loads
 * with `BertForMaskedLM.from_pretrained(dir)` and a downloaded model directory loads here:
 *
 * | file | content |
 * | --- | --- |
 * | `config.json` | the {@linkcode BertConfig}, "architectures": ["BertForMaskedLM"] |
 * | `model.safetensors` | every parameter under its HuggingFace name, F32 (the tied decoder omitted) |
 * | `vocab.txt` | the WordPiece vocabulary, when one is given; every command that runs the model needs it ({@linkcode bertDirVocabPath}) |
 * | `optimizer.safetensors` | AdamW's moments, the step and resume metadata (ignored by HuggingFace) |
 *
 * Every file is written to a temporary name next to it and renamed once complete, so a crash
 * mid-save leaves the previous file whole.
 *
 * For sequence classification (GLUE), {@linkcode loadBertClassifierDir} starts a classifier from
 * any of these directories (pooler and classifier initialised where missing, as HuggingFace's
 * `BertForSequenceClassification.from_pretrained` does) and {@linkcode saveBertClassifierDir}
 * writes a fine-tuned one ("architectures": ["BertForSequenceClassification"], with its labels).
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { bertPreset } from "./core/bert/config.ts";
 * import { BertMlm, initialParameters } from "./core/bert/model.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 * import { MlmTrainer } from "./core/bert/trainer.ts";
 * import {
 *   loadBertDir,
 *   loadTrainingState,
 *   saveBertDir,
 *   saveTrainingState,
 * } from "./core/checkpoint/bert_dir.ts";
 *
 * const ops = cpuOps();
 * const config = bertPreset("tiny", { vocab_size: 1000 });
 * const batch = { batch: 8, seq: 128, predictions: 20 };
 * const model = new BertMlm(ops, bertShape(config), batch);
 * ops.write(model.params, initialParameters(model.layout, config.initializer_range, 1));
 * const trainer = new MlmTrainer(ops, model);
 * // ... train ...
 * await saveBertDir("out/tiny", { ops, model, config, vocabPath: "data/vocab.txt" });
 * await saveTrainingState("out/tiny", { ops, trainer, meta: { dataPosition: 1234 } });
 *
 * // Later, or in another process:
 * const saved = await loadBertDir("out/tiny", { head: "mlm" });
 * const resumed = new BertMlm(ops, saved.shape, batch);
 * ops.write(resumed.params, saved.params);
 * const state = await loadTrainingState("out/tiny", { parameters: resumed.layout.size });
 * const resumedTrainer = new MlmTrainer(ops, resumed);
 * resumedTrainer.restore(state.step, state.m, state.v);
 * ```
 * @module
 */
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { type BertConfig, readBertConfig, writeBertConfig } from "../bert/config.ts";
import { type BertClassifier, classifierParameters } from "../bert/classifier.ts";
import { buildLayout, type Layout } from "../bert/layout.ts";
import { type BertMlm, type BertShape, initialParameters, mlmParameters } from "../bert/model.ts";
import { bertShape } from "../bert/shape.ts";
import type { MlmTrainer } from "../bert/trainer.ts";
import type { Ops } from "../ops.ts";
import { isFile } from "../../util/files.ts";
import {
  type BertHeadOptions,
  type CheckpointCheck,
  type CheckpointTensor,
  HF_SAFETENSORS_METADATA,
  isHfBuffer,
  namesInBrief,
  validateCheckpoint,
  type ValidateCheckpointOptions,
} from "./hf_names.ts";
import {
  type Json,
  type OptimizerState,
  readOptimizerState,
  writeOptimizerState,
} from "./optimizer_state.ts";
import {
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsHeader,
  type SafetensorsTensor,
  writeSafetensors,
} from "./safetensors.ts";

/** The model's config, as HuggingFace names it. */
export const CONFIG_FILE = "config.json";
/** The model's parameters, as HuggingFace names it. */
export const MODEL_FILE = "model.safetensors";
/** The WordPiece vocabulary, as HuggingFace names it. */
export const VOCAB_FILE = "vocab.txt";
/** AdamW's state for resuming (this project's; HuggingFace ignores it). */
export const OPTIMIZER_FILE = "optimizer.safetensors";

/** Options of {@linkcode saveBertDir}. */
export interface SaveBertDirOptions<T> {
  /** The backend holding the model. */
  ops: Ops<T>;
  /** The model whose parameters are saved. */
  model: BertMlm<T>;
  /** Its config; its sizes must give exactly the model's layout. */
  config: BertConfig;
  /** A vocab.txt to copy along; it may not have more lines than `config.vocab_size`. */
  vocabPath?: string;
}

/**
 * Saves `model` as a HuggingFace BertForMaskedLM directory: `model.safetensors` (the parameters
 * read back from the backend, cut into HuggingFace-named tensors), `config.json` and, when given,
 * `vocab.txt`. Creates `dir`; each file goes to a temporary name and is renamed. Throws a
 * RangeError naming the tensor when the config's sizes do not match the model's layout.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { bertPreset } from "./core/bert/config.ts";
 * import { BertMlm } from "./core/bert/model.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 * import { saveBertDir } from "./core/checkpoint/bert_dir.ts";
 *
 * const ops = cpuOps();
 * const config = bertPreset("tiny", { vocab_size: 100 });
 * const model = new BertMlm(ops, bertShape(config), { batch: 1, seq: 8, predictions: 1 });
 * await saveBertDir("out/tiny", { ops, model, config });
 * ```
 */
export async function saveBertDir<T>(dir: string, options: SaveBertDirOptions<T>): Promise<void> {
  const { ops, model, config, vocabPath } = options;
  const action = `Cannot save BERT checkpoint "${dir}"`;
  const expected = buildLayout(mlmParameters(bertShape(config, `to save in "${dir}"`)));
  assertSameLayout(model.layout, expected, action);

  const vocab = vocabPath === undefined ? undefined : await readVocab(vocabPath, config, action);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`${action}: ${(error as Error).message}`);
  }
  const flat = await ops.read(model.params);
  if (flat.length < model.layout.size) {
    throw new RangeError(
      `${action}: the parameter buffer holds ${flat.length} values, the layout needs ${model.layout.size}`,
    );
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of model.layout.entries) {
    tensors.set(e.name, { shape: [...e.shape], data: flat.subarray(e.offset, e.offset + e.size) });
  }
  await writeSafetensors(pathIn(dir, MODEL_FILE), tensors, { ...HF_SAFETENSORS_METADATA });
  await writeBertConfig(pathIn(dir, CONFIG_FILE), config, { architectures: ["BertForMaskedLM"] });
  if (vocab !== undefined) await writeFileAtomic(pathIn(dir, VOCAB_FILE), vocab);
}

/** Options of {@linkcode loadBertDir}. */
export interface LoadBertDirOptions {
  /** The head to load; only the masked-LM head is implemented. */
  head: "mlm";
}

/** What {@linkcode loadBertDir} returns. */
export interface LoadedBert {
  /** The checked `config.json`. */
  config: BertConfig;
  /** The model's sizes from the config. */
  shape: BertShape;
  /** The layout of `params`: that of a {@linkcode BertMlm} of `shape`. */
  layout: Layout;
  /** Every parameter, laid out by `layout` (padding zero): ready for `ops.write(model.params, params)`. */
  params: Float32Array;
  /**
   * Tensors of the file the model does not use, as named there: a pooler (BertForMaskedLM has
   * none), `cls.seq_relationship.*` of a pre-training checkpoint, ... Worth a warning.
   */
  unused: string[];
  /** Old names read under their current ones: [name in the file, current name]. */
  renamed: [string, string][];
  /** Loadable oddities worth a warning (an untied decoder weight that differs from the embeddings). */
  warnings: string[];
}

/**
 * Loads a BERT directory written here or by HuggingFace: `config.json` is checked, then every
 * tensor of `model.safetensors` (F32, F16 or BF16) against it. Accepted: the tied decoder weight
 * and bias (`cls.predictions.decoder.*`), a pooler (which the MLM model drops), TF-converted names (`LayerNorm.gamma`/`beta`), names without the "bert." prefix,
 * and the `position_ids` buffer; tensors the model does not use are listed in `unused`. A missing tensor (the MLM head of a bare BertModel included), a
 * mis-shaped or duplicated one, or one holding NaN or infinity is an error naming the file and
 * the tensor. The config is checked against the file's header before anything is read or
 * allocated, so a config claiming sizes the file does not hold fails at once.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { BertMlm } from "./core/bert/model.ts";
 * import { loadBertDir } from "./core/checkpoint/bert_dir.ts";
 *
 * const ops = cpuOps();
 * const { shape, params, unused } = await loadBertDir("models/bert-base-uncased", { head: "mlm" });
 * if (unused.length > 0) console.warn(`Unused tensors: ${unused.join(", ")}`);
 * const model = new BertMlm(ops, shape, { batch: 1, seq: 128, predictions: 20 });
 * ops.write(model.params, params);
 * ```
 */
export async function loadBertDir(dir: string, options: LoadBertDirOptions): Promise<LoadedBert> {
  if (options.head !== "mlm") {
    throw new RangeError(
      `Cannot load BERT checkpoint "${dir}": head "${options.head}" is not supported, only "mlm" is`,
    );
  }
  const configPath = pathIn(dir, CONFIG_FILE);
  const modelPath = pathIn(dir, MODEL_FILE);
  const config = await readBertConfig(configPath);
  const shape = bertShape(config, configPath);
  const files = { configPath, modelPath };
  // The header first: nothing the config's sizes imply is allocated before they match the file.
  matchConfig(headerTensors(await readSafetensorsHeader(modelPath)), config, { head: "mlm" }, files);
  const raw = await readSafetensors(modelPath, { skip: isHfBuffer });
  const check = matchConfig(raw, config, { head: "mlm" }, files);
  const layout = buildLayout(mlmParameters(shape));

  const fileName = (name: string) => check.renamed.find(([, to]) => to === name)?.[0] ?? name;
  const params = new Float32Array(layout.size);
  for (const e of layout.entries) {
    const t = check.tensors.get(e.name);
    if (!t) throw new Error(`Checkpoint "${modelPath}" lacks tensor "${e.name}"`);
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!)) {
        throw new RangeError(
          `Invalid checkpoint "${modelPath}": tensor "${fileName(e.name)}" holds ${
            t.data[i]
          } at element ${i}`,
        );
      }
    }
    params.set(t.data, e.offset);
  }
  const dropped = [...check.tensors.keys()].filter((name) => !layout.byName.has(name)).map(fileName);
  return {
    config,
    shape,
    layout,
    params,
    unused: [...dropped, ...check.unexpected],
    renamed: check.renamed,
    warnings: check.warnings,
  };
}

/**
 * The path of a model directory's `vocab.txt`, which every command that runs a model needs: the
 * token ids the model was trained on index that vocabulary and no other, so there is no fallback
 * to the shipped one (no command has an option to choose another).
 *
 * @example
 * ```ts
 * import { BertTokenizer } from "./data/tokenizer.ts";
 * import { bertDirVocabPath } from "./core/checkpoint/bert_dir.ts";
 *
 * const tokenizer = await BertTokenizer.load(await bertDirVocabPath("data/general-tiny"));
 * ```
 *
 * @throws {Error} naming `<dir>/vocab.txt` when it is not a file
 */
export async function bertDirVocabPath(dir: string): Promise<string> {
  const path = pathIn(dir, VOCAB_FILE);
  if (!(await isFile(path))) {
    throw new Error(
      `Cannot load model "${dir}": it has no vocab.txt (expected "${path}", the vocabulary its token ids index)`,
    );
  }
  return path;
}

/** What {@linkcode checkBertDir} returns. */
export interface CheckedBertDir {
  /** The checked `config.json`. */
  config: BertConfig;
  /** The directory's `vocab.txt`. */
  vocabPath: string;
}

/**
 * Checks a masked-LM directory without reading its parameters: `config.json`, every tensor name
 * and shape the config implies against the header of `model.safetensors`, and that `vocab.txt`
 * is there. It costs the same whatever sizes the config claims, so a run can refuse a bad
 * starting model before it plans or allocates anything; {@linkcode loadBertDir} reads the values.
 *
 * @example
 * ```ts
 * import { checkBertDir } from "./core/checkpoint/bert_dir.ts";
 *
 * const { config, vocabPath } = await checkBertDir("data/general-tiny");
 * console.log(config.num_hidden_layers, vocabPath); // 2 data/general-tiny/vocab.txt
 * ```
 *
 * @throws {Error} naming the file: an unreadable or invalid config or model file, a config that
 * does not match the model's tensors, or no vocab.txt
 */
export async function checkBertDir(dir: string): Promise<CheckedBertDir> {
  const configPath = pathIn(dir, CONFIG_FILE);
  const modelPath = pathIn(dir, MODEL_FILE);
  const config = await readBertConfig(configPath);
  const header = await readSafetensorsHeader(modelPath);
  matchConfig(headerTensors(header), config, { head: "mlm" }, { configPath, modelPath });
  return { config, vocabPath: await bertDirVocabPath(dir) };
}

/** Options of {@linkcode loadBertClassifierDir}. */
export interface LoadBertClassifierOptions {
  /** Outputs of the head (1: regression); default: the config's `num_labels`. */
  numLabels?: number;
  /** Seeds the initialisation of the tensors the checkpoint lacks (default 1). */
  seed?: number;
  /**
   * A classifier of another size in the checkpoint (a model fine-tuned on another task) is
   * initialised afresh and reported, instead of failing: HuggingFace's `ignore_mismatched_sizes`.
   */
  ignoreMismatchedSizes?: boolean;
  /** Fail unless the checkpoint holds the whole head (pooler and classifier): a fine-tuned model. */
  requireHead?: boolean;
}

/** What {@linkcode loadBertClassifierDir} returns. */
export interface LoadedBertClassifier {
  /** The checked `config.json`, as in the file. */
  config: BertConfig;
  /** The model's sizes from the config. */
  shape: BertShape;
  /** Outputs of the head. */
  numLabels: number;
  /** The layout of `params`: that of a `BertClassifier` of `shape` and `numLabels`. */
  layout: Layout;
  /** Every parameter, laid out by `layout` (padding zero): ready for `ops.write(model.params, params)`. */
  params: Float32Array;
  /**
   * Tensors the checkpoint lacks, initialised as HuggingFace does (normal(0, initializer_range)
   * weights, zero biases): HuggingFace's "newly initialized" warning. Empty for a fine-tuned model.
   */
  initialized: string[];
  /** Tensors of the file the classifier does not use, as named there (an MLM head, ...). */
  unused: string[];
  /** Old names read under their current ones: [name in the file, current name]. */
  renamed: [string, string][];
  /** Loadable oddities worth a warning (a classifier of another size that was replaced, ...). */
  warnings: string[];
}

/**
 * Loads a BERT directory for sequence classification (HuggingFace's
 * `BertForSequenceClassification.from_pretrained`): the encoder, and the pooler and classifier
 * where the checkpoint has them, from a masked-LM checkpoint (this project's or HuggingFace's), a
 * bare BertModel or a fine-tuned classifier. What the checkpoint lacks of the head (the pooler of
 * a BertForMaskedLM, the classifier of any pre-trained model) is initialised from `seed` and
 * listed in `initialized`. The encoder is checked as {@linkcode loadBertDir} checks it: a missing,
 * mis-shaped or non-finite encoder tensor is an error naming the file and the tensor. A head that
 * would initialise more parameters than the checkpoint holds (a config's `num_labels` of a
 * million) is refused before it is allocated.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { BertClassifier } from "./core/bert/classifier.ts";
 * import { loadBertClassifierDir } from "./core/checkpoint/bert_dir.ts";
 *
 * const loaded = await loadBertClassifierDir("runs/x/checkpoint", { numLabels: 3, seed: 42 });
 * if (loaded.initialized.length > 0) console.warn(`Newly initialized: ${loaded.initialized.join(", ")}`);
 * const ops = cpuOps();
 * const model = new BertClassifier(ops, loaded.shape, { batch: 32, seq: 128 }, { numLabels: 3 });
 * ops.write(model.params, loaded.params);
 * ```
 */
export async function loadBertClassifierDir(
  dir: string,
  options: LoadBertClassifierOptions = {},
): Promise<LoadedBertClassifier> {
  const configPath = pathIn(dir, CONFIG_FILE);
  const modelPath = pathIn(dir, MODEL_FILE);
  const config = await readBertConfig(configPath);
  const shape = bertShape(config, configPath);
  const numLabels = options.numLabels ?? config.num_labels;
  if (numLabels === undefined || !Number.isSafeInteger(numLabels) || numLabels < 1) {
    throw new RangeError(
      `Cannot load BERT classifier "${dir}": numLabels must be a positive integer (or the config's num_labels), got ${numLabels}`,
    );
  }
  const head: BertHeadOptions = { head: "classification", numLabels };
  const files = { configPath, modelPath, allowMissingHead: true };

  // A classifier of another size is replaced (or refused) before the config is checked against
  // the rest, in the header, so that nothing the config's sizes imply is allocated before they
  // match the file.
  const dropClassifier = <T extends CheckpointTensor>(tensors: Map<string, T>): string[] => {
    const dropped: string[] = [];
    for (const name of ["classifier.weight", "classifier.bias"]) {
      const t = tensors.get(name);
      if (!t || t.shape[0] === numLabels) continue;
      if (!options.ignoreMismatchedSizes) {
        throw new RangeError(
          `Checkpoint "${modelPath}" has a classifier for ${
            t.shape[0]
          } labels (${name} is [${t.shape}]), expected ${numLabels}`,
        );
      }
      tensors.delete(name);
      dropped.push(
        `${name} is [${t.shape}] in the checkpoint, the head needs ${numLabels} outputs: newly initialized`,
      );
    }
    return dropped;
  };
  const shapes = headerTensors(await readSafetensorsHeader(modelPath));
  dropClassifier(shapes);
  const inHeader = matchConfig(shapes, config, head, files);
  if (options.requireHead && inHeader.missing.length > 0) {
    throw new Error(
      `Checkpoint "${modelPath}" is not a fine-tuned classifier: it lacks ${namesInBrief(inHeader.missing)}`,
    );
  }
  const layout = buildLayout(classifierParameters(shape, numLabels));
  let held = 0;
  let fresh = 0;
  for (const e of layout.entries) {
    if (inHeader.tensors.has(e.name)) held += e.size;
    else fresh += e.size;
  }
  if (fresh > held) {
    throw new RangeError(
      `Cannot load BERT classifier "${dir}": a head of ${numLabels} outputs would initialise ${fresh} ` +
        `parameters, more than the ${held} of checkpoint "${modelPath}"`,
    );
  }

  const raw = await readSafetensors(modelPath, { skip: isHfBuffer });
  const warnings = dropClassifier(raw);
  const check = matchConfig(raw, config, head, files);

  const fileName = (name: string) => check.renamed.find(([, to]) => to === name)?.[0] ?? name;
  const params = new Float32Array(layout.size);
  for (const e of layout.entries) {
    const t = check.tensors.get(e.name);
    if (!t) continue;
    const bad = t.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new RangeError(
        `Invalid checkpoint "${modelPath}": tensor "${fileName(e.name)}" holds ${
          t.data[bad]
        } at element ${bad}`,
      );
    }
    params.set(t.data, e.offset);
  }
  const initialized = layout.entries.map((e) => e.name).filter((name) => !check.tensors.has(name));
  initializeTensors(params, layout, initialized, config.initializer_range, options.seed ?? 1);
  const dropped = [...check.tensors.keys()].filter((name) => !layout.byName.has(name)).map(fileName);
  return {
    config,
    shape,
    numLabels,
    layout,
    params,
    initialized,
    unused: [...dropped, ...check.unexpected],
    renamed: check.renamed,
    warnings: [...warnings, ...check.warnings],
  };
}

/**
 * Initialises the tensors `names` of `params` (laid out by `layout`) as HuggingFace's
 * `_init_weights` does: normal(0, `std`) weights, zero biases, LayerNorm weights 1. The values
 * depend on `seed` and on the names and shapes only, not on where the tensors lie, so a head
 * initialised for one run can be reproduced exactly for another model of the same sizes.
 *
 * @example
 * ```ts
 * import { initializeTensors, loadBertClassifierDir } from "./core/checkpoint/bert_dir.ts";
 *
 * const loaded = await loadBertClassifierDir("runs/x/checkpoint", { numLabels: 2 });
 * const forSeed2 = loaded.params.slice();
 * initializeTensors(forSeed2, loaded.layout, loaded.initialized, loaded.config.initializer_range, 2);
 * ```
 */
export function initializeTensors(
  params: Float32Array,
  layout: Layout,
  names: readonly string[],
  std: number,
  seed: number,
): void {
  if (names.length === 0) return;
  const entries = names.map((name) => {
    const e = layout.byName.get(name);
    if (!e) throw new RangeError(`Cannot initialise "${name}": no such tensor in the layout`);
    return e;
  });
  const own = buildLayout(entries);
  const values = initialParameters(own, std, seed);
  for (const e of entries) {
    const from = own.byName.get(e.name)!;
    params.set(values.subarray(from.offset, from.offset + from.size), e.offset);
  }
}

/** Options of {@linkcode saveBertClassifierDir}. */
export interface SaveBertClassifierDirOptions<T> {
  /** The backend holding the model. */
  ops: Ops<T>;
  /** The fine-tuned classifier whose parameters are saved. */
  model: BertClassifier<T>;
  /** The encoder's config; its sizes must give exactly the model's layout. The head fields are set here. */
  config: BertConfig;
  /** The class names, in class-id order (`id2label`); default `LABEL_0`, ... as HuggingFace. */
  labels?: readonly string[];
  /** A vocab.txt to copy along; it may not have more lines than `config.vocab_size`. */
  vocabPath?: string;
}

/**
 * Saves a fine-tuned classifier as a HuggingFace BertForSequenceClassification directory:
 * `model.safetensors` (encoder, `bert.pooler.dense.*`, `classifier.*`), `config.json` with
 * "architectures": ["BertForSequenceClassification"], `id2label`/`label2id` (the label count, as
 * HuggingFace stores `num_labels`) and `problem_type` ("regression" for one output, else
 * "single_label_classification"), and, when given, `vocab.txt`. Each file goes to a temporary
 * name and is renamed; {@linkcode loadBertClassifierDir} reads the directory back.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { bertPreset } from "./core/bert/config.ts";
 * import { BertClassifier } from "./core/bert/classifier.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 * import { saveBertClassifierDir } from "./core/checkpoint/bert_dir.ts";
 *
 * const ops = cpuOps();
 * const config = bertPreset("tiny");
 * const model = new BertClassifier(ops, bertShape(config), { batch: 32, seq: 128 }, { numLabels: 2 });
 * // ... fine-tune ...
 * await saveBertClassifierDir("out/glue/models/RTE", {
 *   ops,
 *   model,
 *   config,
 *   labels: ["entailment", "not_entailment"],
 *   vocabPath: "data/bert-base-uncased/vocab.txt",
 * });
 * ```
 */
export async function saveBertClassifierDir<T>(
  dir: string,
  options: SaveBertClassifierDirOptions<T>,
): Promise<void> {
  const { ops, model, labels, vocabPath } = options;
  const action = `Cannot save BERT classifier "${dir}"`;
  const numLabels = model.numLabels;
  if (labels !== undefined && labels.length !== numLabels) {
    throw new RangeError(`${action}: ${labels.length} label names for a head of ${numLabels} outputs`);
  }
  const config: BertConfig = {
    ...options.config,
    num_labels: numLabels,
    id2label: Object.fromEntries(
      Array.from({ length: numLabels }, (_, i) => [String(i), labels?.[i] ?? `LABEL_${i}`]),
    ),
    problem_type: numLabels === 1 ? "regression" : "single_label_classification",
  };
  const expected = buildLayout(classifierParameters(bertShape(config, `to save in "${dir}"`), numLabels));
  assertSameLayout(model.layout, expected, action);
  const vocab = vocabPath === undefined ? undefined : await readVocab(vocabPath, config, action);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`${action}: ${(error as Error).message}`);
  }
  const flat = await ops.read(model.params);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of model.layout.entries) {
    tensors.set(e.name, { shape: [...e.shape], data: flat.subarray(e.offset, e.offset + e.size) });
  }
  await writeSafetensors(pathIn(dir, MODEL_FILE), tensors, { ...HF_SAFETENSORS_METADATA });
  await writeBertConfig(pathIn(dir, CONFIG_FILE), config, {
    architectures: ["BertForSequenceClassification"],
  });
  if (vocab !== undefined) await writeFileAtomic(pathIn(dir, VOCAB_FILE), vocab);
}

/** Options of {@linkcode saveTrainingState}. */
export interface SaveTrainingStateOptions<T> {
  /** The backend holding the trainer's moments. */
  ops: Ops<T>;
  /** The trainer whose step and AdamW moments are saved. */
  trainer: MlmTrainer<T>;
  /** What else resuming needs: the resolved training config, the data position, ... */
  meta: { [key: string]: Json };
}

/**
 * Saves the trainer's step and AdamW moments (read back from the backend) with `meta` and the
 * trainer's `extraState()` as `<dir>/optimizer.safetensors`, written to a temporary name and renamed;
 * creates `dir`.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { bertPreset } from "./core/bert/config.ts";
 * import { BertMlm } from "./core/bert/model.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 * import { MlmTrainer } from "./core/bert/trainer.ts";
 * import { saveTrainingState } from "./core/checkpoint/bert_dir.ts";
 *
 * const ops = cpuOps();
 * const model = new BertMlm(ops, bertShape(bertPreset("tiny")), { batch: 1, seq: 8, predictions: 1 });
 * const trainer = new MlmTrainer(ops, model);
 * await saveTrainingState("out/tiny", { ops, trainer, meta: { dataPosition: 0 } });
 * ```
 */
export async function saveTrainingState<T>(dir: string, options: SaveTrainingStateOptions<T>): Promise<void> {
  const { ops, trainer, meta } = options;
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`Cannot save training state "${dir}": ${(error as Error).message}`);
  }
  const step = trainer.step;
  const m = await ops.read(trainer.m);
  const v = await ops.read(trainer.v);
  // Mixed precision's AdamW update count and loss scale ride along in the metadata.
  const extra = trainer.extraState() as { [key: string]: Json };
  await writeOptimizerState(pathIn(dir, OPTIMIZER_FILE), { step, m, v, meta: { ...meta, ...extra } });
}

/** Options of {@linkcode loadTrainingState}. */
export interface LoadTrainingStateOptions {
  /** The model's parameter count (`model.layout.size`): the moments must have exactly this many. */
  parameters?: number;
}

/**
 * Reads `<dir>/optimizer.safetensors` as {@linkcode saveTrainingState} wrote it; errors name the
 * file. Continue with `trainer.restore(state.step, state.m, state.v)`.
 *
 * @example
 * ```ts
 * import { loadTrainingState } from "./core/checkpoint/bert_dir.ts";
 *
 * const state = await loadTrainingState("out/tiny");
 * console.log(`resuming after step ${state.step} at`, state.meta.dataPosition);
 * ```
 */
export function loadTrainingState(
  dir: string,
  options: LoadTrainingStateOptions = {},
): Promise<OptimizerState> {
  return readOptimizerState(pathIn(dir, OPTIMIZER_FILE), options);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function pathIn(dir: string, file: string): string {
  return dir.endsWith("/") ? `${dir}${file}` : `${dir}/${file}`;
}

/** The tensors a safetensors header describes, by name (buffers left out), without their values. */
function headerTensors(header: SafetensorsHeader): Map<string, CheckpointTensor> {
  return new Map(header.entries.filter((e) => !isHfBuffer(e.name)).map((e) => [e.name, { shape: e.shape }]));
}

/** {@linkcode validateCheckpoint} of a model file, its error naming the config file too. */
function matchConfig<T extends CheckpointTensor>(
  tensors: Map<string, T>,
  config: BertConfig,
  head: BertHeadOptions,
  files: { configPath: string; modelPath: string } & Pick<ValidateCheckpointOptions, "allowMissingHead">,
): CheckpointCheck<T> {
  try {
    return validateCheckpoint(tensors, config, head, {
      source: files.modelPath,
      allowMissingHead: files.allowMissingHead,
    });
  } catch (error) {
    throw new Error(`${(error as Error).message} (config "${files.configPath}")`, { cause: error });
  }
}

function assertSameLayout(actual: Layout, expected: Layout, action: string): void {
  const problems: string[] = [];
  for (const e of expected.entries) {
    const got = actual.byName.get(e.name);
    if (!got) problems.push(`the model lacks ${e.name}`);
    else if (got.shape.join(",") !== e.shape.join(",")) {
      problems.push(`${e.name} is [${got.shape}] in the model, the config gives [${e.shape}]`);
    } else if (got.offset !== e.offset) {
      problems.push(`${e.name} is at offset ${got.offset} in the model, the config gives ${e.offset}`);
    }
  }
  for (const e of actual.entries) {
    if (!expected.byName.has(e.name)) problems.push(`the config has no ${e.name}`);
  }
  if (problems.length > 0) {
    throw new RangeError(`${action}: the model does not match the config: ${problems.join("; ")}`);
  }
}

async function readVocab(path: string, config: BertConfig, action: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(`${action}: cannot read vocabulary "${path}": ${(error as Error).message}`);
  }
  let lines = 0;
  for (const b of bytes) if (b === 0x0a) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) lines++;
  if (lines > config.vocab_size) {
    throw new RangeError(
      `${action}: vocabulary "${path}" has ${lines} tokens, more than vocab_size ${config.vocab_size}`,
    );
  }
  return bytes;
}
