/**
 * The pre-training settings: one schema for the defaults, a JSON/JSONC `--config` file and flags
 * (flags winning, nanoGPT's order). The resolved settings are printed at start and saved as the
 * run's `config.json`, from which `--resume` continues.
 *
 * @example
 * ```ts
 * import { PRETRAIN_SETTINGS } from "./settings.ts";
 * const s = PRETRAIN_SETTINGS.withDefaults({ preset: "mini", steps: 200 });
 * console.log(s.flops, s.masking); // null "concept"
 * ```
 * @module
 */
import { z } from "zod";
import { UsageError } from "../config/errors.ts";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { BERT_PRESETS, type BertPresetName } from "../core/bert/config.ts";
import { BACKEND_NAMES, type BackendName } from "../core/device.ts";
import { type Precision, PRECISIONS } from "../core/precision.ts";
import { type BertSizes, type FlopsConvention, planTraining, type TrainingPlan } from "../core/flops.ts";
import { SELECTION_FIELDS, type SelectionSettings, TEXT_FIELDS } from "../data/concentrate/fields.ts";
import { MASKING_FIELDS } from "../masking/fields.ts";
import type { MaskingSettings } from "../masking/settings.ts";
import { outputPath } from "../util/output.ts";
import { GENERAL_MODEL } from "../data/samples.ts";

/** Which text a run trains on: the concentrated subset, its random control, the whole corpus, or a path. */
export type DataChoice = "concentrated" | "random" | "full" | string;

/** Everything a run computes and where it goes; the keys are the flags with `_` for `-`. */
export interface PretrainSettings extends MaskingSettings, SelectionSettings {
  /** A name for the run (default `<preset or init>-<data>-<masking>`); used in the default `out`. */
  name: string | null;
  /** A size preset trained from scratch; ignored with `init`. */
  preset: BertPresetName;
  /** A HuggingFace-format BERT directory to continue from (config.json, model.safetensors, vocab.txt). */
  init: string | null;
  /** Corpus files or WikiExtractor directories (text, gzip). */
  corpus: string[];
  /** Size of the concentrated subset (and its random control): `500KB`, `50MB`. */
  budget: string | null;
  /** `concentrated`, `random`, `full`, or a text file, directory or token shard. */
  data: DataChoice;
  /** Optimizer steps; exclusive with `flops`. */
  steps: number | null;
  /** Train until this many FLOPs (counted by `flops_convention`); exclusive with `steps`. */
  flops: number | null;
  /** `6nd` (6 x parameters x tokens) or `electra` (METHOD.md §5). */
  flops_convention: FlopsConvention;
  /** Sequences per optimizer step (the paper's is 128), split into `grad_accum` micro-batches. */
  batch: number;
  /** Micro-batches per optimizer step. */
  grad_accum: number;
  /** Tokens per sequence. */
  seq_len: number;
  /** Peak learning rate. */
  lr: number;
  /** Warm-up: a fraction of the steps when below 1, else a number of steps. */
  warmup: number;
  /** AdamW's decoupled weight decay. */
  weight_decay: number;
  /** Gradients are clipped to this global norm. */
  max_grad_norm: number;
  /** Seed of initialisation, data order, masks and the concentration's random control. */
  seed: number;
  /** `auto`, `dawn`, `deno` or `cpu`. */
  backend: BackendName;
  /** `fp32`, or `mixed`: f16 matmul operands with f32 accumulation and dynamic loss scaling. */
  precision: Precision;
  /** Validate every N steps (0: only at the end). */
  eval_every: number;
  /** Most validation batches per evaluation. */
  eval_batches: number;
  /** Save a checkpoint every N steps (0: only at the end). */
  save_every: number;
  /** How many `checkpoint-<step>/` folders to keep, the newest (null: all). */
  save_total_limit: number | null;
  /** Log a metrics line every N steps. */
  log_every: number;
  /** Fraction of documents held out for validation. */
  validation: number;
  /** Where the run's files go (default `out/runs/<time>-<name>`). */
  out: string | null;
  /** Where concentrated text and token shards are cached, keyed by their inputs. */
  cache: string;
  /** After training, run the knowledge probe on the final checkpoint and on the starting model. */
  probe: boolean;
}

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/**
 * The pre-training settings. The embedded default does what the paper does, at a size lavapipe
 * runs in minutes: it continues the project's general model (`data/general-tiny`, a tiny BERT
 * pre-trained on other Wikipedia text) on the shipped sample concentrated by CN-100K (500KB),
 * with concept masking, for 6.5e12 6ND FLOPs (60 steps of 32 x 128, about two passes), then
 * probes the model before and after.
 */
export const PRETRAIN_SETTINGS: SettingsSpec<PretrainSettings> = defineSettings<PretrainSettings>()(
  "pretrain",
  z.object({
    name: z.string().min(1).nullable().default(null).describe(
      "a name for the run; none: <preset or init>-<data>-<masking>",
    ),
    preset: z.enum(Object.keys(BERT_PRESETS) as [BertPresetName, ...BertPresetName[]]).default("tiny")
      .describe(
        "size preset trained from scratch (ignored with --init)",
      ),
    init: z.string().min(1).nullable().default(GENERAL_MODEL).describe(
      "HuggingFace BERT directory to continue from (config.json, model.safetensors, vocab.txt), as the paper does; none: --preset from scratch",
    ),
    ...TEXT_FIELDS,
    ...SELECTION_FIELDS,
    data: z.string().min(1).default("concentrated").describe(
      "concentrated (the ConceptNet subset), random (its random control), full (the whole corpus), or a text file, directory or token shard",
    ),
    ...MASKING_FIELDS,
    steps: positiveInt.nullable().default(null).describe("optimizer steps (replaces --flops)"),
    flops: z.number().positive().finite().nullable().default(6.5e12).describe(
      "train for this compute, counted by --flops-convention (replaced by --steps)",
    ),
    flops_convention: z.enum(["6nd", "electra"]).default("6nd").describe(
      "6nd (6 x parameters x tokens) or electra (matmuls incl. attention, backward = 2 x forward)",
    ),
    batch: positiveInt.default(32).describe("sequences per optimizer step (the paper's is 128)"),
    grad_accum: positiveInt.default(1).describe("micro-batches per step, so a large batch fits any adapter"),
    seq_len: z.number().int().min(8).max(512).default(128).describe("tokens per sequence"),
    lr: z.number().positive().finite().default(5e-4).describe(
      "peak learning rate (the general model was made at 1e-3; continued pre-training takes half, as the paper's 5e-5 is half of BERT's 1e-4)",
    ),
    warmup: z.number().nonnegative().finite().default(0.1).describe(
      "warm-up: a fraction of the steps below 1, else a number of steps",
    ),
    weight_decay: z.number().nonnegative().finite().default(0.01).describe("AdamW's decoupled weight decay"),
    max_grad_norm: z.number().positive().default(1).describe("clip gradients to this global norm"),
    seed: nonNegativeInt.default(1).describe(
      "seed of initialisation, data order, masks and the random control",
    ),
    backend: z.enum(BACKEND_NAMES).default("auto").describe(
      "auto, a WebGPU runtime (dawn, deno), or cpu (the CPU reference ops)",
    ),
    precision: z.enum(PRECISIONS).default("fp32").describe(
      "fp32, or mixed: matmul operands in f16 with f32 sums, f32 master weights, dynamic loss scaling " +
        "(needs shader-f16: deno task doctor)",
    ),
    eval_every: nonNegativeInt.default(50).describe("validate every N steps (0: only at the end)"),
    eval_batches: positiveInt.default(8).describe("most validation batches per evaluation"),
    save_every: nonNegativeInt.default(0).describe("save a checkpoint every N steps (0: only at the end)"),
    save_total_limit: positiveInt.nullable().default(null).describe(
      "keep only the newest N checkpoint-<step>/ folders (HuggingFace's save_total_limit); none: keep all",
    ),
    log_every: positiveInt.default(10).describe("log a metrics line every N steps"),
    validation: z.number().min(0).lt(1).default(0.1).describe(
      "fraction of documents held out for validation",
    ),
    out: z.string().min(1).nullable().default(null).describe(
      "the run's folder; none: out/runs/<time>-<name>",
    ),
    cache: z.string().min(1).default(outputPath("cache")).describe(
      "where concentrated text and token shards are cached, keyed by their inputs",
    ),
    probe: z.boolean().default(true).describe(
      "after training, run the knowledge probe (deno task probe) on the final checkpoint and the --init model",
    ),
  }).strict(),
  {
    exclusive: [["steps", "flops"]],
    check: (s, { name }) => {
      if (s.steps === null && s.flops === null) return `give ${name("steps")} or ${name("flops")}`;
      if (s.batch % s.grad_accum !== 0) {
        return `${name("batch")} ${s.batch} is not a multiple of ${name("grad_accum")} ${s.grad_accum}`;
      }
      if (s.max_predictions > s.seq_len - 2) {
        return `${name("max_predictions")} ${s.max_predictions} exceeds ${
          name("seq_len")
        } ${s.seq_len} minus 2`;
      }
      if ((s.data === "concentrated" || s.data === "random") && s.budget === null) {
        return `${name("data")} ${s.data} needs ${name("budget")}`;
      }
      return null;
    },
  },
);

/** What a resumed run may change: how it reports and where it runs, never what it computes. */
export const RESUMABLE_SETTINGS: readonly (keyof PretrainSettings)[] = [
  "backend",
  "eval_every",
  "save_every",
  "save_total_limit",
  "log_every",
  "out",
  "probe",
];

/** The run's name when none is given: what it starts from, which text, which masking. */
export function runName(settings: PretrainSettings): string {
  if (settings.name) return settings.name;
  const start = settings.init ? basename(settings.init) : settings.preset;
  const data = ["concentrated", "random", "full"].includes(settings.data)
    ? settings.data
    : basename(settings.data);
  return `${start}-${data}-${settings.masking}`;
}

function basename(path: string): string {
  return path.replace(/[\\/]+$/, "").split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** The settings as saved (`config.json`) and printed: keys in schema order. */
export function settingsJson(settings: PretrainSettings): string {
  const ordered = Object.fromEntries(
    PRETRAIN_SETTINGS.fields.map((f) => [f.key, settings[f.key as keyof PretrainSettings]]),
  );
  return JSON.stringify(ordered, null, 2) + "\n";
}

/**
 * The steps of `settings` for `model`: its `steps`, or the fewest whose FLOPs reach its `flops`
 * (`planTraining`, core/flops.ts). Pre-training and the experiment plan with it.
 *
 * @throws {UsageError} when the budget is less than one step
 */
export function planSteps(settings: PretrainSettings, model: BertSizes): TrainingPlan {
  try {
    return planTraining(model, {
      batch: settings.batch,
      seq: settings.seq_len,
      predictionsPerSequence: settings.max_predictions,
      steps: settings.steps,
      flops: settings.flops,
      convention: settings.flops_convention,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
