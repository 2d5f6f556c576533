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
 * console.log(s.pretrain.flops, s.glue.tasks); // 1.6e12 ["SST-2", "MRPC", "RTE"]
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { BACKEND_NAMES, type BackendName } from "../core/device.ts";
import { SAMPLE_GLUE } from "../data/samples.ts";
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
  /** GLUE fine-tuning seeds 1..N per arm. */
  seeds: number;
  /** `auto`, `dawn`, `deno` or `cpu`, for pre-training and GLUE. */
  backend: BackendName;
  /** Evaluations of the validation MLM loss per arm besides the one before training. */
  evals: number;
  /** Pre-training, shared by every arm; `data`, `masking`, `name`, `out`, `backend`, `eval_every` are set per arm. */
  pretrain: PretrainSettings;
  /** GLUE fine-tuning of every arm's checkpoint; `model`, `out`, `seeds`, `backend` are set per arm. */
  glue: GlueSettings;
}

const PER_ARM = "is set per arm by the experiment";

/**
 * The experiment's pre-training: `pretrain`'s settings with the embedded default's budget. 1.6e12
 * 6ND FLOPs are 15 steps of 32 x 128 tokens of the tiny BERT (~4.4M parameters), so `general-20x`
 * takes 300.
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
    preset: "tiny",
    flops: 1.6e12,
    flops_convention: "6nd",
    batch: 32,
    seq_len: 128,
    eval_batches: 4,
    log_every: 5,
  },
});

/**
 * The experiment's GLUE fine-tuning: three shipped tasks, a 400-example seeded sample of each
 * training set, the first 200 dev rows. The learning rate is 1e-4, not BERT's 2e-5: a tiny BERT
 * hardly moves at 2e-5 in a few dozen steps (Turc et al. 2019 tune 1e-4 .. 3e-5 for the miniatures).
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
    tasks: ["SST-2", "MRPC", "RTE"],
    lr: 1e-4,
    max_train_examples: 400,
    max_eval_examples: 200,
  },
});

/**
 * The experiment's settings.
 *
 * Planned time of the embedded default on a 2-core machine with lavapipe (tiny pre-training measured
 * at 2,000-2,450 tokens/s, i.e. 1.7-2.0 s per step of 32 x 128; GLUE's embedded default measured at
 * 53 s SST-2, 72 s MRPC, 94 s RTE for 1000 examples x 3 epochs, one seed):
 * - pre-training: 5 x 15 + 300 = 375 steps, 11-13 min, plus 4 validations of <= 4 batches per
 *   arm and per-arm setup (device, model, cached data): about 14 min;
 * - GLUE: 6 arms x 3 seeds x (SST-2 + MRPC + RTE at 400 examples x 3 epochs = 38 steps each, <= 200
 *   dev examples) at about 21 + 29 + 38 s plus evaluation, ~100 s per arm and seed: about 30 min;
 * - in all about 45 min; a machine shared with other jobs takes longer.
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
    seeds: z.number().int().positive().default(3).describe("GLUE fine-tuning seeds 1..N per arm"),
    backend: z.enum(BACKEND_NAMES).default("auto").describe(
      "auto, a WebGPU runtime (dawn, deno), or cpu, for pre-training and GLUE",
    ),
    evals: z.number().int().positive().default(3).describe(
      "validation MLM loss evaluations per arm besides the one before training",
    ),
  }).strict(),
  { nested: { pretrain: EXPERIMENT_PRETRAIN_SETTINGS, glue: EXPERIMENT_GLUE_SETTINGS } },
);
