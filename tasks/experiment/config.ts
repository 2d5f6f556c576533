/**
 * The experiment's config: the arms, the shared pre-training settings, the GLUE fine-tuning
 * settings and the equal-compute budget. Embedded defaults, then a JSON/JSONC file (`--config`),
 * then flags, flags winning; an unknown key is an error naming it.
 *
 * A config file looks like this (every key optional; `tasks/experiment/paper_base.jsonc` is the
 * paper's setting):
 *
 * ```jsonc
 * {
 *   "out": "out/experiment",
 *   "arms": ["general", "general-20x", "random", "concentrated"],
 *   "multiplier": 20,          // compute of general-20x relative to the other arms
 *   "seeds": 3,                // GLUE fine-tuning seeds 1..N
 *   "backend": "auto",
 *   "pretrain": { "preset": "tiny", "flops": 1.6e12, "batch": 32 },  // PretrainConfig keys
 *   "glue": { "tasks": ["SST-2", "RTE"], "lr": 1e-4, "max_train_examples": 400 }
 * }
 * ```
 * @module
 */
import { type BertConfig, bertPreset, readBertConfig } from "../../core/bert/config.ts";
import type { BackendName } from "../../core/device.ts";
import { type StepFlops, stepFlops, stepsForBudget } from "../../core/flops.ts";
import { DEFAULT_VOCAB, loadVocab } from "../../data/vocab.ts";
import { UsageError } from "../_cli.ts";
import { SHIPPED_GLUE } from "../glue/defaults.ts";
import { GLUE_SCORED_TASKS, type GlueScoredTask, glueScoredTask } from "../glue/sets.ts";
import { parseJsonc, type PretrainConfig, resolveConfig } from "../pretrain/config.ts";
import type { StrategyName } from "../masking/strategies.ts";

/** The arms: the paper's four and the two ablations that separate its two ideas. */
export type ArmName =
  | "general"
  | "general-20x"
  | "random"
  | "concentrated"
  | "concentrated-bert"
  | "random-concept";

/** What one arm trains on and how it masks. */
export interface ArmSpec {
  readonly name: ArmName;
  readonly data: "full" | "random" | "concentrated";
  readonly masking: StrategyName;
  /** Whether the arm gets `multiplier` times the compute of the others. */
  readonly scaled: boolean;
  /** One line for tables and logs. */
  readonly description: string;
}

/** Every arm, in the paper's table order. */
export const ARMS: Readonly<Record<ArmName, ArmSpec>> = {
  "general": {
    name: "general",
    data: "full",
    masking: "bert",
    scaled: false,
    description: "the whole corpus, BERT masking",
  },
  "general-20x": {
    name: "general-20x",
    data: "full",
    masking: "bert",
    scaled: true,
    description: "the whole corpus, BERT masking, multiplied compute",
  },
  "random": {
    name: "random",
    data: "random",
    masking: "bert",
    scaled: false,
    description: "a random subset of the concentrated size, BERT masking",
  },
  "concentrated": {
    name: "concentrated",
    data: "concentrated",
    masking: "concept",
    scaled: false,
    description: "the ConceptNet-concentrated subset, concept masking",
  },
  "concentrated-bert": {
    name: "concentrated-bert",
    data: "concentrated",
    masking: "bert",
    scaled: false,
    description: "ablation: the concentrated subset with BERT masking",
  },
  "random-concept": {
    name: "random-concept",
    data: "random",
    masking: "concept",
    scaled: false,
    description: "ablation: the random subset with concept masking",
  },
};

/** The arm names in table order. */
export const ARM_NAMES: readonly ArmName[] = Object.keys(ARMS) as ArmName[];

/** GLUE fine-tuning settings of every arm (the keys of a config file's `glue` object). */
export interface ExperimentGlue {
  /** The GLUE folder. */
  data: string;
  tasks: GlueScoredTask[];
  batch: number;
  lr: number;
  /** Learning rates to search (each with every seed); null: `lr` only. */
  lr_grid: number[] | null;
  epochs: number;
  warmup: number;
  max_length: number;
  dropout: number;
  /** A seeded sample of each training set; null: all of it. */
  max_train_examples: number | null;
  /** The first rows of each dev set; null: all of it. */
  max_eval_examples: number | null;
}

/** The whole experiment. */
export interface ExperimentConfig {
  out: string;
  arms: ArmName[];
  /** Compute of `general-20x` relative to the other arms (the paper's 20). */
  multiplier: number;
  /** GLUE seeds 1..N per arm. */
  seeds: number;
  backend: BackendName;
  /**
   * Evaluations of the validation MLM loss per arm, besides the one before training, when
   * `pretrain.eval_every` is not given: `eval_every` = ceil(steps / evals).
   */
  evals: number;
  /** Shared by every arm; `data`, `masking`, `name`, `out` and `backend` are set per arm. */
  pretrain: PretrainConfig;
  /** Whether `pretrain.eval_every` was given (else it follows `evals`). */
  evalEveryGiven: boolean;
  glue: ExperimentGlue;
}

/**
 * The embedded default's pre-training settings (the rest are `deno task pretrain`'s defaults: a
 * tiny BERT from scratch on the shipped Wikipedia sample and CN-100K, a 500KB concentrated
 * subset). 1.6e12 6ND FLOPs are 15 steps of 32 x 128 tokens of the tiny BERT (~4.4M parameters),
 * so `general-20x` takes 300.
 */
export const EXPERIMENT_PRETRAIN_DEFAULTS: Readonly<Partial<PretrainConfig>> = Object.freeze({
  preset: "tiny",
  flops: 1.6e12,
  flops_convention: "6nd",
  batch: 32,
  seq_len: 128,
  eval_batches: 4,
  log_every: 5,
});

/**
 * The embedded default's GLUE settings: three shipped tasks, a 400-example seeded sample of each
 * training set, the first 200 dev rows. The learning rate is 1e-4, not BERT's 2e-5: a tiny BERT
 * hardly moves at 2e-5 in a few dozen steps (Turc et al. 2019 tune 1e-4 .. 3e-5 for the miniatures).
 */
export const EXPERIMENT_GLUE_DEFAULTS: Readonly<ExperimentGlue> = Object.freeze({
  data: SHIPPED_GLUE,
  tasks: ["SST-2", "MRPC", "RTE"] as GlueScoredTask[],
  batch: 32,
  lr: 1e-4,
  lr_grid: null,
  epochs: 3,
  warmup: 0.1,
  max_length: 128,
  dropout: 0.1,
  max_train_examples: 400,
  max_eval_examples: 200,
});

/**
 * The embedded default's experiment-level settings.
 *
 * Planned time on a 2-core machine with lavapipe (tiny pre-training measured at 2,000-2,450
 * tokens/s, i.e. 1.7-2.0 s per step of 32 x 128; GLUE's embedded default measured at 53 s SST-2,
 * 72 s MRPC, 94 s RTE for 1000 examples x 3 epochs, one seed):
 * - pre-training: 5 x 15 + 300 = 375 steps, 11-13 min, plus 4 validations of <= 4 batches per
 *   arm and per-arm setup (device, model, cached data): about 14 min;
 * - GLUE: 6 arms x 3 seeds x (SST-2 + MRPC + RTE at 400 examples x 3 epochs = 38 steps each, <= 200
 *   dev examples) at about 21 + 29 + 38 s plus evaluation, ~100 s per arm and seed: about 30 min;
 * - in all about 45 min; a machine shared with other jobs takes longer.
 */
export const EXPERIMENT_DEFAULTS = Object.freeze({
  out: "out/experiment",
  arms: [...ARM_NAMES],
  multiplier: 20,
  seeds: 3,
  backend: "auto" as BackendName,
  evals: 3,
});

/** A config file's content, before checking. */
export type ExperimentFile = Record<string, unknown>;

/** What flags may set. */
export interface ExperimentFlags {
  out?: string;
  arms?: ArmName[];
  seeds?: number;
  tasks?: GlueScoredTask[];
  backend?: BackendName;
}

const TOP_KEYS = ["out", "arms", "multiplier", "seeds", "backend", "evals", "pretrain", "glue"];
const GLUE_KEYS = Object.keys(EXPERIMENT_GLUE_DEFAULTS) as (keyof ExperimentGlue)[];
// Set per arm by the experiment: a file naming them would be silently overridden.
const PER_ARM_KEYS = ["data", "masking", "name", "out", "backend"];

/** Reads a config file: a JSON or JSONC object. */
export async function readExperimentFile(path: string): Promise<ExperimentFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`experiment: cannot read --config ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = parseJsonc(text, path);
  } catch (error) {
    throw new UsageError(`experiment: ${(error as Error).message}`);
  }
  if (!isObject(json)) throw new UsageError(`experiment: config ${path} must hold a JSON object`);
  return json;
}

/**
 * Defaults, then `file`, then `flags`, checked. Errors name the key and the file (`config.jsonc:
 * "glue.lr"`): unknown keys and bad values are UsageErrors, bad pre-training values the errors
 * of `resolveConfig`.
 *
 * @example
 * ```ts
 * import { resolveExperimentConfig } from "./config.ts";
 * const config = resolveExperimentConfig({ seeds: 1 }, { arms: ["general", "concentrated"] });
 * console.log(config.pretrain.flops, config.glue.tasks); // 1.6e12 ["SST-2", "MRPC", "RTE"]
 * ```
 */
export function resolveExperimentConfig(
  file: ExperimentFile,
  flags: ExperimentFlags = {},
  fileName = "config",
): ExperimentConfig {
  const where = (key: string) => `experiment: ${fileName}: "${key}"`;
  for (const key of Object.keys(file)) {
    if (!TOP_KEYS.includes(key)) {
      throw new UsageError(`${where(key)} is not a setting; known: ${TOP_KEYS.join(", ")}`);
    }
  }
  const pretrainFile = file.pretrain ?? {};
  const glueFile = file.glue ?? {};
  if (!isObject(pretrainFile)) throw new UsageError(`${where("pretrain")} must be an object`);
  if (!isObject(glueFile)) throw new UsageError(`${where("glue")} must be an object`);
  for (const key of PER_ARM_KEYS) {
    if (key in pretrainFile) {
      throw new UsageError(
        `${where(`pretrain.${key}`)} is set per arm by the experiment; remove it` +
          (key === "backend" ? ` (the top-level "backend" sets both pre-training and GLUE)` : ""),
      );
    }
  }
  // A file naming steps or flops replaces the default budget as a whole.
  const defaults: Partial<PretrainConfig> = { ...EXPERIMENT_PRETRAIN_DEFAULTS };
  if ("steps" in pretrainFile || "flops" in pretrainFile) delete defaults.flops;
  const backend = flags.backend ?? checked(file, "backend", isBackend, "auto, dawn, deno or cpu") ??
    EXPERIMENT_DEFAULTS.backend;
  const pretrain = resolveConfig(
    { ...defaults, ...(pretrainFile as Partial<PretrainConfig>) },
    { backend },
    `${fileName}: pretrain`,
  );

  for (const key of Object.keys(glueFile)) {
    if (!GLUE_KEYS.includes(key as keyof ExperimentGlue)) {
      throw new UsageError(`${where(`glue.${key}`)} is not a setting; known: ${GLUE_KEYS.join(", ")}`);
    }
  }
  const g = glueFile as Record<string, unknown>;
  // `null` is a value here (no cap, no grid), so only an absent key takes the default.
  const glueValue = <T>(key: keyof ExperimentGlue, ok: (v: unknown) => v is T, what: string): T =>
    key in g ? checked(g, key, ok, what, `glue.${key}`) as T : (EXPERIMENT_GLUE_DEFAULTS[key] as T);
  const tasks = flags.tasks
    ? parseTasks(flags.tasks.join(","))
    : (g.tasks === undefined ? [...EXPERIMENT_GLUE_DEFAULTS.tasks] : glueTasks(g.tasks));
  const glue: ExperimentGlue = {
    data: glueValue("data", isNonEmptyString, "a folder"),
    tasks,
    batch: glueValue("batch", isPositiveInt, "a positive integer"),
    lr: glueValue("lr", isPositive, "a positive number"),
    lr_grid: glueValue("lr_grid", isRateList, "null or a list of positive numbers"),
    epochs: glueValue("epochs", isPositive, "a positive number"),
    warmup: glueValue("warmup", isFraction, "a fraction in [0, 1]"),
    max_length: glueValue("max_length", isLength, "an integer >= 4"),
    dropout: glueValue("dropout", isProbability, "a probability in [0, 1)"),
    max_train_examples: glueValue("max_train_examples", isCap, "null or a positive integer"),
    max_eval_examples: glueValue("max_eval_examples", isCap, "null or a positive integer"),
  };

  const arms = flags.arms
    ? armList(flags.arms, "experiment: --arms")
    : file.arms === undefined
    ? [...EXPERIMENT_DEFAULTS.arms]
    : armList(file.arms, where("arms"));
  return {
    out: flags.out ?? checked(file, "out", isNonEmptyString, "a folder") ?? EXPERIMENT_DEFAULTS.out,
    arms,
    multiplier: checked(file, "multiplier", isPositiveInt, "a positive integer") ??
      EXPERIMENT_DEFAULTS.multiplier,
    seeds: flags.seeds ?? checked(file, "seeds", isPositiveInt, "a positive integer") ??
      EXPERIMENT_DEFAULTS.seeds,
    backend,
    evals: checked(file, "evals", isPositiveInt, "a positive integer") ?? EXPERIMENT_DEFAULTS.evals,
    pretrain,
    evalEveryGiven: "eval_every" in pretrainFile,
    glue,
  };

  function checked<T>(
    object: Record<string, unknown>,
    key: string,
    ok: (v: unknown) => v is T,
    what: string,
    name = key,
  ): T | undefined {
    const value = object[key];
    if (value === undefined) return undefined;
    if (!ok(value)) throw new UsageError(`${where(name)} must be ${what}, got ${JSON.stringify(value)}`);
    return value;
  }

  function glueTasks(value: unknown): GlueScoredTask[] {
    if (!Array.isArray(value) || value.length === 0 || !value.every(isNonEmptyString)) {
      throw new UsageError(
        `${where("glue.tasks")} must be a list of task names, got ${JSON.stringify(value)}`,
      );
    }
    return parseTasks(value.join(","), where("glue.tasks"));
  }
}

/** Parses `--arms general,concentrated` (or a config's list); an unknown or repeated arm is a UsageError. */
export function parseArms(text: string, where = "experiment: --arms"): ArmName[] {
  return armList(text.split(",").map((s) => s.trim()).filter((s) => s !== ""), where);
}

/** Parses `--tasks sst2,rte` (case and `-` ignored); an unknown task is a UsageError. */
export function parseTasks(text: string, where = "experiment: --tasks"): GlueScoredTask[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UsageError(`${where} must name at least one task`);
  const tasks = new Set<GlueScoredTask>();
  for (const name of names) {
    try {
      tasks.add(glueScoredTask(name));
    } catch (error) {
      throw new UsageError(`${where}: ${(error as Error).message}`);
    }
  }
  return GLUE_SCORED_TASKS.filter((t) => tasks.has(t));
}

function armList(value: unknown, where: string): ArmName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new UsageError(`${where} must name at least one arm of ${ARM_NAMES.join(", ")}`);
  }
  const seen = new Set<ArmName>();
  for (const name of value) {
    if (!ARM_NAMES.includes(name as ArmName)) {
      throw new UsageError(
        `${where}: unknown arm ${JSON.stringify(name)}; expected one of ${ARM_NAMES.join(", ")}`,
      );
    }
    if (seen.has(name as ArmName)) throw new UsageError(`${where}: arm ${name} named twice`);
    seen.add(name as ArmName);
  }
  return ARM_NAMES.filter((a) => seen.has(a));
}

/** The compute every equal-FLOPs arm gets, and what one step costs. */
export interface Budget {
  /** Optimizer steps of an equal-compute arm. */
  steps: number;
  /** Steps of the scaled arm (`steps` x `multiplier`). */
  scaledSteps: number;
  /** One step's FLOPs in both conventions. */
  perStep: StepFlops;
  /** The model the FLOPs are counted for. */
  model: BertConfig;
  /** Where the model's vocabulary comes from (as `runPretrain` picks it). */
  vocabPath: string;
}

/**
 * The budget in steps, fixed once for every arm, so that all equal-compute arms run the same
 * steps x batch x sequence length and `general-20x` exactly `multiplier` times that; `flops` is
 * turned into steps as `deno task pretrain` does (`stepsForBudget`, the named convention).
 *
 * @throws {Error} when the budget is less than one step, or the `init` model cannot be read
 */
export async function experimentBudget(config: ExperimentConfig): Promise<Budget> {
  const p = config.pretrain;
  const initVocab = p.init ? `${p.init}/vocab.txt` : null;
  const vocabPath = initVocab && await isFile(initVocab) ? initVocab : DEFAULT_VOCAB;
  const model = p.init
    ? await readBertConfig(`${p.init}/config.json`)
    : bertPreset(p.preset, { vocab_size: (await loadVocab(vocabPath)).size });
  const perStep = stepFlops(model, {
    head: "mlm",
    batch: p.batch,
    seq: p.seq_len,
    predictionsPerSequence: p.max_predictions,
  });
  const cost = p.flops_convention === "6nd" ? perStep.sixND : perStep.electra;
  if (p.flops !== null && p.flops < cost) {
    throw new Error(
      `Cannot plan the experiment: pretrain.flops ${p.flops.toExponential(2)} is less than one step (${
        cost.toExponential(2)
      } ${p.flops_convention} FLOPs at batch ${p.batch} x ${p.seq_len})`,
    );
  }
  const steps = p.steps ?? stepsForBudget(p.flops!, cost);
  return { steps, scaledSteps: steps * config.multiplier, perStep, model, vocabPath };
}

/**
 * One arm's pre-training config: the shared settings with the arm's data and masking, its steps
 * (never a FLOPs budget, so rounding cannot make equal arms differ), its own folder and name.
 */
export function armPretrainConfig(
  config: ExperimentConfig,
  budget: Budget,
  arm: ArmName,
  out: string,
): PretrainConfig {
  const spec = ARMS[arm];
  const steps = spec.scaled ? budget.scaledSteps : budget.steps;
  return {
    ...config.pretrain,
    name: arm,
    data: spec.data,
    masking: spec.masking,
    steps,
    flops: null,
    out,
    backend: config.backend,
    eval_every: config.evalEveryGiven
      ? config.pretrain.eval_every
      : Math.max(1, Math.ceil(steps / config.evals)),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === "string" && v.trim() !== "";
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

function isPositive(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

function isFraction(v: unknown): v is number {
  return typeof v === "number" && v >= 0 && v <= 1;
}

function isProbability(v: unknown): v is number {
  return typeof v === "number" && v >= 0 && v < 1;
}

function isLength(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 4;
}

function isCap(v: unknown): v is number | null {
  return v === null || isPositiveInt(v);
}

function isRateList(v: unknown): v is number[] | null {
  return v === null || (Array.isArray(v) && v.length > 0 && v.every(isPositive));
}

function isBackend(v: unknown): v is BackendName {
  return v === "auto" || v === "dawn" || v === "deno" || v === "cpu";
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
