import assert from "node:assert/strict";
import {
  accuracy,
  averageRanks,
  computeAggregate,
  type DevMetrics,
  evaluateDevSet,
  f1,
  formatAggregate,
  formatAggregates,
  GLUE_AGGREGATES,
  GLUE_DEV_SET_NAMES,
  GLUE_DEV_SETS,
  GLUE_TEST_SETS,
  glueAggregates,
  glueDevSets,
  glueScoredTask,
  glueTestSets,
  matthews,
  pearson,
  spearman,
  taskScore,
} from "../glue/mod.ts";
import { GLUE_TASKS } from "../glue/tasks.ts";
import { seededRandom } from "./_helpers.ts";

/*
 * Reference values: scikit-learn 1.9.1, SciPy 1.17.1, NumPy 2.4.6, Python 3.11.7, obtained with
 * `python3 -m venv /tmp/pyglue && /tmp/pyglue/bin/pip install scikit-learn scipy` and this script
 * (labels first, as scikit-learn takes them; every metric here is symmetric in its two arguments):
 *
 * import sklearn, scipy, numpy as np
 * from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
 * from scipy.stats import pearsonr, spearmanr, rankdata
 * print(sklearn.__version__, scipy.__version__, np.__version__)
 * cls = {
 *     "mixed": ([1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1], [1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1]),
 *     "constant1": ([1, 0, 1, 1, 0, 1, 0, 0], [1] * 8),
 *     "constant0": ([1, 0, 1, 1, 0, 1, 0, 0], [0] * 8),
 *     "allCorrect": ([0, 1, 1, 0, 1, 0, 0], [0, 1, 1, 0, 1, 0, 0]),
 *     "allWrong": ([0, 1, 1, 0, 1, 0, 0], [1, 0, 0, 1, 0, 1, 1]),
 *     "imbalanced": ([0] * 18 + [1] * 2, [0] * 5 + [1] * 3 + [0] * 11 + [1]),
 *     "allNegative": ([0] * 5, [0] * 5),
 *     "multiclass": ([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0, 1], [0, 2, 2, 1, 1, 0, 1, 2, 1, 0, 2, 0, 2]),
 * }
 * for k, (y, p) in cls.items():  # (labels, predictions)
 *     f1 = repr(f1_score(y, p)) if k != "multiclass" else "-"
 *     print(k, repr(accuracy_score(y, p)), f1, repr(matthews_corrcoef(y, p)))
 * reg = {
 *     "distinct": ([0.5, 1.7, 2.2, 3.9, 4.4, 1.1, 2.8, 3.3, 0.2, 4.9], [0.9, 1.2, 2.9, 3.5, 4.1, 1.6, 2.2, 3.8, 0.7, 4.3]),
 *     "ties": ([0.0, 1.2, 1.2, 3.4, 5.0, 2.5, 2.5, 2.5, 4.0, 0.0], [0.3, 1.0, 1.5, 3.3, 4.8, 2.5, 2.6, 2.4, 4.0, 0.3]),
 *     "negative": ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [6.5, 6.0, 6.2, 3.1, 2.0, 2.0, 0.4]),
 *     "moreTies": ([1, 1, 1, 2, 2, 3, 3, 3, 3, 4], [2, 2, 1, 1, 3, 3, 3, 4, 4, 4]),
 * }
 * for k, (y, p) in reg.items():
 *     print(k, repr(pearsonr(p, y).statistic), repr(spearmanr(p, y).statistic))
 * print(rankdata([3.4, 1.2, 1.2, 5.0, 2.5, 2.5, 2.5, 0.0, 4.0, 0.0]).tolist())
 *
 * scikit-learn warns for "allNegative" (F1 ill-defined, set to 0.0: its zero_division default) and
 * SciPy would return NaN for a constant input (not in this table: see the constant-input test).
 */
const TOLERANCE = 1e-12;

interface ClassCase {
  labels: number[];
  predictions: number[];
  accuracy: number;
  f1: number;
  matthews: number;
}

const CLASSIFICATION: Record<string, ClassCase> = {
  mixed: {
    labels: [1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1],
    predictions: [1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1],
    accuracy: 0.75,
    f1: 0.7692307692307693,
    matthews: 0.50709255283711,
  },
  constant1: {
    labels: [1, 0, 1, 1, 0, 1, 0, 0],
    predictions: Array(8).fill(1),
    accuracy: 0.5,
    f1: 0.6666666666666666,
    matthews: 0.0,
  },
  constant0: {
    labels: [1, 0, 1, 1, 0, 1, 0, 0],
    predictions: Array(8).fill(0),
    accuracy: 0.5,
    f1: 0.0,
    matthews: 0.0,
  },
  allCorrect: {
    labels: [0, 1, 1, 0, 1, 0, 0],
    predictions: [0, 1, 1, 0, 1, 0, 0],
    accuracy: 1.0,
    f1: 1.0,
    matthews: 1.0,
  },
  allWrong: {
    labels: [0, 1, 1, 0, 1, 0, 0],
    predictions: [1, 0, 0, 1, 0, 1, 1],
    accuracy: 0.0,
    f1: 0.0,
    matthews: -1.0,
  },
  imbalanced: {
    labels: [...Array(18).fill(0), 1, 1],
    predictions: [...Array(5).fill(0), 1, 1, 1, ...Array(11).fill(0), 1],
    accuracy: 0.8,
    f1: 0.3333333333333333,
    matthews: 0.25,
  },
  allNegative: {
    labels: [0, 0, 0, 0, 0],
    predictions: [0, 0, 0, 0, 0],
    accuracy: 1.0,
    f1: 0.0,
    matthews: 0.0,
  },
};

const MULTICLASS = {
  labels: [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0, 1],
  predictions: [0, 2, 2, 1, 1, 0, 1, 2, 1, 0, 2, 0, 2],
  accuracy: 0.6153846153846154,
  matthews: 0.42857142857142855,
};

interface RegressionCase {
  labels: number[];
  predictions: number[];
  pearson: number;
  spearman: number;
}

const REGRESSION: Record<string, RegressionCase> = {
  distinct: {
    labels: [0.5, 1.7, 2.2, 3.9, 4.4, 1.1, 2.8, 3.3, 0.2, 4.9],
    predictions: [0.9, 1.2, 2.9, 3.5, 4.1, 1.6, 2.2, 3.8, 0.7, 4.3],
    pearson: 0.9502289045411306,
    spearman: 0.9636363636363635,
  },
  ties: {
    labels: [0.0, 1.2, 1.2, 3.4, 5.0, 2.5, 2.5, 2.5, 4.0, 0.0],
    predictions: [0.3, 1.0, 1.5, 3.3, 4.8, 2.5, 2.6, 2.4, 4.0, 0.3],
    pearson: 0.9955815521168763,
    spearman: 0.9846381036309488,
  },
  negative: {
    labels: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    predictions: [6.5, 6.0, 6.2, 3.1, 2.0, 2.0, 0.4],
    pearson: -0.9554042680095549,
    spearman: -0.9549937104572924,
  },
  moreTies: {
    labels: [1, 1, 1, 2, 2, 3, 3, 3, 3, 4],
    predictions: [2, 2, 1, 1, 3, 3, 3, 4, 4, 4],
    pearson: 0.8050755448062639,
    spearman: 0.8296196822667006,
  },
};

function assertNear(actual: number, expected: number, what: string, tolerance = TOLERANCE): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > ${tolerance})`,
  );
}

Deno.test("accuracy(), f1() and matthews() match scikit-learn on binary cases", () => {
  for (const [name, c] of Object.entries(CLASSIFICATION)) {
    assertNear(accuracy(c.predictions, c.labels), c.accuracy, `${name} accuracy`);
    assertNear(f1(c.predictions, c.labels), c.f1, `${name} F1`);
    assertNear(matthews(c.predictions, c.labels), c.matthews, `${name} MCC`);
  }
});

Deno.test("matthews() gives 0, not NaN, for constant predictions or constant labels", () => {
  assert.equal(matthews([1, 1, 1, 1], [0, 1, 0, 1]), 0);
  assert.equal(matthews([0, 1, 0, 1], [1, 1, 1, 1]), 0);
  assert.equal(matthews([2, 2, 2], [2, 2, 2]), 0);
});

Deno.test("matthews() matches scikit-learn's multiclass formula on three classes", () => {
  assertNear(accuracy(MULTICLASS.predictions, MULTICLASS.labels), MULTICLASS.accuracy, "accuracy");
  assertNear(matthews(MULTICLASS.predictions, MULTICLASS.labels), MULTICLASS.matthews, "MCC");
});

Deno.test("f1() counts only class 1 as positive", () => {
  // tp = 1 (row 0), fp = 1 (row 1), fn = 1 (row 3); the 2s are negatives: F1 = 2/(2+1+1).
  assert.equal(f1([1, 1, 2, 0, 2], [1, 0, 2, 1, 0]), 0.5);
});

Deno.test("pearson() and spearman() match SciPy, with ties ranked by their average", () => {
  for (const [name, c] of Object.entries(REGRESSION)) {
    assertNear(pearson(c.predictions, c.labels), c.pearson, `${name} Pearson`);
    assertNear(spearman(c.predictions, c.labels), c.spearman, `${name} Spearman`);
  }
});

Deno.test("averageRanks() matches SciPy's rankdata", () => {
  assert.deepEqual(
    [...averageRanks([3.4, 1.2, 1.2, 5.0, 2.5, 2.5, 2.5, 0.0, 4.0, 0.0])],
    [8.0, 3.5, 3.5, 10.0, 6.0, 6.0, 6.0, 1.5, 9.0, 1.5],
  );
});

Deno.test("pearson() and spearman() accept Float32Array and compute in float64", () => {
  const c = REGRESSION.ties!;
  const p32 = Float32Array.from(c.predictions);
  const l64 = Float64Array.from(p32); // the same float32 values widened
  // Compared with the float64 computation on the widened values, not with the decimal inputs.
  assert.equal(pearson(p32, c.labels), pearson(l64, c.labels));
  assertNear(spearman(p32, c.labels), c.spearman, "Spearman of float32 predictions"); // ranks unchanged
});

Deno.test("spearman() and pearson() agree with slow references on seeded inputs with many ties", () => {
  const random = seededRandom(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + Math.floor(random() * 60);
    // Values on a grid of 6 steps: many ties.
    const x = Array.from({ length: n }, () => Math.floor(random() * 6) / 2);
    const y = x.map((v) => (random() < 0.7 ? v : Math.floor(random() * 6) / 2));
    if (new Set(x).size < 2 || new Set(y).size < 2) continue;
    assertNear(spearman(x, y), naivePearson(naiveRanks(x), naiveRanks(y)), `trial ${trial} Spearman`);
    assertNear(pearson(x, y), naivePearson(x, y), `trial ${trial} Pearson`);
  }
});

Deno.test("pearson() and spearman() give 0 for a constant input where SciPy gives NaN", () => {
  assert.equal(pearson([2.5, 2.5, 2.5, 2.5], [1, 2, 3, 4]), 0);
  assert.equal(spearman([1, 2, 3, 4], [0.1, 0.1, 0.1, 0.1]), 0);
  // 0.1 * 3 / 3 !== 0.1: a constant input must be caught before the mean is subtracted.
  assert.equal(pearson([0.1, 0.1, 0.1], [1, 2, 4]), 0);
});

Deno.test("metrics reject empty input, mismatched lengths and non-finite values with one-line errors", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => accuracy([], []), /^Cannot compute accuracy: 0 predictions, expected at least 1$/],
    [() => f1([1, 0], [1]), /^Cannot compute F1: 2 predictions but 1 labels, expected equal lengths$/],
    [() => matthews([], []), /^Cannot compute Matthews correlation: 0 predictions/],
    [() => pearson([1], [2]), /^Cannot compute Pearson correlation: 1 predictions, expected at least 2$/],
    [() => spearman([], []), /^Cannot compute Spearman correlation: 0 predictions/],
    [() => pearson([1, NaN, 3], [1, 2, 3]), /prediction 1 is NaN, expected a finite number$/],
    [() => accuracy([1, 0], [1, Infinity]), /label 1 is Infinity/],
    [() => evaluateDevSet("STS-B", [], []), /^STS-B: Cannot compute Pearson correlation: 0 predictions/],
  ];
  for (const [run, message] of cases) {
    assert.throws(
      run,
      (e: unknown) => e instanceof RangeError && message.test(e.message) && !e.message.includes("\n"),
    );
  }
});

Deno.test("evaluateDevSet() reports each dev set's official metrics in the task table's order", () => {
  const expected: Record<string, string[]> = {
    "CoLA": ["matthews"],
    "SST-2": ["accuracy"],
    "MRPC": ["f1", "accuracy"],
    "STS-B": ["pearson", "spearman"],
    "QQP": ["f1", "accuracy"],
    "MNLI-m": ["accuracy"],
    "MNLI-mm": ["accuracy"],
    "QNLI": ["accuracy"],
    "RTE": ["accuracy"],
    "WNLI": ["accuracy"],
  };
  for (const set of GLUE_DEV_SET_NAMES) {
    assert.deepEqual(Object.keys(evaluateDevSet(set, [1, 0, 1], [1, 1, 0])), expected[set], set);
  }
  const mrpc = CLASSIFICATION.mixed!;
  assert.deepEqual(evaluateDevSet("MRPC", mrpc.predictions, mrpc.labels), {
    f1: mrpc.f1,
    accuracy: mrpc.accuracy,
  });
});

Deno.test("taskScore() is the mean of a task's metrics x100, MNLI the mean of matched and mismatched", () => {
  assertNear(taskScore("MRPC", { MRPC: { f1: 0.9, accuracy: 0.85 } }), 87.5, "MRPC");
  assertNear(taskScore("STS-B", { "STS-B": { pearson: 0.876, spearman: 0.865 } }), 87.05, "STS-B");
  assertNear(
    taskScore("MNLI", { "MNLI-m": { accuracy: 0.867 }, "MNLI-mm": { accuracy: 0.859 } }),
    86.3,
    "MNLI",
  );
  assertNear(taskScore("CoLA", { CoLA: { matthews: -0.1 } }), -10, "CoLA");
  assert.throws(
    () => taskScore("MNLI", { "MNLI-m": { accuracy: 0.8 } }),
    /^RangeError: Cannot score MNLI: no accuracy for dev set MNLI-mm$/,
  );
});

Deno.test("dev and test sets: MNLI has matched and mismatched dev sets and predicts AX", () => {
  assert.deepEqual(glueDevSets("MNLI").map((s) => [s.name, s.split]), [
    ["MNLI-m", "dev_matched"],
    ["MNLI-mm", "dev_mismatched"],
  ]);
  assert.deepEqual(glueTestSets("MNLI").map((s) => [s.name, s.task, s.split]), [
    ["MNLI-m", "MNLI", "test_matched"],
    ["MNLI-mm", "MNLI", "test_mismatched"],
    ["AX", "AX", "test"],
  ]);
  // Every set names a split its task's files have, so readGlue() can read it.
  for (const s of Object.values(GLUE_DEV_SETS)) assert.ok(GLUE_TASKS[s.task].files[s.split], s.name);
  for (const s of Object.values(GLUE_TEST_SETS)) assert.ok(GLUE_TASKS[s.task].files[s.split], s.name);
  assert.equal(glueScoredTask("sts-b"), "STS-B");
  assert.equal(glueScoredTask("sst2"), "SST-2");
  assert.throws(() => glueScoredTask("ax"), /^RangeError: Unknown GLUE task "ax": expected one of CoLA, /);
});

// Published per-task numbers (x100, so fractions here are /100) used to check the aggregates.
/** BERT-large on the GLUE test server (leaderboard row; the BERT paper's abstract: "GLUE score 80.5"). */
const BERT_LARGE_TEST: DevMetrics = {
  "CoLA": { matthews: 0.605 },
  "SST-2": { accuracy: 0.949 },
  "MRPC": { f1: 0.893, accuracy: 0.854 },
  "STS-B": { pearson: 0.876, spearman: 0.865 },
  "QQP": { f1: 0.721, accuracy: 0.893 },
  "MNLI-m": { accuracy: 0.867 },
  "MNLI-mm": { accuracy: 0.859 },
  "QNLI": { accuracy: 0.927 },
  "RTE": { accuracy: 0.701 },
  "WNLI": { accuracy: 0.651 },
};

/** BERT-base in the BERT paper's Table 1 (F1 for QQP/MRPC, Spearman for STS-B); its Average is 79.6. */
const BERT_BASE_TABLE1: DevMetrics = {
  "MNLI-m": { accuracy: 0.846 },
  "MNLI-mm": { accuracy: 0.834 },
  "QQP": { f1: 0.712 },
  "QNLI": { accuracy: 0.905 },
  "SST-2": { accuracy: 0.935 },
  "CoLA": { matthews: 0.521 },
  "STS-B": { spearman: 0.858 },
  "MRPC": { f1: 0.889 },
  "RTE": { accuracy: 0.664 },
};

Deno.test("the leaderboard aggregate reproduces BERT-large's GLUE score of 80.5", () => {
  const a = computeAggregate(GLUE_AGGREGATES.glue, BERT_LARGE_TEST);
  // (60.5 + 94.9 + (89.3+85.4)/2 + (87.6+86.5)/2 + (72.1+89.3)/2 + (86.7+85.9)/2 + 92.7 + 70.1 + 65.1) / 9
  assertNear(a.value!, 724.7 / 9, "leaderboard score", 1e-9);
  assert.equal(a.value!.toFixed(1), "80.5");
  assert.equal(a.partial, false);
  assert.deepEqual(a.missing, []);
  assert.equal(a.total, 9);
});

Deno.test("the BERT-paper aggregate reproduces Table 1's averages 79.6 (base) and 82.1 (large)", () => {
  const base = computeAggregate(GLUE_AGGREGATES.bert, BERT_BASE_TABLE1);
  assertNear(base.value!, 716.4 / 9, "BERT-base average", 1e-9);
  assert.equal(base.value!.toFixed(1), "79.6");
  assert.equal(base.partial, false, "WNLI is not part of it");
  const large = computeAggregate(GLUE_AGGREGATES.bert, BERT_LARGE_TEST);
  assertNear(large.value!, 738.7 / 9, "BERT-large average", 1e-9);
  assert.equal(large.value!.toFixed(1), "82.1");
});

Deno.test("the ELECTRA/CCM aggregate uses MCC, Spearman and accuracy (MRPC and QQP too) and MNLI-m only", () => {
  // ELECTRA-Base dev numbers from google-research/electra's README (MCC, Acc, Acc, Spearman, Acc x4),
  // with other metrics set far off so that using them would show.
  const metrics: DevMetrics = {
    "CoLA": { matthews: 0.677 },
    "SST-2": { accuracy: 0.951 },
    "MRPC": { f1: 0.2, accuracy: 0.895 },
    "STS-B": { pearson: 0.1, spearman: 0.912 },
    "QQP": { f1: 0.3, accuracy: 0.915 },
    "MNLI-m": { accuracy: 0.888 },
    "MNLI-mm": { accuracy: 0.1 },
    "QNLI": { accuracy: 0.932 },
    "RTE": { accuracy: 0.827 },
    "WNLI": { accuracy: 0.0 },
  };
  const a = computeAggregate(GLUE_AGGREGATES.electra, metrics);
  assertNear(a.value!, 699.7 / 8, "ELECTRA average", 1e-9);
  assert.equal(a.total, 8);
  assert.equal(a.partial, false);
});

Deno.test("with fewer tasks, aggregates average the columns present, are partial and list the missing", () => {
  const metrics: DevMetrics = {
    "CoLA": { matthews: 0.5 },
    "MRPC": { f1: 0.9, accuracy: 0.8 },
    "MNLI-m": { accuracy: 0.8 },
    "WNLI": { accuracy: 0.6 },
  };
  const [glue, bert, electra] = glueAggregates(metrics);
  // MNLI needs both sets for the leaderboard: CoLA 50, MRPC 85, WNLI 60.
  assertNear(glue!.value!, (50 + 85 + 60) / 3, "leaderboard");
  assert.deepEqual(glue!.missing, ["SST-2", "STS-B", "QQP", "MNLI", "QNLI", "RTE"]);
  assert.equal(glue!.present, 3);
  assert.equal(glue!.partial, true);
  // BERT: MNLI-m 80, CoLA 50, MRPC F1 90; WNLI ignored.
  assertNear(bert!.value!, (80 + 50 + 90) / 3, "BERT");
  assert.deepEqual(bert!.missing, ["MNLI-mm", "QQP", "QNLI", "SST-2", "STS-B", "RTE"]);
  // ELECTRA: CoLA 50, MRPC acc 80, MNLI-m 80.
  assertNear(electra!.value!, (50 + 80 + 80) / 3, "ELECTRA");
  assert.equal(
    formatAggregate(glue!),
    "GLUE score (leaderboard style): 65.0 (partial: 3 of 9 tasks; missing SST-2, STS-B, QQP, MNLI, QNLI, RTE)",
  );
  assert.equal(
    formatAggregate(glueAggregates({})[2]!),
    "GLUE dev average (ELECTRA/CCM style): n/a (no tasks run)",
  );
  assert.equal(glueAggregates({})[0]!.value, null);
});

Deno.test("aggregates print with their definitions, naming the metric of every column", () => {
  const text = formatAggregates(glueAggregates(BERT_LARGE_TEST));
  const lines = text.split("\n");
  assert.equal(lines.length, 6);
  assert.equal(lines[0], "GLUE score (leaderboard style): 80.5");
  assert.match(
    lines[1]!,
    /^ {2}= mean over 9 tasks of CoLA MCC, SST-2 acc, MRPC mean\(F1, acc\), STS-B mean\(Pearson, Spearman\), QQP mean\(F1, acc\), MNLI mean\(MNLI-m acc, MNLI-mm acc\), QNLI acc, RTE acc, WNLI acc; x100\. Source: Wang et al\. 2019/,
  );
  assert.equal(lines[2], "GLUE score (BERT-paper style): 82.1");
  assert.match(
    lines[3]!,
    /mean over 9 columns \(8 tasks\) of MNLI-m acc, MNLI-mm acc, QQP F1, QNLI acc, SST-2 acc, CoLA MCC, STS-B Spearman, MRPC F1, RTE acc; x100\. Source: Devlin et al\. 2019/,
  );
  assert.match(lines[4]!, /^GLUE dev average \(ELECTRA\/CCM style\): \d+\.\d$/);
  assert.match(
    lines[5]!,
    /mean over 8 tasks of CoLA MCC, SST-2 acc, MRPC acc, STS-B Spearman, QQP acc, MNLI-m acc, QNLI acc, RTE acc; x100\. Source: Clark et al\. 2020/,
  );
});

/** Rank of each value: (values below) + (ties + 1) / 2, by counting: O(n^2) and obviously right. */
function naiveRanks(values: number[]): number[] {
  return values.map((v) => {
    const below = values.filter((w) => w < v).length;
    const equal = values.filter((w) => w === v).length;
    return below + (equal + 1) / 2;
  });
}

/** Textbook Pearson: cov / (sd sd) from sums of products about the means. */
function naivePearson(x: number[], y: number[]): number {
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const mx = mean(x);
  const my = mean(y);
  const cov = x.reduce((s, v, i) => s + (v - mx) * (y[i]! - my), 0);
  const vx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
  const vy = y.reduce((s, v) => s + (v - my) ** 2, 0);
  return cov / Math.sqrt(vx) / Math.sqrt(vy);
}
