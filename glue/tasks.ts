/**
 * The GLUE task table: each task's kind (single sentence or pair; classification with its label
 * list or regression), its metrics (METHOD.md §6), its files per split in the layout written by
 * `download_glue_data.py`, and the column positions the reference readers use (HuggingFace
 * `glue.py` processors, google-research/bert `run_classifier.py`).
 *
 * @example
 * ```ts
 * import { GLUE_TASKS, glueOutputSize } from "./tasks.ts";
 *
 * const rte = GLUE_TASKS.RTE;
 * console.log(rte.input, rte.metrics, glueOutputSize(rte)); // "pair" ["accuracy"] 2
 * ```
 * @module
 */
import { match } from "ts-pattern";

/** Task names as in `download_glue_data.py` (folder names), plus `AX`, the diagnostic test set. */
export type GlueTaskName =
  | "CoLA"
  | "SST-2"
  | "MRPC"
  | "STS-B"
  | "QQP"
  | "MNLI"
  | "QNLI"
  | "RTE"
  | "WNLI"
  | "AX";

/**
 * A split is named after its file's stem: `train`, `dev`, `test`, and MNLI's
 * `dev_matched`/`dev_mismatched`/`test_matched`/`test_mismatched`.
 */
export type GlueSplit =
  | "train"
  | "dev"
  | "test"
  | "dev_matched"
  | "dev_mismatched"
  | "test_matched"
  | "test_mismatched";

/** Whether an example is one sentence (`textA`) or a pair (`textA`, `textB`). */
export type GlueInput = "single" | "pair";

/** What is predicted: one of `labels` (the label index is the class id), or a score in [min, max]. */
export type GlueOutput =
  | { readonly type: "classification"; readonly labels: readonly string[] }
  | { readonly type: "regression"; readonly min: number; readonly max: number };

/** Metric names of METHOD.md §6. */
export type GlueMetric = "matthews" | "pearson" | "spearman" | "f1" | "accuracy";

/**
 * Column positions (0-based) of one file layout. `label: "last"` reads the last column, as the
 * reference readers do for MNLI, whose train (12 columns) and dev (16 columns) files differ.
 */
export interface GlueLayout {
  /**
   * Whether line 1 is a header. The reference readers skip it without looking at it; `readGlue`
   * checks it against {@linkcode GlueTask.columns}, so a file without one loses no row.
   */
  readonly header: boolean;
  /** The column copied to the example's `index` (test files always have one). */
  readonly index?: number;
  /** The first (or only) sentence. */
  readonly textA: number;
  /** The second sentence of a pair. */
  readonly textB?: number;
  /** The label or score; absent in test files. */
  readonly label?: number | "last";
}

/** One row of the task table. */
export interface GlueTask {
  /** The task's name, as in {@linkcode GLUE_TASKS}. */
  readonly name: GlueTaskName;
  /** Single sentence or pair. */
  readonly input: GlueInput;
  /** Classification (with its labels) or regression. */
  readonly output: GlueOutput;
  /** Metrics of METHOD.md §6, first is the main one; AX has none (it is scored by the GLUE server). */
  readonly metrics: readonly GlueMetric[];
  /**
   * Files per split, relative to the GLUE root; the first that exists is read (AX is
   * `diagnostic/diagnostic.tsv` from download_glue_data.py or `AX/test.tsv` from other copies).
   */
  readonly files: Readonly<Partial<Record<GlueSplit, readonly string[]>>>;
  /**
   * The column names of each split's file, as in download_glue_data.py's headers; for a file
   * without a header (CoLA train/dev), the names of its README, for messages only.
   */
  readonly columns: Readonly<Partial<Record<GlueSplit, readonly string[]>>>;
  /** Layout of the labelled (train/dev) files. */
  readonly labeled: GlueLayout;
  /** Layout of the test files (no labels, an index column). */
  readonly test: GlueLayout;
  /** Rows with too few columns are skipped and counted instead of failing the read (QQP only). */
  readonly skipMalformed: boolean;
}

const BINARY = ["0", "1"] as const;
const NLI = ["contradiction", "entailment", "neutral"] as const;
const ENTAILMENT = ["entailment", "not_entailment"] as const;
const classify = (labels: readonly string[]): GlueOutput => ({ type: "classification", labels });

/** `<TASK>/{train,dev,test}.tsv`. */
function standardFiles(dir: string): GlueTask["files"] {
  return { train: [`${dir}/train.tsv`], dev: [`${dir}/dev.tsv`], test: [`${dir}/test.tsv`] };
}

/** The same column names for train and dev, and `test` for the test file. */
function standardColumns(labeled: readonly string[], test: readonly string[]): GlueTask["columns"] {
  return { train: labeled, dev: labeled, test };
}

const SENTENCE_PAIR = ["index", "sentence1", "sentence2"] as const;
const STS_B = [
  "index",
  "genre",
  "filename",
  "year",
  "old_index",
  "source1",
  "source2",
  "sentence1",
  "sentence2",
] as const;
const MNLI_TEST = [
  "index",
  "promptID",
  "pairID",
  "genre",
  "sentence1_binary_parse",
  "sentence2_binary_parse",
  "sentence1_parse",
  "sentence2_parse",
  "sentence1",
  "sentence2",
] as const;
const MNLI_DEV = [...MNLI_TEST, "label1", "label2", "label3", "label4", "label5", "gold_label"] as const;

/** index, sentence1, sentence2, label: QNLI, RTE, WNLI and the test files of AX. */
const INDEXED_PAIR: GlueLayout = { header: true, index: 0, textA: 1, textB: 2, label: 3 };
const INDEXED_PAIR_TEST: GlueLayout = { header: true, index: 0, textA: 1, textB: 2 };

/** The nine GLUE tasks and AX, keyed by name. */
export const GLUE_TASKS: Readonly<Record<GlueTaskName, GlueTask>> = {
  "CoLA": {
    name: "CoLA",
    input: "single",
    output: classify(BINARY),
    metrics: ["matthews"],
    columns: standardColumns(["source", "label", "original judgement", "sentence"], ["index", "sentence"]),
    files: standardFiles("CoLA"),
    // Train/dev have no header (CoLA's own format); the test file has one.
    labeled: { header: false, textA: 3, label: 1 },
    test: { header: true, index: 0, textA: 1 },
    skipMalformed: false,
  },
  "SST-2": {
    name: "SST-2",
    input: "single",
    output: classify(BINARY),
    metrics: ["accuracy"],
    columns: standardColumns(["sentence", "label"], ["index", "sentence"]),
    files: standardFiles("SST-2"),
    labeled: { header: true, textA: 0, label: 1 },
    test: { header: true, index: 0, textA: 1 },
    skipMalformed: false,
  },
  "MRPC": {
    name: "MRPC",
    input: "pair",
    output: classify(BINARY),
    metrics: ["f1", "accuracy"],
    columns: standardColumns(
      ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"],
      ["index", "#1 ID", "#2 ID", "#1 String", "#2 String"],
    ),
    files: standardFiles("MRPC"),
    labeled: { header: true, textA: 3, textB: 4, label: 0 },
    test: { header: true, index: 0, textA: 3, textB: 4 },
    skipMalformed: false,
  },
  "STS-B": {
    name: "STS-B",
    input: "pair",
    output: { type: "regression", min: 0, max: 5 },
    metrics: ["pearson", "spearman"],
    columns: standardColumns([...STS_B, "score"], STS_B),
    files: standardFiles("STS-B"),
    labeled: { header: true, index: 0, textA: 7, textB: 8, label: 9 },
    test: { header: true, index: 0, textA: 7, textB: 8 },
    skipMalformed: false,
  },
  "QQP": {
    name: "QQP",
    input: "pair",
    output: classify(BINARY),
    metrics: ["f1", "accuracy"],
    columns: standardColumns(
      ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"],
      ["id", "question1", "question2"],
    ),
    files: standardFiles("QQP"),
    labeled: { header: true, index: 0, textA: 3, textB: 4, label: 5 },
    test: { header: true, index: 0, textA: 1, textB: 2 },
    // Some QQP train rows were broken by newlines inside questions; the reference skips them.
    skipMalformed: true,
  },
  "MNLI": {
    name: "MNLI",
    input: "pair",
    output: classify(NLI),
    metrics: ["accuracy"],
    columns: {
      train: [...MNLI_TEST, "label1", "gold_label"],
      dev_matched: MNLI_DEV,
      dev_mismatched: MNLI_DEV,
      test_matched: MNLI_TEST,
      test_mismatched: MNLI_TEST,
    },
    files: {
      train: ["MNLI/train.tsv"],
      dev_matched: ["MNLI/dev_matched.tsv"],
      dev_mismatched: ["MNLI/dev_mismatched.tsv"],
      test_matched: ["MNLI/test_matched.tsv"],
      test_mismatched: ["MNLI/test_mismatched.tsv"],
    },
    // The label is gold_label, the last column: train has 12 columns, dev 16.
    labeled: { header: true, index: 0, textA: 8, textB: 9, label: "last" },
    test: { header: true, index: 0, textA: 8, textB: 9 },
    skipMalformed: false,
  },
  "QNLI": {
    name: "QNLI",
    input: "pair",
    output: classify(ENTAILMENT),
    metrics: ["accuracy"],
    columns: standardColumns(["index", "question", "sentence", "label"], ["index", "question", "sentence"]),
    files: standardFiles("QNLI"),
    labeled: INDEXED_PAIR,
    test: INDEXED_PAIR_TEST,
    skipMalformed: false,
  },
  "RTE": {
    name: "RTE",
    input: "pair",
    output: classify(ENTAILMENT),
    metrics: ["accuracy"],
    columns: standardColumns([...SENTENCE_PAIR, "label"], SENTENCE_PAIR),
    files: standardFiles("RTE"),
    labeled: INDEXED_PAIR,
    test: INDEXED_PAIR_TEST,
    skipMalformed: false,
  },
  "WNLI": {
    name: "WNLI",
    input: "pair",
    output: classify(BINARY),
    metrics: ["accuracy"],
    columns: standardColumns([...SENTENCE_PAIR, "label"], SENTENCE_PAIR),
    files: standardFiles("WNLI"),
    labeled: INDEXED_PAIR,
    test: INDEXED_PAIR_TEST,
    skipMalformed: false,
  },
  "AX": {
    name: "AX",
    input: "pair",
    // Predicted by the MNLI model, so it shares MNLI's labels.
    output: classify(NLI),
    metrics: [],
    columns: { test: SENTENCE_PAIR },
    files: { test: ["AX/test.tsv", "diagnostic/diagnostic.tsv"] },
    labeled: INDEXED_PAIR,
    test: INDEXED_PAIR_TEST,
    skipMalformed: false,
  },
};

/** The task names in the table's order. */
export const GLUE_TASK_NAMES: readonly GlueTaskName[] = Object.keys(GLUE_TASKS) as GlueTaskName[];

/**
 * Looks a task up by name, case-insensitively ("sst-2", "STS-B", "mnli").
 *
 * @example
 * ```ts
 * import { glueTask } from "./tasks.ts";
 * console.log(glueTask("sts-b").output); // { type: "regression", min: 0, max: 5 }
 * ```
 * @throws {RangeError} naming the known tasks when `name` is not one of them.
 */
export function glueTask(name: string): GlueTask {
  const found = GLUE_TASK_NAMES.find((n) => n.toLowerCase() === name.toLowerCase());
  if (found === undefined) {
    throw new RangeError(`Unknown GLUE task "${name}": expected one of ${GLUE_TASK_NAMES.join(", ")}`);
  }
  return GLUE_TASKS[found];
}

/** The splits a task has files for, in table order. */
export function glueSplits(task: GlueTask): GlueSplit[] {
  return Object.keys(task.files) as GlueSplit[];
}

/** Whether a split's files carry no labels (`test`, `test_matched`, `test_mismatched`). */
export function isTestSplit(split: GlueSplit): boolean {
  return split.startsWith("test");
}

/**
 * The width of the task's output layer: the number of labels, or 1 for regression.
 *
 * @example
 * ```ts
 * import { GLUE_TASKS, glueOutputSize } from "./tasks.ts";
 * console.log(glueOutputSize(GLUE_TASKS.MNLI), glueOutputSize(GLUE_TASKS["STS-B"])); // 3 1
 * ```
 */
export function glueOutputSize(task: GlueTask): number {
  return match(task.output)
    .with({ type: "classification" }, (o) => o.labels.length)
    .with({ type: "regression" }, () => 1)
    .exhaustive();
}
