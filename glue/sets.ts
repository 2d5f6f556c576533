/**
 * The names under which GLUE results are scored and submitted: the nine scored tasks, their dev
 * sets (MNLI has two, `MNLI-m` and `MNLI-mm`) and the test sets the GLUE server expects (the
 * MNLI model also predicts `AX`, the diagnostic set).
 *
 * @example
 * ```ts
 * import { glueDevSets, glueTestSets } from "./sets.ts";
 *
 * console.log(glueDevSets("MNLI").map((s) => s.split)); // ["dev_matched", "dev_mismatched"]
 * console.log(glueTestSets("MNLI").map((s) => s.name)); // ["MNLI-m", "MNLI-mm", "AX"]
 * ```
 * @module
 */
import type { GlueSplit, GlueTaskName } from "./tasks.ts";

/** The nine tasks that count towards a GLUE score (AX is a diagnostic, scored by the server only). */
export type GlueScoredTask = Exclude<GlueTaskName, "AX">;

/** The scored tasks in the leaderboard's column order. */
export const GLUE_SCORED_TASKS: readonly GlueScoredTask[] = [
  "CoLA",
  "SST-2",
  "MRPC",
  "STS-B",
  "QQP",
  "MNLI",
  "QNLI",
  "RTE",
  "WNLI",
];

/** A labelled evaluation set: a task's dev file, with MNLI split into matched and mismatched. */
export type GlueDevSetName =
  | "CoLA"
  | "SST-2"
  | "MRPC"
  | "STS-B"
  | "QQP"
  | "MNLI-m"
  | "MNLI-mm"
  | "QNLI"
  | "RTE"
  | "WNLI";

/** Where a dev set's examples come from. */
export interface GlueDevSet {
  /** The set's name, also the stem of its prediction file (`predictions/<name>-dev.tsv`). */
  readonly name: GlueDevSetName;
  /** The task (and fine-tuned model) it belongs to. */
  readonly task: GlueScoredTask;
  /** The split to read with `readGlue`. */
  readonly split: GlueSplit;
}

/** The dev sets, keyed by name, in leaderboard order. */
export const GLUE_DEV_SETS: Readonly<Record<GlueDevSetName, GlueDevSet>> = {
  "CoLA": { name: "CoLA", task: "CoLA", split: "dev" },
  "SST-2": { name: "SST-2", task: "SST-2", split: "dev" },
  "MRPC": { name: "MRPC", task: "MRPC", split: "dev" },
  "STS-B": { name: "STS-B", task: "STS-B", split: "dev" },
  "QQP": { name: "QQP", task: "QQP", split: "dev" },
  "MNLI-m": { name: "MNLI-m", task: "MNLI", split: "dev_matched" },
  "MNLI-mm": { name: "MNLI-mm", task: "MNLI", split: "dev_mismatched" },
  "QNLI": { name: "QNLI", task: "QNLI", split: "dev" },
  "RTE": { name: "RTE", task: "RTE", split: "dev" },
  "WNLI": { name: "WNLI", task: "WNLI", split: "dev" },
};

/** The dev set names in leaderboard order. */
export const GLUE_DEV_SET_NAMES: readonly GlueDevSetName[] = Object.keys(GLUE_DEV_SETS) as GlueDevSetName[];

/**
 * The dev sets a task is evaluated on: one, or MNLI's matched and mismatched.
 *
 * @example
 * ```ts
 * import { glueDevSets } from "./sets.ts";
 * console.log(glueDevSets("RTE")); // [{ name: "RTE", task: "RTE", split: "dev" }]
 * ```
 */
export function glueDevSets(task: GlueScoredTask): GlueDevSet[] {
  return GLUE_DEV_SET_NAMES.map((n) => GLUE_DEV_SETS[n]).filter((s) => s.task === task);
}

/** A file the GLUE server expects in `submission.zip`, named `<name>.tsv`. */
export type GlueSubmissionName = GlueDevSetName | "AX";

/** Where a submission file's predictions come from. */
export interface GlueTestSet {
  /** The file stem the GLUE server expects (`MNLI-m.tsv`, `AX.tsv`, ...). */
  readonly name: GlueSubmissionName;
  /** The fine-tuned model that predicts it: AX is predicted by the MNLI model. */
  readonly model: GlueScoredTask;
  /** The task whose files and label list are used (`AX` for the diagnostic set). */
  readonly task: GlueTaskName;
  /** The split to read with `readGlue`. */
  readonly split: GlueSplit;
  /** Rows in the official test file; the server rejects a file with another count. */
  readonly rows: number;
}

/** The eleven submission files, in the order the GLUE server lists them. */
export const GLUE_TEST_SETS: Readonly<Record<GlueSubmissionName, GlueTestSet>> = {
  "CoLA": { name: "CoLA", model: "CoLA", task: "CoLA", split: "test", rows: 1063 },
  "SST-2": { name: "SST-2", model: "SST-2", task: "SST-2", split: "test", rows: 1821 },
  "MRPC": { name: "MRPC", model: "MRPC", task: "MRPC", split: "test", rows: 1725 },
  "STS-B": { name: "STS-B", model: "STS-B", task: "STS-B", split: "test", rows: 1379 },
  "QQP": { name: "QQP", model: "QQP", task: "QQP", split: "test", rows: 390965 },
  "MNLI-m": { name: "MNLI-m", model: "MNLI", task: "MNLI", split: "test_matched", rows: 9796 },
  "MNLI-mm": { name: "MNLI-mm", model: "MNLI", task: "MNLI", split: "test_mismatched", rows: 9847 },
  "QNLI": { name: "QNLI", model: "QNLI", task: "QNLI", split: "test", rows: 5463 },
  "RTE": { name: "RTE", model: "RTE", task: "RTE", split: "test", rows: 3000 },
  "WNLI": { name: "WNLI", model: "WNLI", task: "WNLI", split: "test", rows: 146 },
  "AX": { name: "AX", model: "MNLI", task: "AX", split: "test", rows: 1104 },
};

/** The submission file stems, in the server's order. */
export const GLUE_SUBMISSION_NAMES: readonly GlueSubmissionName[] = Object.keys(
  GLUE_TEST_SETS,
) as GlueSubmissionName[];

/**
 * The test sets a task's fine-tuned model predicts: one, or for MNLI `MNLI-m`, `MNLI-mm` and `AX`.
 *
 * @example
 * ```ts
 * import { glueTestSets } from "./sets.ts";
 * console.log(glueTestSets("QNLI").map((s) => s.name)); // ["QNLI"]
 * ```
 */
export function glueTestSets(task: GlueScoredTask): GlueTestSet[] {
  return GLUE_SUBMISSION_NAMES.map((n) => GLUE_TEST_SETS[n]).filter((s) => s.model === task);
}

/**
 * Looks a scored task up by name, case-insensitively and ignoring `-` (`sst2`, `STS-B`, `mnli`),
 * so that `--tasks cola,sst2,stsb` works.
 *
 * @throws {RangeError} naming the scored tasks when `name` is not one of them.
 */
export function glueScoredTask(name: string): GlueScoredTask {
  const key = (s: string) => s.toLowerCase().replaceAll("-", "");
  const found = GLUE_SCORED_TASKS.find((t) => key(t) === key(name));
  if (found === undefined) {
    throw new RangeError(
      `Unknown GLUE task "${name}": expected one of ${GLUE_SCORED_TASKS.join(", ")}`,
    );
  }
  return found;
}
