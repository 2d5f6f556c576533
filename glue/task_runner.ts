/**
 * One GLUE task from start to files: every run of the learning-rate grid x seeds, the best grid
 * point by mean dev score (`pickBestTrial`), and from the best run of that point the dev
 * prediction files, the test predictions (submission files) and, when asked, the saved model.
 * Or, in evaluation-only mode, the same outputs from a fine-tuned checkpoint without training.
 *
 * @example
 * ```ts
 * import { cpuOps } from "../core/ops.ts";
 * import { runGlueTask } from "./task_runner.ts";
 *
 * const result = await runGlueTask(cpuOps(), {
 *   sets, checkpoint, out: "out/glue", batch: 32, dropout: 0.1, lrGrid: [2e-5], seeds: [1],
 *   epochs: 3, warmup: 0.1, hyperparameters: { maxLength: 128 },
 * });
 * console.log(result.score);
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import type { BertConfig } from "../core/bert/config.ts";
import { type LoadedBertClassifier, saveBertClassifierDir } from "../core/checkpoint/bert_dir.ts";
import type { Ops } from "../core/ops.ts";
import { GLUE_TASKS } from "./tasks.ts";
import { formatLr, type RunResult, TaskFineTuner, type TaskSets } from "./finetune.ts";
import { writeDevPredictions, writeSubmissionFile } from "./predictions.ts";
import type { ProgressOptions } from "../util/progress.ts";
import {
  type GlueTaskResult,
  type Hyperparameters,
  type MajorityBaseline,
  pickBestTrial,
  type SeedRun,
  summarizeTask,
} from "./results.ts";
import { type DevMetrics, evaluateDevSet, taskScore } from "./metrics.ts";

/** What {@linkcode runGlueTask} needs. */
export interface GlueTaskRun {
  /** The task's encoded data. */
  sets: TaskSets;
  /** The checkpoint to start from (or, evaluating only, the fine-tuned model). */
  checkpoint: LoadedBertClassifier;
  /** The output folder (predictions/, submission/, models/). */
  out: string;
  /** Sequences per batch. */
  batch: number;
  /** Dropout everywhere (embeddings, attention, hidden, classifier). */
  dropout: number;
  /** Learning rates to try (one: no search). */
  lrGrid: readonly number[];
  /** Seeds of each grid point. */
  seeds: readonly number[];
  /** Epochs per run. */
  epochs: number;
  /** Warm-up fraction. */
  warmup: number;
  /** Evaluate the checkpoint as it is: no training. */
  evalOnly?: boolean;
  /** Save the best run's model to `<out>/models/<TASK>/`, with this vocab.txt. */
  saveModel?: { vocabPath?: string };
  /** Recorded with the results (max length, sequence length, sample sizes, ...). */
  hyperparameters: Hyperparameters;
  /** Progress bars. */
  progress?: ProgressOptions;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
}

/** Fine-tunes (or evaluates) one task and writes its files; returns its results entry. */
export async function runGlueTask<T>(ops: Ops<T>, r: GlueTaskRun): Promise<GlueTaskResult> {
  const start = performance.now();
  const log = r.log ?? logToStderr;
  const task = r.sets.task;
  const tuner = new TaskFineTuner(ops, r.checkpoint, r.sets, {
    batch: r.batch,
    dropout: r.dropout,
    log,
    ...(r.progress ? { progress: r.progress } : {}),
  });
  const n = Object.fromEntries(r.sets.dev.map((d) => [d.set, d.data.n]));

  if (r.evalOnly) {
    tuner.useCheckpoint();
    const { metrics, predictions, devLoss } = await tuner.evaluate();
    const wallSeconds = (performance.now() - start) / 1000;
    log(`glue: ${task} (evaluation only): score ${taskScore(task, metrics).toFixed(2)}`);
    await writeOutputs(tuner, r, predictions, log);
    return summarizeTask({
      task,
      n,
      hyperparameters: { evalOnly: true, batchSize: r.batch, ...r.hyperparameters },
      runs: [{ seed: 0, metrics, wallSeconds, devLoss }],
      wallSeconds,
    });
  }

  // Test predictions and the saved model come from the best run, which may not be the last.
  const keepParams = (r.sets.test.length > 0 || r.saveModel !== undefined) &&
    r.lrGrid.length * r.seeds.length > 1;
  const trials: { hyperparameters: Hyperparameters; runs: RunResult[] }[] = [];
  let kept: { trial: number; run: RunResult; params: Float32Array | null } | null = null;
  let keptMean = -Infinity;
  for (const lr of r.lrGrid) {
    const runs: RunResult[] = [];
    let trialBest: { run: RunResult; params: Float32Array | null } | null = null;
    for (const seed of r.seeds) {
      const run = await tuner.run({ lr, epochs: r.epochs, warmup: r.warmup, seed });
      runs.push(run);
      if (!trialBest || run.score > trialBest.run.score) {
        trialBest = { run, params: keepParams ? await tuner.snapshot() : null };
      }
    }
    const mean = runs.reduce((a, x) => a + x.score, 0) / runs.length;
    trials.push({ hyperparameters: hyperparameters(r, lr), runs });
    // The same rule as pickBestTrial: the best mean, the first on ties.
    if (mean > keptMean) {
      keptMean = mean;
      kept = { trial: trials.length - 1, ...trialBest! };
    }
  }
  const picked = pickBestTrial(
    task,
    trials.map((t) => ({
      hyperparameters: t.hyperparameters,
      runs: t.runs.map((run) => seedRun(run, r.epochs)),
    })),
  );
  if (picked.index !== kept!.trial) {
    throw new Error(`Internal error: ${task} picked trial ${picked.index}, kept ${kept!.trial}`);
  }
  const best = kept!;
  if (r.lrGrid.length > 1) {
    log(
      `glue: ${task}: lr ${formatLr(best.run.lr)} is best on dev (${
        picked.trials.map((t) => `lr ${formatLr(t.hyperparameters.lr as number)}: ${t.score.toFixed(2)}`)
          .join(", ")
      })`,
    );
  }
  if (best.params) tuner.restore(best.params);
  else if (keepParams) throw new Error(`Internal error: ${task}'s best parameters were not kept`);
  await writeOutputs(tuner, r, best.run.predictions, log, best.run);
  const summary = summarizeTask({
    task,
    n,
    hyperparameters: trials[picked.index]!.hyperparameters,
    runs: trials[picked.index]!.runs.map((run) => seedRun(run, r.epochs)),
    wallSeconds: (performance.now() - start) / 1000,
    ...(r.lrGrid.length > 1 ? { trials: picked.trials } : {}),
  });
  const baseline = majorityOf(r.sets);
  return baseline ? { ...summary, ...baseline } : summary;
}

function hyperparameters(r: GlueTaskRun, lr: number): Hyperparameters {
  return {
    lr,
    batchSize: r.batch,
    epochs: r.epochs,
    warmupRatio: r.warmup,
    dropout: r.dropout,
    ...(r.lrGrid.length > 1 ? { lrGrid: r.lrGrid.join(",") } : {}),
    ...r.hyperparameters,
    // Per seed when each seed has its own sample (all of one size).
    trainExamples: r.sets.trainRows?.values().next().value?.length ?? r.sets.train?.n ?? 0,
  };
}

function seedRun(run: RunResult, epochs: number): SeedRun {
  const predictions = Object.fromEntries(
    Object.entries(run.predictions).map(([set, p]) => [set, Array.from(p!)]),
  );
  return {
    seed: run.seed,
    metrics: run.metrics,
    wallSeconds: run.wallSeconds,
    predictions,
    devLoss: run.devLoss,
    train: {
      loss: run.trainLoss,
      steps: run.steps,
      examples: run.trainExamples,
      epochs,
      seconds: run.trainSeconds,
    },
  };
}

/** The majority-class baseline of a classification task, and its dev labels; null for regression. */
function majorityOf(
  sets: TaskSets,
): { majority: MajorityBaseline; devLabels: Record<string, number[]> } | null {
  const labels = sets.train?.labels;
  if (!labels || labels.length === 0 || sets.dev.some((d) => d.data.labels === null)) return null;
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  // The most frequent label; ties go to the smaller label.
  const label = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const metrics: DevMetrics = {};
  const devLabels: Record<string, number[]> = {};
  for (const d of sets.dev) {
    const gold = Array.from(d.data.labels!);
    devLabels[d.set] = gold;
    metrics[d.set] = evaluateDevSet(d.set, new Array(gold.length).fill(label), gold);
  }
  return { majority: { label, metrics, score: taskScore(sets.task, metrics) }, devLabels };
}

/** Dev prediction files, test predictions and the saved model, from the tuner's current model. */
async function writeOutputs<T>(
  tuner: TaskFineTuner<T>,
  r: GlueTaskRun,
  predictions: RunResult["predictions"],
  log: (line: string) => void,
  run?: RunResult,
): Promise<void> {
  const task = r.sets.task;
  for (const { set, data } of r.sets.dev) {
    const path = await writeDevPredictions(
      r.out,
      set,
      predictions[set]!,
      data.targets ?? data.labels!,
      data.index,
    );
    log(`glue: wrote ${path}`);
  }
  for (const { name, data } of r.sets.test) {
    const p = await tuner.predict(data, `${name} test`);
    const path = await writeSubmissionFile(r.out, name, p, data.index);
    log(`glue: wrote ${path} (${data.n} rows)`);
  }
  if (r.saveModel) {
    const dir = `${r.out}/models/${task}`;
    const output = GLUE_TASKS[task].output;
    const config: BertConfig = {
      ...r.checkpoint.config,
      hidden_dropout_prob: r.dropout,
      attention_probs_dropout_prob: r.dropout,
      classifier_dropout: null,
    };
    await saveBertClassifierDir(dir, {
      ops: tuner.ops,
      model: tuner.model,
      config,
      ...(output.type === "classification" ? { labels: output.labels } : {}),
      ...(r.saveModel.vocabPath ? { vocabPath: r.saveModel.vocabPath } : {}),
    });
    log(`glue: saved the ${task} model${run ? ` (lr ${formatLr(run.lr)}, seed ${run.seed})` : ""} to ${dir}`);
  }
}
