/**
 * The experiment's compute: the budget becomes a step count once, so every equal-compute arm runs
 * the same steps x batch x sequence length and `general-20x` exactly `multiplier` times that; each
 * arm's pre-training settings then name steps, never FLOPs, so rounding cannot make equal arms
 * differ.
 * @module
 */
import type { BertConfig } from "../core/bert/config.ts";
import type { StepFlops } from "../core/flops.ts";
import { planSteps, type PretrainSettings } from "../pretrain/settings.ts";
import { startingModel } from "../pretrain/start.ts";
import { type ArmName, ARMS } from "./arms.ts";
import type { ExperimentSettings } from "./settings.ts";

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
  /** Where the model's vocabulary comes from (as pre-training picks it). */
  vocabPath: string;
}

/**
 * The budget in steps, planned as pre-training plans it (`planTraining`, the named convention).
 *
 * @throws {UsageError} when the budget is less than one step; {Error} when the `init` model cannot
 * be read
 */
export async function experimentBudget(settings: ExperimentSettings): Promise<Budget> {
  const { modelConfig, vocabPath } = await startingModel(settings.pretrain);
  const plan = planSteps(settings.pretrain, modelConfig);
  return {
    steps: plan.steps,
    scaledSteps: plan.steps * settings.multiplier,
    perStep: plan.perStep,
    model: modelConfig,
    vocabPath,
  };
}

/**
 * One arm's pre-training settings: the shared ones with the arm's data and masking, its steps, its
 * own folder and name, evaluations spread over its steps, and the run's seed and corpus (the
 * corpus without the held-out documents).
 */
export function armPretrainSettings(
  settings: ExperimentSettings,
  budget: Budget,
  arm: ArmName,
  out: string,
  run: { seed: number; corpus: string[] } = {
    seed: settings.pretrain.seed,
    corpus: settings.pretrain.corpus,
  },
): PretrainSettings {
  const spec = ARMS[arm];
  const steps = spec.scaled ? budget.scaledSteps : budget.steps;
  return {
    ...settings.pretrain,
    corpus: run.corpus,
    seed: run.seed,
    name: arm,
    data: spec.data,
    masking: spec.masking,
    steps,
    flops: null,
    out,
    backend: settings.backend,
    eval_every: Math.max(1, Math.ceil(steps / settings.evals)),
  };
}
