/**
 * `all_results.json`: a GLUE run's numbers under the names HuggingFace's `run_glue.py` writes.
 *
 * run_glue.py fine-tunes one task per output folder and writes there `train_results.json`,
 * `eval_results.json` and their union `all_results.json`: `eval_<metric>` (`accuracy`, `f1`,
 * `matthews_correlation`, `pearson`, `spearmanr`, and `combined_score`, their mean, for MRPC, QQP
 * and STS-B), `eval_loss`, `eval_samples`, `train_loss`, `train_runtime`, `train_samples`,
 * `train_samples_per_second`, `train_steps_per_second` and `epoch`; MNLI's mismatched dev set adds
 * its eval keys again with the suffix `_mm`.
 *
 * One `glue` run covers several tasks, each with several seeds, so this file holds one such object
 * per task, keyed by run_glue.py's task name (`cola`, `sst2`, `mrpc`, `stsb`, `qqp`, `mnli`, `qnli`,
 * `rte`, `wnli`), every value the mean over the seeds of the reported learning rate (one value per
 * key, as a HuggingFace user reads it; each seed's numbers stay in `results.json`). Trained tasks
 * add `learning_rate` and `num_seeds`; an evaluation-only run has the `eval_` keys alone. Metrics
 * are fractions, as HuggingFace writes them. Then `aggregates`: the three GLUE aggregates of
 * `results.json` (x100, `null` when none of their tasks ran) and whether each is partial. Not
 * written, because not measured: `eval_runtime`, `eval_samples_per_second`,
 * `eval_steps_per_second` and `total_flos`.
 *
 * @example
 * ```ts
 * import { buildAllResults } from "./all_results.ts";
 * import { buildResults, summarizeTask } from "./results.ts";
 *
 * const rte = summarizeTask({
 *   task: "RTE",
 *   n: { RTE: 277 },
 *   hyperparameters: { lr: 2e-5 },
 *   runs: [{ seed: 1, metrics: { RTE: { accuracy: 0.65 } } }],
 *   wallSeconds: 120,
 * });
 * console.log(buildAllResults(buildResults({ model: "m", tasks: [rte] })).rte);
 * // { eval_accuracy: 0.65, eval_samples: 277 }
 * ```
 * @module
 */
import { writeFileAtomic } from "../util/atomic_write.ts";
import { GLUE_AGGREGATE_NAMES, type GlueAggregateName } from "./aggregate.ts";
import { devMetric } from "./metrics.ts";
import type { GlueResults, GlueTaskResult } from "./results.ts";
import { GLUE_SCORED_TASKS, glueDevSets, type GlueScoredTask } from "./sets.ts";
import { GLUE_TASKS, type GlueMetric } from "./tasks.ts";

/** run_glue.py's task names (`--task_name`). */
export type HfGlueTaskName = "cola" | "sst2" | "mrpc" | "stsb" | "qqp" | "mnli" | "qnli" | "rte" | "wnli";

/** Each task's run_glue.py name. */
export const HF_TASK_NAMES: Readonly<Record<GlueScoredTask, HfGlueTaskName>> = {
  "CoLA": "cola",
  "SST-2": "sst2",
  "MRPC": "mrpc",
  "STS-B": "stsb",
  "QQP": "qqp",
  "MNLI": "mnli",
  "QNLI": "qnli",
  "RTE": "rte",
  "WNLI": "wnli",
};

/** Each metric's name in HuggingFace's `glue` metric (`evaluate.load("glue", task)`). */
export const HF_METRIC_NAMES: Readonly<Record<GlueMetric, string>> = {
  matthews: "matthews_correlation",
  accuracy: "accuracy",
  f1: "f1",
  pearson: "pearson",
  spearman: "spearmanr",
};

/** One aggregate as `all_results.json` gives it. */
export interface AllResultsAggregate {
  /** x100; `null` when none of its tasks ran. */
  readonly value: number | null;
  /** Whether some of its columns are missing (the value is then over those present). */
  readonly partial: boolean;
}

/** The content of `all_results.json`; see the module's description. */
export type AllResults =
  & { readonly [K in HfGlueTaskName]?: Readonly<Record<string, number>> }
  & { readonly aggregates: Readonly<Record<GlueAggregateName, AllResultsAggregate>> };

/** Builds `all_results.json`'s content from `results.json`'s. */
export function buildAllResults(results: GlueResults): AllResults {
  const tasks: { [K in HfGlueTaskName]?: Record<string, number> } = {};
  for (const task of GLUE_SCORED_TASKS) {
    const t = results.tasks[task];
    if (t !== undefined) tasks[HF_TASK_NAMES[task]] = taskEntry(t);
  }
  const aggregates = Object.fromEntries(GLUE_AGGREGATE_NAMES.map((n) => {
    const a = results.aggregates[n];
    return [n, { value: a.value, partial: a.partial }];
  })) as Record<GlueAggregateName, AllResultsAggregate>;
  return { ...tasks, aggregates };
}

/** `all_results.json`'s text: two-space indented JSON and a final newline. */
export function formatAllResultsJson(results: GlueResults): string {
  return JSON.stringify(buildAllResults(results), null, 2) + "\n";
}

/**
 * Writes `<dir>/all_results.json` (to a temporary name, then renamed) and returns its path.
 *
 * @throws {Error} `Cannot write "<path>": <why>`
 */
export async function writeAllResults(dir: string, results: GlueResults): Promise<string> {
  const path = `${dir}/all_results.json`;
  await writeFileAtomic(path, formatAllResultsJson(results));
  return path;
}

/** One task's keys, sorted as HuggingFace's `save_metrics` sorts them. */
function taskEntry(t: GlueTaskResult): Record<string, number> {
  const entry: Record<string, number> = {};
  const metrics = GLUE_TASKS[t.task].metrics;
  glueDevSets(t.task).forEach((set, k) => {
    // run_glue.py suffixes the second MNLI evaluation, the mismatched one.
    const suffix = k === 0 ? "" : "_mm";
    const values = metrics.map((m) => devMetric(t.metrics, set.name, m));
    metrics.forEach((m, i) => entry[`eval_${HF_METRIC_NAMES[m]}${suffix}`] = values[i]!);
    if (values.length > 1) entry[`eval_combined_score${suffix}`] = mean(values);
    const losses = t.runs.map((r) => r.devLoss?.[set.name]);
    if (losses.length > 0 && losses.every((l) => l !== undefined)) {
      entry[`eval_loss${suffix}`] = mean(losses as number[]);
    }
    const n = t.n[set.name];
    if (n !== undefined) entry[`eval_samples${suffix}`] = n;
  });
  const train = t.runs.map((r) => r.train);
  if (train.length > 0 && train.every((s) => s !== undefined)) {
    const stats = train as NonNullable<(typeof train)[number]>[];
    entry.train_loss = mean(stats.map((s) => s.loss));
    entry.train_runtime = mean(stats.map((s) => s.seconds));
    entry.train_samples = mean(stats.map((s) => s.examples));
    entry.epoch = mean(stats.map((s) => s.epochs));
    // As the Trainer counts them: every epoch's examples, and optimizer steps, per second.
    if (stats.every((s) => s.seconds > 0)) {
      entry.train_samples_per_second = mean(stats.map((s) => s.examples * s.epochs / s.seconds));
      entry.train_steps_per_second = mean(stats.map((s) => s.steps / s.seconds));
    }
    if (typeof t.hyperparameters.lr === "number") entry.learning_rate = t.hyperparameters.lr;
    entry.num_seeds = stats.length;
  }
  return Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
