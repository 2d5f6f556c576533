/**
 * The experiment's settings: the arms, the compute multiplier of `general-20x`, GLUE seeds, and two
 * nested groups, `pretrain` (pre-training's settings, shared by every arm but for those the arm
 * sets) and `glue` (GLUE's fine-tuning settings). Defaults, then a JSON/JSONC file (`--config`;
 * `experiment/paper_base.jsonc` is the paper's setting), then flags (`--seeds 1`,
 * `--pretrain.flops 1e13`, `--glue.tasks sst2,rte`), flags winning.
 *
 * @example
 * ```ts
 * import { EXPERIMENT_SETTINGS } from "./settings.ts";
 * const s = EXPERIMENT_SETTINGS.withDefaults({ seeds: 1 });
 * console.log(s.pretrain.flops, s.glue.tasks); // 1.7e12 ["SST-2"]
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { BACKEND_NAMES, type BackendName } from "../core/device.ts";
import { GENERAL_MODEL, SAMPLE_GLUE } from "../data/samples.ts";
import { GLUE_SETTINGS, type GlueSettings } from "../glue/settings.ts";
import { PRETRAIN_SETTINGS, type PretrainSettings } from "../pretrain/settings.ts";
import { outputPath } from "../util/output.ts";
import { ARM_NAMES, type ArmName } from "./arms.ts";

/** The whole experiment; the keys are the flags with `_` for `-`. */
export interface ExperimentSettings {
  /** The experiment's folder: `arms/<arm>/`, `experiment.md`, `.json`, `.svg`. */
  out: string;
  /** The arms to run, in table order. */
  arms: ArmName[];
  /** Compute of `general-20x` relative to the other arms (the paper's 20). */
  multiplier: number;
  /** GLUE fine-tuning seeds 1..N per arm and pre-training seed; each draws its own training sample. */
  seeds: number;
  /** Pre-training seeds per arm: `pretrain.seed` and the N - 1 after it (data order, masks, subsets). */
  pretrain_seeds: number;
  /** Fraction of the corpus' documents held out before any selection: the common evaluation text. */
  heldout: number;
  /** Share of the held-out paragraphs, densest in ConceptNet edges per word, measured on their own. */
  dense_share: number;
  /** Most held-out sequences each arm is measured on. */
  heldout_sequences: number;
  /** Run the knowledge probe on every arm (and the starting model). */
  probe: boolean;
  /** `auto`, `dawn`, `deno` or `cpu`, for pre-training and GLUE. */
  backend: BackendName;
  /** Evaluations of each arm's own validation split (when `pretrain.validation` > 0) besides the one before training. */
  evals: number;
  /** Pre-training, shared by every arm; `data`, `masking`, `name`, `out`, `backend`, `eval_every` are set per arm. */
  pretrain: PretrainSettings;
  /** GLUE fine-tuning of every arm's checkpoint; `model`, `out`, `seeds`, `backend` are set per arm. */
  glue: GlueSettings;
}

const PER_ARM = "is set per arm by the experiment";

/**
 * The experiment's pre-training: `pretrain`'s settings, continuing the project's general model
 * (`data/general-tiny`, a tiny BERT) as the paper continues BERT. 1.7e12 6ND FLOPs are 16 steps of
 * 32 x 128 tokens (~4.4M parameters): 512 sequences, 1.1-1.2 passes over a 200KB subset (421
 * concentrated, 448 random sequences on the sample), so `general-20x` takes 320. The peak learning rate is half the general model's own (1e-3), as the
 * paper's 5e-5 is half of BERT's 1e-4; it was not tuned. The arms' own validation split is off:
 * every arm is measured on the common held-out documents instead.
 */
export const EXPERIMENT_PRETRAIN_SETTINGS: SettingsSpec<PretrainSettings> = PRETRAIN_SETTINGS.derive({
  omit: {
    data: PER_ARM,
    masking: PER_ARM,
    name: PER_ARM,
    out: PER_ARM,
    backend: `${PER_ARM} (the top-level "backend" sets pre-training and GLUE)`,
    eval_every: `${PER_ARM} from "evals"`,
  },
  defaults: {
    init: GENERAL_MODEL,
    preset: "tiny",
    flops: 1.7e12,
    flops_convention: "6nd",
    budget: "200KB",
    batch: 32,
    seq_len: 128,
    lr: 5e-4,
    validation: 0,
    probe: false,
    eval_batches: 4,
    log_every: 5,
  },
});

/**
 * The experiment's GLUE fine-tuning: SST-2 (the shipped task on which a tiny BERT learns enough at
 * this scale to beat its majority class clearly), a 2,000-example sample of its training set per
 * seed, 3 epochs, every dev example. The learning rate, 1e-3, was chosen from 1e-4, 3e-4 and 1e-3
 * on a split of SST-2's training data (the last 1,000 rows held out, the general model at step 250
 * of 800), never on dev: 56.3, 62.5 and 73.9 accuracy, the split's majority class being 56.3
 * (README, "The experiment").
 */
export const EXPERIMENT_GLUE_SETTINGS: SettingsSpec<GlueSettings> = GLUE_SETTINGS.derive({
  omit: {
    model: PER_ARM,
    out: PER_ARM,
    seeds: `is the experiment's own "seeds"`,
    backend: `is the experiment's own "backend"`,
    eval_only: "cannot be set: every arm is fine-tuned",
    save_models: "cannot be set: arms keep their results, not their classifiers",
  },
  defaults: {
    data: SAMPLE_GLUE,
    tasks: ["SST-2"],
    lr: 1e-3,
    max_train_examples: 2000,
    max_eval_examples: null,
  },
});

/**
 * The experiment's settings.
 *
 * Planned time of the embedded default on a 2-core machine with lavapipe at ~28 GFLOP/s (`deno task
 * bench matmul_1024`), where tiny pre-training runs at 2,000-2,450 tokens/s (1.7-2.0 s per step of
 * 32 x 128) and SST-2 fine-tuning at 1,000 examples x 3 epochs took 53 s:
 * - pre-training: 2 seeds x (5 x 16 + 320) = 800 steps, 23-27 min, plus per-run setup;
 * - common measures: 13 models (12 runs and the start) x (held-out and dense loss, 1,273 probe
 *   facts): about 2 min;
 * - GLUE: 12 runs x SST-2 (2,000 examples x 3 epochs = 188 steps, 436 dev examples): about 22 min;
 * - in all about 50 min. A machine 3x slower (9.7 GFLOP/s) needs about 2.5 hours: cut
 *   `--pretrain-seeds 1` (half) or `--arms general,random,concentrated` (general-20x is 60% of
 *   the pre-training).
 */
export const EXPERIMENT_SETTINGS: SettingsSpec<ExperimentSettings> = defineSettings<ExperimentSettings>()(
  "experiment",
  z.object({
    out: z.string().min(1).default(outputPath("experiment")).describe(
      "the experiment's folder: arms/<arm>/, experiment.md, .json, .svg",
    ),
    arms: z.array(z.enum(ARM_NAMES as [ArmName, ...ArmName[]])).min(1)
      .refine((a) => new Set(a).size === a.length, "must not name an arm twice")
      .transform((a) => ARM_NAMES.filter((n) => a.includes(n)))
      .default([...ARM_NAMES]).describe("arms to run (table order)"),
    multiplier: z.number().int().positive().default(20).describe(
      "compute of general-20x relative to the other arms",
    ),
    seeds: z.number().int().positive().default(1).describe(
      "GLUE fine-tuning seeds 1..N per arm and pre-training seed, each on its own training sample",
    ),
    pretrain_seeds: z.number().int().positive().default(2).describe(
      "pre-training seeds per arm (data order, masks, the random subset; the concentrated subset has no randomness)",
    ),
    heldout: z.number().gt(0).lt(1).default(0.05).describe(
      "fraction of the corpus' documents held out before any selection, to measure every arm on",
    ),
    dense_share: z.number().gt(0).max(1).default(0.25).describe(
      "share of the held-out paragraphs, densest in ConceptNet edges per word, also measured alone",
    ),
    heldout_sequences: z.number().int().positive().default(512).describe(
      "most held-out sequences each arm is measured on",
    ),
    probe: z.boolean().default(true).describe("run the knowledge probe on every arm and the starting model"),
    backend: z.enum(BACKEND_NAMES).default("auto").describe(
      "auto, a WebGPU runtime (dawn, deno), or cpu, for pre-training and GLUE",
    ),
    evals: z.number().int().positive().default(3).describe(
      "evaluations of each arm's own validation split besides the one before training (with --pretrain.validation > 0)",
    ),
  }).strict(),
  { nested: { pretrain: EXPERIMENT_PRETRAIN_SETTINGS, glue: EXPERIMENT_GLUE_SETTINGS } },
);
