/**
 * The settings of GLUE fine-tuning and evaluation ({@linkcode runGlue}, `deno task glue`): BERT's
 * fine-tuning defaults (Devlin et al. 2019: batch 32, lr 2e-5, 3 epochs, 10% warm-up, dropout 0.1,
 * 128 tokens), the tasks, the learning-rate grid and seeds, and the caps of a quick run.
 *
 * @example
 * ```ts
 * import { GLUE_SETTINGS } from "./settings.ts";
 * const s = GLUE_SETTINGS.withDefaults({ model: "m", tasks: ["SST-2"] });
 * console.log(s.tasks, s.lr); // ["SST-2"] 0.00002
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { BACKEND_NAMES, type BackendName } from "../core/device.ts";
import { GLUE_SCORED_TASKS, type GlueScoredTask } from "./sets.ts";

/** How GLUE runs: the keys are the flags with `_` for `-`. */
export interface GlueSettings {
  /** The checkpoint to fine-tune; with `eval_only`, a fine-tuned classifier or a folder of `<TASK>/` ones. */
  model: string | null;
  /** A GLUE folder in `download_glue_data.py`'s layout; null: the shipped samples, capped. */
  data: string | null;
  /** The tasks; null: every task whose files are found. */
  tasks: GlueScoredTask[] | null;
  /** The output folder; null: `out/glue/<time>`. */
  out: string | null;
  /** Sequences per batch. */
  batch: number;
  /** Peak learning rate. */
  lr: number;
  /** Learning rates to search, each with every seed; the best mean dev score is reported. */
  lr_grid: number[] | null;
  /** Epochs over the training set. */
  epochs: number;
  /** Warm-up, a fraction of the steps. */
  warmup: number;
  /** Longest input in tokens (cut to the model's positions). */
  max_length: number;
  /** Dropout everywhere during fine-tuning. */
  dropout: number;
  /** Seeds 1..N per learning rate. */
  seeds: number;
  /** A seeded sample of each training set; null: all (1000 on the shipped samples). */
  max_train_examples: number | null;
  /** The first rows of each dev and test set; null: all (200 on the shipped samples). */
  max_eval_examples: number | null;
  /** Evaluate fine-tuned classifiers without training. */
  eval_only: boolean;
  /** Save each task's best classifier to `<out>/models/<TASK>/`. */
  save_models: boolean;
  /** `auto`, `dawn`, `deno` (WebGPU runtimes) or `cpu` (the CPU reference ops). */
  backend: BackendName;
}

/** The caps of the embedded default: the shipped samples without `--data`. */
export const SAMPLE_CAPS: Readonly<{ maxTrainExamples: number; maxEvalExamples: number }> = Object.freeze({
  maxTrainExamples: 1000,
  maxEvalExamples: 200,
});

// "sst2", "SST-2" and "sst-2" all name SST-2; anything else is left for the enum to refuse.
const taskName = z.preprocess((value) => {
  const key = (s: string) => s.toLowerCase().replaceAll("-", "");
  return typeof value === "string" ? GLUE_SCORED_TASKS.find((t) => key(t) === key(value)) ?? value : value;
}, z.enum(GLUE_SCORED_TASKS as [GlueScoredTask, ...GlueScoredTask[]]));

const positiveInt = z.number().int().positive();

/** GLUE's settings. */
export const GLUE_SETTINGS: SettingsSpec<GlueSettings> = defineSettings<GlueSettings>()(
  "glue",
  z.object({
    model: z.string().min(1).nullable().default(null).describe(
      "checkpoint directory to fine-tune (with --eval-only: a fine-tuned classifier, or a folder of <TASK>/ classifiers); none: the latest pretrain run",
    ),
    data: z.string().min(1).nullable().default(null).describe(
      "GLUE folder (download_glue_data.py layout); none: the shipped samples, capped",
    ),
    tasks: z.array(taskName).min(1).transform((t) => GLUE_SCORED_TASKS.filter((x) => t.includes(x)))
      .nullable()
      .default(null).describe(
        "tasks to run (case and - ignored: sst2,stsb); none: every task whose files are found",
      ),
    out: z.string().min(1).nullable().default(null).describe("output folder; none: out/glue/<time>"),
    batch: positiveInt.default(32).describe("sequences per batch"),
    lr: z.number().positive().finite().default(2e-5).describe("peak learning rate"),
    lr_grid: z.array(z.number().positive().finite()).min(1).transform((r) => [...new Set(r)]).nullable()
      .default(null).describe("learning rates to search, each with every seed; the best mean dev score wins"),
    epochs: z.number().positive().finite().default(3).describe("epochs over the training set"),
    warmup: z.number().min(0).max(1).default(0.1).describe("warm-up, a fraction of the steps"),
    max_length: z.number().int().min(4).default(128).describe("longest input in tokens"),
    dropout: z.number().min(0).lt(1).default(0.1).describe("dropout during fine-tuning"),
    seeds: positiveInt.default(1).describe("fine-tuning runs per learning rate, seeds 1..N"),
    max_train_examples: positiveInt.nullable().default(null).describe(
      `a seeded sample of each training set; none: all (${SAMPLE_CAPS.maxTrainExamples} on the shipped samples)`,
    ),
    max_eval_examples: positiveInt.nullable().default(null).describe(
      `the first rows of each dev and test file; none: all (${SAMPLE_CAPS.maxEvalExamples} on the shipped samples)`,
    ),
    eval_only: z.boolean().default(false).describe("evaluate fine-tuned classifiers, no training"),
    save_models: z.boolean().default(false).describe(
      "save each task's best classifier to <out>/models/<TASK>/",
    ),
    backend: z.enum(BACKEND_NAMES).default("auto").describe(
      "auto, a WebGPU runtime (dawn, deno), or cpu (the CPU reference ops)",
    ),
  }).strict(),
  {
    exclusive: [["lr", "lr_grid"]],
    check: (s, { given, name }) => {
      if (!s.eval_only) return null;
      const training =
        (["lr", "lr_grid", "seeds", "epochs", "warmup", "max_train_examples", "save_models"] as const)
          .find((k) => given.has(k));
      if (training) return `${name("eval_only")} does not train; ${name(training)} has no use`;
      if (s.model === null) {
        return `${name("eval_only")} needs ${name("model")}: a fine-tuned classifier (or a folder of them)`;
      }
      return null;
    },
  },
);
