/**
 * The step loop of pre-training: each step's micro-batches are read and masked while the device
 * runs the step before; metrics are logged, the held-out split is evaluated and checkpoints are
 * saved on their cadences; an abort (Ctrl-C) ends the loop after the step under way. Everything a
 * step needs is a function of the step number, so a loop started at step k continues exactly as
 * an uninterrupted run.
 * @module
 */
import type { BertMlm } from "../core/bert/model.ts";
import type { MlmTrainer } from "../core/bert/trainer.ts";
import type { StepFlops } from "../core/flops.ts";
import type { Ops } from "../core/ops.ts";
import type { LinearSchedule } from "../core/schedule.ts";
import type { MaskedBatch } from "../masking/batch.ts";
import { Progress } from "../util/progress.ts";
import type { BatchSource } from "./batches.ts";
import type { Checkpointer } from "./checkpointer.ts";
import type { Validation } from "./evaluate.ts";
import type { EvalRecord, MetricsLog, StepRecord } from "./metrics_log.ts";
import type { PretrainSettings } from "./settings.ts";

/** What the loop runs. */
export interface LoopParts<T> {
  /** The run's settings. */
  settings: PretrainSettings;
  /** The backend the model runs on. */
  ops: Ops<T>;
  /** The masked-LM being trained. */
  model: BertMlm<T>;
  /** Runs each step's forward, backward and AdamW update. */
  trainer: MlmTrainer<T>;
  /** The masked training batches, by step. */
  source: BatchSource;
  /** The held-out split, or null. */
  validation: Validation | null;
  /** Where records go. */
  metrics: MetricsLog;
  /** Saves on the `save_every` cadence. */
  checkpoints: Checkpointer<T>;
  /** The learning rate of each step. */
  schedule: LinearSchedule;
  /** One step's FLOPs, for the cumulative counters. */
  perStep: StepFlops;
  /** Steps of the whole run. */
  totalSteps: number;
  /** When this session of the run started, `performance.now()` ms. */
  wallStart: number;
  /** Ends the loop after the step under way. */
  signal?: AbortSignal;
}

/** What the loop did. */
export interface LoopResult {
  /** The last step done. */
  step: number;
  /** Steps done by this loop (not before a resume). */
  stepsRun: number;
  /** The training loss of the last step, or null when none ran. */
  lastLoss: number | null;
  /** Milliseconds of host work (reading and masking), overlapped with the device. */
  hostMs: number;
  /** Milliseconds the device waited for data. */
  waitMs: number;
  /** Seconds from the first step to the last. */
  trainSeconds: number;
}

/** Cumulative counters after `step` steps, as every record carries them. */
export function totalsAt(step: number, settings: PretrainSettings, perStep: StepFlops): {
  tokens: number;
  flops_6nd: number;
  flops_electra: number;
} {
  return {
    tokens: step * settings.batch * settings.seq_len,
    flops_6nd: step * perStep.sixND,
    flops_electra: step * perStep.electra,
  };
}

/** Evaluates the held-out split after `step` and logs the record; null without a split. */
export async function evaluateAt<T>(p: LoopParts<T>, step: number): Promise<EvalRecord | null> {
  if (!p.validation) return null;
  const e = await p.validation.evaluate(p.ops, p.model);
  const record: EvalRecord = {
    kind: "eval",
    step,
    val_loss: e.loss,
    val_accuracy: e.accuracy,
    ...totalsAt(step, p.settings, p.perStep),
    elapsed_s: (performance.now() - p.wallStart) / 1000,
  };
  await p.metrics.append(record);
  return record;
}

/** Runs steps `startStep + 1 .. totalSteps` (fewer when aborted). */
export async function runSteps<T>(
  p: LoopParts<T>,
  startStep: number,
  lastEval: EvalRecord | null,
): Promise<LoopResult> {
  const { settings, trainer, source, schedule, totalSteps } = p;
  const progress = new Progress({
    label: "step",
    total: totalSteps,
    start: startStep,
    every: Math.max(1, Math.floor(totalSteps / 50)),
  });
  const stepTokens = settings.batch * settings.seq_len;
  const trainStart = performance.now();
  let hostMs = 0, waitMs = 0;
  let lastLoss: number | null = null;
  let stepsRun = 0;
  let skipped = 0;
  const prepare = async (step: number): Promise<MaskedBatch[]> => {
    const t = performance.now();
    const batches: MaskedBatch[] = [];
    for (let k = 0; k < settings.grad_accum; k++) batches.push(await source.batch(step, k));
    hostMs += performance.now() - t;
    return batches;
  };
  let step = startStep;
  let next: Promise<MaskedBatch[]> | null = step < totalSteps ? prepare(step + 1) : null;
  try {
    while (step < totalSteps && !p.signal?.aborted) {
      const waitStart = performance.now();
      const batches = await next!;
      waitMs += performance.now() - waitStart;
      step++;
      const logged = step % settings.log_every === 0 || step === totalSteps;
      const lr = schedule.lr(step - 1);
      const pending = trainer.trainAccumulated(batches, lr, { accuracy: logged });
      // Let the step's submit go out, then mask the next batch while the device works.
      await new Promise((resolve) => setTimeout(resolve, 0));
      next = step < totalSteps ? prepare(step + 1) : null;
      const result = await pending;
      stepsRun++;
      if (result.skipped) skipped++;
      lastLoss = result.loss;
      if (!Number.isFinite(result.loss)) {
        throw new Error(`Training diverged at step ${step}: loss ${result.loss} (try a lower --lr)`);
      }
      const tokensPerS = (stepsRun * stepTokens) / ((performance.now() - trainStart) / 1000);
      if (logged) {
        const record: StepRecord = {
          kind: "train",
          step,
          loss: result.loss,
          ...(result.accuracy !== undefined ? { accuracy: result.accuracy } : {}),
          lr,
          ...totalsAt(step, settings, p.perStep),
          tokens_per_s: tokensPerS,
          elapsed_s: (performance.now() - p.wallStart) / 1000,
          ...(result.lossScale !== undefined ? { loss_scale: result.lossScale, skipped_steps: skipped } : {}),
        };
        await p.metrics.append(record);
      }
      if ((settings.eval_every > 0 && step % settings.eval_every === 0) || step === totalSteps) {
        const evaluated = await evaluateAt(p, step);
        if (evaluated) {
          lastEval = evaluated;
          progress.message(
            `step ${step}: val_loss ${evaluated.val_loss.toFixed(4)} val_accuracy ${
              evaluated.val_accuracy.toFixed(4)
            }`,
          );
        }
      }
      progress.update(step, stepStatus(result.loss, lastEval?.val_loss, lr, tokensPerS));
      if (settings.save_every > 0 && step % settings.save_every === 0 && step < totalSteps) {
        await p.checkpoints.save(step);
      }
    }
  } finally {
    progress.stop();
    await next?.catch(() => {});
  }
  return { step, stepsRun, lastLoss, hostMs, waitMs, trainSeconds: (performance.now() - trainStart) / 1000 };
}

/** What a step's progress line says: `loss 6.912 val_loss 6.801 lr 4.5e-4 1,234 tokens/s`. */
export function stepStatus(
  loss: number,
  valLoss: number | undefined,
  lr: number,
  tokensPerS: number,
): string {
  const val = valLoss === undefined ? "" : ` val_loss ${valLoss.toFixed(3)}`;
  const rate = Number.isFinite(tokensPerS) ? Math.round(tokensPerS).toLocaleString("en-US") : "?";
  return `loss ${loss.toFixed(3)}${val} lr ${lr === 0 ? "0" : lr.toExponential(1)} ${rate} tokens/s`;
}
