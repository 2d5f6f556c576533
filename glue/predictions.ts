/**
 * Prediction files: one TSV per dev set for inspection (`predictions/<SET>-dev.tsv`), and the GLUE
 * server's test files (`submission/<NAME>.tsv`) zipped into `submission.zip`.
 *
 * Layout under an output directory:
 * ```
 * predictions/CoLA-dev.tsv ... MNLI-m-dev.tsv, MNLI-mm-dev.tsv    index, prediction, label
 * submission/CoLA.tsv ... MNLI-m.tsv, MNLI-mm.tsv, AX.tsv          index, prediction
 * submission.zip                                                   the submission/*.tsv at its root
 * ```
 * Classification predictions and labels are class ids (positions in the task's label list, as the
 * readers of `data/glue.ts` return them) and are written as label strings (`entailment`,
 * `not_entailment`, `0`/`1`, ...); STS-B's are scores.
 *
 * @example
 * ```ts
 * import { writeDevPredictions, writeSubmissionFile, writeSubmissionZip } from "./predictions.ts";
 *
 * await writeDevPredictions("out/glue", "RTE", [0, 1, 1], [0, 1, 0]);
 * await writeSubmissionFile("out/glue", "RTE", [1, 0], ["0", "1"]);
 * const zip = await writeSubmissionZip("out/glue");
 * console.log(zip.included, zip.missing.length); // ["RTE"] 10
 * ```
 * @module
 */
import { GLUE_TASKS, type GlueTaskName } from "./tasks.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import {
  GLUE_DEV_SETS,
  GLUE_SUBMISSION_NAMES,
  GLUE_TEST_SETS,
  type GlueDevSetName,
  type GlueSubmissionName,
} from "./sets.ts";
import { createZip, type ZipOptions } from "./zip.ts";

/** The header line of a dev prediction file. */
export const DEV_PREDICTIONS_HEADER = "index\tprediction\tlabel";

/** The header line the GLUE server expects. */
export const SUBMISSION_HEADER = "index\tprediction";

/** Digits after the point of STS-B scores in submission files. */
export const STSB_DECIMALS = 3;

/**
 * The path of a dev set's prediction file: `<dir>/predictions/<SET>-dev.tsv` (`MNLI-m-dev.tsv`).
 *
 * @example
 * ```ts
 * import { devPredictionsPath } from "./predictions.ts";
 * console.log(devPredictionsPath("out", "MNLI-mm")); // "out/predictions/MNLI-mm-dev.tsv"
 * ```
 */
export function devPredictionsPath(dir: string, set: GlueDevSetName): string {
  return `${dir}/predictions/${set}-dev.tsv`;
}

/**
 * The path of a submission file: `<dir>/submission/<NAME>.tsv`.
 *
 * @example
 * ```ts
 * import { submissionPath } from "./predictions.ts";
 * console.log(submissionPath("out", "AX")); // "out/submission/AX.tsv"
 * ```
 */
export function submissionPath(dir: string, name: GlueSubmissionName): string {
  return `${dir}/submission/${name}.tsv`;
}

/**
 * The text of a dev prediction file: the header, then one `index<TAB>prediction<TAB>label` line
 * per example. `index` defaults to the 0-based example position. Labels are written as label
 * strings; STS-B scores as the shortest decimal that reads back as the same float64 (not clipped,
 * so the metrics can be recomputed from the file).
 *
 * @example
 * ```ts
 * import { formatDevPredictions } from "./predictions.ts";
 * console.log(formatDevPredictions("MNLI-m", [1, 2], [1, 0]));
 * // "index\tprediction\tlabel\n0\tentailment\tentailment\n1\tneutral\tcontradiction\n"
 * ```
 * @throws {RangeError} when the lengths differ, or a class id or score is invalid.
 */
export function formatDevPredictions(
  set: GlueDevSetName,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  index?: readonly (string | number)[],
): string {
  const what = `${set} dev predictions`;
  if (predictions.length !== labels.length) {
    throw new RangeError(
      `Cannot format ${what}: ${predictions.length} predictions but ${labels.length} labels, expected equal lengths`,
    );
  }
  checkIndex(what, index, predictions.length);
  const task = GLUE_DEV_SETS[set].task;
  const lines = [DEV_PREDICTIONS_HEADER];
  for (let i = 0; i < predictions.length; i++) {
    const p = formatValue(task, predictions[i]!, what, `prediction ${i}`, String);
    const l = formatValue(task, labels[i]!, what, `label ${i}`, String);
    lines.push(`${index?.[i] ?? i}\t${p}\t${l}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Writes `<dir>/predictions/<SET>-dev.tsv` (temporary name, then rename) and returns its path.
 */
export async function writeDevPredictions(
  dir: string,
  set: GlueDevSetName,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  index?: readonly (string | number)[],
): Promise<string> {
  const path = devPredictionsPath(dir, set);
  await writeFileAtomic(path, formatDevPredictions(set, predictions, labels, index));
  return path;
}

/**
 * One prediction as the GLUE server expects it: the label string of a class id (MNLI/AX
 * `contradiction`/`entailment`/`neutral`, QNLI/RTE `entailment`/`not_entailment`, the others
 * `0`/`1`), or an STS-B score clipped to [0, 5] with 3 decimals.
 *
 * @example
 * ```ts
 * import { formatSubmissionValue } from "./predictions.ts";
 * console.log(formatSubmissionValue("RTE", 1), formatSubmissionValue("STS-B", 5.2371)); // "not_entailment" "5.000"
 * ```
 * @throws {RangeError} for a class id outside the label list or a non-finite score.
 */
export function formatSubmissionValue(task: GlueTaskName, value: number): string {
  return formatValue(task, value, `${task} submission`, "prediction", formatScore);
}

/**
 * The text of a submission file: `index<TAB>prediction`, then one line per test example.
 * `index` should be the test file's index column (`GlueExample.index`); it defaults to 0..n-1,
 * which is what the official test files hold.
 *
 * @example
 * ```ts
 * import { formatSubmission } from "./predictions.ts";
 * console.log(formatSubmission("STS-B", [-0.2, 3.14159])); // "index\tprediction\n0\t0.000\n1\t3.142\n"
 * ```
 * @throws {RangeError} when `index` has another length, or a prediction is invalid.
 */
export function formatSubmission(
  name: GlueSubmissionName,
  predictions: ArrayLike<number>,
  index?: readonly (string | number)[],
): string {
  const what = `submission file ${name}.tsv`;
  checkIndex(what, index, predictions.length);
  const task = GLUE_TEST_SETS[name].task;
  const lines = [SUBMISSION_HEADER];
  for (let i = 0; i < predictions.length; i++) {
    lines.push(
      `${index?.[i] ?? i}\t${formatValue(task, predictions[i]!, what, `prediction ${i}`, formatScore)}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Writes `<dir>/submission/<NAME>.tsv` (temporary name, then rename) and returns its path.
 */
export async function writeSubmissionFile(
  dir: string,
  name: GlueSubmissionName,
  predictions: ArrayLike<number>,
  index?: readonly (string | number)[],
): Promise<string> {
  const path = submissionPath(dir, name);
  await writeFileAtomic(path, formatSubmission(name, predictions, index));
  return path;
}

/** What {@linkcode writeSubmissionZip} put in the archive and what the GLUE server will object to. */
export interface SubmissionZipReport {
  /** The archive's path, `<dir>/submission.zip`. */
  readonly path: string;
  /** The files included, in the server's order. */
  readonly included: readonly GlueSubmissionName[];
  /** The expected files not found in `<dir>/submission/` (the server wants all eleven). */
  readonly missing: readonly GlueSubmissionName[];
  /** Included files whose row count differs from the official test set's (as with sample data). */
  readonly wrongRows: readonly { name: GlueSubmissionName; rows: number; expected: number }[];
}

/**
 * Zips the submission files found in `<dir>/submission/` into `<dir>/submission.zip` (files at
 * the archive's root, temporary name then rename), and reports missing files and row counts
 * that differ from the official test sets.
 *
 * @throws {Error} when no submission file exists.
 */
export async function writeSubmissionZip(
  dir: string,
  options: ZipOptions = {},
): Promise<SubmissionZipReport> {
  const included: GlueSubmissionName[] = [];
  const missing: GlueSubmissionName[] = [];
  const wrongRows: { name: GlueSubmissionName; rows: number; expected: number }[] = [];
  const entries = [];
  for (const name of GLUE_SUBMISSION_NAMES) {
    const data = await readIfExists(submissionPath(dir, name));
    if (data === null) {
      missing.push(name);
      continue;
    }
    included.push(name);
    entries.push({ name: `${name}.tsv`, data });
    const rows = countLines(data) - 1;
    const expected = GLUE_TEST_SETS[name].rows;
    if (rows !== expected) wrongRows.push({ name, rows, expected });
  }
  const path = `${dir}/submission.zip`;
  if (entries.length === 0) {
    throw new Error(`Cannot write "${path}": no submission files in "${dir}/submission/"`);
  }
  await writeFileAtomic(path, await createZip(entries, options));
  return { path, included, missing, wrongRows };
}

/** A class id as its label string, or a score through `score`; RangeError naming the row. */
function formatValue(
  task: GlueTaskName,
  value: number,
  what: string,
  where: string,
  score: (x: number) => string,
): string {
  const output = GLUE_TASKS[task].output;
  if (output.type === "regression") {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot format ${what}: ${where} is ${value}, expected a finite score`);
    }
    return score(value);
  }
  const label = Number.isInteger(value) ? output.labels[value] : undefined;
  if (label === undefined) {
    throw new RangeError(
      `Cannot format ${what}: ${where} is ${value}, expected a class id in 0..${output.labels.length - 1}`,
    );
  }
  return label;
}

/** STS-B's score for the server: clipped to [0, 5], fixed decimals. */
function formatScore(x: number): string {
  return Math.min(5, Math.max(0, x)).toFixed(STSB_DECIMALS);
}

function checkIndex(what: string, index: readonly (string | number)[] | undefined, n: number): void {
  if (index !== undefined && index.length !== n) {
    throw new RangeError(
      `Cannot format ${what}: ${index.length} indices for ${n} predictions, expected equal`,
    );
  }
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(`Cannot read submission file "${path}": ${(error as Error).message}`);
  }
}

/** Newline-terminated lines, plus an unterminated last line. */
function countLines(data: Uint8Array): number {
  let n = 0;
  for (const b of data) if (b === 0x0a) n++;
  if (data.length > 0 && data[data.length - 1] !== 0x0a) n++;
  return n;
}
