/**
 * GLUE's metrics (METHOD.md §6), computed in float64 and matching scikit-learn and SciPy:
 * accuracy, F1 of the positive class 1, Matthews correlation, Pearson and Spearman (average ranks
 * for ties), and each dev set's official metrics and each task's score.
 *
 * Units: the metric functions return fractions (correlations in [-1, 1]), as scikit-learn does;
 * task scores are x100, as the GLUE leaderboard shows them.
 *
 * @example
 * ```ts
 * import { evaluateDevSet, matthews, taskScore } from "./metrics.ts";
 *
 * console.log(matthews([1, 1, 1], [1, 0, 1])); // 0 (constant predictions)
 * const mrpc = evaluateDevSet("MRPC", [1, 0, 1, 1], [1, 0, 0, 1]); // { f1: 0.8, accuracy: 0.75 }
 * console.log(taskScore("MRPC", { MRPC: mrpc })); // 77.5
 * ```
 * @module
 */
import { GLUE_TASKS, type GlueMetric } from "./tasks.ts";
import { GLUE_DEV_SETS, type GlueDevSetName, glueDevSets, type GlueScoredTask } from "./sets.ts";

/** Values of some of the metrics, as fractions. */
export type MetricValues = Partial<Record<GlueMetric, number>>;

/** Metric values per dev set (MNLI has `MNLI-m` and `MNLI-mm`). */
export type DevMetrics = Partial<Record<GlueDevSetName, MetricValues>>;

/** Short metric names as tables print them. */
export const GLUE_METRIC_LABELS: Readonly<Record<GlueMetric, string>> = {
  matthews: "MCC",
  accuracy: "acc",
  f1: "F1",
  pearson: "Pearson",
  spearman: "Spearman",
};

/**
 * The fraction of predictions equal to their label.
 *
 * @example
 * ```ts
 * import { accuracy } from "./metrics.ts";
 * console.log(accuracy([0, 1, 1, 0], [0, 1, 0, 0])); // 0.75
 * ```
 * @throws {RangeError} when the inputs are empty, differ in length or hold a non-finite value.
 */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair("accuracy", predictions, labels, 1);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * F1 of the positive class 1 (scikit-learn's `f1_score`, binary): 2tp / (2tp + fp + fn), and 0 when
 * there is no positive label or prediction (scikit-learn's `zero_division` default).
 *
 * @example
 * ```ts
 * import { f1 } from "./metrics.ts";
 * console.log(f1([1, 1, 0, 0], [1, 0, 1, 0])); // 0.5
 * ```
 * @throws {RangeError} when the inputs are empty, differ in length or hold a non-finite value.
 */
export function f1(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair("F1", predictions, labels, 1);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = predictions[i] === 1;
    const l = labels[i] === 1;
    if (p && l) tp++;
    else if (p) fp++;
    else if (l) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

/**
 * Matthews correlation, for two or more classes (scikit-learn's `matthews_corrcoef`, Gorodkin's
 * R_K). Constant predictions or constant labels give 0, not NaN, as scikit-learn does.
 *
 * @example
 * ```ts
 * import { matthews } from "./metrics.ts";
 * console.log(matthews([0, 1, 1, 0], [0, 1, 1, 0])); // 1
 * ```
 * @throws {RangeError} when the inputs are empty, differ in length or hold a non-finite value.
 */
export function matthews(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair("Matthews correlation", predictions, labels, 1);
  const n = labels.length;
  const trueCounts = new Map<number, number>();
  const predCounts = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const p = predictions[i]!;
    const l = labels[i]!;
    trueCounts.set(l, (trueCounts.get(l) ?? 0) + 1);
    predCounts.set(p, (predCounts.get(p) ?? 0) + 1);
    if (p === l) correct++;
  }
  let truePred = 0;
  for (const [k, t] of trueCounts) truePred += t * (predCounts.get(k) ?? 0);
  const covTruePred = correct * n - truePred;
  const covPredPred = n * n - sumOfSquares(predCounts.values());
  const covTrueTrue = n * n - sumOfSquares(trueCounts.values());
  const product = covPredPred * covTrueTrue;
  return product === 0 ? 0 : covTruePred / Math.sqrt(product);
}

/**
 * Pearson correlation (SciPy's `pearsonr` statistic), clamped to [-1, 1]. Constant input gives 0
 * where SciPy gives NaN, so that an aggregate over tasks stays a number (like Matthews).
 *
 * @example
 * ```ts
 * import { pearson } from "./metrics.ts";
 * console.log(pearson([1, 2, 3], [2, 4, 7])); // 0.9933992677987828
 * ```
 * @throws {RangeError} when the inputs have fewer than 2 values, differ in length or hold a
 * non-finite value.
 */
export function pearson(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair("Pearson correlation", predictions, labels, 2);
  return correlation(predictions, labels);
}

/**
 * Spearman rank correlation (SciPy's `spearmanr` statistic): Pearson of the average ranks, so tied
 * values share the mean of their ranks. Constant input gives 0 where SciPy gives NaN.
 *
 * @example
 * ```ts
 * import { spearman } from "./metrics.ts";
 * console.log(spearman([1, 2, 3], [2, 4, 7])); // 1
 * ```
 * @throws {RangeError} when the inputs have fewer than 2 values, differ in length or hold a
 * non-finite value.
 */
export function spearman(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair("Spearman correlation", predictions, labels, 2);
  return correlation(averageRanks(predictions), averageRanks(labels));
}

/**
 * 1-based ranks, tied values getting the mean of the ranks they span (SciPy's `rankdata`,
 * method "average").
 *
 * @example
 * ```ts
 * import { averageRanks } from "./metrics.ts";
 * console.log(averageRanks([10, 30, 20, 20])); // Float64Array [1, 4, 2.5, 2.5]
 * ```
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    // Ranks start+1 .. end share their mean.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Computes one metric by name.
 *
 * @example
 * ```ts
 * import { computeMetric } from "./metrics.ts";
 * console.log(computeMetric("accuracy", [1, 0], [1, 1])); // 0.5
 * ```
 */
export function computeMetric(
  metric: GlueMetric,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  switch (metric) {
    case "accuracy":
      return accuracy(predictions, labels);
    case "f1":
      return f1(predictions, labels);
    case "matthews":
      return matthews(predictions, labels);
    case "pearson":
      return pearson(predictions, labels);
    case "spearman":
      return spearman(predictions, labels);
  }
}

/**
 * The official metrics of a dev set, in the task table's order (CoLA MCC; SST-2 acc; MRPC F1, acc;
 * STS-B Pearson, Spearman; QQP F1, acc; MNLI-m/mm, QNLI, RTE, WNLI acc). Classification predictions
 * and labels are class ids (the label's position in the task's label list); STS-B's are scores.
 *
 * @example
 * ```ts
 * import { evaluateDevSet } from "./metrics.ts";
 * console.log(evaluateDevSet("STS-B", [0.5, 2.5, 4.1], [1, 2, 5])); // { pearson: ..., spearman: 1 }
 * ```
 * @throws {RangeError} as the metric functions do, naming the dev set.
 */
export function evaluateDevSet(
  set: GlueDevSetName,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
): MetricValues {
  const task = GLUE_TASKS[GLUE_DEV_SETS[set].task];
  const values: MetricValues = {};
  for (const metric of task.metrics) {
    try {
      values[metric] = computeMetric(metric, predictions, labels);
    } catch (error) {
      if (error instanceof RangeError) throw new RangeError(`${set}: ${error.message}`);
      throw error;
    }
  }
  return values;
}

/**
 * A task's score x100: the unweighted mean of its official metrics over its dev sets (MNLI: the mean
 * of MNLI-m and MNLI-mm accuracy; MRPC: the mean of F1 and accuracy), as the GLUE leaderboard
 * scores a task.
 *
 * @example
 * ```ts
 * import { taskScore } from "./metrics.ts";
 * console.log(taskScore("MNLI", { "MNLI-m": { accuracy: 0.846 }, "MNLI-mm": { accuracy: 0.834 } })); // 84
 * ```
 * @throws {RangeError} naming the dev set and metric when one is missing.
 */
export function taskScore(task: GlueScoredTask, metrics: DevMetrics): number {
  const parts = glueDevSets(task).flatMap((set) =>
    GLUE_TASKS[task].metrics.map((metric) => devMetric(metrics, set.name, metric))
  );
  return (100 * parts.reduce((a, b) => a + b, 0)) / parts.length;
}

/** One metric of one dev set, or a RangeError naming what is missing. */
export function devMetric(metrics: DevMetrics, set: GlueDevSetName, metric: GlueMetric): number {
  const value = metrics[set]?.[metric];
  if (value === undefined) {
    throw new RangeError(`Cannot score ${GLUE_DEV_SETS[set].task}: no ${metric} for dev set ${set}`);
  }
  return value;
}

/** Pearson correlation of two validated arrays; 0 when either is constant. */
function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (isConstant(x) || isConstant(y)) return 0;
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

function sumOfSquares(counts: Iterable<number>): number {
  let s = 0;
  for (const c of counts) s += c * c;
  return s;
}

/** Throws a RangeError unless both arrays have the same length >= `min` and only finite values. */
function checkPair(
  what: string,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  min: number,
): void {
  if (predictions.length !== labels.length) {
    throw new RangeError(
      `Cannot compute ${what}: ${predictions.length} predictions but ${labels.length} labels, expected equal lengths`,
    );
  }
  if (labels.length < min) {
    throw new RangeError(
      `Cannot compute ${what}: ${labels.length} predictions, expected at least ${min}`,
    );
  }
  checkFinite(what, "prediction", predictions);
  checkFinite(what, "label", labels);
}

function checkFinite(what: string, role: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`Cannot compute ${what}: ${role} ${i} is ${values[i]}, expected a finite number`);
    }
  }
}
