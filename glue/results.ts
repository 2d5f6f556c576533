/**
 * GLUE results: per task the dev metrics of each seed, their mean and standard deviation, the
 * task score, hyperparameters and wall time; the three aggregates; written as `results.json` and
 * as `results.md`, a table like the paper's (one row per model, a column per task, the GLUE score).
 *
 * @example
 * ```ts
 * import { buildResults, summarizeTask, writeResults } from "./results.ts";
 *
 * const rte = summarizeTask({
 *   task: "RTE",
 *   n: { RTE: 277 },
 *   hyperparameters: { lr: 2e-5, batchSize: 32, epochs: 3 },
 *   runs: [{ seed: 1, metrics: { RTE: { accuracy: 0.65 } } }, { seed: 2, metrics: { RTE: { accuracy: 0.67 } } }],
 *   wallSeconds: 120,
 * });
 * const results = buildResults({ model: "bert-base-uncased", tasks: [rte] });
 * console.log(rte.score, results.aggregates.glue.partial); // 66 true
 * await writeResults("out/glue", results);
 * ```
 * @module
 */
import {
  computeAggregate,
  formatAggregateValue,
  GLUE_AGGREGATE_NAMES,
  GLUE_AGGREGATES,
  type GlueAggregate,
  type GlueAggregateName,
} from "./aggregate.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { devMetric, type DevMetrics, GLUE_METRIC_LABELS, type MetricValues, taskScore } from "./metrics.ts";
import { GLUE_SCORED_TASKS, type GlueDevSetName, glueDevSets, type GlueScoredTask } from "./sets.ts";
import { GLUE_TASKS } from "./tasks.ts";

/** Fine-tuning settings as recorded (learning rate, batch size, epochs, ...). */
export type Hyperparameters = Readonly<Record<string, string | number | boolean>>;

/** What one run's training measured; `all_results.json`'s `train_*` keys come from these. */
export interface TrainStats {
  /** Mean training loss over every step. */
  readonly loss: number;
  /** Optimizer steps taken. */
  readonly steps: number;
  /** Training examples per epoch (the seed's own sample when capped). */
  readonly examples: number;
  /** Epochs over them (may be fractional). */
  readonly epochs: number;
  /** Wall time of training alone, in seconds. */
  readonly seconds: number;
}

/** The dev metrics of one fine-tuning run. */
export interface SeedRun {
  /** The run's seed. */
  readonly seed: number;
  /** Its dev metrics (fractions), for every dev set of the task. */
  readonly metrics: DevMetrics;
  /** The run's wall time, when measured. */
  readonly wallSeconds?: number;
  /** Its dev predictions per dev set (class ids, or scores for STS-B), for paired comparisons. */
  readonly predictions?: Partial<Record<GlueDevSetName, readonly number[]>>;
  /** Mean loss per dev example of each dev set: cross-entropy, or squared error for STS-B. */
  readonly devLoss?: Partial<Record<GlueDevSetName, number>>;
  /** What training measured (absent when only evaluating). */
  readonly train?: TrainStats;
}

/** A run with its task score. */
export interface SeedRunResult extends SeedRun {
  /** The task score x100 ({@linkcode taskScore}). */
  readonly score: number;
}

/** One point of a hyperparameter search, summarised over its seeds. */
export interface TrialSummary {
  /** The settings tried. */
  readonly hyperparameters: Hyperparameters;
  /** The seeds run. */
  readonly seeds: readonly number[];
  /** Mean task score x100 over the seeds. */
  readonly score: number;
  /** Sample standard deviation of the task score over the seeds (0 for one seed). */
  readonly scoreStd: number;
}

/** What the fine-tuning loop hands to {@linkcode summarizeTask}. */
export interface TaskRunInput {
  /** The task. */
  readonly task: GlueScoredTask;
  /** Dev examples per dev set. */
  readonly n: Partial<Record<GlueDevSetName, number>>;
  /** The settings of the reported runs (the chosen grid point). */
  readonly hyperparameters: Hyperparameters;
  /** The reported runs, one per seed. */
  readonly runs: readonly SeedRun[];
  /** Wall time of the whole task, search included. */
  readonly wallSeconds: number;
  /** Every grid point tried, when there was a search ({@linkcode pickBestTrial}). */
  readonly trials?: readonly TrialSummary[];
}

/** A task's entry in `results.json`. */
export interface GlueTaskResult {
  /** The task. */
  readonly task: GlueScoredTask;
  /** Dev examples per dev set. */
  readonly n: Partial<Record<GlueDevSetName, number>>;
  /** The settings of the reported runs. */
  readonly hyperparameters: Hyperparameters;
  /** The seeds of the reported runs. */
  readonly seeds: readonly number[];
  /** Mean over seeds of each dev metric (fractions). */
  readonly metrics: DevMetrics;
  /** Sample standard deviation over seeds of each dev metric (fractions; 0 for one seed). */
  readonly std: DevMetrics;
  /** Mean task score x100 over seeds (equal to the score of `metrics`). */
  readonly score: number;
  /** Sample standard deviation of the task score over seeds. */
  readonly scoreStd: number;
  /** Each seed's metrics and score. */
  readonly runs: readonly SeedRunResult[];
  /** Wall time of the whole task, search included. */
  readonly wallSeconds: number;
  /** Every grid point tried, when there was a search. */
  readonly trials?: readonly TrialSummary[];
  /**
   * The majority-class baseline: the most frequent label of the training examples predicted for
   * every dev example, scored alike (classification tasks that were fine-tuned).
   */
  readonly majority?: MajorityBaseline;
  /** The dev labels per dev set (classification), so runs' predictions can be compared example by example. */
  readonly devLabels?: Partial<Record<GlueDevSetName, readonly number[]>>;
}

/** A constant prediction scored as the runs are. */
export interface MajorityBaseline {
  /** The label predicted. */
  readonly label: number;
  /** Its dev metrics (fractions). */
  readonly metrics: DevMetrics;
  /** Its task score x100. */
  readonly score: number;
}

/** The content of `results.json`. */
export interface GlueResults {
  /** Identifies the file's layout. */
  readonly format: "glue-results/1";
  /** The model (checkpoint directory or name) the results are for. */
  readonly model: string;
  /** When the results were made (ISO 8601), when given. */
  readonly created?: string;
  /** What the numbers mean. */
  readonly units: string;
  /** The tasks run, keyed by name, in leaderboard order. */
  readonly tasks: Partial<Record<GlueScoredTask, GlueTaskResult>>;
  /** The scored tasks not run. */
  readonly missing: readonly GlueScoredTask[];
  /** The three aggregates of the mean metrics, each with its definition. */
  readonly aggregates: Readonly<Record<GlueAggregateName, GlueAggregate>>;
}

const UNITS = "metrics and std are fractions (correlations in [-1, 1]); score, scoreStd, trial scores and " +
  "aggregate values are x100, as the GLUE leaderboard shows them; std is the sample standard deviation " +
  "over seeds";

/**
 * Summarises a task's runs: mean and sample standard deviation of every dev metric and of the task
 * score over seeds.
 *
 * @throws {RangeError} when there is no run, or a run lacks one of the task's official metrics.
 */
export function summarizeTask(input: TaskRunInput): GlueTaskResult {
  const { task, runs } = input;
  if (runs.length === 0) throw new RangeError(`Cannot summarize ${task}: no runs, expected at least 1`);
  const scored = runs.map((r) => ({ ...r, score: taskScore(task, r.metrics) }));
  const metrics: DevMetrics = {};
  const std: DevMetrics = {};
  for (const set of glueDevSets(task)) {
    const mean: MetricValues = {};
    const sd: MetricValues = {};
    for (const metric of GLUE_TASKS[task].metrics) {
      const values = runs.map((r) => devMetric(r.metrics, set.name, metric));
      mean[metric] = meanOf(values);
      sd[metric] = sampleStd(values);
    }
    metrics[set.name] = mean;
    std[set.name] = sd;
  }
  const scores = scored.map((r) => r.score);
  return {
    task,
    n: input.n,
    hyperparameters: input.hyperparameters,
    seeds: runs.map((r) => r.seed),
    metrics,
    std,
    score: meanOf(scores),
    scoreStd: sampleStd(scores),
    runs: scored,
    wallSeconds: input.wallSeconds,
    ...(input.trials === undefined ? {} : { trials: input.trials }),
  };
}

/**
 * Picks the grid point with the best mean dev score over its seeds (the first on ties), and
 * summarises every point for `results.json`.
 *
 * @example
 * ```ts
 * import { pickBestTrial } from "./results.ts";
 * const run = (seed: number, acc: number) => ({ seed, metrics: { RTE: { accuracy: acc } } });
 * const { index } = pickBestTrial("RTE", [
 *   { hyperparameters: { lr: 5e-5 }, runs: [run(1, 0.60), run(2, 0.64)] },
 *   { hyperparameters: { lr: 2e-5 }, runs: [run(1, 0.66), run(2, 0.63)] },
 * ]);
 * console.log(index); // 1
 * ```
 * @throws {RangeError} when there is no trial or a trial has no run.
 */
export function pickBestTrial(
  task: GlueScoredTask,
  trials: readonly { readonly hyperparameters: Hyperparameters; readonly runs: readonly SeedRun[] }[],
): { index: number; trials: TrialSummary[] } {
  if (trials.length === 0) throw new RangeError(`Cannot pick a trial for ${task}: no trials`);
  const summaries = trials.map((t, i) => {
    if (t.runs.length === 0) throw new RangeError(`Cannot pick a trial for ${task}: trial ${i} has no runs`);
    const scores = t.runs.map((r) => taskScore(task, r.metrics));
    return {
      hyperparameters: t.hyperparameters,
      seeds: t.runs.map((r) => r.seed),
      score: meanOf(scores),
      scoreStd: sampleStd(scores),
    };
  });
  let index = 0;
  summaries.forEach((s, i) => {
    if (s.score > summaries[index]!.score) index = i;
  });
  return { index, trials: summaries };
}

/**
 * Assembles `results.json`'s content: the tasks in leaderboard order, the missing ones, and the
 * three aggregates of the tasks' mean metrics.
 *
 * @throws {RangeError} when a task appears twice.
 */
export function buildResults(options: {
  readonly model: string;
  readonly tasks: readonly GlueTaskResult[];
  readonly created?: string;
}): GlueResults {
  const byTask = new Map<GlueScoredTask, GlueTaskResult>();
  for (const t of options.tasks) {
    if (byTask.has(t.task)) throw new RangeError(`Cannot build GLUE results: task ${t.task} given twice`);
    byTask.set(t.task, t);
  }
  const tasks: Partial<Record<GlueScoredTask, GlueTaskResult>> = {};
  const metrics: DevMetrics = {};
  for (const name of GLUE_SCORED_TASKS) {
    const t = byTask.get(name);
    if (t === undefined) continue;
    tasks[name] = t;
    Object.assign(metrics, t.metrics);
  }
  const aggregates = Object.fromEntries(
    GLUE_AGGREGATE_NAMES.map((n) => [n, computeAggregate(GLUE_AGGREGATES[n], metrics)]),
  ) as Record<GlueAggregateName, GlueAggregate>;
  return {
    format: "glue-results/1",
    model: options.model,
    ...(options.created === undefined ? {} : { created: options.created }),
    units: UNITS,
    tasks,
    missing: GLUE_SCORED_TASKS.filter((t) => !byTask.has(t)),
    aggregates,
  };
}

/** `results.json`'s text: two-space indented JSON and a final newline. */
export function formatResultsJson(results: GlueResults): string {
  return JSON.stringify(results, null, 2) + "\n";
}

/**
 * Reads a `results.json` written by {@linkcode writeResults}, e.g. to put several models in one
 * table.
 *
 * @throws {Error} naming the file when it cannot be read or is not a GLUE results file.
 */
export async function readResults(path: string): Promise<GlueResults> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(`Cannot read GLUE results "${path}": ${(error as Error).message}`);
  }
  if ((parsed as { format?: unknown })?.format !== "glue-results/1") {
    throw new Error(`Cannot read GLUE results "${path}": expected "format": "glue-results/1"`);
  }
  return parsed as GlueResults;
}

/**
 * `results.md`: the per-task table (one row per model: each task's metrics x100, `/`-separated in
 * the header's order, and the leaderboard-style GLUE score), the three aggregates per model with
 * their definitions and partial notes, and per task the score mean +- std over seeds, the dev size,
 * hyperparameters and wall time.
 *
 * @example
 * ```ts
 * import { buildResults, formatResultsMarkdown } from "./results.ts";
 * console.log(formatResultsMarkdown(buildResults({ model: "m", tasks: [] })));
 * ```
 */
export function formatResultsMarkdown(results: GlueResults | readonly GlueResults[]): string {
  const models: readonly GlueResults[] = Array.isArray(results) ? results : [results as GlueResults];
  return [
    "# GLUE dev results",
    "",
    "Metrics x100. A cell with two numbers lists the task's metrics in the order of its header; " +
    "- marks a task not run; GLUE is the leaderboard-style score (see Aggregates).",
    "",
    ...taskTable(models),
    "",
    "## Aggregates",
    "",
    ...aggregateTable(models),
    "",
    ...GLUE_AGGREGATE_NAMES.map((n) =>
      `- **${GLUE_AGGREGATES[n].title}**: ${models[0]?.aggregates[n].definition ?? ""}`
    ),
    ...partialNotes(models),
    "",
    "## Runs",
    "",
    ...runTable(models),
    "",
  ].join("\n");
}

/**
 * Writes `<dir>/results.json` and `<dir>/results.md` (each to a temporary name, then renamed) and
 * returns their paths. `compare` adds other models' rows above this one in `results.md`.
 */
export async function writeResults(
  dir: string,
  results: GlueResults,
  options: { readonly compare?: readonly GlueResults[] } = {},
): Promise<{ json: string; markdown: string }> {
  const json = `${dir}/results.json`;
  const markdown = `${dir}/results.md`;
  await writeFileAtomic(json, formatResultsJson(results));
  await writeFileAtomic(markdown, formatResultsMarkdown([...(options.compare ?? []), results]));
  return { json, markdown };
}

function taskTable(models: readonly GlueResults[]): string[] {
  const columns = GLUE_AGGREGATES.glue.columns;
  const header = columns.map((c) => {
    const metrics = c.task === "MNLI"
      ? "m/mm acc"
      : c.parts.map((p) => GLUE_METRIC_LABELS[p.metric]).join("/");
    return `${c.name} (${metrics})`;
  });
  const rows = models.map((m) => {
    const cells = columns.map((c) => {
      if (m.tasks[c.task] === undefined) return "-";
      const metrics = m.tasks[c.task]!.metrics;
      return c.parts.map((p) => fixed1(100 * devMetric(metrics, p.set, p.metric))).join("/");
    });
    const glue = m.aggregates.glue;
    const score = glue.value === null ? "-" : `${fixed1(glue.value)}${glue.partial ? "*" : ""}`;
    return row([escapeCell(m.model), ...cells, score]);
  });
  const anyPartial = models.some((m) => m.aggregates.glue.partial && m.aggregates.glue.value !== null);
  return [
    row(["Model", ...header, "GLUE"]),
    row(["---", ...header.map(() => "---:"), "---:"]),
    ...rows,
    ...(anyPartial ? ["", "\\* partial: over the tasks run only (see Aggregates)."] : []),
  ];
}

function aggregateTable(models: readonly GlueResults[]): string[] {
  const titles = GLUE_AGGREGATE_NAMES.map((n) => GLUE_AGGREGATES[n].title);
  return [
    row(["Model", ...titles]),
    row(["---", ...titles.map(() => "---:")]),
    ...models.map((m) =>
      row([escapeCell(m.model), ...GLUE_AGGREGATE_NAMES.map((n) => aggregateCell(m.aggregates[n]))])
    ),
  ];
}

function aggregateCell(a: GlueAggregate): string {
  if (a.value === null) return "-";
  return a.partial ? `${fixed1(a.value)} (partial, ${a.present}/${a.total})` : fixed1(a.value);
}

function partialNotes(models: readonly GlueResults[]): string[] {
  const notes = models.flatMap((m) =>
    GLUE_AGGREGATE_NAMES.filter((n) => m.aggregates[n].partial).map((n) =>
      `- ${escapeCell(m.model)}, ${GLUE_AGGREGATES[n].title}: ${formatAggregateValue(m.aggregates[n])}`
    )
  );
  return notes.length === 0
    ? []
    : ["", "Partial aggregates (computed over the columns present):", "", ...notes];
}

function runTable(models: readonly GlueResults[]): string[] {
  const lines = [
    row(["Model", "Task", "Score (mean ± std)", "Seeds", "Dev examples", "Hyperparameters", "Wall time"]),
    row(["---", "---", "---:", "---", "---", "---", "---:"]),
  ];
  for (const m of models) {
    for (const name of GLUE_SCORED_TASKS) {
      const t = m.tasks[name];
      if (t === undefined) continue;
      const n = glueDevSets(name).map((s) => (t.n[s.name] === undefined ? "?" : `${t.n[s.name]}`));
      const dev = glueDevSets(name).length === 1
        ? n[0]!
        : glueDevSets(name).map((s, i) => `${s.name} ${n[i]}`).join(", ");
      const hp = Object.entries(t.hyperparameters).map(([k, v]) => `${k}=${v}`).join(", ");
      lines.push(row([
        escapeCell(m.model),
        name,
        t.seeds.length < 2 ? fixed1(t.score) : `${fixed1(t.score)} ± ${fixed1(t.scoreStd)}`,
        `${t.seeds.length} (${t.seeds.join(", ")})`,
        dev,
        escapeCell(hp),
        `${t.wallSeconds.toFixed(1)} s`,
      ]));
    }
  }
  return lines;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function fixed1(x: number): string {
  return x.toFixed(1);
}

function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = meanOf(values);
  const ss = values.reduce((a, v) => a + (v - m) * (v - m), 0);
  return Math.sqrt(ss / (values.length - 1));
}
